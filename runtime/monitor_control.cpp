#include "runtime/monitor_control.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>

#include "common/fs.hpp"
#include "common/unix_socket.hpp"
#include "common/fd_passing.hpp"

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
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, StartCommand>) return json{{"op", "start"}}.dump();
        if constexpr (std::is_same_v<T, KillCommand>) {
          json line{{"op", "kill"}, {"signal", c.signal}, {"all", c.all}};
          if (!c.exec_id.empty()) line["exec_id"] = c.exec_id;
          return line.dump();
        }
        if constexpr (std::is_same_v<T, ExecCommand>)
          return json{{"op", "exec"}, {"process", c.process}, {"terminal", c.terminal}}.dump();
        if constexpr (std::is_same_v<T, PsCommand>) return json{{"op", "ps"}}.dump();
        if constexpr (std::is_same_v<T, PauseCommand>) return json{{"op", "pause"}}.dump();
        if constexpr (std::is_same_v<T, ResumeCommand>) return json{{"op", "resume"}}.dump();
        if constexpr (std::is_same_v<T, UpdateCommand>)
          return json{{"op", "update"}, {"resources", c.resources}}.dump();
        if constexpr (std::is_same_v<T, StatsCommand>) return json{{"op", "stats"}}.dump();
        if constexpr (std::is_same_v<T, SubscribeCommand>) return json{{"op", "subscribe"}}.dump();
        if constexpr (std::is_same_v<T, CreateMemberCommand>)
          return json{{"op", "create_member"}, {"id", c.id}, {"spec", c.spec}, {"terminal", c.terminal},
                      {"join", c.join}}
              .dump();
        if constexpr (std::is_same_v<T, RemoveCommand>) return json{{"op", "remove"}}.dump();
        if constexpr (std::is_same_v<T, PlugNetworkCommand>)
          return json{{"op", "plug_network"}, {"network", c.network}}.dump();
      },
      command);
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
    if (document.contains("exec_id")) {
      if (!document["exec_id"].is_string())
        return make_error(ErrorKind::invalid_argument, "monitor command kill: exec_id: expected a string");
      kill.exec_id = document["exec_id"].get<std::string>();
    }
    return MonitorCommand{kill};
  }
  if (op == "ps") return MonitorCommand{PsCommand{}};
  if (op == "pause") return MonitorCommand{PauseCommand{}};
  if (op == "resume") return MonitorCommand{ResumeCommand{}};
  if (op == "update") {
    if (!document.contains("resources") || !document["resources"].is_object())
      return make_error(ErrorKind::invalid_argument, "monitor command update: resources: expected a JSON object");
    return MonitorCommand{UpdateCommand{document["resources"]}};
  }
  if (op == "stats") return MonitorCommand{StatsCommand{}};
  if (op == "subscribe") return MonitorCommand{SubscribeCommand{}};
  if (op == "exec") {
    ExecCommand exec;
    if (!document.contains("process") || !document["process"].is_object())
      return make_error(ErrorKind::invalid_argument, "monitor command exec: process: expected a JSON object");
    exec.process = document["process"];
    if (document.contains("terminal")) {
      if (!document["terminal"].is_boolean())
        return make_error(ErrorKind::invalid_argument, "monitor command exec: terminal: expected a boolean");
      exec.terminal = document["terminal"].get<bool>();
    }
    return MonitorCommand{exec};
  }
  if (op == "remove") return MonitorCommand{RemoveCommand{}};
  if (op == "plug_network") {
    if (!document.contains("network") || !document["network"].is_object())
      return make_error(ErrorKind::invalid_argument, "monitor command plug_network: network: expected a JSON object");
    return MonitorCommand{PlugNetworkCommand{document["network"]}};
  }
  if (op == "create_member") {
    CreateMemberCommand member;
    if (!document.contains("id") || !document["id"].is_string())
      return make_error(ErrorKind::invalid_argument, "monitor command create_member: id: expected a string");
    member.id = document["id"].get<std::string>();
    if (!document.contains("spec") || !document["spec"].is_object())
      return make_error(ErrorKind::invalid_argument, "monitor command create_member: spec: expected a JSON object");
    member.spec = document["spec"];
    if (document.contains("terminal")) {
      if (!document["terminal"].is_boolean())
        return make_error(ErrorKind::invalid_argument, "monitor command create_member: terminal: expected a boolean");
      member.terminal = document["terminal"].get<bool>();
    }
    if (document.contains("join")) {
      if (!document["join"].is_array())
        return make_error(ErrorKind::invalid_argument, "monitor command create_member: join: expected an array");
      for (const auto& type : document["join"]) {
        if (!type.is_string() || (type != "ipc" && type != "uts" && type != "pid"))
          return make_error(ErrorKind::invalid_argument,
                            "monitor command create_member: join: expected \"ipc\", \"uts\" or \"pid\", got {}",
                            type.dump());
        member.join.push_back(type.get<std::string>());
      }
    }
    return MonitorCommand{member};
  }
  return make_error(ErrorKind::invalid_argument, "monitor command: unknown op \"{}\"", op);
}

