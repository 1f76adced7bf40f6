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
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/temp_dir.hpp"

using namespace kata;
using namespace kata::test_support;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string read_or_empty(const std::string& path) {
  auto text = read_file(path, 16U << 20);
  return text ? *text : std::string();
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

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

struct KataResult {
  int status = -1;  // exit code, 128+signal, or -1 when it had to be killed
  std::string out;
  std::string err;
};

std::string describe(const KataResult& result) {
  return "exit " + std::to_string(result.status) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

/// A kata command started and not yet waited for.
struct Running {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
};

/// Starts `kata <args>` with stdin /dev/null and stdout/stderr in files
/// under `work` (a pipe would stay open as long as a monitor holds it).
Running spawn_kata(const std::string& work, const std::vector<std::string>& args) {
  Reaper::instance();  // the subreaper must be in place before any monitor is orphaned
  static int serial = 0;
  Running running{-1, work + "/out." + std::to_string(++serial), work + "/err." + std::to_string(serial)};
  std::vector<std::string> argv{KATA_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(running.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(running.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  running.pid = pid;
  return running;
}

KataResult finish(const Running& running, std::chrono::seconds limit = 180s) {
  KataResult result;
  auto status = Reaper::instance().wait(running.pid, limit);
  if (!status) {
    ::kill(running.pid, SIGKILL);
    (void)Reaper::instance().wait(running.pid, 10s);
  } else {
    result.status = *status;
  }
  result.out = read_or_empty(running.out_path);
  result.err = read_or_empty(running.err_path);
  return result;
}

/// pids whose command line names `needle` and whose argv[0] contains `program` (any when empty).
std::vector<pid_t> processes_naming(const std::string& needle, const std::string& program = "") {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (!all_digits(name) || name == std::to_string(::getpid())) continue;
    auto cmdline = read_file(entry.path().string() + "/cmdline", 1U << 20);
    if (!cmdline || cmdline->find(needle) == std::string::npos) continue;
    std::string argv0 = cmdline->substr(0, cmdline->find('\0'));
    if (program.empty() || argv0.find(program) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

/// mountinfo lines whose mount point is under `dir`.
std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> found;
  auto info = read_or_empty("/proc/self/mountinfo");
  std::size_t start = 0;
  while (start < info.size()) {
    auto end = info.find('\n', start);
    std::string line = info.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find(" " + dir + "/") != std::string::npos) found.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return found;
}

bool process_exists(pid_t pid) {
  Reaper::instance().poll();  // a reaped zombie no longer counts
  return ::kill(pid, 0) == 0;
}

/// A state root, a configuration pointing at the build tree's guest, and
/// bundles made from `kata spec` with a busybox rootfs.
class Faults {
 public:
  Faults() {
    REQUIRE_FALSE(work_.path().empty());
    root_ = work_.path() + "/root";
    config_ = write_config("configuration", "");
  }

  /// A configuration file for the build tree's guest with `extra` lines in [hypervisor.qemu].
  std::string write_config(const std::string& name, const std::string& extra) {
    std::string path = work_.path() + "/" + name + ".toml";
    std::string toml = std::string("[hypervisor.qemu]\npath = \"") + KATA_QEMU + "\"\nkernel = \"" +
                       KATA_GUEST_KERNEL + "\"\ninitrd = \"" + KATA_GUEST_INITRD + "\"\nvirtio_fs_daemon = \"" +
                       KATA_VIRTIOFSD + "\"\n" + extra + "[agent.kata]\ndial_timeout = 120\n";
    REQUIRE(write_file_atomic(path, toml).ok());
    return path;
  }

  /// Starts kata with this root and configuration (or `config`).
  Running spawn(std::vector<std::string> args, const std::string& config = "") {
    args.insert(args.begin(), {"--root", root_, "--config", config.empty() ? config_ : config});
    return spawn_kata(work_.path(), args);
  }

  KataResult kata(std::vector<std::string> args, const std::string& config = "") {
    return finish(spawn(std::move(args), config));
  }

  /// A bundle whose process runs `args`; `edit` may change its config.json.
  std::string bundle(const std::string& name, const std::vector<std::string>& args,
                     const std::function<void(json&)>& edit = {}) {
    std::string dir = work_.path() + "/" + name;
    fs::create_directories(dir);
    auto spec = finish(spawn_kata(work_.path(), {"spec", "-b", dir}));
    REQUIRE_MESSAGE(spec.status == 0, describe(spec));
    json config = json::parse(read_or_empty(dir + "/config.json"));
    config["process"]["args"] = args;
    config["process"]["terminal"] = false;
    // Keep a network namespace entry: without one the spec asks for the host network.
    bool has_network = false;
    for (const auto& ns : config["linux"]["namespaces"]) has_network |= ns["type"] == "network";
    if (!has_network) config["linux"]["namespaces"].push_back({{"type", "network"}});
    if (edit) edit(config);
    REQUIRE(write_file_atomic(dir + "/config.json", config.dump(2)).ok());
    REQUIRE(make_busybox_rootfs(dir + "/rootfs").ok());
    return dir;
  }

  json state(const std::string& id) {
    auto result = kata({"state", id});
    REQUIRE_MESSAGE(result.status == 0, describe(result));
    return json::parse(result.out);
  }

  /// Polls `kata state` until the container is stopped (or `limit` passes).
  json wait_stopped(const std::string& id, std::chrono::seconds limit) {
    json current;
    for (auto deadline = Clock::now() + limit; Clock::now() < deadline;) {
      current = state(id);
      if (current["status"] == "stopped") break;
      std::this_thread::sleep_for(200ms);
    }
    return current;
  }

  /// `kata run -d` of a sleeping container; its monitor's pid (the pid-file process).
  pid_t run_sleeper(const std::string& id) {
    auto bundle_dir = bundle(id, {"/bin/sleep", "1000"});
    std::string pid_file = work_.path() + "/" + id + ".pid";
    auto started = kata({"run", "-d", "-b", bundle_dir, "--pid-file", pid_file, id});
    REQUIRE_MESSAGE(started.status == 0, describe(started));
    auto pid_text = read_or_empty(pid_file);
    REQUIRE(all_digits(pid_text));
    return static_cast<pid_t>(std::stol(pid_text));
  }

  std::string dir_of(const std::string& id) const { return root_ + "/" + id; }

  /// state.json of `id` parses as a JSON object.
  bool state_file_valid(const std::string& id) {
    json document = json::parse(read_or_empty(dir_of(id) + "/state.json"), nullptr, false);
    return document.is_object() && document.contains("status");
  }

  /// Nothing of container `id` is left: state dir, processes, mounts.
  void check_gone(const std::string& id) {
    std::string dir = dir_of(id);
    CHECK_FALSE(fs::exists(dir));
    // QEMU and virtiofsd die with their monitor; give the kernel a moment.
    std::vector<pid_t> left;
    for (int i = 0; i < 50; ++i) {
      Reaper::instance().poll();
      left = processes_naming(dir + "/");
      if (left.empty()) break;
      std::this_thread::sleep_for(100ms);
    }
    CHECK_MESSAGE(left.empty(), "processes still naming " << dir << ": " << left.size());
    CHECK(mounts_under(dir).empty());
  }

  /// Nothing at all is left under the root (checked at the end of each case).
  void check_root_empty() {
    CHECK(mounts_under(root_).empty());
    CHECK(processes_naming(root_ + "/").empty());
    if (fs::exists(root_)) CHECK(fs::is_empty(root_));
  }

  const std::string& root() const { return root_; }
  const std::string& work() const { return work_.path(); }

 private:
  TempDir work_{"kata-fault"};
  std::string root_;
  std::string config_;
};

/// SIGKILLs every process of `program` naming the container dir; how many.
std::size_t kill_processes(const std::string& dir, const std::string& program) {
  auto pids = processes_naming(dir + "/", program);
  for (pid_t pid : pids) ::kill(pid, SIGKILL);
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
  // QEMU is the monitor's child.
  auto stat = read_or_empty("/proc/" + std::to_string(qemu[0]) + "/stat");
  auto fields = stat.substr(stat.rfind(')') + 2);
  CHECK(std::stol(fields.substr(fields.find(' ') + 1)) == monitor);
  REQUIRE(::kill(qemu[0], SIGKILL) == 0);
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
  auto a = finish(first);
  auto b = finish(second);
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
    Running killing;
    Running deleting;
    if (round == 0) {
      killing = faults.spawn({"kill", id, "KILL"});
      deleting = faults.spawn({"delete", "--force", id});
    } else {
      deleting = faults.spawn({"delete", "--force", id});
      killing = faults.spawn({"kill", id, "KILL"});
    }
    auto killed = finish(killing);
    auto deleted = finish(deleting);
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
  std::vector<Running> runs;
  for (int i = 0; i < 5; ++i) {
    ids.push_back("five" + std::to_string(i));
    auto bundle = faults.bundle(ids.back(), {"/bin/sleep", "1000"});
    runs.push_back(faults.spawn({"run", "-d", "-b", bundle, ids.back()}));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto result = finish(runs[i], 300s);
    CHECK_MESSAGE(result.status == 0, ids[i] << ": " << describe(result));
  }
  for (const auto& id : ids) {
    CHECK(faults.state(id)["status"] == "running");
    CHECK(processes_naming(faults.dir_of(id) + "/", "qemu-system").size() == 1);
  }
  auto listed = json::parse(faults.kata({"list", "-f", "json"}).out);
  CHECK(listed.size() == 5);
  std::vector<Running> deletes;
  for (const auto& id : ids) deletes.push_back(faults.spawn({"delete", "--force", id}));
  for (std::size_t i = 0; i < deletes.size(); ++i) {
    auto result = finish(deletes[i]);
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
