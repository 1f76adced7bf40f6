#include "runtime/sandbox_monitor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <limits>
#include <memory>
#include <cstdio>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "agent-client/client.hpp"
#include "common/fs.hpp"
#include "common/unix_socket.hpp"
#include "hypervisor/accel.hpp"
#include "hypervisor/qemu/qemu_vm.hpp"
#include "common/fd_passing.hpp"
#include "runtime/factory.hpp"
#include "runtime/host_cgroup.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/pod_member.hpp"
#include "runtime/terminal.hpp"
#include "runtime/state_store.hpp"
#include "runtime/vm_config.hpp"

namespace kata::runtime {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto rpc_timeout = 60s;
// How often terminal window sizes are compared while a terminal is relayed:
// the monitor is in no terminal's session, so no SIGWINCH reaches it.
constexpr auto window_poll = 250ms;
// How long exec'd processes may still report their exit after init's.
constexpr auto exec_linger = 2s;
// Status recorded when the VM, virtiofsd or the agent connection dies under
// the container: not a status the container itself chose.
constexpr int lost_status = 255;

// Signals reach the loop as bytes on this pipe (the handler only writes).
int wake_write_fd = -1;
void on_signal(int signal) {
  int saved_errno = errno;
  auto byte = static_cast<unsigned char>(signal);
  (void)!::write(wake_write_fd, &byte, 1);
  errno = saved_errno;
}

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

// Writes one line without blocking the loop; false when the peer is gone.
bool send_line(int fd, const std::string& text) {
  std::string line = text + "\n";
  return ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(line.size());
}

// Records the exit status under the container's lock. A container being
// deleted right now (lock busy, dir gone) needs no record.
void record_exit(const std::string& state_root, const std::string& id, int status) {
  auto store = StateStore::open(state_root);
  if (!store) return log_line("record exit: " + store.error().message);
  auto lock = store->lock(id, 10s);
  if (!lock) return log_line("record exit: " + lock.error().message);
  auto record = store->load(id);
  if (!record) return log_line("record exit: " + record.error().message);
  record->exit_status = status;
  record->status = oci::Status::stopped;
  if (auto saved = store->save(*lock, *record); !saved) log_line("record exit: " + saved.error().message);
}

class Monitor {
 public:
  explicit Monitor(const MonitorParams& params) : params_(params) {
    auto& sandbox = containers_[params.id];
    sandbox.id = params.id;
    sandbox.stand_in = UniqueFd(params.stand_in_fd);
  }

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