std::string encode_reply(const Result<void>& result) {
  if (result) return json{{"ok", true}}.dump();
  return json{{"ok", false}, {"kind", to_string(result.error().kind)}, {"error", result.error().message}}.dump();
}

std::string encode_reply_value(const json& fields) {
  json document{{"ok", true}};
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items())
      if (key != "ok") document[key] = value;
  }
  return document.dump();
}

Result<json> decode_reply_value(std::string_view line) {
  json document = json::parse(line, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("ok") || !document["ok"].is_boolean())
    return make_error(ErrorKind::protocol, "monitor reply: not a reply: {}", line.substr(0, 200));
  if (document["ok"].get<bool>()) return document;
  std::string message = document.contains("error") && document["error"].is_string()
                            ? document["error"].get<std::string>()
                            : std::string("monitor reported an error");
  ErrorKind kind = ErrorKind::system;
  if (document.contains("kind") && document["kind"].is_string())
    kind = kind_from_name(document["kind"].get<std::string>()).value_or(ErrorKind::system);
  return Error{kind, 0, message};
}

Result<void> decode_reply(std::string_view line) {
  KATA_TRY(decode_reply_value(line));
  return ok();
}

Result<std::vector<std::int64_t>> pids_from_reply(const json& reply) {
  if (!reply.is_object() || !reply.contains("pids") || !reply["pids"].is_array())
    return make_error(ErrorKind::protocol, "monitor reply: pids: expected an array");
  std::vector<std::int64_t> pids;
  for (const auto& pid : reply["pids"]) {
    if (!pid.is_number_integer() || pid.get<std::int64_t>() <= 0)
      return make_error(ErrorKind::protocol, "monitor reply: pids: expected positive integers, got {}", pid.dump());
    pids.push_back(pid.get<std::int64_t>());
  }
  return pids;
}

Result<agent_client::ContainerStats> stats_from_reply(const json& reply) {
  if (!reply.is_object() || !reply.contains("stats") || !reply["stats"].is_object())
    return make_error(ErrorKind::protocol, "monitor reply: stats: expected an object");
  auto stats = agent_client::ContainerStats::from_json(reply["stats"]);
  if (!stats) return make_error(ErrorKind::protocol, "monitor reply: stats: {}", stats.error().message);
  return std::move(stats).value();
}

std::string encode_event(const MonitorEvent& event) {
  if (const auto* exit = std::get_if<ExitEvent>(&event)) return json{{"type", "exit"}, {"status", exit->status}}.dump();
  return json{{"type", "oom"}}.dump();
}

