#include "runtime/monitor_control.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "common/unix_socket.hpp"

namespace kata::runtime {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t max_line = 64 * 1024;

std::optional<ErrorKind> kind_from_name(std::string_view name) {
  for (auto kind : {ErrorKind::invalid_argument, ErrorKind::not_found, ErrorKind::already_exists,
                    ErrorKind::wrong_state, ErrorKind::system, ErrorKind::protocol, ErrorKind::timeout,
                    ErrorKind::unsupported, ErrorKind::internal}) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}
}  // namespace

std::string encode_command(const MonitorCommand& command) {
  if (const auto* kill = std::get_if<KillCommand>(&command))
    return json{{"op", "kill"}, {"signal", kill->signal}, {"all", kill->all}}.dump();
  return json{{"op", "start"}}.dump();
}

Result<MonitorCommand> decode_command(std::string_view line) {
  json document = json::parse(line, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("op") || !document["op"].is_string())
    return make_error(ErrorKind::invalid_argument, "monitor command: expected a JSON object with an \"op\" string");
  auto op = document["op"].get<std::string>();
  if (op == "start") return MonitorCommand{StartCommand{}};
  if (op == "kill") {
    KillCommand kill;
    if (!document.contains("signal") || !document["signal"].is_number_integer())
      return make_error(ErrorKind::invalid_argument, "monitor command kill: signal: expected an integer");
    auto signal = document["signal"].get<long long>();
    if (signal < 1 || signal > 64)
      return make_error(ErrorKind::invalid_argument, "monitor command kill: signal {} out of range 1..64", signal);
    kill.signal = static_cast<int>(signal);
    if (document.contains("all")) {
      if (!document["all"].is_boolean())
        return make_error(ErrorKind::invalid_argument, "monitor command kill: all: expected a boolean");
      kill.all = document["all"].get<bool>();
    }
    return MonitorCommand{kill};
  }
  return make_error(ErrorKind::invalid_argument, "monitor command: unknown op \"{}\"", op);
}

std::string encode_reply(const Result<void>& result) {
  if (result) return json{{"ok", true}}.dump();
  return json{{"ok", false}, {"kind", to_string(result.error().kind)}, {"error", result.error().message}}.dump();
}

Result<void> decode_reply(std::string_view line) {
  json document = json::parse(line, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("ok") || !document["ok"].is_boolean())
    return make_error(ErrorKind::protocol, "monitor reply: not a reply: {}", line.substr(0, 200));
  if (document["ok"].get<bool>()) return ok();
  std::string message = document.contains("error") && document["error"].is_string()
                            ? document["error"].get<std::string>()
                            : std::string("monitor reported an error");
  ErrorKind kind = ErrorKind::system;
  if (document.contains("kind") && document["kind"].is_string())
    kind = kind_from_name(document["kind"].get<std::string>()).value_or(ErrorKind::system);
  return Error{kind, 0, message};
}

Result<std::string> read_line(int fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string line;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return make_error(ErrorKind::timeout, "no complete line within {} ms", timeout.count());
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return sys_error(errno, "poll");
    if (ready == 0) continue;
    char buffer[4096];
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) return sys_error(errno, "read");
    if (got == 0) return make_error(ErrorKind::protocol, "connection closed before a complete line");
    line.append(buffer, static_cast<std::size_t>(got));
    if (auto newline = line.find('\n'); newline != std::string::npos) return line.substr(0, newline);
    if (line.size() > max_line) return make_error(ErrorKind::protocol, "line longer than {} bytes", max_line);
  }
}

Result<void> send_monitor_command(const std::string& socket_path, const MonitorCommand& command,
                                  std::chrono::milliseconds timeout) {
  auto fd = KATA_TRY(connect_unix_socket(socket_path).wrap("connect to the sandbox monitor"));
  // send with MSG_NOSIGNAL: a monitor that just died must cost an error, not SIGPIPE.
  std::string line_out = encode_command(command) + "\n";
  for (std::size_t sent = 0; sent < line_out.size();) {
    ssize_t n = ::send(fd.get(), line_out.data() + sent, line_out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(errno, "send to the sandbox monitor");
    sent += static_cast<std::size_t>(n);
  }
  auto line = KATA_TRY(read_line(fd.get(), timeout).wrap("sandbox monitor reply"));
  return decode_reply(line);
}

}  // namespace kata::runtime
