// cgroup v2 file formats, on an ordinary directory standing in for /sys/fs/cgroup.
#include "agent/cgroups.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/fs.hpp"

using namespace kata;
using namespace kata::agent;

namespace {

std::string make_root() {
  char dir[] = "/tmp/kata-cgroups-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  return dir;
}

// cgroup files exist before they are written; create them as the kernel would.
void touch(const std::string& path, const std::string& content) {
  REQUIRE(write_file_atomic(path, content, 0644).ok());
}

}  // namespace

TEST_CASE("update writes memory.max, cpu.max and pids.max from OCI resources") {
  auto root = make_root();
  Cgroups cgroups(root);
  REQUIRE(cgroups.create("c").ok());
  auto dir = cgroups.path("c");
  for (const char* file : {"memory.max", "pids.max"}) touch(dir + "/" + file, "max\n");
  touch(dir + "/cpu.max", "max 100000\n");

  nlohmann::json resources = {{"memory", {{"limit", 1048576}}}, {"cpu", {{"quota", 50000}}}, {"pids", {{"limit", -1}}}};
  REQUIRE(cgroups.update("c", resources).ok());
  CHECK(*read_file(dir + "/memory.max", 100) == "1048576");
  CHECK(*read_file(dir + "/cpu.max", 100) == "50000 100000");
  CHECK(*read_file(dir + "/pids.max", 100) == "max");

  REQUIRE(cgroups.update("c", {{"memory", {{"limit", -1}}}, {"pids", {{"limit", 7}}}}).ok());
  CHECK(*read_file(dir + "/memory.max", 100) == "max");
  CHECK(*read_file(dir + "/pids.max", 100) == "7");

  CHECK(cgroups.update("c", {{"memory", {{"limit", "lots"}}}}).error().kind == ErrorKind::invalid_argument);
  std::filesystem::remove_all(root);
}

TEST_CASE("stats reads the counters; processes reads cgroup.procs") {
  auto root = make_root();
  Cgroups cgroups(root);
  REQUIRE(cgroups.create("c").ok());
  auto dir = cgroups.path("c");
  touch(dir + "/memory.current", "4096\n");
  touch(dir + "/memory.max", "max\n");
  touch(dir + "/pids.current", "3\n");
  touch(dir + "/pids.max", "64\n");
  touch(dir + "/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n");
  touch(dir + "/cgroup.procs", "12\n34\n");

  auto stats = cgroups.stats("c");
  REQUIRE(stats.ok());
  CHECK(stats->memory_current == 4096);
  CHECK(stats->memory_max == 0);
  CHECK(stats->pids_current == 3);
  CHECK(stats->pids_max == 64);
  CHECK(stats->cpu_usage_usec == 1500);
  CHECK(stats->cpu_user_usec == 1000);
  CHECK(stats->cpu_system_usec == 500);
  CHECK(*cgroups.processes("c") == std::vector<pid_t>{12, 34});

  touch(dir + "/memory.current", "garbage\n");
  CHECK_FALSE(cgroups.stats("c").ok());
  std::filesystem::remove_all(root);
}