Result<MonitorEvent> decode_event(std::string_view line) {
  json document = json::parse(line, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("type") ||
      !document["type"].is_string())
    return make_error(ErrorKind::protocol, "monitor event: not an event: {}", line.substr(0, 200));
  auto type = document["type"].get<std::string>();
  if (type == "oom") return MonitorEvent{OomEvent{}};
  if (type == "exit") {
    if (!document.contains("status") || !document["status"].is_number_integer())
      return make_error(ErrorKind::protocol, "monitor event exit: status: expected an integer");
    auto status = document["status"].get<long long>();
    if (status < 0 || status > 255)
      return make_error(ErrorKind::protocol, "monitor event exit: status {} out of range 0..255", status);
    return MonitorEvent{ExitEvent{static_cast<int>(status)}};
  }
  return make_error(ErrorKind::protocol, "monitor event: unknown type \"{}\"", type);
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

Result<std::string> LineReader::next(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (auto newline = buffer_.find('\n'); newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (buffer_.size() > max_line) return make_error(ErrorKind::protocol, "line longer than {} bytes", max_line);
    // Polls at least once, even with no time left: a zero timeout asks
    // "is a line ready now?".
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd pfd{fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(std::max<long long>(left, 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return sys_error(errno, "poll");
    if (ready == 0) {
      if (Clock::now() >= deadline)
        return make_error(ErrorKind::timeout, "no complete line within {} ms", timeout.count());
      continue;
    }
    char chunk[4096];
    ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) return sys_error(errno, "read");
    if (got == 0) return make_error(ErrorKind::protocol, "connection closed");
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
}

namespace {
// Connects and sends the command line; the caller reads the reply.
Result<UniqueFd> send_command_line(const std::string& socket_path, const MonitorCommand& command) {
  auto fd = KATA_TRY(connect_unix_socket(socket_path).wrap("connect to the sandbox monitor"));
  // send with MSG_NOSIGNAL: a monitor that just died must cost an error, not SIGPIPE.
  std::string line_out = encode_command(command) + "\n";
  for (std::size_t sent = 0; sent < line_out.size();) {
    ssize_t n = ::send(fd.get(), line_out.data() + sent, line_out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(errno, "send to the sandbox monitor");
    sent += static_cast<std::size_t>(n);
  }
  return fd;
}
}  // namespace

Result<json> send_monitor_request(const std::string& socket_path, const MonitorCommand& command,
                                  std::chrono::milliseconds timeout) {
  auto fd = KATA_TRY(send_command_line(socket_path, command));
  auto line = KATA_TRY(read_line(fd.get(), timeout).wrap("sandbox monitor reply"));
  return decode_reply_value(line);
}

Result<json> send_monitor_request(const std::string& socket_path, const MonitorCommand& command,
                                  std::span<const int> fds, std::chrono::milliseconds timeout) {
  auto fd = KATA_TRY(connect_unix_socket(socket_path).wrap("connect to the sandbox monitor"));
  KATA_TRY(send_with_fds(fd.get(), encode_command(command) + "\n", fds).wrap("send to the sandbox monitor"));
  auto line = KATA_TRY(read_line(fd.get(), timeout).wrap("sandbox monitor reply"));
  return decode_reply_value(line);
}

Result<void> send_monitor_command(const std::string& socket_path, const MonitorCommand& command,
                                  std::chrono::milliseconds timeout) {
  KATA_TRY(send_monitor_request(socket_path, command, timeout));
  return ok();
}

Result<MonitorSubscription> MonitorSubscription::open(const std::string& socket_path,
                                                      std::chrono::milliseconds timeout) {
  MonitorSubscription subscription(KATA_TRY(send_command_line(socket_path, SubscribeCommand{})));
  auto line = KATA_TRY(subscription.reader_.next(timeout).wrap("sandbox monitor reply"));
  KATA_TRY(decode_reply_value(line));
  return subscription;
}

Result<std::pair<MonitorSubscription, json>> MonitorSubscription::open_exec(const std::string& socket_path,
                                                                           const ExecCommand& command,
                                                                           std::span<const int> fds,
                                                                           std::chrono::milliseconds timeout) {
  auto fd = KATA_TRY(connect_unix_socket(socket_path).wrap("connect to the sandbox monitor"));
  KATA_TRY(send_with_fds(fd.get(), encode_command(command) + "\n", fds).wrap("send to the sandbox monitor"));
  MonitorSubscription session(std::move(fd));
  auto line = KATA_TRY(session.reader_.next(timeout).wrap("sandbox monitor reply"));
  auto reply = KATA_TRY(decode_reply_value(line));
  return std::pair<MonitorSubscription, json>(std::move(session), std::move(reply));
}

Result<MonitorEvent> MonitorSubscription::next(std::chrono::milliseconds timeout) {
  auto line = KATA_TRY(reader_.next(timeout).wrap("sandbox monitor events"));
  return decode_event(line);
}

}  // namespace kata::runtime
