// Boots the guest image (build tree's vmlinuz + kata-initramfs.img) with QEMU
// and virtiofsd started directly, no runtime in between, and talks to the
// agent's temporary line service: "ping" must answer "pong <entries in the
// shared dir>", "poweroff" must end QEMU with status 0, after which virtiofsd
// must exit by itself. Needs root (virtiofsd), no KVM.
//
// Accelerator: KATA_TEST_ACCEL=kvm|tcg|auto (default auto). auto tries KVM
// when /dev/kvm opens, and falls back to TCG for the rest of the run if that
// first boot dies before the agent answers: some sandboxes expose a /dev/kvm
// that creates VMs but cannot run them (QEMU aborts setting an MSR).

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous: TCG on a shared 2-core machine boots in ~3 s but may be starved.
constexpr auto boot_timeout = 120s;
constexpr auto exit_timeout = 30s;

/// A fresh directory under /tmp, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/kata-vm-test.XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string console_tail(const std::string& path, std::size_t lines) {
  auto text = kata::read_file(path, 16 << 20);
  if (!text) return "(no console log: " + text.error().message + ")";
  std::vector<std::string> all;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string tail;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) tail += all[i] + "\n";
  return tail;
}

kata::Result<void> wait_for_path(const std::string& path, Clock::time_point deadline) {
  struct stat st {};
  while (::stat(path.c_str(), &st) < 0) {
    if (Clock::now() >= deadline) return kata::sys_error(errno, "wait for {}", path);
    std::this_thread::sleep_for(10ms);
  }
  return kata::ok();
}

kata::Result<kata::UniqueFd> connect_unix(const std::string& path, Clock::time_point deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return kata::make_error(kata::ErrorKind::invalid_argument, "long path");
  path.copy(address.sun_path, path.size());
  while (true) {
    kata::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return kata::sys_error(errno, "socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
    if (Clock::now() >= deadline) return kata::sys_error(errno, "connect {}", path);
    std::this_thread::sleep_for(10ms);
  }
}

/// Reads one '\n'-terminated line, failing at `deadline` or if `alive` says
/// QEMU is gone.
template <typename Alive>
kata::Result<std::string> read_line(int fd, Clock::time_point deadline, Alive alive) {
  std::string line;
  while (true) {
    if (!alive()) return kata::make_error(kata::ErrorKind::wrong_state, "qemu exited before the agent answered");
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 100) < 0 && errno != EINTR) return kata::sys_error(errno, "poll");
    if (pfd.revents != 0) {
      char c;
      ssize_t got = ::read(fd, &c, 1);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return kata::sys_error(errno, "read agent socket");
      if (got == 0) return kata::make_error(kata::ErrorKind::protocol, "agent socket closed after '{}'", line);
      if (c == '\n') return line;
      line.push_back(c);
      if (line.size() > 4096) return kata::make_error(kata::ErrorKind::protocol, "line too long");
    }
    if (Clock::now() >= deadline) return kata::make_error(kata::ErrorKind::timeout, "no line from the agent");
  }
}