    // VM templating (factory.hpp): a clone of the saved template when one
    // matches this boot, else a cold boot that says why.
    CloneSource clone;
    if (config.factory.enable_template) {
      clone = clone_source(config, qemu);
      if (!clone.why_not.empty()) log_line("templating: booting cold: " + clone.why_not);
    }
    UniqueFd clone_agent_socket;  // a clone's, connected before its state loaded
    if (clone.template_dir.empty()) {
      auto cold = qemu;
      cold.hotplug_ports += params_.late_nic_ports;
      late_ports_ = {qemu.hotplug_ports, cold.hotplug_ports};
      vm_ = std::make_unique<hypervisor::qemu::QemuVm>(cold, virtiofsd, 10s);
      KATA_TRY(vm_->start().wrap("start the VM"));
      phase("vm_spawned");
    } else {
      clone_agent_socket = KATA_TRY(start_clone(qemu, virtiofsd, clone.template_dir, phase));
      // Port 0 holds the standby NIC; the create's NICs take the next ones.
      unsigned used = std::max<unsigned>(1, static_cast<unsigned>(qemu.net_devices.size()));
      late_ports_ = {used, std::max(used, std::min(template_nic_ports, used + params_.late_nic_ports))};
    }
    auto dial_timeout = std::chrono::seconds(config.agent.dial_timeout);
    auto agent = clone_agent_socket ? agent_client::AgentClient::handshake(std::move(clone_agent_socket), dial_timeout)
                                          .wrap("agent " + qemu.agent_socket)
                                    : agent_client::AgentClient::connect(qemu.agent_socket, dial_timeout);
    if (!agent) {
      auto error = std::move(agent).error().wrap("connect to the agent");
      error.message += "\nconsole.log (last lines):\n" + file_tail(qemu.console_log, 30);
      return error;
    }
    agent_.emplace(std::move(*agent));
    phase("agent_ready");
    // The requests up to the container's create go out at once and the
    // agent serves them in order: the create's spec (tens of KiB with its
    // seccomp program) crosses into the guest while the guest mounts the
    // share and configures the network, and no round trip separates them.
    // Answers are taken in order and the first failure is reported; the VM
    // is stopped then, with whatever the later requests made in it.
    std::optional<agent_client::AgentClient::RequestId> restore_id;
    if (!clone.template_dir.empty()) {
      auto restore = KATA_TRY(restore_request(qemu.virtiofs_tag));
      restore_id = KATA_TRY(agent_->submit(restore).wrap("restore the clone"));
    }
    // network: before the container exists, so it starts with its interfaces up
    // A clone has its first NIC as the template's standby NIC (start_clone),
    // which the agent finds by that MAC and gives the tap's.
    auto network = params_.network.request;
    if (!clone.template_dir.empty() && !qemu.net_devices.empty()) {
      for (auto& interface : network.interfaces) {
        if (interface.mac == qemu.net_devices.front().mac) interface.device_mac = hypervisor::qemu::standby_nic_mac;
      }
    }
    auto network_id = KATA_TRY(agent_->submit(network).wrap("configure the guest network"));
    auto& sandbox = sandbox_container();
    sandbox.streams = KATA_TRY(agent_->allocate_stdio(with_stdin, params_.terminal));
    auto create_id = KATA_TRY(agent_->submit(agent_client::CreateContainer{params_.id, params_.guest_spec,
                                                                           sandbox.streams, params_.terminal})
                                  .wrap("create the container in the VM"));
    if (restore_id) {
      if (auto restored = agent_->await_response(*restore_id, rpc_timeout); !restored) {
        // A clone that stops answering says why only on its console.
        auto error = std::move(restored).error().wrap("restore the clone");
        error.message += "\nconsole.log (last lines):\n" + file_tail(qemu.console_log, 30);
        return error;
      }
      phase("clone_restored");
    }
    KATA_TRY(agent_->await_response(network_id, rpc_timeout).wrap("configure the guest network"));
    if (!params_.network.request.interfaces.empty()) phase("network_configured");
    auto created = KATA_TRY(agent_->await_response(create_id, rpc_timeout).wrap("create the container in the VM"));
    sandbox.guest_pid =
        KATA_TRY(agent_client::ProcessStarted::from_json(created).wrap("create the container in the VM")).pid;
    phase("container_created");
    sandbox.listener = KATA_TRY(listen_unix_socket(dir + "/" + monitor_socket_name).wrap("monitor socket"));
    KATA_TRY(set_nonblocking(sandbox.listener.get()).wrap("monitor socket"));
    return timings_;
  }

