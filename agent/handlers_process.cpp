// Server handlers for processes: exec, signals, waiting, stdin and tty.

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "agent/console.hpp"
#include "agent/server.hpp"
#include "agent/stdio_setup.hpp"

namespace kata::agent {

namespace agent_msg = agent_client;

using JsonResult = Result<nlohmann::json>;

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::ExecProcess& request) {
  auto container = find_container(request.container_id);
  if (!container) return JsonResult(container.error());
  if (request.exec_id.empty()) {
    return JsonResult(make_error(ErrorKind::invalid_argument, "exec id must not be empty"));
  }
  if ((*container)->removing || (*container)->init().exited) {
    return JsonResult(make_error(ErrorKind::wrong_state, "container {} is not running", request.container_id));
  }
  // The process is born in the frozen cgroup: the agent, which waits for
  // its exec, would wait until a resume it could no longer serve.
  if ((*container)->frozen) {
    return JsonResult(make_error(ErrorKind::wrong_state, "container {} is paused: resume it before exec",
                                 request.container_id));
  }
  if (auto existing = (*container)->processes.find(request.exec_id); existing != (*container)->processes.end()) {
    if (!existing->second.reported) {
      return JsonResult(make_error(ErrorKind::already_exists, "exec {} already exists in container {}",
                                   request.exec_id, request.container_id));
    }
    (*container)->processes.erase(existing);  // an exited exec id may be reused
  }
  std::string text;
  try {
    text = request.process.dump();
  } catch (const nlohmann::json::exception& e) {
    return JsonResult(make_error(ErrorKind::invalid_argument, "process: {}", e.what()));
  }
  auto process_spec = oci::parse_process(text);
  if (!process_spec) return JsonResult(process_spec.error());
  bool terminal = process_spec->terminal.value_or(false);

  pid_t init_pid = (*container)->init().pid;
  // An exec'd terminal lives in the container's devpts, as runc's does.
  auto fds = make_stdio(request.stdio, terminal, *process_spec, "/proc/" + std::to_string(init_pid) + "/root/dev/ptmx");
  if (!fds) return JsonResult(std::move(fds).error().wrap("stdio"));
  // setns does not change the cgroup: the process is born in the container's.
  std::string cgroup_dir = (*container)->has_cgroup ? cgroups_->path(request.container_id) : std::string();
  auto pid = launcher_.exec(init_pid, (*container)->spec, *process_spec, fds->child(), terminal, cgroup_dir);
  if (!pid) return JsonResult(pid.error());

  ManagedProcess& process = (*container)->processes[request.exec_id];
  process.pid = *pid;
  auto adopted = adopt_stdio(process, *fds, terminal);
  auto registered = adopted ? register_streams(process, request.stdio) : Result<void>(adopted.error());
  if (!registered) {
    ::kill(*pid, SIGKILL);
    (*container)->processes.erase(request.exec_id);
    return JsonResult(registered.error());
  }
  if (process.stdin_id == 0) process.stdin_fd.reset();
  if (!process.err.fd && process.err.id != 0) close_output(process, process.err);
  return JsonResult(agent_msg::ProcessStarted{*pid}.to_json());
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::SignalProcess& request) {
  auto container = find_container(request.container_id);
  if (!container) return JsonResult(container.error());
  if (request.all) {
    kill_container(request.container_id, **container, request.signal);
    return JsonResult(agent_msg::Empty{}.to_json());
  }
  auto process = find_process(request.container_id, request.exec_id);
  if (!process) return JsonResult(process.error());
  if ((*process)->exited) {
    return JsonResult(make_error(ErrorKind::wrong_state, "process {} has exited", (*process)->pid));
  }
  if (::kill((*process)->pid, request.signal) < 0) {
    return JsonResult(sys_error(errno, "kill {} with signal {}", (*process)->pid, request.signal));
  }
  return JsonResult(agent_msg::Empty{}.to_json());
}

Server::Reply Server::handle(std::uint32_t id, const agent_msg::WaitProcess& request) {
  auto process = find_process(request.container_id, request.exec_id);
  if (!process) return JsonResult(process.error());
  if ((*process)->reported) return JsonResult(agent_msg::ProcessStatus{(*process)->status}.to_json());
  (*process)->waiters.push_back(id);
  return std::nullopt;  // maybe_report() answers after the output's EOF
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::CloseStdin& request) {
  auto process = find_process(request.container_id, request.exec_id);
  if (!process) return JsonResult(process.error());
  close_stdin(**process);
  return JsonResult(agent_msg::Empty{}.to_json());
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::ResizeTty& request) {
  auto process = find_process(request.container_id, request.exec_id);
  if (!process) return JsonResult(process.error());
  if (!(*process)->pty_master) {
    return JsonResult(make_error(ErrorKind::wrong_state, "process {} has no terminal", (*process)->pid));
  }
  auto resized = resize_pty((*process)->pty_master.get(), request.rows, request.cols);
  if (!resized) return JsonResult(resized.error());
  return JsonResult(agent_msg::Empty{}.to_json());
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::ListProcesses& request) {
  auto container = find_container(request.container_id);
  if (!container) return JsonResult(container.error());
  agent_msg::ProcessList list;
  if ((*container)->has_cgroup) {
    // The cgroup also holds what the processes forked.
    auto pids = cgroups_->processes(request.container_id);
    if (!pids) return JsonResult(pids.error());
    for (pid_t pid : *pids) list.pids.push_back(pid);
  } else {
    for (const auto& [exec_id, process] : (*container)->processes) {
      if (!process.exited) list.pids.push_back(process.pid);
    }
  }
  if (list.pids.size() > agent_msg::kMaxListedProcesses) list.pids.resize(agent_msg::kMaxListedProcesses);
  return JsonResult(list.to_json());
}

}  // namespace kata::agent
