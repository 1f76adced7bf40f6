// The sandbox's host cgroup through the built `kata` binary on a real VM
// (label `vm`, needs root): the spec's linux.cgroupsPath is made in every
// hierarchy of this host (cgroup v1 hybrid on CI), the sandbox monitor,
// QEMU, virtiofsd and the container's stand-in are in it, its files hold
// the spec's CPU and pids limits and the sandbox's memory limit (VM +
// overhead), `kata update` changes them, delete removes exactly the
// directories kata made, and a monitor killed with SIGKILL takes QEMU and
// virtiofsd with it. cgroupsPath is relative, so everything stays below
// this test's own cgroup; the test makes the parent itself (a cgroup
// kata did not create, which must survive delete).

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "runtime/host_cgroup_plan.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::test_support;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::vector<runtime::CgroupHierarchy> hierarchies() {
  auto mountinfo = read_file("/proc/self/mountinfo", 16 << 20);
  auto self = read_file("/proc/self/cgroup", 1 << 20);
  REQUIRE(mountinfo.ok());
  REQUIRE(self.ok());
  auto parsed = runtime::parse_cgroup_hierarchies(*mountinfo, *self);
  REQUIRE(parsed.ok());
  REQUIRE_FALSE(parsed->empty());
  return *parsed;
}

/// The directory of `relative` (a cgroupsPath) in the hierarchy that has `controller`.
std::string dir_of(const std::string& relative, const std::string& controller) {
  for (const auto& hierarchy : hierarchies()) {
    bool has = controller.empty() ? hierarchy.unified
                                  : std::find(hierarchy.controllers.begin(), hierarchy.controllers.end(),
                                              controller) != hierarchy.controllers.end();
    if (has) return runtime::cgroup_dir_in(hierarchy, relative);
  }
  return "";
}

/// Every line of /proc/<pid>/cgroup names a path ending in `/suffix`.
bool in_cgroup(const std::string& pid, const std::string& suffix, std::string& lines) {
  lines = read_or_empty("/proc/" + pid + "/cgroup");
  if (lines.empty()) return false;
  std::size_t start = 0;
  while (start < lines.size()) {
    auto end = lines.find('\n', start);
    if (end == std::string::npos) end = lines.size();
    std::string line = lines.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    if (!line.ends_with("/" + suffix)) return false;
  }
  return true;
}

/// /proc/<pid>/cgroup read by a process in the cgroup namespace of `pid`
/// (nsenter -C): paths relative to that namespace's root.
std::string cgroup_seen_from_namespace_of(const std::string& pid) {
  std::string command = "nsenter -t " + pid + " -C cat /proc/" + pid + "/cgroup";
  std::string text;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, got);
  CHECK(::pclose(pipe) == 0);
  return text;
}

/// A test-made parent cgroup in every hierarchy (kata must leave it).
class ParentCgroup {
 public:
  explicit ParentCgroup(std::string name) : name_(std::move(name)) {
    for (const auto& hierarchy : hierarchies()) {
      auto dir = runtime::cgroup_dir_in(hierarchy, name_);
      REQUIRE_MESSAGE((::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST), dir);
      dirs_.push_back(dir);
      // A v1 cpuset cgroup takes processes only once cpus and mems are set.
      if (std::find(hierarchy.controllers.begin(), hierarchy.controllers.end(), "cpuset") != hierarchy.controllers.end()) {
        for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
          auto value = read_or_empty(fs::path(dir).parent_path().string() + "/" + file);
          std::ofstream(dir + "/" + file) << value;  // cgroupfs: a plain write, no temp file
        }
      }
    }
  }
  ~ParentCgroup() {
    for (const auto& dir : dirs_) ::rmdir(dir.c_str());
  }
  const std::string& name() const { return name_; }
  bool all_exist() const {
    for (const auto& dir : dirs_)
      if (!fs::is_directory(dir)) return false;
    return true;
  }

 private:
  std::string name_;
  std::vector<std::string> dirs_;
};

bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
  for (auto deadline = Clock::now() + limit; Clock::now() < deadline; std::this_thread::sleep_for(100ms))
    if (done()) return true;
  return done();
}

