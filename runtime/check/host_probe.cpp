#include "runtime/check/host_probe.hpp"

#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "common/child_process.hpp"
#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime {

namespace {

// /proc/cpuinfo on big hosts is ~1 MiB; a guest initramfs (searched for the
// agent's protocol marker) tens of MiB.
constexpr std::size_t max_probe_file_bytes = 64 << 20;
constexpr std::size_t max_command_output_bytes = 256 << 10;
constexpr auto command_timeout = std::chrono::seconds(10);

}  // namespace

SystemHostProbe::SystemHostProbe(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string SystemHostProbe::rooted(const std::string& path) const {
  return root_ == "/" ? path : root_ + path;
}

std::optional<std::string> SystemHostProbe::read_file(const std::string& path) const {
  auto content = kata::read_file(rooted(path), max_probe_file_bytes);
  if (!content) return std::nullopt;
  return std::move(content).value();
}

bool SystemHostProbe::exists(const std::string& path) const {
  struct stat info {};
  return ::lstat(rooted(path).c_str(), &info) == 0;
}

bool SystemHostProbe::accessible(const std::string& path, int mode) const {
  return ::access(rooted(path).c_str(), mode) == 0;
}

KvmProbe SystemHostProbe::probe_kvm(const std::string& device, bool try_create_vm) const {
  KvmProbe probe;
  std::string path = rooted(device);
  probe.present = exists(device);
  if (!probe.present) return probe;
  UniqueFd kvm(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!kvm) {
    probe.open_errno = errno;
    return probe;
  }
  probe.api_version = ::ioctl(kvm.get(), KVM_GET_API_VERSION, 0);
  if (try_create_vm) {
    probe.create_vm_tried = true;
    // A VM with no memory and no vCPUs: proves the kernel lets us create
    // one, and disappears when its fd closes.
    UniqueFd vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0));
    probe.create_vm_errno = vm ? 0 : errno;
  }
  return probe;
}

Result<CommandOutput> SystemHostProbe::run(const std::vector<std::string>& argv) const {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto child = KATA_TRY(ChildProcess::spawn({
      .argv = argv,
      .fds = {{null_in.get(), 0}, {write_end.get(), 1}, {write_end.get(), 2}},
  }));
  write_end.reset();

  CommandOutput result;
  auto deadline = std::chrono::steady_clock::now() + command_timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return make_error(ErrorKind::timeout, "{} did not finish within {} s", argv[0], command_timeout.count());
    }
    pollfd ready{read_end.get(), POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t got = ::read(read_end.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (result.output.size() < max_command_output_bytes) result.output.append(buffer, static_cast<std::size_t>(got));
  }
  auto status = KATA_TRY(child.wait());
  result.exit_code = exit_code_from_wait_status(status);
  return result;
}

uid_t SystemHostProbe::euid() const { return ::geteuid(); }

}  // namespace kata::runtime
