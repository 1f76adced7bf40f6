// Faults and concurrency through the built `kata` binary, black-box (label
// `vm`): QEMU or virtiofsd killed under a running container, concurrent verbs
// on one container, five containers at once, bad bundles, and the VM sizing
// seen from inside the guest. Every case ends by asserting that nothing it
// created (state dir, QEMU, virtiofsd, monitor, mount) is left.
//
// The test process makes itself a child subreaper, so the monitors that
// `kata run -d` and `kata create` leave behind are reparented to it when
// those commands exit: it can then reap a monitor and see the exit status an
// engine's shim would see. Every child is reaped through one Reaper, so a
// waitpid(-1) for orphans never steals the status of a kata command.
// Needs root (bind mounts, virtiofsd).

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::test_support;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// Reaps every child of this process (kata commands, and the monitors,
/// QEMUs and virtiofsds reparented to it) and keeps their statuses.
class Reaper {
 public:
  static Reaper& instance() {
    static Reaper reaper;
    return reaper;
  }

  /// Exit code or 128+signal of child `pid` once it has exited within
  /// `limit` (each status is handed out once); nullopt if still running.
  std::optional<int> wait(pid_t pid, std::chrono::milliseconds limit) {
    for (auto deadline = Clock::now() + limit;;) {
      poll();
      if (auto found = statuses_.find(pid); found != statuses_.end()) {
        int status = found->second;
        statuses_.erase(found);  // the pid may be reused later
        return status;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(20ms);
    }
  }

  void poll() {
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;)
      statuses_[pid] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  Reaper() { REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0); }
  std::map<pid_t, int> statuses_;
};

bool process_exists(pid_t pid) {
  Reaper::instance().poll();  // a reaped zombie no longer counts
  return ::kill(pid, 0) == 0;
}

/// The shared fixture with every child reaped through the Reaper, and the
/// fault cases' own shorthands and checks.
class Faults : public KataSandboxes {
 public:
  // Other containers of a case may still run: only this container's mounts
  // count in check_gone.
  Faults() : KataSandboxes({.name = "kata-fault", .check_root_mounts = false}) {
    Reaper::instance();  // the subreaper must be in place before any monitor is orphaned
  }

  using KataSandboxes::write_config;
  /// A configuration file for the build tree's guest with `extra` lines in [hypervisor.qemu].
  std::string write_config(const std::string& name, const std::string& extra) {
    return write_config(name, ConfigOptions{.hypervisor_extra = extra});
  }

  /// A bundle whose process runs `args`; `edit` may change its config.json.
  std::string bundle(const std::string& name, const std::vector<std::string>& args,
                     const std::function<void(json&)>& edit = {}) {
    return KataSandboxes::bundle(name, args, {.edit = edit});
  }

  /// `kata run -d` of a sleeping container; its monitor's pid (the pid-file process).
  pid_t run_sleeper(const std::string& id) {
    auto bundle_dir = bundle(id, {"/bin/sleep", "1000"});
    std::string pid_file = work() + "/" + id + ".pid";
    auto started = kata({"run", "-d", "-b", bundle_dir, "--pid-file", pid_file, id});
    REQUIRE_MESSAGE(started.status == 0, describe(started));
    auto pid_text = read_or_empty(pid_file);
    REQUIRE(all_digits(pid_text));
    return static_cast<pid_t>(std::stol(pid_text));
  }

  /// state.json of `id` parses as a JSON object.
  bool state_file_valid(const std::string& id) {
    json document = json::parse(read_or_empty(dir_of(id) + "/state.json"), nullptr, false);
    return document.is_object() && document.contains("status");
  }

  /// Nothing at all is left under the root (checked at the end of each case).
  void check_root_empty() {
    CHECK(mounts_under(root()).empty());
    CHECK(processes_naming(root() + "/").empty());
    if (fs::exists(root())) CHECK(fs::is_empty(root()));
  }

 protected:
  KataResult wait_for(const RunningKata& running, std::chrono::seconds limit) override {
    auto status = Reaper::instance().wait(running.pid, limit);
    if (!status) {
      ::kill(running.pid, SIGKILL);
      (void)Reaper::instance().wait(running.pid, 10s);
    }
    return collect_kata(running, status);
  }

