// create_container_init: the container's init, from fork to the start barrier.
//
// Process tree: the agent clones the init directly (CLONE_NEWPID/NEWUSER in
// the clone, other namespaces unshared by the child), so the returned pid is
// the agent's own child and, with a new pid namespace, pid 1 inside it. A pid
// namespace given by path is entered for children by the agent around the
// clone (setns, then back), which avoids runc's double fork.
//
// cgroups: the init is born in the container's cgroup (clone3 with
// CLONE_INTO_CGROUP) and always unshares a cgroup namespace of its own, so
// the cgroup2 it mounts at /sys/fs/cgroup shows its own cgroup as the root
// (cpu.max, memory.max at the top), whatever the spec says: without an
// entry the spec asks for the host's cgroup namespace, which a VM cannot
// give, and the guest's would show the agent's whole tree.
//
// Limitation: a new user namespace is created by the clone, so namespaces
// joined by path are joined from inside it (runc joins them first).

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <optional>

#include "agent/container/child_launch.hpp"
#include "agent/container/child_report.hpp"
#include "agent/container/console.hpp"
#include "agent/container/container.hpp"
#include "agent/container/loopback.hpp"
#include "agent/container/mount_targets.hpp"
#include "agent/container/namespaces.hpp"
#include "agent/container/process_setup.hpp"
#include "agent/container/rootfs.hpp"
#include "agent/container/rootfs_path.hpp"
#include "common/scope_exit.hpp"