/// Polls a child until it exits or `deadline`; nullopt on timeout.
std::optional<int> wait_until(kata::ChildProcess& child, Clock::time_point deadline) {
  while (true) {
    auto status = child.try_wait();
    if (!status) return std::nullopt;
    if (status->has_value()) return **status;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

bool kvm_openable() {
  kata::UniqueFd fd(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  return fd.valid();
}

/// What one boot observed.
struct BootOutcome {
  std::string reply;                 ///< the agent's answer to "ping"
  double seconds_to_pong = 0;        ///< QEMU spawn to the answer
  std::optional<int> qemu_status;    ///< wait status, nullopt: did not exit in time
  std::optional<int> virtiofsd_status;
  std::string console;               ///< tail of the serial console log
};

/// Boots one VM with `files` files in its shared dir under `accel`.
kata::Result<BootOutcome> boot_once(const std::string& accel, int files) {
  TempDir dir;
  if (dir.path().empty()) return kata::sys_error(errno, "mkdtemp");
  const std::string share = dir.path() + "/share";
  const std::string fs_socket = dir.path() + "/virtiofsd.sock";
  const std::string agent_socket = dir.path() + "/agent.sock";
  const std::string console_log = dir.path() + "/console.log";
  std::filesystem::create_directory(share);
  for (int i = 0; i < files; ++i) std::ofstream(share + "/file" + std::to_string(i)) << i;

  kata::UniqueFd qemu_log(::open((dir.path() + "/qemu.log").c_str(),
                                 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  kata::UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!qemu_log || !devnull) return kata::sys_error(errno, "open log files");

  // chroot sandbox: works inside containers, where namespace sandboxing may not.
  auto virtiofsd = KATA_TRY(kata::ChildProcess::spawn(
      {.argv = {KATA_VIRTIOFSD, "--socket-path=" + fs_socket, "-o", "source=" + share, "-o", "cache=auto",
                "-o", "sandbox=chroot"},
       .fds = {{devnull.get(), 0}, {qemu_log.get(), 1}, {qemu_log.get(), 2}}}));
  KATA_TRY(wait_for_path(fs_socket, Clock::now() + 10s));

  std::vector<std::string> argv = {
      KATA_QEMU, "-machine", "q35", "-accel", accel, "-m", "512M", "-smp", "1",
      "-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
      "-kernel", KATA_GUEST_KERNEL, "-initrd", KATA_GUEST_INITRD,
      "-append", "console=ttyS0 quiet cryptomgr.notests panic=-1",
      "-nographic", "-nodefaults", "-serial", "file:" + console_log,
      "-device", "virtio-serial-pci",
      "-chardev", "socket,path=" + agent_socket + ",server=on,wait=off,id=agent",
      "-device", "virtserialport,chardev=agent,name=agent.channel.0",
      "-chardev", "socket,path=" + fs_socket + ",id=fs",
      "-device", "vhost-user-fs-pci,chardev=fs,tag=kataShared",
      "-sandbox", "on", "-nic", "none", "-no-reboot"};
  argv.insert(argv.begin() + 5, {"-cpu", accel == "kvm" ? "host" : "max"});

  auto started = Clock::now();
  auto qemu = KATA_TRY(kata::ChildProcess::spawn(
      {.argv = argv, .fds = {{devnull.get(), 0}, {qemu_log.get(), 1}, {qemu_log.get(), 2}}}));
  std::optional<int> early_exit;
  auto alive = [&] {
    if (early_exit) return false;
    auto status = qemu.try_wait();
    if (status && status->has_value()) early_exit = **status;
    return !early_exit.has_value();
  };

  BootOutcome outcome;
  auto finish = [&](kata::Error error) -> kata::Error {
    error.message = fmt::format("boot under {}: {}\nconsole:\n{}qemu/virtiofsd log:\n{}", accel, error.message,
                                console_tail(console_log, 30), console_tail(dir.path() + "/qemu.log", 10));
    return error;
  };
  auto agent = connect_unix(agent_socket, Clock::now() + 10s);
  if (!agent) return finish(std::move(agent).error());
  if (auto sent = kata::write_all(agent->get(), "ping\n"); !sent) return finish(std::move(sent).error());
  auto reply = read_line(agent->get(), started + boot_timeout, alive);
  if (!reply) return finish(std::move(reply).error());
  outcome.reply = *reply;
  outcome.seconds_to_pong = std::chrono::duration<double>(Clock::now() - started).count();

  if (auto sent = kata::write_all(agent->get(), "poweroff\n"); !sent) return finish(std::move(sent).error());
  outcome.qemu_status = early_exit ? early_exit : wait_until(qemu, Clock::now() + exit_timeout);
  // virtiofsd ends when its vhost-user peer goes away.
  outcome.virtiofsd_status = wait_until(virtiofsd, Clock::now() + 10s);
  outcome.console = console_tail(console_log, 30);
  return outcome;  // ChildProcess destructors kill and reap whatever is left
}

std::string pick_accel() {
  const char* requested = std::getenv("KATA_TEST_ACCEL");
  std::string accel = requested != nullptr ? requested : "auto";
  if (accel == "auto") return kvm_openable() ? "kvm" : "tcg";
  return accel;
}

}  // namespace

TEST_CASE("the guest boots, answers ping with the shared dir's entry count, and powers off cleanly") {
  std::string accel = pick_accel();
  bool may_fall_back = std::getenv("KATA_TEST_ACCEL") == nullptr || std::string(std::getenv("KATA_TEST_ACCEL")) == "auto";
  std::vector<double> boot_seconds;

  // Three boots with different share contents: the count is read in the guest.
  for (int files : {2, 3, 5}) {
    auto outcome = boot_once(accel, files);
    if (!outcome && accel == "kvm" && may_fall_back && boot_seconds.empty()) {
      MESSAGE("KVM boot failed, falling back to TCG: " << outcome.error().message);
      accel = "tcg";
      outcome = boot_once(accel, files);
    }
    if (!outcome) FAIL(outcome.error().message);
    INFO("console tail:\n" << outcome->console);
    CHECK(outcome->reply == "pong " + std::to_string(files));
    REQUIRE(outcome->qemu_status.has_value());
    CHECK(WIFEXITED(*outcome->qemu_status));
    CHECK(WEXITSTATUS(*outcome->qemu_status) == 0);
    CHECK(outcome->virtiofsd_status.has_value());
    boot_seconds.push_back(outcome->seconds_to_pong);
  }

  std::sort(boot_seconds.begin(), boot_seconds.end());
  std::string all;
  for (double s : boot_seconds) all += fmt::format("{:.2f}s ", s);
  MESSAGE("QEMU start to pong under " << accel << ": median " << fmt::format("{:.2f}", boot_seconds[1])
                                      << "s (runs: " << all << ")");
}