  void reap() override { Reaper::instance().poll(); }

};

/// SIGKILLs every process of `program` naming the container dir; how many.
std::size_t kill_processes(const std::string& dir, const std::string& program) {
  auto pids = processes_naming(dir + "/", program);
  for (const auto& pid : pids) ::kill(std::stoi(pid), SIGKILL);
  return pids.size();
}

/// The checks after a VM component was killed: stopped with a non-zero
/// status within `limit`, the pid-file process exited non-zero, delete
/// leaves nothing.
void expect_stopped_and_deletable(Faults& faults, const std::string& id, pid_t monitor, std::chrono::seconds limit) {
  auto exited = Reaper::instance().wait(monitor, std::chrono::duration_cast<std::chrono::milliseconds>(limit));
  CHECK_MESSAGE(exited.has_value(), "the pid-file process " << monitor << " still runs");
  if (exited) CHECK(*exited != 0);
  auto stopped = faults.wait_stopped(id, 5s);
  CHECK(stopped["status"] == "stopped");
  CHECK(stopped["pid"] == 0);
  auto deleted = faults.kata({"delete", id});
  if (deleted.status != 0) deleted = faults.kata({"delete", "--force", id});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  faults.check_gone(id);
  CHECK_FALSE(process_exists(monitor));
}

}  // namespace

TEST_CASE("SIGKILL of the container's QEMU: stopped, the pid-file process exits non-zero, delete leaves nothing") {
  Faults faults;
  pid_t monitor = faults.run_sleeper("qemukill");
  REQUIRE(faults.state("qemukill")["status"] == "running");
  // create recorded its boot phases, in order, counted from its start.
  auto timings = faults.kata({"timings", "--format", "json", "qemukill"});
  REQUIRE_MESSAGE(timings.status == 0, describe(timings));
  auto phases = json::parse(timings.out)["phases"];
  REQUIRE(phases.size() == 3);
  CHECK(phases[0]["phase"] == "vm_spawned");
  CHECK(phases[1]["phase"] == "agent_ready");
  CHECK(phases[2]["phase"] == "container_created");
  CHECK(phases[0]["ms"].get<double>() > 0);
  CHECK(phases[1]["ms"].get<double>() > phases[0]["ms"].get<double>());
  CHECK(phases[2]["ms"].get<double>() > phases[1]["ms"].get<double>());
  auto qemu = processes_naming(faults.dir_of("qemukill") + "/", "qemu-system");
  REQUIRE(qemu.size() == 1);
  // QEMU is the sandbox monitor's child; the pid-file process (the
  // container's stand-in) is another process, with no VM in its pid namespace.
  auto stat = read_or_empty("/proc/" + qemu[0] + "/stat");
  auto fields = stat.substr(stat.rfind(')') + 2);
  auto sandbox_monitor = faults.record("qemukill")["kata"]["monitor_pid"].get<long>();
  CHECK(std::stol(fields.substr(fields.find(' ') + 1)) == sandbox_monitor);
  CHECK(sandbox_monitor != monitor);
  REQUIRE(::kill(std::stoi(qemu[0]), SIGKILL) == 0);
  expect_stopped_and_deletable(faults, "qemukill", monitor, 15s);
  faults.check_root_empty();
}

// The monitor treats virtiofsd as part of the VM: without it the guest has
// lost its root filesystem.
TEST_CASE("SIGKILL of the container's virtiofsd: stopped within 15 s, delete leaves nothing") {
  Faults faults;
  pid_t monitor = faults.run_sleeper("fskill");
  REQUIRE(faults.state("fskill")["status"] == "running");
  REQUIRE(kill_processes(faults.dir_of("fskill"), "virtiofsd") >= 1);
  expect_stopped_and_deletable(faults, "fskill", monitor, 15s);
  // Whatever happened above, leave nothing.
  (void)faults.kata({"delete", "--force", "fskill"});
  faults.check_gone("fskill");
  faults.check_root_empty();
}

