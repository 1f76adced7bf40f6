// The host cgroup's directories and files (runtime/host_cgroup.hpp) on a
// fake cgroup root: plain directories stand for the hierarchies, so what
// kata makes, writes, leaves alone and refuses is seen without root.
#include "runtime/host_cgroup.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace kata;
using namespace kata::runtime;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void put(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A fake root with v1 cpu, cpuset and memory hierarchies and a v2 one.
struct FakeRoot {
  FakeRoot() {
    std::string pattern = (fs::temp_directory_path() / "kata-cgroup-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root = pattern;
    put(root / "cpuset/cpuset.cpus", "0-3\n");
    put(root / "cpuset/cpuset.mems", "0\n");
    fs::create_directories(root / "cpu");
    fs::create_directories(root / "memory");
    // Hybrid: cpu and memory are v1's here, so v2 provides none of the limits.
    put(root / "unified/cgroup.controllers", "cpu memory\n");
    hierarchies = {{(root / "cpu").string(), false, {"cpu"}, "/"},
                   {(root / "cpuset").string(), false, {"cpuset"}, "/"},
                   {(root / "memory").string(), false, {"memory"}, "/"},
                   {(root / "unified").string(), true, {}, "/"}};
  }
  ~FakeRoot() { fs::remove_all(root); }

  HostCgroupPlan plan(const std::string& path, const HostLimits& limits) {
    auto planned = plan_host_cgroup_in(hierarchies, path, false, limits, 1ULL << 30);
    REQUIRE(planned.ok());
    return *planned;
  }

  // rmdir on a real cgroupfs takes its files with it; here they go first.
  void remove_files_below(const fs::path& dir) {
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      if (entry.is_regular_file()) fs::remove(entry.path());
  }

  fs::path root;
  std::vector<CgroupHierarchy> hierarchies;
};

HostLimits some_limits() {
  HostLimits limits;
  limits.cpu_quota = 50000;
  limits.cpu_period = 100000;
  limits.pids_limit = 32;
  limits.memory_limited = true;
  return limits;
}

}  // namespace

TEST_CASE("create_host_cgroup makes the path in every hierarchy and writes the limits kata owns") {
  FakeRoot fake;
  auto record = create_host_cgroup(fake.plan("/parent/leaf", some_limits()));
  REQUIRE_MESSAGE(record.ok(), record.error().message);
  REQUIRE(record->leaves.size() == 4);
  CHECK(record->created_dirs.size() == 8);  // parent and leaf, four times
  CHECK(record->created_dirs.front() == (fake.root / "cpu/parent").string());
  for (const auto& leaf : record->leaves) CHECK(leaf.created);
  CHECK(slurp(fake.root / "cpu/parent/leaf/cpu.cfs_quota_us") == "50000");
  CHECK(slurp(fake.root / "cpu/parent/leaf/cpu.cfs_period_us") == "100000");
  CHECK(slurp(fake.root / "memory/parent/leaf/memory.limit_in_bytes") == "1073741824");
  // v1 cpuset: each new directory inherits its parent's cpus and mems.
  CHECK(slurp(fake.root / "cpuset/parent/cpuset.cpus") == "0-3");
  CHECK(slurp(fake.root / "cpuset/parent/leaf/cpuset.mems") == "0");
  // v2 on a hybrid host: a directory to be in, no controller to enable.
  CHECK(fs::is_directory(fake.root / "unified/parent/leaf"));
  CHECK_FALSE(fs::exists(fake.root / "unified/parent/cgroup.subtree_control"));
  CHECK_FALSE(fs::exists(fake.root / "cpu/parent/cpu.cfs_quota_us"));  // limits only at the leaf

  REQUIRE(join_host_cgroup(leaf_paths(*record), 4242).ok());
  CHECK(slurp(fake.root / "memory/parent/leaf/cgroup.procs") == "4242");

  HostLimits changed;
  changed.cpu_quota = 20000;
  REQUIRE(update_host_cgroup(*record, changed).ok());
  CHECK(slurp(fake.root / "cpu/parent/leaf/cpu.cfs_quota_us") == "20000");

  fake.remove_files_below(fake.root / "cpu");
  fake.remove_files_below(fake.root / "cpuset/parent");
  fake.remove_files_below(fake.root / "memory");
  fake.remove_files_below(fake.root / "unified/parent");
  REQUIRE(remove_host_cgroup(*record).ok());
  CHECK_FALSE(fs::exists(fake.root / "cpu/parent"));
  CHECK_FALSE(fs::exists(fake.root / "unified/parent"));
  CHECK(fs::exists(fake.root / "cpuset/cpuset.cpus"));
}

TEST_CASE("an existing parent is entered, never written to, and not recorded for removal") {
  FakeRoot fake;
  for (const char* hierarchy : {"cpu", "cpuset", "memory", "unified"}) fs::create_directories(fake.root / hierarchy / "engine");
  put(fake.root / "unified/engine/cgroup.subtree_control", "memory pids\n");
  put(fake.root / "unified/engine/cgroup.controllers", "cpu memory pids\n");
  auto record = create_host_cgroup(fake.plan("/engine/leaf", some_limits()));
  REQUIRE_MESSAGE(record.ok(), record.error().message);
  CHECK(record->created_dirs.size() == 4);
  for (const auto& dir : record->created_dirs) CHECK(fs::path(dir).filename() == "leaf");
  CHECK(slurp(fake.root / "unified/engine/cgroup.subtree_control") == "memory pids\n");
  CHECK_FALSE(fs::exists(fake.root / "cpuset/engine/cpuset.cpus"));
}

TEST_CASE("an existing leaf is joined without touching its limits; one with processes is refused") {
  FakeRoot fake;
  for (const char* hierarchy : {"cpu", "cpuset", "memory", "unified"}) fs::create_directories(fake.root / hierarchy / "pre");
  auto record = create_host_cgroup(fake.plan("/pre", some_limits()));
  REQUIRE_MESSAGE(record.ok(), record.error().message);
  CHECK(record->created_dirs.empty());
  for (const auto& leaf : record->leaves) CHECK_FALSE(leaf.created);
  CHECK_FALSE(fs::exists(fake.root / "cpu/pre/cpu.cfs_quota_us"));
  REQUIRE(update_host_cgroup(*record, some_limits()).ok());
  CHECK_FALSE(fs::exists(fake.root / "cpu/pre/cpu.cfs_quota_us"));

  put(fake.root / "memory/pre/cgroup.procs", "1\n77\n");
  auto refused = create_host_cgroup(fake.plan("/pre", some_limits()));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::invalid_argument);
  CHECK(refused.error().message.find("linux.cgroupsPath /pre") != std::string::npos);
  CHECK(refused.error().message.find("holds processes") != std::string::npos);
}