constexpr long long container_memory = 128LL << 20;

BundleOptions limited(const std::string& cgroups_path) {
  return {.edit = [cgroups_path](json& config) {
    config["linux"]["cgroupsPath"] = cgroups_path;
    config["linux"]["resources"]["cpu"] = {{"quota", 50000}, {"period", 100000}};
    config["linux"]["resources"]["pids"] = {{"limit", 64}};
    config["linux"]["resources"]["memory"] = {{"limit", container_memory}};
    config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  }};
}

/// One container `id` created with limited() in `<parent>/leaf`, deleted at the end.
struct LimitedContainer {
  explicit LimitedContainer(const std::string& name)
      : id(name), sandboxes({.name = "kata-host-cgroup-" + name}), parent(name + "-" + std::to_string(::getpid())),
        path(parent.name() + "/leaf") {
    auto bundle = sandboxes.bundle(id, {"/bin/sh", "-c", "sleep 300"}, limited(path));
    auto created = sandboxes.kata({"create", "-b", bundle, id});
    REQUIRE_MESSAGE(created.status == 0, describe(created));
  }
  ~LimitedContainer() { (void)sandboxes.kata({"delete", "--force", id}); }

  std::string id;
  KataSandboxes sandboxes;
  ParentCgroup parent;  ///< the test's, made before kata runs: kata must leave it
  std::string path;     ///< the cgroupsPath
};

}  // namespace

TEST_CASE("create puts the whole sandbox in cgroupsPath with its limits; update changes them; delete removes it") {
  LimitedContainer container("cg");
  auto& sandboxes = container.sandboxes;
  const auto& parent = container.parent;
  const auto& path = container.path;
  auto started = sandboxes.kata({"start", "cg"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));

  auto record = sandboxes.record("cg");
  auto dir = sandboxes.dir_of("cg") + "/";
  std::vector<std::string> pids = {std::to_string(record["kata"]["monitor_pid"].get<long>()),
                                   std::to_string(record["pid"].get<long>())};
  auto qemu = processes_naming(dir, "qemu-system");
  auto virtiofsd = processes_naming(dir, "virtiofsd");
  REQUIRE(qemu.size() == 1);
  REQUIRE_FALSE(virtiofsd.empty());
  pids.insert(pids.end(), qemu.begin(), qemu.end());
  pids.insert(pids.end(), virtiofsd.begin(), virtiofsd.end());
  for (const auto& pid : pids) {
    std::string lines;
    CHECK_MESSAGE(in_cgroup(pid, path, lines), "pid " << pid << ":\n" << lines);
  }
  // The spec asks for a cgroup namespace: the pid's is its own, rooted at
  // its cgroup, so seen from inside its cgroup is "/" (as under runc).
  struct stat own {}, theirs {};
  REQUIRE(::stat("/proc/self/ns/cgroup", &own) == 0);
  REQUIRE(::stat(("/proc/" + pids[1] + "/ns/cgroup").c_str(), &theirs) == 0);
  CHECK(own.st_ino != theirs.st_ino);
  CHECK_MESSAGE(cgroup_seen_from_namespace_of(pids[1]).find(":pids:/\n") != std::string::npos,
                cgroup_seen_from_namespace_of(pids[1]));

  // The spec's CPU and pids limits as given; memory: the VM's 512 + 128 MiB
  // plus the default 512 MiB overhead, whatever the container's limit.
  const std::uint64_t sandbox_memory = runtime::sandbox_memory_limit(512 + 128, 512);
  CHECK(trimmed(read_or_empty(dir_of(path, "cpu") + "/cpu.cfs_quota_us")) == "50000");
  CHECK(trimmed(read_or_empty(dir_of(path, "cpu") + "/cpu.cfs_period_us")) == "100000");
  CHECK(trimmed(read_or_empty(dir_of(path, "pids") + "/pids.max")) == "64");
  CHECK(trimmed(read_or_empty(dir_of(path, "memory") + "/memory.limit_in_bytes")) == std::to_string(sandbox_memory));
  auto usage = std::stoull("0" + trimmed(read_or_empty(dir_of(path, "memory") + "/memory.usage_in_bytes")));
  CHECK(usage > 0);
  CHECK(usage < sandbox_memory);
  // The parent is the test's: kata wrote nothing there.
  CHECK(trimmed(read_or_empty(dir_of(parent.name(), "pids") + "/pids.max")) == "max");
  CHECK(trimmed(read_or_empty(dir_of(parent.name(), "cpu") + "/cpu.cfs_quota_us")) == "-1");

  auto updated = sandboxes.kata({"update", "--cpu-quota", "20000", "--pids-limit", "32", "cg"});
  REQUIRE_MESSAGE(updated.status == 0, describe(updated));
  CHECK(trimmed(read_or_empty(dir_of(path, "cpu") + "/cpu.cfs_quota_us")) == "20000");
  CHECK(trimmed(read_or_empty(dir_of(path, "pids") + "/pids.max")) == "32");
  CHECK(trimmed(read_or_empty(dir_of(path, "memory") + "/memory.limit_in_bytes")) == std::to_string(sandbox_memory));

  auto deleted = sandboxes.kata({"delete", "--force", "cg"});
  REQUIRE_MESSAGE(deleted.status == 0, describe(deleted));
  sandboxes.check_gone("cg");
  for (const auto& hierarchy : hierarchies()) {
    auto leaf = runtime::cgroup_dir_in(hierarchy, path);
    CHECK_MESSAGE(!fs::exists(leaf), leaf);
  }
  CHECK(parent.all_exist());
}