namespace kata::agent {
namespace {

struct InitContext {
  const oci::Spec& spec;
  const ProcessStdio& stdio;
  bool terminal;
  NamespacePlan& namespaces;
  ProcessPlan& process;
  std::string console_path;  // the agent's pty slave, for a container without devpts
  int console_socket;         // -1 without a terminal
  int report_fd;
  int barrier_fd;
  int userns_sync_fd;  // -1 without a new user namespace
};

Result<void> wait_for_parent(int fd) {
  char byte;
  ssize_t n;
  do {
    n = ::read(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return make_error(ErrorKind::internal, "the agent did not write the id mappings");
  return ok();
}

Result<void> set_names(const oci::Spec& spec) {
  if (spec.hostname && ::sethostname(spec.hostname->data(), spec.hostname->size()) != 0) {
    return sys_error(errno, "set hostname");
  }
  if (spec.domainname && ::setdomainname(spec.domainname->data(), spec.domainname->size()) != 0) {
    return sys_error(errno, "set domainname");
  }
  return ok();
}

// Every step up to the start barrier; runs in the child.
Result<ExecImage> init_steps(InitContext& context) {
  // The container dies with its agent rather than run unsupervised.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return sys_error(errno, "set parent death signal");
  if (context.userns_sync_fd >= 0) {
    KATA_TRY(wait_for_parent(context.userns_sync_fd));
    // Become the namespace's root now that it is mapped: until then files
    // would be created by an unmapped id (EOVERFLOW).
    if (::setresgid(0, 0, 0) != 0) return sys_error(errno, "setgid 0 in the user namespace");
    if (::setresuid(0, 0, 0) != 0) return sys_error(errno, "setuid 0 in the user namespace");
  }
  KATA_TRY(join_namespaces(context.namespaces.joins));
  int unshare_flags = context.namespaces.new_flags & ~(CLONE_NEWUSER | CLONE_NEWPID);
  if (unshare_flags != 0 && ::unshare(unshare_flags) != 0) return sys_error(errno, "unshare namespaces");
  // A new network namespace has only lo, and down; runc brings it up.
  if (unshare_flags & CLONE_NEWNET) KATA_TRY(bring_loopback_up());
  KATA_TRY(set_names(context.spec));
  if (!context.terminal) KATA_TRY(setup_stdio(context.stdio, false));
  KATA_TRY(prepare_rootfs(context.spec));
  if (context.terminal) {
    // After the mounts: the pty comes from the container's own devpts.
    auto slave = KATA_TRY(attach_console(context.spec.root->path, context.console_socket, context.console_path,
                                         context.stdio.stdin_fd));
    KATA_TRY(setup_stdio(ProcessStdio{slave.get(), slave.get(), slave.get()}, true));
  }
  KATA_TRY(pivot_into(context.spec.root->path));
  KATA_TRY(finish_rootfs(context.spec));
  // runc creates a missing cwd, so images need not ship it.
  KATA_TRY(make_directories(context.process.cwd).wrap("create cwd"));
  // In a new user namespace the agent applies them once the init is ready.
  if (context.userns_sync_fd < 0) KATA_TRY(apply_limits(context.process));
  return prepare_exec(context.process);
}

[[noreturn]] void run_init_child(InitContext& context) {
  auto image = init_steps(context);
  if (!image) fail_child(context.report_fd, image.error());
  report_child_ready(context.report_fd);
  // The barrier waits after every step that can fail (so create reports
  // them) and, with no_new_privs, before the seccomp filter; the barrier
  // fd is close-on-exec like every other.
  char byte;
  ssize_t n;
  do {
    n = ::read(context.barrier_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(0);  // the barrier closed without a start: never run
  // The agent's start waits for the report pipe: end-of-file at execve, or
  // this error.
  report_child_error(context.report_fd, exec_image(*image, context.process));
  ::_exit(127);
}

Result<void> check_spec(const oci::Spec& spec, const NamespacePlan& namespaces) {
  if (!spec.root || !spec.process) {
    return make_error(ErrorKind::invalid_argument, "the spec has no root or no process");
  }
  // pivot_root and every mount would hit the agent's own mount namespace.
  if (!(namespaces.new_flags & CLONE_NEWNS)) {
    return make_error(ErrorKind::invalid_argument, "the container needs a new mount namespace");
  }
  bool uts = namespaces.new_flags & CLONE_NEWUTS;
  for (const auto& join : namespaces.joins) uts = uts || join.type == CLONE_NEWUTS;
  if ((spec.hostname || spec.domainname) && !uts) {
    return make_error(ErrorKind::invalid_argument, "hostname and domainname need a uts namespace");
  }
  return ok();
}

Result<std::string> terminal_path(int fd) {
  char path[256];
  ssize_t n = ::readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), path, sizeof path - 1);
  if (n < 0) return sys_error(errno, "find the terminal of fd {}", fd);
  return std::string(path, static_cast<std::size_t>(n));
}

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error(errno, "pipe");
  return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<std::pair<UniqueFd, UniqueFd>> make_socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return sys_error(errno, "socketpair");
  return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A cgroup namespace of the container's own unless the spec joins one.
void give_own_cgroup_namespace(NamespacePlan& namespaces) {
  for (const auto& join : namespaces.joins) {
    if (join.type == CLONE_NEWCGROUP) return;
  }
  namespaces.new_flags |= CLONE_NEWCGROUP;
}

Result<CreatedInit> create(const oci::Spec& spec, const ProcessStdio& stdio, bool terminal,
                           const std::string& cgroup_dir) {
  auto namespaces = KATA_TRY(plan_namespaces(spec));
  KATA_TRY(check_spec(spec, namespaces));
  give_own_cgroup_namespace(namespaces);
  auto process = KATA_TRY(plan_process(*spec.process, spec));
  std::string console_path;
  if (terminal) console_path = KATA_TRY(terminal_path(stdio.stdin_fd));

  auto [report_read, report_write] = KATA_TRY(make_pipe());
  auto [barrier_read, barrier_write] = KATA_TRY(make_pipe());
  UniqueFd sync_read, sync_write;
  UniqueFd console_parent, console_child;
  if (terminal) std::tie(console_parent, console_child) = KATA_TRY(make_socket_pair());
  bool new_userns = namespaces.new_flags & CLONE_NEWUSER;
  if (new_userns) {
    std::tie(sync_read, sync_write) = KATA_TRY(make_pipe());
    const auto& linux_config = *spec.linux_config;
    auto owner = mapped_root(linux_config.uid_mappings.value_or(std::vector<oci::IdMapping>{}),
                             linux_config.gid_mappings.value_or(std::vector<oci::IdMapping>{}));
    KATA_TRY(create_mount_targets(spec, owner));
  }
  auto cgroup = KATA_TRY(open_cgroup_dir(cgroup_dir));

  std::optional<PidNamespaceForChildren> pid_for_children;
  if (namespaces.pid_join) pid_for_children.emplace(KATA_TRY(PidNamespaceForChildren::enter(namespaces.pid_join.get())));
  pid_t pid = KATA_TRY(clone_child(namespaces.new_flags & (CLONE_NEWUSER | CLONE_NEWPID), cgroup.get()));
  if (pid == 0) {
    // The parent's ends must be closed, or the child never sees them close.
    report_read.reset();
    barrier_write.reset();
    sync_write.reset();
    console_parent.reset();
    InitContext context{spec, stdio, terminal, namespaces, process, console_path, console_child.get(),
                        report_write.get(), barrier_read.get(), sync_read.get()};
    run_init_child(context);
  }
  pid_for_children.reset();
  bool started = false;
  ScopeExit cleanup([&] {
    if (!started) kill_and_reap(pid);
  });
  report_write.reset();
  barrier_read.reset();
  sync_read.reset();
  console_child.reset();
  if (new_userns) {
    KATA_TRY(write_id_mappings(pid, spec).wrap("write user namespace mappings"));
    if (::write(sync_write.get(), "1", 1) != 1) return sys_error(errno, "wake the init");
  }
  auto outcome = KATA_TRY(read_child_report(report_read.get()));
  if (outcome != ChildOutcome::ready) {
    started = true;  // reaped below
    return make_error(ErrorKind::system, "the init {} during setup", describe_exit(pid));
  }
  // Raising a hard limit takes CAP_SYS_RESOURCE in the initial user
  // namespace, which the init left at its clone; it waits at its barrier.
  if (new_userns) KATA_TRY(apply_limits(process, pid));
  CreatedInit created{pid, std::move(barrier_write), std::move(report_read), {}};
  if (terminal) created.console_master = KATA_TRY(receive_console(console_parent.get()));
  started = true;
  return created;
}

}  // namespace

Result<CreatedInit> create_container_init(const std::string& container_id, const oci::Spec& spec,
                                          const ProcessStdio& stdio, bool terminal, const std::string& cgroup_dir) {
  return create(spec, stdio, terminal, cgroup_dir).wrap(fmt::format("create container {}", container_id));
}

Result<void> wait_for_init_exec(int exec_report) {
  auto outcome = KATA_TRY(read_child_report(exec_report));
  if (outcome == ChildOutcome::ready) {
    return make_error(ErrorKind::internal, "the init reported ready twice");
  }
  return ok();
}

}  // namespace kata::agent
