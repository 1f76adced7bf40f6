#include "runtime/exec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "common/fs.hpp"
#include "runtime/container_id.hpp"
#include "runtime/container_state.hpp"
#include "runtime/exec_process.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/pid_file.hpp"
#include "runtime/terminal.hpp"

namespace kata::runtime {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr auto start_timeout = 60s;
// How often the wait looks at forwarded signals.
constexpr auto signal_poll = 200ms;

volatile sig_atomic_t pending_signal = 0;
void remember_signal(int signal) { pending_signal = signal; }

// The signals a terminal or an engine sends to the exec'd process's host
// stand-in go to the process in the guest.
void forward_signals() {
  struct sigaction action {};
  action.sa_handler = remember_signal;
  ::sigemptyset(&action.sa_mask);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) ::sigaction(signal, &action, nullptr);
}

Result<int> wait_for_exit(MonitorSubscription& session, const std::string& socket, const std::string& exec_id) {
  while (true) {
    if (int signal = pending_signal; signal != 0) {
      pending_signal = 0;
      (void)send_monitor_command(socket, KillCommand{signal, false, exec_id}, 10s);
    }
    auto event = session.next(signal_poll);
    if (event) {
      if (const auto* exit = std::get_if<ExitEvent>(&*event)) return exit->status;
      continue;
    }
    if (event.error().kind != ErrorKind::timeout) return std::move(event).error().wrap("wait for the process");
  }
}

Result<std::optional<WindowSize>> console_size(const json& process) {
  if (!process.contains("consoleSize")) return std::optional<WindowSize>();
  const auto& size = process["consoleSize"];
  if (!size.is_object() || !size.value("height", json()).is_number_unsigned() ||
      !size.value("width", json()).is_number_unsigned())
    return make_error(ErrorKind::invalid_argument, "process consoleSize: expected height and width");
  return std::optional<WindowSize>(WindowSize{size["height"].get<unsigned>(), size["width"].get<unsigned>()});
}

std::string exec_id_of(const json& reply) {
  return reply.contains("exec_id") && reply["exec_id"].is_string() ? reply["exec_id"].get<std::string>() : "";
}

}  // namespace

Result<json> container_process(const StateStore& store, std::string_view id) {
  KATA_TRY(validate_container_id(id));
  KATA_TRY(store.load(id));  // "container does not exist" first
  auto path = store.container_dir(id) + "/" + container_process_name;
  auto text = KATA_TRY(read_file(path, 1 << 20).wrap("container process"));
  json process = json::parse(text, nullptr, false);
  if (!process.is_object()) return make_error(ErrorKind::protocol, "{}: not a JSON object", path);
  return process;
}

Result<int> exec_in_container(StateStore& store, const ExecParams& params) {
  KATA_TRY(validate_container_id(params.id));
  auto record = refresh_status(KATA_TRY(store.load(params.id)));
  if (record.status == oci::Status::stopped)
    return make_error(ErrorKind::wrong_state, "cannot exec in a stopped container");
  if (record.status == oci::Status::paused && !params.ignore_paused)
    return make_error(ErrorKind::wrong_state, "cannot exec in a paused container (use --ignore-paused to override)");
  const json& process = params.process;
  bool terminal = process.contains("terminal") && process["terminal"].is_boolean() && process["terminal"].get<bool>();
  if (terminal && params.detach && params.console_socket.empty())
    return make_error(ErrorKind::invalid_argument,
                      "cannot allocate tty if kata will detach without setting console socket");
  if (!terminal && !params.console_socket.empty())
    return make_error(ErrorKind::invalid_argument, "cannot use console socket if kata will not detach or allocate tty");
  std::string socket = record.monitor_socket.value_or(store.container_dir(params.id) + "/" + monitor_socket_name);

  // The stdio handed to the monitor: a pty whose master goes to the console
  // socket, the caller's own terminal, or the caller's stdin/stdout/stderr.
  std::optional<HostPty> pty;
  std::vector<int> fds{0, 1, 2};
  std::optional<RawMode> raw;
  if (terminal && !params.console_socket.empty()) {
    auto size = KATA_TRY(console_size(process));
    pty = KATA_TRY(open_host_pty(size).wrap("exec terminal"));
    KATA_TRY(send_console_master(params.console_socket, pty->master.get()));
    pty->master.reset();
    fds = {pty->slave.get()};
  } else if (terminal) {
    int tty = ::isatty(0) ? 0 : (::isatty(1) ? 1 : -1);
    if (tty < 0)
      return make_error(ErrorKind::invalid_argument, "exec --tty: neither stdin nor stdout is a terminal; "
                                                     "give --console-socket");
    fds = {tty};
    raw.emplace(tty);
  }
  ExecCommand command{process, terminal};

  if (!params.detach) {
    forward_signals();
    auto [session, reply] = KATA_TRY(MonitorSubscription::open_exec(socket, command, fds, start_timeout));
    pty.reset();  // the monitor holds the terminal now
    return wait_for_exit(session, socket, exec_id_of(reply));
  }

  // Detached: a forked stand-in keeps the exec's session with the monitor,
  // so that its pid (the pid file) lives exactly as long as the process.
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd report_read(report_pipe[0]);
  UniqueFd report_write(report_pipe[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error(errno, "fork");
  if (pid == 0) {
    report_read.reset();
    auto opened = MonitorSubscription::open_exec(socket, command, fds, start_timeout);
    if (!opened) {
      (void)write_all(report_write.get(), encode_reply(std::move(opened).error()) + "\n");
      ::_exit(255);
    }
    pty.reset();
    // The monitor holds the process's stdio now: let go of the engine's
    // pipes so that their EOF follows the process, not this stand-in.
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= 2 && null_fd >= 0; ++fd) ::dup2(null_fd, fd);
    forward_signals();
    (void)write_all(report_write.get(), encode_reply(ok()) + "\n");
    report_write.reset();
    auto status = wait_for_exit(opened->first, socket, exec_id_of(opened->second));
    ::_exit(status ? (*status & 0xff) : 255);
  }
  report_write.reset();
  auto line = read_line(report_read.get(), start_timeout + 10s);
  auto started = line ? decode_reply(*line) : Result<void>(std::move(line).error().wrap("exec"));
  if (!started) {
    int wait_status;
    while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    return std::move(started).error();
  }
  if (!params.pid_file.empty()) KATA_TRY(write_pid_file(params.pid_file, pid));
  return 0;
}

}  // namespace kata::runtime
