// Server handlers for the container lifecycle: create, start, remove, and
// the sandbox's end.

#include <signal.h>
#include <unistd.h>

#include "agent/console.hpp"
#include "agent/server.hpp"
#include "agent/stdio_setup.hpp"

namespace kata::agent {

namespace agent_msg = agent_client;

namespace {

const nlohmann::json* find_resources(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains("linux")) return nullptr;
  const auto& linux_section = spec.at("linux");
  if (!linux_section.is_object() || !linux_section.contains("resources")) return nullptr;
  const auto& resources = linux_section.at("resources");
  return resources.is_object() ? &resources : nullptr;
}

}  // namespace

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::CreateContainer& request) {
  if (containers_.count(request.container_id) != 0) {
    return Result<nlohmann::json>(
        make_error(ErrorKind::already_exists, "container {} already exists", request.container_id));
  }
  // The spec arrives parsed with the request; the container library wants
  // the typed model, validated like config.json on the host.
  auto spec = oci::spec_from_json(request.spec, "config.json");
  if (!spec) return Result<nlohmann::json>(spec.error());

  auto fds = make_stdio(request.stdio, request.terminal, *spec->process);
  if (!fds) return Result<nlohmann::json>(std::move(fds).error().wrap("stdio"));

  bool has_cgroup = false;
  if (cgroups_) {
    auto created = cgroups_->create(request.container_id);
    if (!created) return Result<nlohmann::json>(created.error());
    has_cgroup = true;
    if (const auto* resources = find_resources(request.spec)) {
      auto applied = cgroups_->update(request.container_id, *resources);
      if (!applied) {
        (void)cgroups_->remove(request.container_id);
        return Result<nlohmann::json>(std::move(applied).error().wrap("apply resources"));
      }
    }
  }

  // Born in its cgroup, so nothing it forks escapes the cgroup, and its
  // cgroup namespace is rooted there.
  std::string cgroup_dir = has_cgroup ? cgroups_->path(request.container_id) : std::string();
  auto init = launcher_.create_init(request.container_id, *spec, fds->child(), request.terminal, cgroup_dir);
  if (!init) {
    if (has_cgroup) (void)cgroups_->remove(request.container_id);
    return Result<nlohmann::json>(init.error());
  }
  // A failure from here on kills the init waiting at its barrier; its exit
  // is reaped in the loop and ignored: the pid is not tracked.
  auto abandon_init = [&](Error error) {
    ::kill(init->pid, SIGKILL);
    if (has_cgroup) (void)cgroups_->remove(request.container_id);
    return Result<nlohmann::json>(std::move(error));
  };
  if (init->console_master) {
    auto console = use_console(*fds, std::move(init->console_master), *spec->process);
    if (!console) return abandon_init(std::move(console).error().wrap("terminal"));
  }

  ManagedContainer container;
  container.spec = std::move(*spec);
  container.start_barrier = std::move(init->start_barrier);
  container.exec_report = std::move(init->exec_report);
  container.has_cgroup = has_cgroup;
  if (has_cgroup) {
    // Opened while the init waits at its barrier: nothing ran yet, so the
    // baseline is the fresh cgroup's (zero). Without a memory controller
    // there is no file and no OOM event; the container still runs.
    auto watch = OomWatch::open(cgroups_->path(request.container_id));
    if (watch) {
      container.oom_watch = std::move(*watch);
    } else {
      console_log("container {}: no OOM events: {}", request.container_id, watch.error().message);
    }
  }
  ManagedProcess& process = container.processes[""];
  process.pid = init->pid;
  auto adopted = adopt_stdio(process, *fds, request.terminal);
  auto registered = adopted ? register_streams(process, request.stdio) : Result<void>(adopted.error());
  if (!registered) return abandon_init(std::move(registered).error());
  if (process.stdin_id == 0) process.stdin_fd.reset();
  // A stream the host named but the process does not have (stderr with a
  // terminal) ends at once.
  if (!process.err.fd && process.err.id != 0) close_output(process, process.err);
  containers_.emplace(request.container_id, std::move(container));
  return Result<nlohmann::json>(agent_msg::ProcessStarted{init->pid}.to_json());
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::StartContainer& request) {
  auto container = find_container(request.container_id);
  if (!container) return Result<nlohmann::json>(container.error());
  auto& barrier = (*container)->start_barrier;
  if (!barrier) {
    return Result<nlohmann::json>(
        make_error(ErrorKind::wrong_state, "container {} was started already", request.container_id));
  }
  if ((*container)->init().exited) {
    return Result<nlohmann::json>(
        make_error(ErrorKind::wrong_state, "container {} init has exited", request.container_id));
  }
  char byte = 0;
  ssize_t wrote;
  do {
    wrote = ::write(barrier.get(), &byte, 1);
  } while (wrote < 0 && errno == EINTR);
  int error = errno;
  barrier.reset();
  if (wrote != 1) return Result<nlohmann::json>(sys_error(error, "release start barrier"));
  // Like runc's start, answer once the container's process runs: a signal
  // sent right after start then reaches the process, not the agent's code
  // still setting it up (which drops it, being a pid namespace's init).
  // This blocks the loop only for the init's last syscalls and its execve.
  UniqueFd exec_report = std::move((*container)->exec_report);
  if (exec_report) {
    auto execed = wait_for_init_exec(exec_report.get());
    if (!execed) {
      return Result<nlohmann::json>(
          std::move(execed).error().wrap(fmt::format("start container {}", request.container_id)));
    }
  }
  return Result<nlohmann::json>(agent_msg::Empty{}.to_json());
}

void Server::kill_container(const std::string& container_id, ManagedContainer& container, int signal) {
  if (container.has_cgroup) {
    if (signal == SIGKILL) {
      if (cgroups_->kill_all(container_id)) return;
    } else if (auto pids = cgroups_->processes(container_id)) {
      for (pid_t pid : *pids) ::kill(pid, signal);
    }
  }
  for (auto& [exec_id, process] : container.processes) {
    if (!process.exited) ::kill(process.pid, signal);
  }
}

Server::Reply Server::handle(std::uint32_t id, const agent_msg::RemoveContainer& request) {
  auto container = find_container(request.container_id);
  if (!container) return Result<nlohmann::json>(container.error());
  if ((*container)->removing) {
    return Result<nlohmann::json>(
        make_error(ErrorKind::wrong_state, "container {} is being removed", request.container_id));
  }
  kill_container(request.container_id, **container, SIGKILL);
  // An init still at its barrier is killed too; dropping the barrier is enough.
  (*container)->start_barrier.reset();
  (*container)->removing = true;
  (*container)->remove_request = id;
  return std::nullopt;  // finish_removals() answers once every process is reported
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::DestroySandbox& /*request*/) {
  for (auto& [container_id, container] : containers_) kill_container(container_id, container, SIGKILL);
  // The host may kill the VM as soon as this is answered: what the
  // containers wrote reaches the share first.
  ::sync();
  console_log("destroy sandbox: powering off");
  power_off_ = true;
  return Result<nlohmann::json>(agent_msg::Empty{}.to_json());
}

}  // namespace kata::agent