TEST_CASE("SIGKILL of the sandbox monitor leaves no QEMU or virtiofsd; delete removes the cgroup") {
  LimitedContainer container("cgkill");
  auto& sandboxes = container.sandboxes;
  const auto& parent = container.parent;
  const auto& path = container.path;
  auto dir = sandboxes.dir_of("cgkill") + "/";
  REQUIRE(processes_naming(dir, "qemu-system").size() == 1);
  pid_t monitor = static_cast<pid_t>(sandboxes.record("cgkill")["kata"]["monitor_pid"].get<long>());
  REQUIRE(::kill(monitor, SIGKILL) == 0);
  CHECK_MESSAGE(wait_until([&] { return processes_naming(dir, "qemu-system").empty(); }, 10s), "QEMU outlived its monitor");
  CHECK_MESSAGE(wait_until([&] { return processes_naming(dir, "virtiofsd").empty(); }, 10s),
                "virtiofsd outlived its monitor");
  auto procs = trimmed(read_or_empty(dir_of(path, "memory") + "/cgroup.procs"));
  CHECK_MESSAGE(wait_until([&] { return trimmed(read_or_empty(dir_of(path, "memory") + "/cgroup.procs")).empty(); }, 10s),
                "left in the cgroup: " << procs);
  auto deleted = sandboxes.kata({"delete", "--force", "cgkill"});
  REQUIRE_MESSAGE(deleted.status == 0, describe(deleted));
  sandboxes.check_gone("cgkill");
  CHECK_FALSE(fs::exists(dir_of(path, "memory")));
  CHECK(parent.all_exist());
}

TEST_CASE("a cgroupsPath kata cannot create is an error naming it and leaves nothing") {
  KataSandboxes sandboxes({.name = "kata-host-cgroup-bad"});
  ParentCgroup parent("kata-cgbad-" + std::to_string(::getpid()));
  int attempt = 0;
  for (const std::string& path : {parent.name() + "/../escape", parent.name() + "/cgroup.procs/leaf"}) {
    CAPTURE(path);
    std::string id = "cgbad" + std::to_string(++attempt);
    auto bundle = sandboxes.bundle(id, {"/bin/true"}, limited(path));
    auto created = sandboxes.kata({"create", "-b", bundle, id});
    CHECK(created.status != 0);
    CHECK_MESSAGE(created.err.find(path) != std::string::npos, describe(created));
    sandboxes.check_gone(id);
    CHECK(processes_naming(sandboxes.root() + "/").empty());
    CHECK(parent.all_exist());
    for (const auto& hierarchy : hierarchies()) {
      for (const auto& entry : fs::directory_iterator(runtime::cgroup_dir_in(hierarchy, parent.name())))
        CHECK_MESSAGE(!entry.is_directory(), "left behind: " << entry.path());
    }
  }
}