TEST_CASE("two concurrent starts: exactly one succeeds and the state stays valid") {
  Faults faults;
  auto bundle = faults.bundle("twostarts", {"/bin/sleep", "1000"});
  auto created = faults.kata({"create", "-b", bundle, "twostarts"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  auto first = faults.spawn({"start", "twostarts"});
  auto second = faults.spawn({"start", "twostarts"});
  auto a = faults.finish(first);
  auto b = faults.finish(second);
  CHECK_MESSAGE((a.status == 0) != (b.status == 0), describe(a) << "\n" << describe(b));
  const auto& loser = a.status == 0 ? b : a;
  CHECK(loser.status == 1);
  CHECK_MESSAGE(loser.err.find("cannot start") != std::string::npos, describe(loser));
  CHECK(faults.state_file_valid("twostarts"));
  CHECK(faults.state("twostarts")["status"] == "running");
  auto deleted = faults.kata({"delete", "--force", "twostarts"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  faults.check_gone("twostarts");
  faults.check_root_empty();
}

TEST_CASE("delete --force racing kill: no corrupt state, nothing left") {
  Faults faults;
  for (int round = 0; round < 2; ++round) {
    std::string id = "race" + std::to_string(round);
    pid_t monitor = faults.run_sleeper(id);
    // Round 0 starts the kill first, round 1 the delete.
    RunningKata killing;
    RunningKata deleting;
    if (round == 0) {
      killing = faults.spawn({"kill", id, "KILL"});
      deleting = faults.spawn({"delete", "--force", id});
    } else {
      deleting = faults.spawn({"delete", "--force", id});
      killing = faults.spawn({"kill", id, "KILL"});
    }
    auto killed = faults.finish(killing);
    auto deleted = faults.finish(deleting);
    CHECK_MESSAGE(deleted.status == 0, describe(deleted));
    // kill either reached the container or found it gone: never a crash or a hang.
    CHECK_MESSAGE((killed.status == 0 || killed.status == 1), describe(killed));
    if (killed.status == 1) {
      bool clear = killed.err.find("does not exist") != std::string::npos ||
                   killed.err.find("not running") != std::string::npos;
      CHECK_MESSAGE(clear, describe(killed));
    }
    auto state = faults.kata({"state", id});
    CHECK(state.status == 1);
    CHECK(state.err.find("does not exist") != std::string::npos);
    CHECK(Reaper::instance().wait(monitor, 10s).has_value());
    faults.check_gone(id);
  }
  faults.check_root_empty();
}

TEST_CASE("five containers at once: all run, all are deleted, nothing is left") {
  Faults faults;
  std::vector<std::string> ids;
  std::vector<RunningKata> runs;
  for (int i = 0; i < 5; ++i) {
    ids.push_back("five" + std::to_string(i));
    auto bundle = faults.bundle(ids.back(), {"/bin/sleep", "1000"});
    runs.push_back(faults.spawn({"run", "-d", "-b", bundle, ids.back()}));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto result = faults.finish(runs[i], 300s);
    CHECK_MESSAGE(result.status == 0, ids[i] << ": " << describe(result));
  }
  for (const auto& id : ids) {
    CHECK(faults.state(id)["status"] == "running");
    CHECK(processes_naming(faults.dir_of(id) + "/", "qemu-system").size() == 1);
  }
  auto listed = json::parse(faults.kata({"list", "-f", "json"}).out);
  CHECK(listed.size() == 5);
  std::vector<RunningKata> deletes;
  for (const auto& id : ids) deletes.push_back(faults.spawn({"delete", "--force", id}));
  for (std::size_t i = 0; i < deletes.size(); ++i) {
    auto result = faults.finish(deletes[i]);
    CHECK_MESSAGE(result.status == 0, ids[i] << ": " << describe(result));
  }
  for (const auto& id : ids) faults.check_gone(id);
  faults.check_root_empty();
}

TEST_CASE("bad bundles fail create with an error naming the problem and leave nothing") {
  Faults faults;
  auto expect_refused = [&](const std::string& id, const std::string& bundle, const std::string& needle,
                            const std::string& config = "") {
    auto result = faults.kata({"create", "-b", bundle, id}, config);
    CHECK_MESSAGE(result.status == 1, describe(result));
    CHECK_MESSAGE(result.err.find(needle) != std::string::npos, "expected \"" << needle << "\" in\n" << describe(result));
    CHECK(result.out.empty());
    CHECK_FALSE(fs::exists(faults.dir_of(id)));
  };

  std::string empty = faults.work() + "/empty";
  fs::create_directories(empty);
  expect_refused("noconfig", empty, "config.json");

  auto malformed = faults.bundle("malformed", {"/bin/true"});
  REQUIRE(write_file_atomic(malformed + "/config.json", "{\"ociVersion\": \"1.0.2\", \"process\": {").ok());
  expect_refused("malformed", malformed, "config.json");

  auto no_rootfs = faults.bundle("norootfs", {"/bin/true"});
  fs::remove_all(no_rootfs + "/rootfs");
  expect_refused("norootfs", no_rootfs, no_rootfs + "/rootfs");

  auto bogus_ns = faults.bundle("bogusns", {"/bin/true"},
                                [](json& config) { config["linux"]["namespaces"].push_back({{"type", "bogus"}}); });
  expect_refused("bogusns", bogus_ns, "bogus");

  // A hypervisor annotation the configuration does not enable, and a malformed one that it does.
  const std::string memory = "io.katacontainers.config.hypervisor.default_memory";
  auto annotated = faults.bundle("annotated", {"/bin/true"},
                                 [&](json& config) { config["annotations"][memory] = "1024"; });
  expect_refused("annotated", annotated, "annotation " + memory + " is not enabled");
  auto malformed_value = faults.bundle("badvalue", {"/bin/true"},
                                       [&](json& config) { config["annotations"][memory] = "lots"; });
  auto allowing = faults.write_config("allowing", "enable_annotations = [\"default_memory\"]\n");
  // (kata's log format escapes the quotes around the value, so the needle stops before them)
  expect_refused("badvalue", malformed_value, "annotation " + memory + ": ", allowing);
  expect_refused("badvalue", malformed_value, "lots", allowing);
  expect_refused("badvalue", malformed_value, "is not a number of MiB", allowing);
  faults.check_root_empty();
}

TEST_CASE("the VM is sized by the memory limit, the CPU quota and an allowed annotation") {
  Faults faults;
  // 640 MiB (annotation) + 128 MiB (limit) = 768 MiB; 1 + ceil(100000/100000) = 2 vCPUs
  // (this stays within the host's CPUs on a 2-core CI machine).
  auto bundle = faults.bundle("sized", {"/bin/sh", "-c", "grep -c ^processor /proc/cpuinfo; grep MemTotal /proc/meminfo"},
                              [](json& config) {
                                config["annotations"]["io.katacontainers.config.hypervisor.default_memory"] = "640";
                                config["linux"]["resources"]["memory"]["limit"] = 128 * 1024 * 1024;
                                config["linux"]["resources"]["cpu"]["quota"] = 100000;
                                config["linux"]["resources"]["cpu"]["period"] = 100000;
                              });
  auto config = faults.write_config("sizing", "enable_annotations = [\"default_memory\"]\n");
  auto ran = faults.kata({"run", "-b", bundle, "sized"}, config);
  REQUIRE_MESSAGE(ran.status == 0, describe(ran));
  auto newline = ran.out.find('\n');
  REQUIRE(newline != std::string::npos);
  unsigned expected_cpus = std::min(2U, std::thread::hardware_concurrency());
  CHECK(ran.out.substr(0, newline) == std::to_string(expected_cpus));
  // MemTotal is -m minus what the kernel reserves: well above the 512 MiB default, at most 768 MiB.
  auto digits = ran.out.find_first_of("0123456789", newline);
  REQUIRE(digits != std::string::npos);
  long mem_kib = std::stol(ran.out.substr(digits));
  CHECK(mem_kib > 640L * 1024);
  CHECK(mem_kib <= 768L * 1024);
  faults.check_gone("sized");
  faults.check_root_empty();
}
