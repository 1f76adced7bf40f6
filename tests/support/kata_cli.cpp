#include "tests/support/kata_cli.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "common/fs.hpp"
#include "tests/support/busybox_rootfs.hpp"

namespace kata::test_support {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The paths of the build tree are compile definitions of this library (not
// parameters): every test that drives kata wants exactly these.
const char* kata_binary() { return KATA_BINARY; }

std::string read_or_empty(const std::string& path) {
  auto text = read_file(path, 16U << 20);
  return text ? *text : std::string();
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string describe(const KataResult& result) {
  return "exit " + std::to_string(result.status) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

RunningKata spawn_kata(const std::string& work, const std::vector<std::string>& args, const std::string& stdin_path) {
  static int serial = 0;
  RunningKata running{-1, work + "/out." + std::to_string(++serial), work + "/err." + std::to_string(serial)};
  std::vector<std::string> argv{KATA_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = ::open(stdin_path.c_str(), O_RDONLY);
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

KataResult collect_kata(const RunningKata& running, std::optional<int> status) {
  KataResult result;
  if (status) result.status = *status;
  result.out_path = running.out_path;
  result.out = read_or_empty(running.out_path);
  result.err = read_or_empty(running.err_path);
  return result;
}

KataResult finish_kata(const RunningKata& running, std::chrono::seconds timeout) {
  int status = 0;
  for (auto deadline = Clock::now() + timeout;;) {
    if (::waitpid(running.pid, &status, WNOHANG) == running.pid) break;
    if (Clock::now() > deadline) {
      ::kill(running.pid, SIGKILL);
      ::waitpid(running.pid, &status, 0);
      return collect_kata(running, std::nullopt);
    }
    std::this_thread::sleep_for(20ms);
  }
  return collect_kata(running, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

KataResult run_kata(const std::string& work, const std::vector<std::string>& args, const std::string& stdin_path,
                    std::chrono::seconds timeout) {
  return finish_kata(spawn_kata(work, args, stdin_path), timeout);
}

std::vector<std::string> processes_naming(const std::string& needle, const std::string& program) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (!all_digits(name) || name == std::to_string(::getpid())) continue;
    auto cmdline = read_file(entry.path().string() + "/cmdline", 1U << 20);
    if (!cmdline || cmdline->find(needle) == std::string::npos) continue;
    std::string argv0 = cmdline->substr(0, cmdline->find('\0'));
    if (program.empty() || argv0.find(program) != std::string::npos) found.push_back(name);
  }
  return found;
}

std::vector<std::string> mountinfo_lines() {
  std::vector<std::string> lines;
  auto info = read_or_empty("/proc/self/mountinfo");
  std::size_t start = 0;
  while (start < info.size()) {
    auto end = info.find('\n', start);
    lines.push_back(info.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> found;
  for (auto& line : mountinfo_lines())
    if (line.find(" " + dir + "/") != std::string::npos) found.push_back(std::move(line));
  return found;
}

std::string test_guest_kernel_name() {
  const char* chosen = std::getenv("KATA_TEST_GUEST_KERNEL");
  std::string name = chosen != nullptr && *chosen != '\0' ? chosen : KATA_DEFAULT_GUEST_KERNEL;
  REQUIRE_MESSAGE((name == "kata" || name == "debian"), "KATA_TEST_GUEST_KERNEL=" << name << ": kata or debian");
  return name;
}

std::string test_guest_kernel() { return std::string(KATA_GUEST_DIR) + "/vmlinuz-" + test_guest_kernel_name(); }

std::string test_guest_initrd() {
  return std::string(KATA_GUEST_DIR) + "/kata-initramfs-" + test_guest_kernel_name() + ".img";
}

std::string kata_configuration(const ConfigOptions& options) {
  std::string kernel = options.kernel.empty() ? test_guest_kernel() : options.kernel;
  std::string initrd = options.initrd.empty() ? test_guest_initrd() : options.initrd;
  return std::string("[hypervisor.qemu]\npath = \"") + KATA_QEMU + "\"\nkernel = \"" + kernel + "\"\ninitrd = \"" +
         initrd + "\"\nvirtio_fs_daemon = \"" + KATA_VIRTIOFSD + "\"\n" + options.hypervisor_extra +
         "[agent.kata]\ndial_timeout = " + std::to_string(options.dial_timeout) + "\n" + options.extra;
}

KataSandboxes::KataSandboxes(SandboxOptions options) : options_(std::move(options)), work_(options_.name) {
  REQUIRE_FALSE(work_.path().empty());
  root_ = work_.path() + "/root";
  config_ = write_config("configuration", options_.config);
}

KataSandboxes::~KataSandboxes() {
  try {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_, ec))
      (void)finish_kata(spawn_kata(work_.path(), {"--root", root_, "--config", config_, "delete", "--force",
                                                  entry.path().filename().string()}),
                        std::chrono::seconds(60));
    // What the deletes could not end (a kata that failed, a create killed half way).
    for (const auto& pid : processes_naming(work_.path() + "/")) ::kill(std::stoi(pid), SIGKILL);
    for (int i = 0; i < 50 && !processes_naming(work_.path() + "/").empty(); ++i) std::this_thread::sleep_for(100ms);
    auto mounts = mounts_under(work_.path());
    std::vector<std::string> points;
    for (const auto& line : mounts) {
      std::istringstream fields(line);
      std::string field;
      for (int i = 0; i < 5 && fields >> field; ++i) {
      }
      points.push_back(field);  // the fifth field: the mount point
    }
    std::sort(points.rbegin(), points.rend());  // deepest first
    for (const auto& point : points) ::umount2(point.c_str(), MNT_DETACH);
  } catch (...) {
    // A destructor must not throw; what is left shows in the next check.
  }
}

std::string KataSandboxes::write_config(const std::string& name, const ConfigOptions& options) {
  std::string path = work_.path() + "/" + name + ".toml";
  REQUIRE(write_file_atomic(path, kata_configuration(options)).ok());
  return path;
}

RunningKata KataSandboxes::spawn(std::vector<std::string> args, const std::string& config,
                                 const std::string& stdin_path) {
  args.insert(args.begin(), {"--root", root_, "--config", config.empty() ? config_ : config});
  return spawn_kata(work_.path(), args, stdin_path);
}

KataResult KataSandboxes::kata(std::vector<std::string> args, const std::string& config,
                               const std::string& stdin_path) {
  return finish(spawn(std::move(args), config, stdin_path));
}

KataResult KataSandboxes::finish(const RunningKata& running, std::optional<std::chrono::seconds> limit) {
  return wait_for(running, limit.value_or(options_.timeout));
}

KataResult KataSandboxes::wait_for(const RunningKata& running, std::chrono::seconds limit) {
  return finish_kata(running, limit);
}

std::string KataSandboxes::bundle(const std::string& name, const std::vector<std::string>& args,
                                  const BundleOptions& options) {
  std::string dir = work_.path() + "/" + name;
  fs::create_directories(dir);
  auto spec = finish(spawn_kata(work_.path(), {"spec", "-b", dir}));
  REQUIRE_MESSAGE(spec.status == 0, describe(spec));
  auto text = read_file(dir + "/config.json", 1U << 20);
  REQUIRE(text.ok());
  json config = json::parse(*text);
  config["process"]["args"] = args;
  config["process"]["terminal"] = options.terminal;
  // Always one network namespace entry: without one the spec asks for the
  // host network; with a path the container (and so the VM) joins it.
  json namespaces = json::array();
  for (const auto& ns : config["linux"]["namespaces"])
    if (ns["type"] != "network") namespaces.push_back(ns);
  json network = {{"type", "network"}};
  if (!options.netns_path.empty()) network["path"] = options.netns_path;
  namespaces.push_back(network);
  config["linux"]["namespaces"] = namespaces;
  if (options.edit) options.edit(config);
  REQUIRE(write_file_atomic(dir + "/config.json", config.dump(2)).ok());
  auto applets = default_busybox_applets();
  applets.insert(applets.end(), options.extra_applets.begin(), options.extra_applets.end());
  REQUIRE(make_busybox_rootfs(dir + "/rootfs", applets).ok());
  return dir;
}

json KataSandboxes::state(const std::string& id) {
  auto result = kata({"state", id});
  REQUIRE_MESSAGE(result.status == 0, describe(result));
  return json::parse(result.out);
}

json KataSandboxes::wait_stopped(const std::string& id, std::chrono::seconds limit) {
  json current;
  for (auto deadline = Clock::now() + limit; Clock::now() < deadline;) {
    current = state(id);
    if (current["status"] == "stopped") break;
    std::this_thread::sleep_for(200ms);
  }
  return current;
}

json KataSandboxes::record(const std::string& id) {
  auto text = read_file(dir_of(id) + "/state.json", 1U << 20);
  REQUIRE(text.ok());
  return json::parse(*text);
}

void KataSandboxes::check_gone(const std::string& id) {
  std::string dir = dir_of(id);
  CHECK_FALSE(fs::exists(dir));
  // QEMU and virtiofsd die with their monitor; give the kernel a moment.
  std::vector<std::string> left;
  for (int i = 0; i < 50; ++i) {
    reap();
    left = processes_naming(dir + "/");
    if (left.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK_MESSAGE(left.empty(), "processes still naming " << dir << ": " << left.size());
  CHECK(mounts_under(dir).empty());
  if (options_.check_root_mounts) CHECK(mounts_under(root_).empty());
}

}  // namespace kata::test_support
