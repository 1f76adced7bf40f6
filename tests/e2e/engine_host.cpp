#include "tests/e2e/engine_host.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include <doctest/doctest.h>

#include "common/fs.hpp"
#include "tests/e2e/containerd_config.hpp"
#include "tests/e2e/cri_client.hpp"
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/kata_cli.hpp"
#include "tests/support/temp_dir.hpp"

namespace kata::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test_support::processes_naming;
using test_support::read_or_empty;

/// Mount points (field 5 of mountinfo) at or below `dir`, deepest first.
std::vector<std::string> mount_points_under(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& line : test_support::mountinfo_lines()) {
    // id parent major:minor root mount-point ...
    std::size_t field = 0, pos = 0;
    for (; field < 4 && pos != std::string::npos; ++field) pos = line.find(' ', pos + 1);
    if (pos == std::string::npos) continue;
    auto stop = line.find(' ', pos + 1);
    std::string point = line.substr(pos + 1, stop - pos - 1);
    if (point == dir || point.rfind(dir + "/", 0) == 0) found.push_back(point);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return found;
}

/// The non-empty lines of `text`.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) lines.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

void write_executable(const std::string& path, const std::string& text) {
  REQUIRE(write_file_atomic(path, text, 0755).ok());
}

}  // namespace

std::string shell_quote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

