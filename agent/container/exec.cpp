// exec_in_container: a further process in a running container's namespaces.
//
// The agent enters the init's pid namespace for its children around the
// fork, so the new process is the agent's own child (it reaps it) and lives
// in the container's pid namespace, without runc's double fork. The child
// joins the other namespaces itself; joining the mount namespace also moves
// it into the container's root (and its cgroup namespace). The process is
// born in the container's cgroup when the caller names one, as the init is.

#include <fcntl.h>
#include <unistd.h>

#include <optional>

#include "agent/container/child_launch.hpp"
#include "agent/container/child_report.hpp"
#include "agent/container/container.hpp"
#include "agent/container/namespaces.hpp"
#include "agent/container/process_setup.hpp"

namespace kata::agent {
namespace {

Result<ExecImage> exec_steps(const NamespacePlan& namespaces, ProcessPlan& process, const ProcessStdio& stdio,
                             bool terminal) {
  // Limits first, while the agent's root in the initial user namespace:
  // raising a hard limit needs CAP_SYS_RESOURCE there.
  KATA_TRY(apply_limits(process));
  KATA_TRY(join_namespaces(namespaces.joins));
  KATA_TRY(setup_stdio(stdio, terminal));
  return prepare_exec(process);
}

[[noreturn]] void run_exec_child(const NamespacePlan& namespaces, ProcessPlan& process,
                                 const ProcessStdio& stdio, bool terminal, int report_fd) {
  auto image = exec_steps(namespaces, process, stdio, terminal);
  if (!image) fail_child(report_fd, image.error());
  fail_child(report_fd, exec_image(*image, process));
}

Result<pid_t> exec_process_in(pid_t init_pid, const oci::Spec& container_spec, const oci::Process& process,
                              const ProcessStdio& stdio, bool terminal, const std::string& cgroup_dir) {
  auto plan = KATA_TRY(plan_process(process, container_spec));
  auto namespaces = KATA_TRY(plan_join_process(init_pid).wrap("find the container's namespaces"));
  auto cgroup = KATA_TRY(open_cgroup_dir(cgroup_dir));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error(errno, "pipe");
  UniqueFd report_read(fds[0]), report_write(fds[1]);

  std::optional<PidNamespaceForChildren> pid_for_children;
  if (namespaces.pid_join) pid_for_children.emplace(KATA_TRY(PidNamespaceForChildren::enter(namespaces.pid_join.get())));
  pid_t pid = KATA_TRY(clone_child(0, cgroup.get()));
  if (pid == 0) {
    report_read.reset();
    run_exec_child(namespaces, plan, stdio, terminal, report_write.get());
  }
  pid_for_children.reset();
  report_write.reset();
  auto outcome = read_child_report(report_read.get());
  if (!outcome) {
    kill_and_reap(pid);
    return std::move(outcome).error();
  }
  // End-of-file: execve succeeded (the pipe is close-on-exec). The process
  // may already have exited; its status is the caller's to reap.
  return pid;
}

}  // namespace

Result<pid_t> exec_in_container(pid_t init_pid, const oci::Spec& container_spec, const oci::Process& process,
                                const ProcessStdio& stdio, bool terminal, const std::string& cgroup_dir) {
  return exec_process_in(init_pid, container_spec, process, stdio, terminal, cgroup_dir)
      .wrap(fmt::format("exec in container (init {})", init_pid));
}

}  // namespace kata::agent