  // The loop: relays, commands, signals and events until the sandbox's
  // container has exited (and with it, the pod's members); its status.
  int supervise(const agent_client::HostStdio& init_fds, int init_tty, int wake_fd) {
    auto& sandbox = sandbox_container();
    auto relay = agent_->attach_relay(params_.id, "", sandbox.streams, init_fds);
    if (!relay) {
      log_line("relay the container's stdio: " + relay.error().message);
      return lost_status;
    }
    sandbox.init_relay = *relay;
    if (init_tty >= 0) ttys_.push_back({params_.id, "", init_tty, {}});
    std::optional<Clock::time_point> linger_until;
    while (true) {
      // Which container each polled fd belongs to; listeners first.
      std::vector<pollfd> extra{{wake_fd, POLLIN, 0}};
      std::vector<std::pair<std::string, bool>> owners;  // (container, is listener)
      for (const auto& [id, container] : containers_) {
        if (container.listener) {
          extra.push_back({container.listener.get(), POLLIN, 0});
          owners.emplace_back(id, true);
        }
        if (container.stand_in && !container.status) {
          extra.push_back({container.stand_in.get(), POLLIN, 0});
          owners.emplace_back(id, false);
        }
      }
      // Exec sessions' connections: a hang-up means the exec's host side is gone.
      std::vector<RelayId> sessions;
      for (const auto& [relay_id, exec] : execs_) {
        if (!exec.connection) continue;
        extra.push_back({exec.connection.get(), POLLIN, 0});
        sessions.push_back(relay_id);
      }
      agent_client::AgentClient::Timeout wait;
      if (!ttys_.empty() || linger_until) wait = window_poll;
      if (auto pumped = agent_->pump(wait, &extra); !pumped) {
        log_line("agent connection: " + pumped.error().message);
        return lost_status;
      }
      if ((extra[0].revents & POLLIN) && !handle_signals(wake_fd)) return lost_status;
      for (std::size_t i = 0; i < owners.size(); ++i) {
        if (!(extra[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto it = containers_.find(owners[i].first);
        if (it == containers_.end()) continue;  // removed by an earlier command
        if (owners[i].second) {
          serve_commands(owners[i].first);  // a copy: a remove erases the map's key
        } else if (!relay_stand_in_signals(it->second)) {
          it->second.stand_in.reset();  // poll skips it from now on
        }
      }
      for (std::size_t i = 0; i < sessions.size(); ++i) {
        if (extra[1 + owners.size() + i].revents & (POLLIN | POLLHUP | POLLERR)) end_orphaned_exec(sessions[i]);
      }
      for (const auto& finished : agent_->take_finished_relays()) {
        auto owner = std::find_if(containers_.begin(), containers_.end(),
                                  [&](const auto& entry) { return entry.second.init_relay == finished.id; });
        if (owner != containers_.end()) {
          owner->second.status = finished.status;
        } else {
          finish_exec(finished);
        }
      }
      deliver_events();
      sync_window_sizes();
      for (auto& [id, container] : containers_) {
        if (id != params_.id && container.status && !container.finished) finish_container(container, true);
      }
      if (sandbox.status) {
        // The pod ends with its sandbox: members still running are killed.
        // Exec'd processes die with their container's init; give their
        // exit events a moment to arrive so their callers learn a status.
        if (!linger_until) {
          linger_until = Clock::now() + exec_linger;
          for (auto& [id, container] : containers_) {
            if (!container.status) forward_signal(id, SIGKILL, true);
          }
        }
        bool members_done = std::all_of(containers_.begin(), containers_.end(),
                                        [](const auto& entry) { return entry.second.status.has_value(); });
        if ((execs_.empty() && members_done) || Clock::now() >= *linger_until) break;
      }
    }
    for (auto& [relay_id, exec] : execs_) send_line(exec.connection.get(), encode_event(ExitEvent{lost_status}));
    execs_.clear();
    return *sandbox.status;
  }

  // Records the exit of every container not yet finished (`status` for
  // the sandbox, lost_status for a member that did not report one).
  void record_exits(int status) {
    for (auto& [id, container] : containers_) {
      if (container.finished) continue;
      if (id == params_.id) {
        container.status = status;
      } else if (!container.status) {
        container.status = lost_status;
      }
      finish_container(container, false);
    }
  }

  // Hands each stand-in still waiting its container's status: engines take
  // that as the container's exit.
  void release_stand_ins() {
    for (auto& [id, container] : containers_) tell_stand_in(container);
  }

  // Asks the agent to end every process and flush the guest's writes to
  // the share; the guest powers off after answering.
  void end_guest() {
    if (agent_) (void)agent_->destroy_sandbox(5s);
    agent_.reset();
  }

  // Waits for QEMU to exit (asking it to quit after the grace), then virtiofsd.
  void stop_vm() {
    if (vm_) (void)vm_->stop(3s);
    vm_.reset();
  }

  void shut_down() {
    end_guest();
    stop_vm();
  }

 private:
  using RelayId = agent_client::AgentClient::RelayId;

  // One container in the VM: the sandbox's own, or a pod member's.
  struct GuestContainer {
    std::string id;
    UniqueFd listener;  // its monitor.sock, accepting commands
    UniqueFd stand_in;  // the monitor's end of the socketpair; closed once told or gone
    std::vector<UniqueFd> stdio;  // a member's stdio, held while it runs
    agent_client::StdioStreams streams;
    RelayId init_relay = 0;
    std::int64_t guest_pid = 0;
    bool started = false;
    std::optional<int> status;  // init's exit status, once known
    bool finished = false;      // exit recorded and subscribers told
    std::vector<UniqueFd> subscribers;
  };
  // A process started by `kata exec`, relayed until it exits.
  struct ExecSession {
    std::string container;
    std::string exec_id;
    UniqueFd connection;         // gets the exit event
    std::vector<UniqueFd> fds;   // its stdio, owned until it exits
  };
  // A terminal whose window size is followed.
  struct TtyWatch {
    std::string container;
    std::string exec_id;  // empty: init
    int fd;
    WindowSize last;
  };

  GuestContainer& sandbox_container() { return containers_.at(params_.id); }

  static Result<void> set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return sys_error(errno, "set O_NONBLOCK");
    return ok();
  }

  // The container's exit, once: recorded in its state (unless its delete
  // is under way and holds the lock), told to its subscribers, and, with
  // `tell`, to its stand-in.
  void finish_container(GuestContainer& container, bool tell, bool record = true) {
    int status = container.status.value_or(lost_status);
    if (record) record_exit(params_.state_root, container.id, status);
    for (const auto& subscriber : container.subscribers) send_line(subscriber.get(), encode_event(ExitEvent{status}));
    container.subscribers.clear();
    std::erase_if(ttys_, [&](const TtyWatch& watch) { return watch.container == container.id && watch.exec_id.empty(); });
    container.stdio.clear();
    container.finished = true;
    if (tell) tell_stand_in(container);
  }

  static void tell_stand_in(GuestContainer& container) {
    if (!container.stand_in) return;
    auto byte = static_cast<unsigned char>(container.status.value_or(lost_status) & 0xff);
    (void)::send(container.stand_in.get(), &byte, 1, MSG_NOSIGNAL);
    container.stand_in.reset();
  }

  // Forwards signals to the sandbox's init; false when SIGCHLD says QEMU or
  // virtiofsd died.
  bool handle_signals(int wake_fd) {
    unsigned char bytes[64];
    ssize_t got;
    while ((got = ::read(wake_fd, bytes, sizeof bytes)) > 0) {
      for (ssize_t i = 0; i < got; ++i) {
        int signal = bytes[i];
        if (signal == SIGCHLD) {
          auto exited = vm_->poll_exit();
          if (exited && *exited) {
            log_line("the VM is gone: QEMU or virtiofsd exited (wait status " + std::to_string(**exited) + ")");
            return false;
          }
          continue;
        }
        forward_signal(params_.id, signal);
      }
    }
    return true;
  }

  void forward_signal(const std::string& id, int signal, bool all = false) {
    if (auto sent = agent_->signal_process(id, "", signal, all, rpc_timeout); !sent)
      log_line("forward signal " + std::to_string(signal) + " to " + id + ": " + sent.error().message);
  }

  // Forwards the signals the container's stand-in got; false once it is
  // gone. A stand-in that vanishes was SIGKILLed (it exits on its own only
  // after the container): so is the container, as runc's init would be.
  bool relay_stand_in_signals(GuestContainer& container) {
    unsigned char bytes[64];
    while (true) {
      ssize_t got = ::recv(container.stand_in.get(), bytes, sizeof bytes, MSG_DONTWAIT);
      if (got > 0) {
        for (ssize_t i = 0; i < got; ++i) forward_signal(container.id, bytes[i]);
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) return true;
      log_line("the stand-in of " + container.id + " is gone: killing the container");
      forward_signal(container.id, SIGKILL, true);
      return false;
    }
  }

  void serve_commands(const std::string& id) {
    while (true) {
      auto it = containers_.find(id);
      if (it == containers_.end() || !it->second.listener) return;  // removed meanwhile
      int fd = ::accept4(it->second.listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN: nobody waiting
      UniqueFd connection(fd);
      auto received = receive_line_with_fds(connection.get(), 2s);
      if (!received) continue;
      auto command = decode_command(received->line);
      if (!command) {
        send_line(connection.get(), encode_reply(std::move(command).error()));
        continue;
      }
      if (std::holds_alternative<SubscribeCommand>(*command)) {
        if (send_line(connection.get(), encode_reply(ok()))) it->second.subscribers.push_back(std::move(connection));
        continue;
      }
      if (const auto* exec = std::get_if<ExecCommand>(&*command)) {
        start_exec(id, *exec, std::move(connection), std::move(received->fds));
        continue;
      }
      Result<json> reply = make_error(ErrorKind::internal, "monitor: command not handled");
      if (const auto* member = std::get_if<CreateMemberCommand>(&*command)) {
        reply = id == params_.id ? create_member(*member, std::move(received->fds))
                                 : make_error(ErrorKind::invalid_argument, "create_member: {} is not the pod's sandbox", id);
      } else if (std::holds_alternative<RemoveCommand>(*command)) {
        reply = remove_member(id);
      } else if (const auto* plug = std::get_if<PlugNetworkCommand>(&*command)) {
        reply = id == params_.id ? plug_network(*plug, std::move(received->fds))
                                 : make_error(ErrorKind::invalid_argument, "plug_network: {} is not the sandbox", id);
      } else {
        reply = execute(id, *command);
      }
      send_line(connection.get(), reply ? encode_reply_value(*reply) : encode_reply(std::move(reply).error()));
    }
  }

  // The reply's fields for a command answered at once.
  Result<nlohmann::json> execute(const std::string& id, const MonitorCommand& command) {
    auto& container = containers_.at(id);
    json none = json::object();
    if (const auto* kill = std::get_if<KillCommand>(&command)) {
      KATA_TRY(agent_->signal_process(id, kill->exec_id, kill->signal, kill->all, rpc_timeout));
      return none;
    }
    if (std::holds_alternative<StartCommand>(command)) {
      if (container.started)
        return make_error(ErrorKind::wrong_state, "cannot start a container that has already started");
      KATA_TRY(agent_->start_container(id, rpc_timeout));
      container.started = true;
      return none;
    }
    if (std::holds_alternative<PsCommand>(command)) {
      auto pids = KATA_TRY(agent_->list_processes(id, rpc_timeout));
      return json{{"pids", pids}};
    }
    if (std::holds_alternative<PauseCommand>(command)) {
      KATA_TRY(agent_->pause_container(id, rpc_timeout));
      return none;
    }
    if (std::holds_alternative<ResumeCommand>(command)) {
      KATA_TRY(agent_->resume_container(id, rpc_timeout));
      return none;
    }
    if (const auto* update = std::get_if<UpdateCommand>(&command)) {
      KATA_TRY(agent_->update_container(id, update->resources, rpc_timeout));
      return none;
    }
    if (std::holds_alternative<StatsCommand>(command)) {
      auto stats = KATA_TRY(agent_->stats_container(id, rpc_timeout));
      return json{{"stats", stats.to_json()}};
    }
    return make_error(ErrorKind::internal, "monitor: command not handled");
  }

  // A clone of the template (factory_template.hpp): QEMU starts paused, its
  // memory mapped from the template's file, restores the template's device
  // state, gets this sandbox's taps plugged in and runs on from where the
  // template's agent waited for its host's next frame. Returns the agent's
  // socket, connected before the state loads: the template was saved with
  // its host connected (factory.cpp), so the guest's port stays connected
  // throughout and no stale close or open reaches the clone's agent.
  template <typename Phase>
  Result<UniqueFd> start_clone(const hypervisor::qemu::QemuConfig& qemu,
                               const hypervisor::qemu::VirtiofsdConfig& virtiofsd, const std::string& template_dir,
                               Phase& phase) {
    if (qemu.net_devices.size() > template_nic_ports)
      return make_error(ErrorKind::unsupported, "a clone takes at most {} network interfaces, this sandbox has {}",
                        template_nic_ports, qemu.net_devices.size());
    vm_ = std::make_unique<hypervisor::qemu::QemuVm>(clone_qemu_config(qemu, template_dir, params_.dir + "/share"),
                                                     virtiofsd, 10s);
    KATA_TRY(vm_->start().wrap("start the clone"));
    phase("vm_spawned");
    auto agent_socket = KATA_TRY(agent_client::AgentClient::dial(qemu.agent_socket, 10s).wrap("start the clone"));
    KATA_TRY(vm_->restore_state(template_dir + "/" + template_state_name, 60s).wrap("start the clone"));
    phase("vm_restored");
    // The first NIC is the standby NIC, backed by its tap from the start;
    // the others hot-plug, each in its own port.
    for (unsigned n = 1; n < qemu.net_devices.size(); ++n)
      KATA_TRY(vm_->plug_nic(qemu.net_devices[n], n).wrap("start the clone"));
    KATA_TRY(vm_->resume().wrap("start the clone"));
    log_line("templating: cloned " + template_dir);
    return agent_socket;
  }

  // What makes a clone its own: fresh entropy from the host, its clock.
  // A host that cannot give entropy fails the create: a clone without it
  // would share the template's random state.
  static Result<agent_client::RestoreSandbox> restore_request(const std::string& share_tag) {
    std::string bytes(64, '\0');
    for (std::size_t got = 0; got < bytes.size();) {
      ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
      if (n < 0 && errno != EINTR) return sys_error(errno, "draw the clone's entropy (getrandom)");
      if (n > 0) got += static_cast<std::size_t>(n);
    }
    std::string hex;
    for (unsigned char byte : bytes) hex += fmt::format("{:02x}", byte);
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return agent_client::RestoreSandbox{hex, static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec,
                                        share_tag};
  }

  // Interfaces the engine added to the container's network namespace after
  // create (late network): each tap becomes a NIC in a free hot-plug port,
  // which the agent moves into the container's own namespace and configures.
  Result<json> plug_network(const PlugNetworkCommand& command, std::vector<UniqueFd> taps) {
    // One attempt per VM: after a failure half way, NICs may be in the guest
    // that no tap backs any more; start refuses rather than guess.
    if (late_plug_tried_)
      return make_error(ErrorKind::wrong_state,
                        "the network set up after create was carried into this VM already, or failed to be; delete "
                        "and create the container again");
    late_plug_tried_ = true;
    auto request = KATA_TRY(agent_client::ConfigureNetwork::from_json(command.network).wrap("plug_network"));
    if (request.interfaces.size() != taps.size())
      return make_error(ErrorKind::invalid_argument, "plug_network: {} interfaces but {} tap fds",
                        request.interfaces.size(), taps.size());
    auto& [next, end] = late_ports_;
    if (taps.size() > end - next)
      return make_error(ErrorKind::unsupported,
                        "the engine added {} network interface(s) after create; the VM has room for {}",
                        taps.size(), end - next);
    for (std::size_t n = 0; n < taps.size(); ++n) {
      hypervisor::qemu::NetDevice device{fmt::format("late{}", next), request.interfaces[n].mac, taps[n].get()};
      KATA_TRY(vm_->plug_nic(device, next).wrap("plug the network interface into the VM"));
      ++next;
    }
    request.container_id = params_.id;
    KATA_TRY(agent_->configure_network(request, rpc_timeout).wrap("configure the container's network in the VM"));
    return json::object();
  }

  // A pod member joins the VM: created through the agent at its start
  // barrier, its stdio relayed from the fds that came with the command.
  Result<json> create_member(const CreateMemberCommand& command, std::vector<UniqueFd> fds) {
    if (containers_.contains(command.id))
      return make_error(ErrorKind::already_exists, "container {} is already in the pod's VM", command.id);
    if (sandbox_container().status)
      return make_error(ErrorKind::wrong_state, "pod sandbox {} has exited", params_.id);
    // fds: listener, stand-in, then 1 (terminal), 2 (caller's terminal in/out) or 3 (stdio)
    std::size_t stdio_count = fds.size() < 2 ? 0 : fds.size() - 2;
    bool fits = command.terminal ? (stdio_count == 1 || stdio_count == 2) : stdio_count == 3;
    if (!fits)
      return make_error(ErrorKind::invalid_argument, "create_member: {} stdio fds do not fit terminal={}", stdio_count,
                        command.terminal);
    GuestContainer member;
    member.id = command.id;
    member.listener = std::move(fds[0]);
    member.stand_in = std::move(fds[1]);
    KATA_TRY(set_nonblocking(member.listener.get()).wrap("member control socket"));
    for (std::size_t i = 2; i < fds.size(); ++i) member.stdio.push_back(std::move(fds[i]));
    auto spec = command.spec;
    join_sandbox_namespaces(spec, sandbox_container().guest_pid, command.join);
    member.streams = KATA_TRY(agent_->allocate_stdio(true, command.terminal));
    member.guest_pid = KATA_TRY(agent_->create_container(command.id, spec, member.streams, command.terminal, rpc_timeout));
    const auto& io = member.stdio;
    agent_client::HostStdio host = !command.terminal ? agent_client::HostStdio{io[0].get(), io[1].get(), io[2].get()}
                                   : io.size() == 1  ? agent_client::HostStdio{io[0].get(), io[0].get(), -1}
                                                     : agent_client::HostStdio{io[0].get(), io[1].get(), -1};
    auto relay = agent_->attach_relay(command.id, "", member.streams, host);
    if (!relay) {
      (void)agent_->remove_container(command.id, rpc_timeout);
      return std::move(relay).error().wrap("relay the member's stdio");
    }
    member.init_relay = *relay;
    if (command.terminal) {
      int tty = io.size() == 1 || !::isatty(io[1].get()) ? io[0].get() : io[1].get();
      ttys_.push_back({command.id, "", tty, {}});
    }
    // Last, once nothing can fail: memory added is never taken back, and the
    // reply's hot_added_mib is what raises the sandbox's host limit.
    unsigned added_mib = grow_for_member(command.id, spec);
    auto pid = member.guest_pid;
    containers_.emplace(command.id, std::move(member));
    log_line("pod member " + command.id + " created");
    return json{{"pid", pid}, {"hot_added_mib", added_mib}};
  }

  // The VM grows by a member's memory limit, as a sandbox's VM is sized for
  // its container's: the limit rounded up to the guest's 128 MiB memory
  // block, hot-added as one pc-dimm. A VM that cannot grow (microvm, no
  // slot or room left) runs the member anyway, within the guest cgroup's
  // limit, and says so in the log. Returns the MiB added.
  unsigned grow_for_member(const std::string& id, const json& spec) {
    static const json::json_pointer limit_at("/linux/resources/memory/limit");
    // contains() is false, not a throw, where the path meets a non-object.
    const json* limit = spec.contains(limit_at) ? &spec.at(limit_at) : nullptr;
    if (limit == nullptr || !limit->is_number_integer() || limit->get<std::int64_t>() <= 0) return 0;
    constexpr std::uint64_t block_mib = 128;
    std::uint64_t mib = (limit->get<std::uint64_t>() + (1 << 20) - 1) >> 20;
    mib = (mib + block_mib - 1) / block_mib * block_mib;
    if (mib > std::numeric_limits<unsigned>::max()) mib = std::numeric_limits<unsigned>::max() / block_mib * block_mib;
    if (auto added = vm_->hot_add_memory(static_cast<unsigned>(mib)); !added) {
      log_line("pod member " + id + ": the VM keeps its size: " + added.error().message);
      return 0;
    }
    log_line(fmt::format("pod member {}: {} MiB hot-added to the VM", id, mib));
    return static_cast<unsigned>(mib);
  }

  // A member leaves the VM (its `kata delete`, which holds its lock: the
  // exit is not recorded here, the record goes anyway).
  Result<json> remove_member(const std::string& id) {
    if (id == params_.id)
      return make_error(ErrorKind::invalid_argument, "remove: {} is the pod's sandbox; it leaves with its VM", id);
    auto& member = containers_.at(id);
    // The member leaves the monitor's books whatever the agent says (one
    // already gone answers "not found"): its delete goes ahead either way.
    if (auto removed = agent_->remove_container(id, rpc_timeout); !removed)
      log_line("remove " + id + " from the VM: " + removed.error().message);
    if (!member.status) {
      agent_->detach_relay(member.init_relay);
      member.status = 128 + SIGKILL;
    }
    if (!member.finished) finish_container(member, true, false);
    for (auto it = execs_.begin(); it != execs_.end();) {
      if (it->second.container != id) {
        ++it;
        continue;
      }
      send_line(it->second.connection.get(), encode_event(ExitEvent{lost_status}));
      agent_->detach_relay(it->first);
      it = execs_.erase(it);
    }
    std::erase_if(ttys_, [&](const TtyWatch& watch) { return watch.container == id; });
    containers_.erase(id);
    log_line("pod member " + id + " removed");
    return json::object();
  }

  void start_exec(const std::string& id, const ExecCommand& command, UniqueFd connection, std::vector<UniqueFd> fds) {
    auto started = [&]() -> Result<json> {
      std::size_t expected = command.terminal ? 1 : 3;
      if (fds.size() != expected)
        return make_error(ErrorKind::invalid_argument, "exec: expected {} stdio fds, got {}", expected, fds.size());
      std::string exec_id = "exec-" + std::to_string(++exec_count_);
      auto streams = KATA_TRY(agent_->allocate_stdio(true, command.terminal));
      auto pid = KATA_TRY(agent_->exec_process(id, exec_id, command.process, streams, rpc_timeout));
      agent_client::HostStdio host = command.terminal
                                         ? agent_client::HostStdio{fds[0].get(), fds[0].get(), -1}
                                         : agent_client::HostStdio{fds[0].get(), fds[1].get(), fds[2].get()};
      auto relay = KATA_TRY(agent_->attach_relay(id, exec_id, streams, host));
      if (command.terminal) ttys_.push_back({id, exec_id, fds[0].get(), {}});
      execs_.emplace(relay, ExecSession{id, exec_id, UniqueFd(), std::move(fds)});
      started_relay_ = relay;
      return json{{"exec_id", exec_id}, {"pid", pid}};
    }();
    if (!started) {
      send_line(connection.get(), encode_reply(std::move(started).error()));
      return;
    }
    send_line(connection.get(), encode_reply_value(*started));
    execs_[started_relay_].connection = std::move(connection);
  }

  // An exec's host side (its stand-in, the pid an engine holds, or a
  // foreground `kata exec`) hung up before its exit was told: it was sent
  // SIGKILL, the one signal it cannot forward (containerd's shim does so at
  // an ExecSync timeout, kubelet's exec probes among them). The guest
  // process goes the same way, so that the pid lives exactly as long as the
  // process; its relay then ends and lets go of the engine's stdio.
  void end_orphaned_exec(RelayId relay) {
    auto it = execs_.find(relay);
    if (it == execs_.end() || !it->second.connection) return;
    char unexpected[256];  // a client sends nothing after its request: drop it
    ssize_t got = ::recv(it->second.connection.get(), unexpected, sizeof unexpected, MSG_DONTWAIT);
    if (got > 0 || (got < 0 && (errno == EAGAIN || errno == EINTR))) return;
    it->second.connection.reset();
    if (auto killed = agent_->signal_process(it->second.container, it->second.exec_id, SIGKILL, false, rpc_timeout);
        !killed)
      log_line("kill " + it->second.exec_id + " of " + it->second.container + " after its caller went: " +
               killed.error().message);
  }

  void finish_exec(const agent_client::AgentClient::FinishedRelay& finished) {
    auto it = execs_.find(finished.id);
    if (it == execs_.end()) return;
    send_line(it->second.connection.get(), encode_event(ExitEvent{finished.status}));
    std::erase_if(ttys_, [&](const TtyWatch& watch) {
      return watch.container == it->second.container && watch.exec_id == it->second.exec_id;
    });
    execs_.erase(it);
  }

  // OOM events go to the container's subscribers; exits are the relays' business.
  void deliver_events() {
    while (true) {
      auto event = agent_->next_event(0ms);
      if (!event || !*event) return;
      const auto* oom = std::get_if<agent_client::Oom>(&**event);
      if (!oom) continue;
      auto it = containers_.find(oom->container_id);
      if (it == containers_.end()) continue;
      std::erase_if(it->second.subscribers,
                    [](const UniqueFd& fd) { return !send_line(fd.get(), encode_event(OomEvent{})); });
    }
  }

  void sync_window_sizes() {
    for (auto& watch : ttys_) {
      auto size = window_size(watch.fd);
      if (!size || size->rows == 0 || size->cols == 0 || *size == watch.last) continue;
      watch.last = *size;
      if (auto resized = agent_->resize_tty(watch.container, watch.exec_id, size->rows, size->cols, rpc_timeout);
          !resized)
        log_line("resize terminal: " + resized.error().message);
    }
  }

  const MonitorParams& params_;
  std::vector<BootPhase> timings_;
  /// Hot-plug ports for a late network: the next free one, and the end.
  std::pair<unsigned, unsigned> late_ports_{0, 0};
  bool late_plug_tried_ = false;  ///< plug_network ran once (see there)
  std::unique_ptr<hypervisor::qemu::QemuVm> vm_;
  std::optional<agent_client::AgentClient> agent_;
  std::map<std::string, GuestContainer> containers_;  // the sandbox's own, then members
  RelayId started_relay_ = 0;
  unsigned exec_count_ = 0;
  std::map<RelayId, ExecSession> execs_;
  std::vector<TtyWatch> ttys_;
};

int monitor_main(const MonitorParams& params) {
  UniqueFd report(params.report_fd);
  UniqueFd in(dup_high(0));
  UniqueFd out(dup_high(1));
  UniqueFd err(dup_high(2));
  UniqueFd terminal(params.terminal_fd);
  auto send_report = [&](const Result<std::vector<BootPhase>>& outcome) {
    (void)write_all(report.get(), encode_monitor_report(outcome) + "\n");
    report.reset();
  };
  Monitor monitor(params);  // owns the stand-in's socket from here on
  if (auto redirected = redirect_standard_fds(params.dir); !redirected) {
    send_report(std::move(redirected).error().wrap("sandbox monitor"));
    return 1;
  }
  if (auto joined = join_host_cgroup(params.host_cgroup, ::getpid()); !joined) {
    send_report(std::move(joined).error().wrap("sandbox monitor"));
    return 1;
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
    send_report(sys_error(errno, "sandbox monitor: pipe"));
    return 1;
  }
  UniqueFd wake_read(wake[0]);
  UniqueFd wake_write(wake[1]);
  wake_write_fd = wake_write.get();
  ::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  ::sigemptyset(&action.sa_mask);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD})
    ::sigaction(signal, &action, nullptr);

  // With a terminal, the container's stdio is the terminal alone: the pty
  // whose master went to the console socket, or (foreground run) the
  // caller's terminal on stdin/stdout.
  agent_client::HostStdio init_fds{in.get(), out.get(), err.get()};
  int init_tty = -1;
  if (params.terminal) {
    if (terminal) {
      init_fds = {terminal.get(), terminal.get(), -1};
      init_tty = terminal.get();
      in.reset();
      out.reset();
      err.reset();
    } else {
      init_fds = {in.get(), out.get(), -1};
      init_tty = ::isatty(out.get()) ? out.get() : in.get();
    }
  }
  auto outcome = monitor.bring_up(init_fds.stdin_fd >= 0);
  if (!outcome) {
    // Stop the VM before reporting, so create's rollback finds nothing running.
    log_line(outcome.error().message);
    monitor.shut_down();
    send_report(outcome);
    return 1;
  }
  send_report(outcome);
  int status = monitor.supervise(init_fds, init_tty, wake_read.get());
  in.reset();
  out.reset();
  err.reset();
  terminal.reset();
  monitor.record_exits(status);
  // Engines take a stand-in's exit for its container's and may delete at
  // once, killing what is left: so they wait only until the guest has
  // flushed what the containers wrote, not for QEMU's exit, which takes
  // seconds under TCG and would outlast `podman stop`'s wait after SIGKILL.
  monitor.end_guest();
  monitor.release_stand_ins();
  monitor.stop_vm();
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