TEST_CASE("a pod member's stand-in is in the member's own cgroupsPath; its delete removes only that") {
  KataSandboxes sandboxes({.name = "kata-host-cgroup-pod"});
  ParentCgroup parent("kata-cgpod-" + std::to_string(::getpid()));
  const std::string netns_name = "kata-cgpod" + std::to_string(::getpid());
  REQUIRE(std::system(("ip netns add " + netns_name).c_str()) == 0);
  ScopeExit netns_gone([&] { (void)std::system(("ip netns del " + netns_name).c_str()); });
  // As podman makes a pod: the infra container unmarked (so its limits
  // bound the VM on the host), the member with podman's annotations; the
  // pod's network namespace and a cgroup each.
  auto in_pod = [&](const std::string& type, const std::string& cgroup) {
    return BundleOptions{.edit = [=, &parent](json& spec) {
      if (type == "container")
        spec["annotations"] = {{"io.kubernetes.cri-o.ContainerType", type}, {"io.kubernetes.cri-o.SandboxID", "cgpod"}};
      spec["linux"]["cgroupsPath"] = parent.name() + "/" + cgroup;
      spec["linux"]["resources"]["memory"] = {{"limit", container_memory}};
      for (auto& entry : spec["linux"]["namespaces"])
        if (entry["type"] == "network") entry["path"] = "/run/netns/" + netns_name;
    }};
  };
  auto pause = sandboxes.bundle("cgpod", {"/bin/sleep", "1000"}, in_pod("sandbox", "pause"));
  auto created = sandboxes.kata({"create", "-b", pause, "cgpod"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  auto app = sandboxes.bundle("cgpod-app", {"/bin/sleep", "1000"}, in_pod("container", "app"));
  created = sandboxes.kata({"create", "-b", app, "cgpod-app"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));

  std::string lines;
  auto member_pid = std::to_string(sandboxes.record("cgpod-app")["pid"].get<long>());
  CHECK_MESSAGE(in_cgroup(member_pid, parent.name() + "/app", lines), "member " << member_pid << ":\n" << lines);
  // The VM stays the sandbox's: QEMU is in the sandbox's cgroup.
  auto qemu = processes_naming(sandboxes.dir_of("cgpod") + "/", "qemu-system");
  REQUIRE(qemu.size() == 1);
  CHECK_MESSAGE(in_cgroup(qemu.front(), parent.name() + "/pause", lines), "qemu:\n" << lines);

  // The member's 128 MiB limit grew the VM by a 128 MiB pc-dimm; the
  // sandbox's host limit (VM + overhead) grew with it, on the host and in
  // its state.json.
  const std::uint64_t grown = runtime::sandbox_memory_limit(512 + 128 + 128, 512);
  CHECK(trimmed(read_or_empty(dir_of(parent.name() + "/pause", "memory") + "/memory.limit_in_bytes")) ==
        std::to_string(grown));
  CHECK(sandboxes.record("cgpod")["kata"]["host_cgroup"]["memory_limit"] == grown);

  auto deleted = sandboxes.kata({"delete", "--force", "cgpod-app"});
  REQUIRE_MESSAGE(deleted.status == 0, describe(deleted));
  for (const auto& hierarchy : hierarchies()) {
    CHECK_FALSE(fs::exists(runtime::cgroup_dir_in(hierarchy, parent.name() + "/app")));
    CHECK(fs::exists(runtime::cgroup_dir_in(hierarchy, parent.name() + "/pause")));
  }
  deleted = sandboxes.kata({"delete", "--force", "cgpod"});
  REQUIRE_MESSAGE(deleted.status == 0, describe(deleted));
  CHECK_FALSE(fs::exists(dir_of(parent.name() + "/pause", "memory")));
  CHECK(parent.all_exist());
}
