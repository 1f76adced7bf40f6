// ps, pause, resume, update and events through the built `kata` binary on a
// real VM (label `vm`, needs root): one busybox container that prints a line
// every 0.2 s. Pausing must stop its output and resuming restart it; ps lists
// guest pids; update changes the guest cgroup limits that events --stats
// then reports; the events stream ends when the container is killed. One
// VM boot (about 3 s under TCG). The suite checks at the end that no
// process, mount or state dir of its root is left.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
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

struct KataResult {
  int status = -1;  // exit code, 128+signal, or -1 when it had to be killed
  std::string out;
  std::string err;
};

std::string describe(const KataResult& result) {
  return "exit " + std::to_string(result.status) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

/// A kata process started in the background, its stdout and stderr in files
/// (a pipe would stay open as long as a container's monitor holds it).
struct RunningKata {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;

  /// Waits up to `timeout` (then SIGKILLs it) and collects its outcome.
  KataResult finish(std::chrono::seconds timeout = 180s) {
    KataResult result;
    int status = 0;
    for (auto deadline = Clock::now() + timeout;;) {
      if (::waitpid(pid, &status, WNOHANG) == pid) break;
      if (Clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        status = -1;
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    if (status != -1) result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_or_empty(out_path);
    result.err = read_or_empty(err_path);
    return result;
  }
};

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// Processes whose command line names `needle`.
std::vector<std::string> processes_naming(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (!all_digits(name) || name == std::to_string(::getpid())) continue;
    auto cmdline = read_file(entry.path().string() + "/cmdline", 1U << 20);
    if (cmdline && cmdline->find(needle) != std::string::npos) found.push_back(name);
  }
  return found;
}

/// A state root, a configuration with the build tree's guest, and kata runs.
class Verbs {
 public:
  Verbs() {
    root_ = work_.path() + "/root";
    config_ = work_.path() + "/configuration.toml";
    std::string toml = std::string("[hypervisor.qemu]\npath = \"") + KATA_QEMU + "\"\nkernel = \"" +
                       KATA_GUEST_KERNEL + "\"\ninitrd = \"" + KATA_GUEST_INITRD + "\"\nvirtio_fs_daemon = \"" +
                       KATA_VIRTIOFSD + "\"\n[agent.kata]\ndial_timeout = 120\n";
    REQUIRE(write_file_atomic(config_, toml).ok());
  }

  /// Starts `kata --root R --config C <args>` with stdin from `stdin_path`.
  RunningKata start(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    args.insert(args.begin(), {KATA_BINARY, "--root", root_, "--config", config_});
    RunningKata running;
    running.out_path = work_.path() + "/out." + std::to_string(++serial_);
    running.err_path = work_.path() + "/err." + std::to_string(serial_);
    running.pid = ::fork();
    REQUIRE(running.pid >= 0);
    if (running.pid == 0) {
      int in = ::open(stdin_path.c_str(), O_RDONLY);
      int out = ::open(running.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = ::open(running.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in < 0 || out < 0 || err < 0) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      std::vector<char*> raw;
      for (auto& arg : args) raw.push_back(arg.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
    return running;
  }

  /// Runs kata to completion.
  KataResult kata(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    return start(std::move(args), stdin_path).finish();
  }

  /// A bundle from `kata spec` whose process runs `args` on a busybox rootfs.
  std::string bundle(const std::string& name, const std::vector<std::string>& args) {
    std::string dir = work_.path() + "/" + name;
    fs::create_directories(dir);
    auto spec = kata({"spec", "-b", dir});
    REQUIRE_MESSAGE(spec.status == 0, describe(spec));
    json config = json::parse(read_or_empty(dir + "/config.json"));
    config["process"]["args"] = args;
    config["process"]["terminal"] = false;
    bool has_network = false;
    for (const auto& ns : config["linux"]["namespaces"]) has_network |= ns["type"] == "network";
    if (!has_network) config["linux"]["namespaces"].push_back({{"type", "network"}});
    REQUIRE(write_file_atomic(dir + "/config.json", config.dump(2)).ok());
    REQUIRE(make_busybox_rootfs(dir + "/rootfs").ok());
    return dir;
  }

  std::string status(const std::string& id) {
    auto result = kata({"state", id});
    REQUIRE_MESSAGE(result.status == 0, describe(result));
    return json::parse(result.out)["status"].get<std::string>();
  }

  /// events --stats of `id`, parsed (one line expected).
  json stats(const std::string& id) {
    auto result = kata({"events", "--stats", id});
    REQUIRE_MESSAGE(result.status == 0, describe(result));
    REQUIRE_MESSAGE(std::count(result.out.begin(), result.out.end(), '\n') == 1, describe(result));
    return json::parse(result.out);
  }

  const std::string& root() const { return root_; }
  const std::string& work() const { return work_.path(); }

 private:
  TempDir work_{"kata-verbs"};
  std::string root_;
  std::string config_;
  int serial_ = 0;
};

/// Waits up to `limit` for `path` to grow beyond `size` bytes.
bool grows_beyond(const std::string& path, std::size_t size, std::chrono::seconds limit) {
  for (auto deadline = Clock::now() + limit; Clock::now() < deadline; std::this_thread::sleep_for(100ms))
    if (read_or_empty(path).size() > size) return true;
  return false;
}

}  // namespace

TEST_CASE("ps, pause/resume, update and events on a running container") {
  Verbs verbs;
  auto bundle = verbs.bundle("ticker", {"/bin/sh", "-c", "while :; do echo x; sleep 0.2; done"});
  // Whatever fails below, the VM goes (delete --force of a missing container is fine).
  ScopeExit cleanup([&] { (void)verbs.kata({"delete", "--force", "ticker"}); });

  // create's stdout is the container's: the monitor relays into that file.
  auto create = verbs.start({"create", "-b", bundle, "ticker"});
  auto created = create.finish();
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  auto started = verbs.kata({"start", "ticker"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  const std::string& output = create.out_path;
  REQUIRE_MESSAGE(grows_beyond(output, 2, 30s), "the container printed nothing");

  // ps: guest pids from the container's cgroup, in the guest's root pid
  // namespace: the shell (and perhaps its sleep), never the agent (PID 1).
  auto ps_json = verbs.kata({"ps", "--format", "json", "ticker"});
  REQUIRE_MESSAGE(ps_json.status == 0, describe(ps_json));
  json pids = json::parse(ps_json.out);
  REQUIRE(pids.is_array());
  CHECK_FALSE(pids.empty());
  CHECK(pids.size() <= 3);
  for (const auto& pid : pids) CHECK(pid.get<long long>() > 1);
  auto ps_table = verbs.kata({"ps", "ticker"});
  CHECK_MESSAGE(ps_table.status == 0, describe(ps_table));
  CHECK(ps_table.out.rfind("PID\n", 0) == 0);

  // pause: the output stops and the state says paused.
  auto paused = verbs.kata({"pause", "ticker"});
  REQUIRE_MESSAGE(paused.status == 0, describe(paused));
  CHECK(verbs.status("ticker") == "paused");
  std::this_thread::sleep_for(500ms);  // a line already on its way to the host
  auto frozen_size = read_or_empty(output).size();
  std::this_thread::sleep_for(1500ms);
  CHECK_MESSAGE(read_or_empty(output).size() == frozen_size, "output kept coming while paused");
  auto twice = verbs.kata({"pause", "ticker"});
  CHECK(twice.status == 1);
  CHECK(twice.err.find("container not running") != std::string::npos);
  // A paused container still answers ps and stats.
  CHECK(verbs.kata({"ps", "--format", "json", "ticker"}).status == 0);

  // resume: the output comes back.
  auto resumed = verbs.kata({"resume", "ticker"});
  REQUIRE_MESSAGE(resumed.status == 0, describe(resumed));
  CHECK(verbs.status("ticker") == "running");
  CHECK_MESSAGE(grows_beyond(output, frozen_size, 10s), "no output after resume");
  auto not_paused = verbs.kata({"resume", "ticker"});
  CHECK(not_paused.status == 1);
  CHECK(not_paused.err.find("container not paused") != std::string::npos);

  // events --stats: one runc stats object for this container.
  json before = verbs.stats("ticker");
  CHECK(before["type"] == "stats");
  CHECK(before["id"] == "ticker");
  CHECK(before["data"]["memory"]["usage"]["usage"].get<unsigned long long>() > 0);
  CHECK(before["data"]["pids"]["current"].get<unsigned long long>() >= 1);

  // update: a memory limit by flag, a pids limit by JSON on stdin; stats
  // then report both.
  auto memory = verbs.kata({"update", "--memory", "48m", "ticker"});
  REQUIRE_MESSAGE(memory.status == 0, describe(memory));
  std::string resources = verbs.work() + "/resources.json";
  REQUIRE(write_file_atomic(resources, R"({"pids":{"limit":40}})").ok());
  auto pids_limit = verbs.kata({"update", "--resources", "-", "ticker"}, resources);
  REQUIRE_MESSAGE(pids_limit.status == 0, describe(pids_limit));
  json after = verbs.stats("ticker");
  CHECK(after["data"]["memory"]["usage"]["limit"] == 48ULL << 20);
  CHECK(after["data"]["pids"]["limit"] == 40);
  auto bad = verbs.kata({"update", "--memory", "lots", "ticker"});
  CHECK(bad.status == 1);
  CHECK(bad.err.find("invalid memory size") != std::string::npos);

  // events: a stats line per interval until the container is killed, then
  // the stream ends by itself.
  auto stream = verbs.start({"events", "--interval", "300ms", "ticker"});
  std::this_thread::sleep_for(2s);
  auto killed = verbs.kata({"kill", "ticker", "KILL"});
  CHECK_MESSAGE(killed.status == 0, describe(killed));
  auto streamed = stream.finish(60s);
  CHECK_MESSAGE(streamed.status == 0, describe(streamed));
  std::size_t stats_lines = 0;
  for (std::size_t start = 0; start < streamed.out.size();) {
    auto end = streamed.out.find('\n', start);
    if (end == std::string::npos) break;
    json event = json::parse(streamed.out.substr(start, end - start));
    CHECK(event["id"] == "ticker");
    if (event["type"] == "stats") ++stats_lines;
    start = end + 1;
  }
  CHECK_MESSAGE(stats_lines >= 2, describe(streamed));

  // Stopped: the verbs refuse with runc's words.
  for (auto deadline = Clock::now() + 60s; Clock::now() < deadline && verbs.status("ticker") != "stopped";)
    std::this_thread::sleep_for(200ms);
  REQUIRE(verbs.status("ticker") == "stopped");
  auto ps_stopped = verbs.kata({"ps", "ticker"});
  CHECK(ps_stopped.status == 1);
  CHECK(ps_stopped.err.find("container not running") != std::string::npos);
  auto stats_stopped = verbs.kata({"events", "--stats", "ticker"});
  CHECK(stats_stopped.status == 1);
  CHECK(stats_stopped.err.find("container with id ticker is not running") != std::string::npos);

  auto deleted = verbs.kata({"delete", "ticker"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  std::string dir = verbs.root() + "/ticker";
  CHECK_FALSE(fs::exists(dir));
  std::vector<std::string> left;
  for (int i = 0; i < 50; ++i) {
    left = processes_naming(dir + "/");
    if (left.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK_MESSAGE(left.empty(), "processes still naming " << dir << ": " << left.size());
  CHECK(read_or_empty("/proc/self/mountinfo").find(" " + verbs.root() + "/") == std::string::npos);
}
