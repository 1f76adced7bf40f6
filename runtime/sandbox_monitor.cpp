#include "runtime/sandbox_monitor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <cstdio>
#include <optional>
#include <sstream>

#include "agent-client/client.hpp"
#include "common/fs.hpp"
#include "common/unix_socket.hpp"
#include "hypervisor/accel.hpp"
#include "hypervisor/qemu/qemu_vm.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/state_store.hpp"
#include "runtime/vm_config.hpp"

namespace kata::runtime {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The last signal sent to the monitor itself (conmon and engines signal the
// pid-file process); the loop forwards it to the container.
volatile sig_atomic_t pending_signal = 0;
void remember_signal(int signal) { pending_signal = signal; }

constexpr auto rpc_timeout = 60s;
// How long one relay slice runs before the loop looks at monitor.sock and
// forwarded signals again: the latency of start and kill.
constexpr auto relay_slice = 100ms;

void log_line(const std::string& text) {
  // fd 2 is monitor.log by now.
  std::string line = "kata-monitor: " + text + "\n";
  (void)write_all(2, line);
}

int dup_high(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 3); }

// Keeps create's stdio (the container's) on private fds and points 0-2 at
// /dev/null and monitor.log, so QEMU and virtiofsd, which inherit 0-2, never
// hold the engine's pipes open.
Result<void> redirect_standard_fds(const std::string& dir) {
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return sys_error(errno, "open /dev/null");
  std::string log = dir + "/" + monitor_log_name;
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return sys_error(errno, "open {}", log);
  // dup2 clears close-on-exec on the new fds, as wanted for 0-2.
  if (::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) return sys_error(errno, "dup2");
  ::close(null_fd);
  ::close(log_fd);
  return ok();
}

void reply(int fd, const Result<void>& result) {
  std::string line = encode_reply(result) + "\n";
  (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
}

// Records the exit status under the container's lock. A container being
// deleted right now (lock busy, dir gone) needs no record.
void record_exit(const MonitorParams& params, int status) {
  auto store = StateStore::open(params.state_root);
  if (!store) return log_line("record exit: " + store.error().message);
  auto lock = store->lock(params.id, 10s);
  if (!lock) return log_line("record exit: " + lock.error().message);
  auto record = store->load(params.id);
  if (!record) return log_line("record exit: " + record.error().message);
  record->exit_status = status;
  record->status = oci::Status::stopped;
  if (auto saved = store->save(*lock, *record); !saved) log_line("record exit: " + saved.error().message);
}

class Monitor {
 public:
  explicit Monitor(const MonitorParams& params) : params_(params) {}

  // Everything up to the report; the error names the failing step.
  Result<std::vector<BootPhase>> bring_up(bool with_stdin) {
    auto begin = Clock::now();
    auto phase = [&](const char* name) {
      timings_.push_back({name, std::chrono::duration<double, std::milli>(Clock::now() - begin).count()});
    };
    const auto& config = params_.config;
    const auto& dir = params_.dir;
    auto plan = KATA_TRY(vm_configs_for(config, dir, "kata-" + params_.id.substr(0, 32)));
    if (!plan.accel_reason.empty()) log_line("using TCG: " + plan.accel_reason);
    // Socket names too long for sun_path are relative to the container dir,
    // which QEMU inherits as its working directory.
    if (::chdir(dir.c_str()) < 0) return sys_error(errno, "chdir {}", dir);
    plan.qemu.net_devices = params_.network.devices;  // network: tap fds go to QEMU
    const auto& qemu = plan.qemu;
    const auto& virtiofsd = plan.virtiofsd;

    vm_ = std::make_unique<hypervisor::qemu::QemuVm>(qemu, virtiofsd, 10s);
    KATA_TRY(vm_->start().wrap("start the VM"));
    phase("vm_spawned");
    auto agent = AgentClientResult(agent_client::AgentClient::connect(
        qemu.agent_socket, std::chrono::seconds(config.agent.dial_timeout)));
    if (!agent) {
      auto error = std::move(agent).error().wrap("connect to the agent");
      error.message += "\nconsole.log (last lines):\n" + file_tail(qemu.console_log, 30);
      return error;
    }
    agent_.emplace(std::move(*agent));
    phase("agent_ready");
    // network: before the container exists, so it starts with its interfaces up
    KATA_TRY(agent_->configure_network(params_.network.request, rpc_timeout).wrap("configure the guest network"));
    streams_ = KATA_TRY(agent_->allocate_stdio(with_stdin, false));
    KATA_TRY(agent_->create_container(params_.id, params_.guest_spec, streams_, false, rpc_timeout)
                 .wrap("create the container in the VM"));
    phase("container_created");
    listener_ = KATA_TRY(listen_unix_socket(dir + "/" + monitor_socket_name).wrap("monitor socket"));
    int flags = ::fcntl(listener_.get(), F_GETFL);
    if (flags < 0 || ::fcntl(listener_.get(), F_SETFL, flags | O_NONBLOCK) < 0)
      return sys_error(errno, "monitor socket: set O_NONBLOCK");
    return timings_;
  }

  // Serves commands and relays output until the container exits; its status.
  int supervise(int in_fd, int out_fd, int err_fd) {
    agent_client::HostStdio fds{in_fd, out_fd, err_fd};
    while (true) {
      // run_until_exit runs in slices here. The slice that reads EOF from
      // stdin closes the stream and forgets it; the next slice then fails
      // with not_found for it, and from then on the slices run without stdin.
      agent_client::StdioStreams slice_streams = streams_;
      if (!stdin_open_) {
        slice_streams.stdin_id = 0;
        fds.stdin_fd = -1;
      }
      if (int signal = pending_signal; signal != 0) {
        pending_signal = 0;
        if (auto sent = agent_->signal_process(params_.id, "", signal, false, rpc_timeout); !sent)
          log_line("forward signal " + std::to_string(signal) + ": " + sent.error().message);
      }
      serve_commands();
      auto status = agent_->run_until_exit(params_.id, "", slice_streams, fds, relay_slice);
      if (status) return *status;
      if (status.error().kind == ErrorKind::not_found && stdin_open_ &&
          status.error().message.find("no outbound stream") != std::string::npos) {
        stdin_open_ = false;
        continue;
      }
      if (status.error().kind != ErrorKind::timeout) {
        log_line("agent connection: " + status.error().message);
        return 255;
      }
      if (!wait_request_) continue;
      // A process_exited event that arrives while output is still queued in
      // the last instant of a slice is consumed by that slice; the pending
      // WaitProcess answer then tells the status, after a final drain.
      auto waited = agent_->await_response(*wait_request_, 0ms);
      if (!waited) {
        if (waited.error().kind == ErrorKind::timeout) continue;
        log_line("wait_process: " + waited.error().message);
        wait_request_.reset();
        continue;
      }
      slice_streams.stdin_id = 0;  // the process is gone: its stdin no longer matters
      fds.stdin_fd = -1;
      auto drained = agent_->run_until_exit(params_.id, "", slice_streams, fds, 2s);
      if (drained) return *drained;
      if (waited->contains("status") && (*waited)["status"].is_number_integer())
        return (*waited)["status"].get<int>();
      return 255;
    }
  }

  void shut_down() {
    if (agent_) (void)agent_->destroy_sandbox(5s);
    agent_.reset();
    if (vm_) (void)vm_->stop(3s);
    vm_.reset();
  }

 private:
  using AgentClientResult = Result<agent_client::AgentClient>;

  void serve_commands() {
    while (true) {
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN: nobody waiting
      UniqueFd connection(fd);
      auto line = read_line(connection.get(), 2s);
      if (!line) continue;
      auto command = decode_command(*line);
      if (!command) {
        reply(connection.get(), std::move(command).error());
        continue;
      }
      reply(connection.get(), execute(*command));
    }
  }

  Result<void> execute(const MonitorCommand& command) {
    if (const auto* kill = std::get_if<KillCommand>(&command))
      return agent_->signal_process(params_.id, "", kill->signal, kill->all, rpc_timeout);
    if (started_) return make_error(ErrorKind::wrong_state, "cannot start a container that has already started");
    KATA_TRY(agent_->start_container(params_.id, rpc_timeout));
    started_ = true;
    auto request = agent_->submit(agent_client::WaitProcess{params_.id, ""});
    if (request) wait_request_ = *request;
    return ok();
  }

  const MonitorParams& params_;
  std::vector<BootPhase> timings_;
  std::unique_ptr<hypervisor::qemu::QemuVm> vm_;
  std::optional<agent_client::AgentClient> agent_;
  agent_client::StdioStreams streams_;
  UniqueFd listener_;
  bool started_ = false;
  bool stdin_open_ = true;  // the stdin stream (if any) has not been closed yet
  std::optional<agent_client::AgentClient::RequestId> wait_request_;
};

int monitor_main(const MonitorParams& params) {
  UniqueFd report(params.report_fd);
  UniqueFd in(dup_high(0));
  UniqueFd out(dup_high(1));
  UniqueFd err(dup_high(2));
  auto send_report = [&](const Result<std::vector<BootPhase>>& outcome) {
    (void)write_all(report.get(), encode_monitor_report(outcome) + "\n");
    report.reset();
  };
  if (auto redirected = redirect_standard_fds(params.dir); !redirected) {
    send_report(std::move(redirected).error().wrap("sandbox monitor"));
    return 1;
  }
  ::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = remember_signal;
  ::sigemptyset(&action.sa_mask);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) ::sigaction(signal, &action, nullptr);

  Monitor monitor(params);
  auto outcome = monitor.bring_up(in.get() >= 0);
  if (!outcome) {
    // Stop the VM before reporting, so create's rollback finds nothing running.
    log_line(outcome.error().message);
    monitor.shut_down();
    send_report(outcome);
    return 1;
  }
  send_report(outcome);
  int status = monitor.supervise(in.get(), out.get(), err.get());
  in.reset();
  out.reset();
  err.reset();
  record_exit(params, status);
  monitor.shut_down();
  return status;
}

}  // namespace

void run_sandbox_monitor(const MonitorParams& params) {
  int status = monitor_main(params);
  std::fflush(nullptr);
  ::_exit(status & 0xff);
}

std::string encode_monitor_report(const Result<std::vector<BootPhase>>& outcome) {
  if (!outcome) return encode_reply(Error(outcome.error()));
  json timings = json::array();
  for (const auto& phase : *outcome) timings.push_back({{"name", phase.name}, {"ms", phase.milliseconds}});
  return json{{"ok", true}, {"timings", timings}}.dump();
}

Result<std::vector<BootPhase>> decode_monitor_report(std::string_view line) {
  KATA_TRY(decode_reply(line));
  json document = json::parse(line, nullptr, false);
  std::vector<BootPhase> timings;
  if (document.contains("timings") && document["timings"].is_array()) {
    for (const auto& phase : document["timings"]) {
      if (!phase.is_object() || !phase.contains("name") || !phase["name"].is_string() || !phase.contains("ms") ||
          !phase["ms"].is_number())
        return make_error(ErrorKind::protocol, "monitor report: malformed timing");
      timings.push_back({phase["name"].get<std::string>(), phase["ms"].get<double>()});
    }
  }
  return timings;
}


}  // namespace kata::runtime