TEST_CASE("a path that names a file is an error naming it, and what was made before is removed") {
  FakeRoot fake;
  put(fake.root / "memory/blocker", "not a cgroup");
  auto failed = create_host_cgroup(fake.plan("/blocker/leaf", some_limits()));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message.find("linux.cgroupsPath /blocker/leaf") != std::string::npos);
  CHECK(failed.error().message.find((fake.root / "memory/blocker").string()) != std::string::npos);
  // cpu came first; kata's directories there are gone again. (The fake
  // cpuset directories keep the files kata wrote, which a real cgroupfs
  // removes with them, so they stay here.)
  CHECK_FALSE(fs::exists(fake.root / "cpu/blocker"));
  CHECK_FALSE(fs::exists(fake.root / "memory/blocker/leaf"));
}

TEST_CASE("cgroup v2: a needed controller the existing parent does not delegate is an error naming it") {
  FakeRoot fake;
  std::vector<CgroupHierarchy> v2_only = {{(fake.root / "unified").string(), true, {}, "/"}};
  fs::create_directories(fake.root / "unified/engine");
  put(fake.root / "unified/engine/cgroup.subtree_control", "\n");
  auto plan = plan_host_cgroup_in(v2_only, "/engine/leaf", false, some_limits(), 1ULL << 30);
  REQUIRE(plan.ok());
  auto refused = create_host_cgroup(*plan);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("controller is not enabled in " + (fake.root / "unified/engine").string()) !=
        std::string::npos);
  CHECK_FALSE(fs::exists(fake.root / "unified/engine/leaf"));
}

TEST_CASE("a pod member's plan carries no limits; the sandbox's plan keeps the spec's") {
  // This host's own hierarchies are read, nothing is written.
  auto spec = oci::parse_spec(R"({"ociVersion": "1.0.2",
    "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},
    "linux": {"cgroupsPath": "/k8s.io/member",
              "resources": {"memory": {"limit": 67108864}, "cpu": {"quota": 50000}}}})");
  REQUIRE(spec.ok());
  auto member = plan_member_host_cgroup(*spec, false);
  REQUIRE(member.ok());
  REQUIRE(member->has_value());
  CHECK((*member)->limits == HostLimits{});
  CHECK((*member)->memory_limit == 0);
  auto sandbox = plan_host_cgroup(*spec, false, 1ULL << 30);
  REQUIRE(sandbox.ok());
  REQUIRE(sandbox->has_value());
  CHECK((*sandbox)->limits.memory_limited);
  CHECK((*sandbox)->limits.cpu_quota == 50000);
}
