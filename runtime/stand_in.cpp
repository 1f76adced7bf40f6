#include "runtime/stand_in.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"
#include "oci/known_names.hpp"
#include "runtime/host_cgroup.hpp"
#include "runtime/monitor_control.hpp"

namespace kata::runtime {

namespace {

using namespace std::chrono_literals;

int monitor_socket = -1;

// Every signal the stand-in gets is the container's: one byte to the monitor.
void forward_to_monitor(int signal) {
  int saved_errno = errno;
  auto byte = static_cast<unsigned char>(signal);
  (void)::send(monitor_socket, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  errno = saved_errno;
}

// Closes every fd above 2 except `keep`: the stand-in holds nothing of
// create's (the container's lock, taps, the console master).
void close_all_but(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned next = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(next)) continue;
    if (static_cast<unsigned>(fd) > next) ::close_range(next, static_cast<unsigned>(fd) - 1, 0);
    next = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(next, ~0U, 0);
}

// The child's setup, in its new namespaces; the error goes to create.
Result<void> become_stand_in(const StandInParams& params) {
  ::setsid();  // no terminal's job control reaches the container's pid
  ::prctl(PR_SET_NAME, "kata-container");
  // The cgroup first: a new cgroup namespace is rooted where its maker is.
  if (!params.cgroup_leaves.empty()) KATA_TRY(join_host_cgroup(params.cgroup_leaves, 0));
  if (params.new_cgroup_namespace && ::unshare(CLONE_NEWCGROUP) < 0)
    return sys_error(errno, "make the container's cgroup namespace");
  if (params.netns_fd >= 0 && ::setns(params.netns_fd, CLONE_NEWNET) < 0)
    return sys_error(errno, "enter the container's network namespace");
  if (params.ipc_fd >= 0 && ::setns(params.ipc_fd, CLONE_NEWIPC) < 0)
    return sys_error(errno, "enter the pod's IPC namespace");
  if (params.uts_fd >= 0 && ::setns(params.uts_fd, CLONE_NEWUTS) < 0)
    return sys_error(errno, "enter the pod's UTS namespace");
  if (params.hostname && ::sethostname(params.hostname->data(), params.hostname->size()) < 0)
    return sys_error(errno, "set the hostname {}", *params.hostname);
  if (params.domainname && ::setdomainname(params.domainname->data(), params.domainname->size()) < 0)
    return sys_error(errno, "set the domainname {}", *params.domainname);
  // Opened while the host's /dev is still reachable; 0-2 hold nothing of
  // the engine's (the monitor relays the container's stdio).
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd) return sys_error(errno, "open /dev/null");
  KATA_TRY(enter_container_view(params.view));
  for (int fd = 0; fd <= 2; ++fd) {
    if (::dup2(null_fd.get(), fd) < 0) return sys_error(errno, "dup2");
  }
  return ok();
}

[[noreturn]] void run_stand_in(const StandInParams& params, int report_fd) {
  close_all_but({params.monitor_fd, report_fd, params.netns_fd, params.ipc_fd, params.uts_fd});
  auto ready = become_stand_in(params);
  (void)write_all(report_fd, encode_reply(ready) + "\n");
  ::close(report_fd);
  for (int fd : {params.netns_fd, params.ipc_fd, params.uts_fd})
    if (fd >= 0) ::close(fd);
  if (!ready) ::_exit(1);

  monitor_socket = params.monitor_fd;
  struct sigaction action {};
  action.sa_handler = forward_to_monitor;
  action.sa_flags = SA_RESTART;
  ::sigfillset(&action.sa_mask);
  for (int signal = 1; signal <= SIGRTMAX; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP || signal == SIGCHLD) continue;
    ::sigaction(signal, &action, nullptr);  // fails harmlessly for glibc's reserved ones
  }
  while (true) {
    unsigned char status = 0;
    ssize_t got = ::recv(monitor_socket, &status, 1, 0);
    if (got == 1) ::_exit(status);
    if (got == 0 || (errno != EINTR && errno != EAGAIN)) ::_exit(stand_in_lost_status);
  }
}

}  // namespace

Result<UniqueFd> namespace_to_join(const oci::Spec& spec, const std::string& type) {
  if (!spec.linux_config || !spec.linux_config->namespaces) return UniqueFd();
  const auto& namespaces = *spec.linux_config->namespaces;
  for (std::size_t i = 0; i < namespaces.size(); ++i) {
    const auto& entry = namespaces[i];
    if (entry.type != type || !entry.path || entry.path->empty()) continue;
    UniqueFd fd(::open(entry.path->c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error(errno, "linux.namespaces[{}]: open {}", i, *entry.path);
    const auto* kind = oci::namespace_kind(type);
    if (kind == nullptr || ::ioctl(fd.get(), NS_GET_NSTYPE) != kind->clone_flag)
      return make_error(ErrorKind::invalid_argument, "linux.namespaces[{}].path {}: not a {} namespace", i,
                        *entry.path, type);
    struct stat named {}, own {};
    std::string own_path = "/proc/self/ns/" + std::string(kind->proc_name);
    if (::fstat(fd.get(), &named) < 0 || ::stat(own_path.c_str(), &own) < 0)
      return sys_error(errno, "linux.namespaces[{}]: stat", i);
    if (named.st_dev == own.st_dev && named.st_ino == own.st_ino) return UniqueFd();
    return fd;
  }
  return UniqueFd();
}

Result<ChildProcess> spawn_stand_in(const StandInParams& params) {
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd report_read(report_pipe[0]);
  UniqueFd report_write(report_pipe[1]);
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
  if (params.netns_fd < 0) flags |= CLONE_NEWNET;
  // A raw clone behaves as fork here (no new stack, SIGCHLD to the parent);
  // glibc's fork cannot make the child PID 1 of a new pid namespace.
  long pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) return sys_error(errno, "clone the container's stand-in");
  if (pid == 0) run_stand_in(params, report_write.get());
  ChildProcess child(static_cast<pid_t>(pid));
  report_write.reset();
  auto line = read_line(report_read.get(), 30s);
  if (!line) {
    if (line.error().kind == ErrorKind::protocol)
      return make_error(ErrorKind::system, "the container's stand-in exited before reporting");
    return std::move(line).error().wrap("the container's stand-in");
  }
  KATA_TRY(decode_reply(*line).wrap("the container's stand-in"));
  return child;
}

}  // namespace kata::runtime
