// podman 4.3 reading a kata container's host cgroup (label `e2e`), with the
// system's own containers.conf and podman's cgroupfs manager: `podman stats`
// reads the cgroup of the container's pid (kata's stand-in), which is the
// spec's cgroupsPath, holding QEMU, virtiofsd and kata's monitor too, so it
// reports the VM's real memory, bounded by the VM's size plus kata's
// overhead margin; `podman top` lists no host process. Needs root, podman,
// conmon, netavark.

#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/engine_host.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::e2e;

namespace {

/// Bytes of one of podman's binary sizes ("117.8MiB", "1.062GiB", "512kB"); -1 if unreadable.
double parse_size(const std::string& text) {
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (...) {
    return -1;
  }
  std::string unit = trim(text.substr(used));
  const std::vector<std::pair<std::string, double>> units = {
      {"B", 1},          {"KiB", 1024.0},    {"MiB", 1024.0 * 1024},     {"GiB", 1024.0 * 1024 * 1024},
      {"kB", 1000.0},    {"KB", 1000.0},     {"MB", 1000.0 * 1000},      {"GB", 1000.0 * 1000 * 1000}};
  for (const auto& [name, factor] : units)
    if (unit == name) return number * factor;
  return -1;
}

}  // namespace

TEST_CASE("podman stats --no-stream: the sandbox's real memory, below the VM's size plus overhead; top lists no host process") {
  auto& host = EngineHost::get();
  const std::string name = "kata-e2e-stats";
  auto started = host.podman({"run", "-d", "--name", name, "--memory", "64m", EngineHost::kImage, "sleep", "600"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  auto id = trim(started.out);
  // The cgroup podman reads: that of the container's pid, in every hierarchy.
  auto pid = trim(host.podman({"inspect", "--format", "{{.State.Pid}}", name}).out);
  auto cgroups = test_support::read_or_empty("/proc/" + pid + "/cgroup");
  CHECK_MESSAGE(contains(cgroups, id), cgroups);
  std::string memory_dir;
  std::istringstream cgroup_lines(cgroups);
  for (std::string row; std::getline(cgroup_lines, row);) {
    auto second = row.find(':', row.find(':') + 1);
    if (row.substr(row.find(':') + 1, second - row.find(':') - 1) == "memory")
      memory_dir = "/sys/fs/cgroup/memory" + row.substr(second + 1);
  }

  auto stats = host.podman({"stats", "--no-stream", "--format", "{{.MemUsageBytes}}", name});
  CHECK_MESSAGE(stats.status == 0, describe(stats));
  // "117.8MiB / 64MiB": podman shows the spec's --memory as the limit; the
  // usage is the host cgroup's, the whole sandbox's.
  auto line = trim(stats.out);
  auto slash = line.find(" / ");
  REQUIRE_MESSAGE(slash != std::string::npos, line);
  double used = parse_size(line.substr(0, slash));
  // The VM: default_memory (512 MiB) plus the container's 64 MiB; the
  // sandbox's limit adds the default overhead, 512 MiB.
  const double sandbox = (512.0 + 64 + 512) * 1024 * 1024;
  CHECK_MESSAGE(used > 0, line);
  CHECK_MESSAGE(used < sandbox, line);
  REQUIRE_FALSE(memory_dir.empty());
  CHECK(trim(test_support::read_or_empty(memory_dir + "/memory.limit_in_bytes")) ==
        std::to_string(static_cast<long long>(sandbox)));

  auto top = host.podman({"top", name, "pid", "comm"});
  CHECK_MESSAGE(top.status == 0, describe(top));
  std::istringstream lines(top.out);
  std::vector<std::string> rows;
  for (std::string row; std::getline(lines, row);)
    if (!trim(row).empty()) rows.push_back(row);
  CHECK_MESSAGE(rows.size() == 2, top.out);  // the header and the stand-in
  CHECK_FALSE(contains(top.out, "qemu"));
  CHECK_FALSE(contains(top.out, "kthreadd"));

  auto removed = host.podman({"rm", "--force", "--time", "0", name});
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  auto left = kata_leftovers(host.podman_kata_root(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
  // kata's cgroup went with the container (cgroup v1 hosts: the memory hierarchy's directory).
  if (!memory_dir.empty()) CHECK_MESSAGE(!std::filesystem::exists(memory_dir), memory_dir);
}