ProgramResult run_program(const std::vector<std::string>& argv, const RunOptions& options) {
  static int serial = 0;
  std::string base = fs::temp_directory_path().string() + "/kata-e2e-out." + std::to_string(::getpid()) + "." +
                     std::to_string(++serial);
  std::string out_path = base + ".out";
  std::string err_path = base + ".err";
  auto started = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {  // no doctest assertion here: the fixture's teardown runs after doctest ended
    ProgramResult failed;
    failed.err = "fork failed";
    return failed;
  }
  if (pid == 0) {  // fork-safe from here to exec
    ::setpgid(0, 0);
    int in = ::open(options.stdin_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> raw;
    for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
    raw.push_back(nullptr);
    ::execvp(raw[0], raw.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ProgramResult result;
  int status = 0;
  auto deadline = started + options.timeout;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.out = read_or_empty(out_path);
  result.err = read_or_empty(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return result;
}

std::string describe(const ProgramResult& result) {
  return "exit " + std::to_string(result.status) + " after " + std::to_string(result.seconds) +
         " s\nstdout: " + result.out + "\nstderr: " + result.err;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

std::vector<std::string> kata_leftovers(const std::string& kata_root, const std::string& id,
                                        std::chrono::milliseconds patience) {
  std::string dir = kata_root + "/" + id;
  std::vector<std::string> left;
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    left.clear();
    std::error_code error;
    if (fs::exists(dir, error)) left.push_back("state directory " + dir);
    for (const auto& pid : processes_naming(dir + "/")) {
      auto cmdline = read_or_empty("/proc/" + pid + "/cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      left.push_back("process " + pid + ": " + cmdline.substr(0, 200));
    }
    for (const auto& point : mount_points_under(dir)) left.push_back("mount " + point);
    if (left.empty() || std::chrono::steady_clock::now() > deadline) return left;
    std::this_thread::sleep_for(100ms);
  }
}

// ---- EngineHost ----------------------------------------------------------------

EngineHost& EngineHost::get() {
  // Set up once: after a failed setup the other tests fail at once instead
  // of repeating it.
  static bool tried = false;
  static std::unique_ptr<EngineHost> host;
  if (!host) {
    REQUIRE_MESSAGE(!tried, "the e2e fixture failed to set up in an earlier test");
    tried = true;
    host.reset(new EngineHost());
  }
  return *host;
}

EngineHost::EngineHost() {
  char pattern[] = "/tmp/kata-e2e.XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  work_ = pattern;
  try {
    set_up();
  } catch (...) {
    tear_down();
    throw;
  }
}

void EngineHost::set_up() {
  for (const char* tool : {"podman", "conmon", "containerd", "ctr"}) {
    auto found = run_program({"sh", "-c", std::string("command -v ") + tool});
    REQUIRE_MESSAGE(found.status == 0, tool << " is not installed (.ci/packages lists what the e2e tests need)");
  }
  // Never the host's own network: podman's bridge (netavark's podman0 and
  // firewall rules) and every container's veth live in a namespace of the
  // suite's own, which the engines and kata inherit from this process.
  outer_netns_fd_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  REQUIRE_MESSAGE(outer_netns_fd_ >= 0, "open /proc/self/ns/net: " << std::strerror(errno));
  REQUIRE_MESSAGE(::unshare(CLONE_NEWNET) == 0, "unshare a network namespace: " << std::strerror(errno));
  auto loopback = run_program({"ip", "link", "set", "lo", "up"});
  REQUIRE_MESSAGE(loopback.status == 0, describe(loopback));
  config_ = work_ + "/configuration.toml";
  std::string toml = test_support::kata_configuration();
  REQUIRE(write_file_atomic(config_, toml).ok());

  // podman's exit command (`podman container cleanup`, run by conmon when the
  // container exits) repeats --runtime but not --runtime-flag, so a root or
  // configuration passed with --runtime-flag would be lost for the delete it
  // does: a wrapper carries them instead. It is named `kata` because podman
  // asks for JSON error logs only from runtimes whose basename it knows.
  podman_kata_root_ = work_ + "/kata-root-podman";
  containerd_kata_base_ = work_ + "/kata-root-containerd";
  // The shim appends the namespace to the root it is given.
  containerd_kata_root_ = containerd_kata_base_ + "/kata-e2e";
  fs::create_directories(work_ + "/podman-bin");
  fs::create_directories(work_ + "/containerd-bin");
  podman_wrapper_ = work_ + "/podman-bin/kata";
  containerd_wrapper_ = work_ + "/containerd-bin/kata";
  write_executable(podman_wrapper_, "#!/bin/sh\nexec " + shell_quote(KATA_BINARY) + " --root " +
                                        shell_quote(podman_kata_root_) + " --config " + shell_quote(config_) +
                                        " \"$@\"\n");
  // The shim passes its own --root (ctr's --runc-root), so this one names only the configuration.
  write_executable(containerd_wrapper_,
                   "#!/bin/sh\nexec " + shell_quote(KATA_BINARY) + " --config " + shell_quote(config_) + " \"$@\"\n");
  // podman reads the system's own containers.conf, as every user's podman
  // does (Debian's sets default_sysctls, which once broke every container);
  // only storage is private, and the events backend is a command-line flag.
  ::unsetenv("CONTAINERS_CONF");
  REQUIRE(write_file_atomic(work_ + "/storage.conf", "[storage]\ndriver = \"overlay\"\nrunroot = \"" + work_ +
                                                       "/podman/run\"\ngraphroot = \"" + work_ +
                                                       "/podman/storage\"\n")
              .ok());
  ::setenv("CONTAINERS_STORAGE_CONF", (work_ + "/storage.conf").c_str(), 1);
  build_image();
}

void EngineHost::build_image() {
  std::string rootfs = work_ + "/image-rootfs";
  std::vector<std::string> applets = test_support::default_busybox_applets();
  for (const char* extra : {"ip", "ifconfig", "wget", "nc", "ps", "rm", "ln", "tr", "sed", "uname", "printf", "stty",
                            "tty", "test", "seq", "cut", "httpd", "top", "ping", "nslookup", "date", "tail"}) {
    applets.emplace_back(extra);
  }
  auto made = test_support::make_busybox_rootfs(rootfs, applets);
  REQUIRE_MESSAGE(made.ok(), (made ? std::string() : made.error().message));
  REQUIRE(write_file_atomic(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644).ok());
  REQUIRE(write_file_atomic(rootfs + "/etc/group", "root:x:0:\n", 0644).ok());
  std::string tarball = work_ + "/image-rootfs.tar";
  auto tar = run_program({"tar", "-C", rootfs, "-cf", tarball, "."});
  REQUIRE_MESSAGE(tar.status == 0, describe(tar));
  auto imported = podman({"import", "--quiet", tarball, kImage});
  REQUIRE_MESSAGE(imported.status == 0, describe(imported));
}

ProgramResult EngineHost::podman(const std::vector<std::string>& args, const RunOptions& options) {
  auto argv = podman_argv();
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, options);
}

std::vector<std::string> EngineHost::podman_argv() const {
  return {"podman",
          "--root", work_ + "/podman/storage",
          "--runroot", work_ + "/podman/run",
          "--tmpdir", work_ + "/podman/tmp",
          "--storage-driver", "overlay",
          // No systemd on CI machines and containers; cgroupfs works everywhere.
          "--cgroup-manager", "cgroupfs",
          "--events-backend", "file",
          "--runtime", podman_wrapper_};
}

std::vector<std::string> EngineHost::ctr_runtime_flags() const {
  return {"--runc-binary", containerd_wrapper_, "--runc-root", containerd_kata_base_};
}

void EngineHost::start_containerd() {
  // A containerd of our own (own socket, root and state under work_), so the
  // tests neither depend on nor disturb one that systemd may run.
  containerd_dir_ = work_ + "/containerd";
  fs::create_directories(containerd_dir_);
  // The stock config.toml with only what must be ours set over it (containerd_config.hpp).
  auto stock = read_file("/etc/containerd/config.toml", 1 << 20);
  REQUIRE_MESSAGE(stock.ok(), "containerd's stock /etc/containerd/config.toml is missing");
  write_cni_config();
  ContainerdConfigPaths paths{.dir = containerd_dir_,
                              .cni_conf_dir = work_ + "/cni/net.d",
                              .sandbox_image = kPauseImage,
                              .kata_binary = containerd_wrapper_,
                              .kata_root = containerd_kata_base_};
  REQUIRE(write_file_atomic(containerd_dir_ + "/config.toml", private_containerd_config(*stock, paths)).ok());
  std::string log = containerd_dir_ + "/containerd.log";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // fork-safe from here to exec
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null < 0 || out < 0) ::_exit(126);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::string config = containerd_dir_ + "/config.toml";
    ::execlp("containerd", "containerd", "--config", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  containerd_pid_ = pid;
  ProgramResult version;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::this_thread::sleep_for(200ms);
    int status = 0;
    REQUIRE_MESSAGE(::waitpid(pid, &status, WNOHANG) == 0, "containerd exited: " << read_or_empty(log));
    version = run_program({"ctr", "--address", containerd_dir_ + "/containerd.sock", "version"});
    if (version.status == 0) break;
  }
  REQUIRE_MESSAGE(version.status == 0, describe(version) << "\ncontainerd log: " << read_or_empty(log));
  containerd_ready_ = true;
  // The same image as podman's, carried over as a docker archive.
  std::string archive = work_ + "/image.docker.tar";
  auto saved = podman({"save", "--quiet", "--format", "docker-archive", "-o", archive, kImage});
  REQUIRE_MESSAGE(saved.status == 0, describe(saved));
  auto imported = ctr({"image", "import", archive});
  REQUIRE_MESSAGE(imported.status == 0, describe(imported));
}

void EngineHost::write_cni_config() {
  // A bridge with host-local addresses, as a cluster's simplest CNI setup
  // has. It is made in the namespace containerd runs in, the suite's own;
  // leases live under work_, not in the host's /var/lib/cni/networks. No
  // masquerading: nothing leaves the suite's namespace.
  fs::create_directories(work_ + "/cni/net.d");
  fs::create_directories(cni_ipam_dir());
  nlohmann::json ipam{{"type", "host-local"},
                      {"ranges", {{{{"subnet", std::string(kCniSubnetPrefix) + "0/24"}}}}},
                      {"routes", {{{"dst", "0.0.0.0/0"}}}},
                      {"dataDir", cni_ipam_dir()}};
  nlohmann::json bridge{{"type", "bridge"}, {"bridge", kCniBridge}, {"isGateway", true},
                        {"ipMasq", false},  {"ipam", ipam}};
  nlohmann::json conflist{{"cniVersion", "1.0.0"}, {"name", kCniNetwork}, {"plugins", {bridge}}};
  REQUIRE(write_file_atomic(work_ + "/cni/net.d/10-kata-e2e-cri.conflist", conflist.dump(2)).ok());
}

ProgramResult EngineHost::ctr(const std::vector<std::string>& args, const RunOptions& options) {
  return ctr_in("kata-e2e", args, options);
}

ProgramResult EngineHost::ctr_in(const std::string& ns, const std::vector<std::string>& args,
                                 const RunOptions& options) {
  if (!containerd_ready_) start_containerd();
  std::vector<std::string> argv{"ctr", "--address", containerd_dir_ + "/containerd.sock", "--namespace", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, options);
}

CriClient& EngineHost::cri() {
  if (!containerd_ready_) start_containerd();
  if (!cri_) {
    import_cri_images();
    cri_ = std::make_unique<CriClient>(containerd_dir_ + "/containerd.sock", fresh_dir("cri-client"));
    // The CRI plugin may fail to load while containerd runs on (a config it rejects, a missing CNI dir).
    auto version = cri_->call("Version", {{"version", "v1"}});
    REQUIRE_MESSAGE(version.ok(), describe(version.program)
                                      << "\ncontainerd log: " << read_or_empty(containerd_dir_ + "/containerd.log"));
  }
  return *cri_;
}

void EngineHost::import_cri_images() {
  // No registry is reachable, so the pause image is the busybox rootfs
  // whose default command sleeps for good, as pause does.
  auto pause = podman({"import", "--quiet", "--change", "CMD [\"sleep\", \"2147483647\"]",
                       work_ + "/image-rootfs.tar", kPauseImage});
  REQUIRE_MESSAGE(pause.status == 0, describe(pause));
  std::string archive = work_ + "/pause.docker.tar";
  auto saved = podman({"save", "--quiet", "--format", "docker-archive", "-o", archive, kPauseImage});
  REQUIRE_MESSAGE(saved.status == 0, describe(saved));
  for (const auto& tarball : {archive, work_ + "/image.docker.tar"}) {
    auto imported = ctr_in("k8s.io", {"image", "import", tarball});
    REQUIRE_MESSAGE(imported.status == 0, describe(imported));
  }
}

std::string EngineHost::outer_netns() const {
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(outer_netns_fd_);
}

std::string EngineHost::fresh_dir(const std::string& name) {
  std::string dir = work_ + "/" + name + "." + std::to_string(++fresh_serial_);
  fs::create_directories(dir);
  return dir;
}

void EngineHost::stop_containerd() {
  if (containerd_pid_ <= 0) return;
  ::kill(containerd_pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(containerd_pid_, &status, WNOHANG) == containerd_pid_) {
      containerd_pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(100ms);
  }
  ::kill(containerd_pid_, SIGKILL);
  ::waitpid(containerd_pid_, &status, 0);
  containerd_pid_ = -1;
}

void EngineHost::remove_cri_pods() {
  if (!cri_) return;
  auto listed = cri_->call("ListPodSandbox", nlohmann::json::object(), 60s);
  if (!listed.ok() || !listed.body.contains("items")) return;
  for (const auto& pod : listed.body["items"]) {
    nlohmann::json request{{"pod_sandbox_id", pod.value("id", "")}};
    cri_->call("StopPodSandbox", request);
    cri_->call("RemovePodSandbox", request);
  }
}

void EngineHost::unmount_everything_under_work() {
  for (const auto& point : mount_points_under(work_)) ::umount2(point.c_str(), MNT_DETACH);
}

EngineHost::~EngineHost() { tear_down(); }

void EngineHost::tear_down() {
  // Whatever a failed test left: containers first (they hold mounts and VMs),
  // then the daemons' and storage's own mounts, then the files. This runs
  // after doctest's context is gone (static destruction), so nothing here
  // may use a doctest macro.
  RunOptions quick;
  quick.timeout = 120s;
  podman({"rm", "--all", "--force", "--time", "0"}, quick);
  if (containerd_ready_) {
    // The CRI's pods through the CRI (which also removes their network
    // namespaces and CNI state), then whatever either namespace still has.
    remove_cri_pods();
    for (const char* ns : {"kata-e2e", "k8s.io"}) {
      for (const auto& id : lines_of(ctr_in(ns, {"task", "ls", "--quiet"}, quick).out)) {
        ctr_in(ns, {"task", "kill", "--signal", "SIGKILL", id}, quick);
        ctr_in(ns, {"task", "delete", "--force", id}, quick);
      }
      for (const auto& id : lines_of(ctr_in(ns, {"container", "ls", "--quiet"}, quick).out)) {
        ctr_in(ns, {"container", "delete", id}, quick);
      }
    }
  }
  stop_containerd();
  if (outer_netns_fd_ >= 0) ::close(outer_netns_fd_);
  podman({"rmi", "--all", "--force"}, quick);
  unmount_everything_under_work();
  std::error_code ignored;
  if (mount_points_under(work_).empty()) fs::remove_all(work_, ignored);
}

}  // namespace kata::e2e
