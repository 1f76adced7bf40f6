#pragma once
// The sandbox monitor's control protocol on <container dir>/monitor.sock:
// one connection per command, one JSON line each way.
//   {"op":"start"}                          -> {"ok":true}
//   {"op":"kill","signal":N,"all":bool}     -> {"ok":true}
//   anything failing                        -> {"ok":false,"error":"..."}

#include <chrono>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace kata::runtime {

/// Release the container's start barrier.
struct StartCommand {
  bool operator==(const StartCommand&) const = default;
};
/// Signal the container's init (or every process with `all`).
struct KillCommand {
  int signal = 15;
  bool all = false;
  bool operator==(const KillCommand&) const = default;
};
/// One command to the monitor.
using MonitorCommand = std::variant<StartCommand, KillCommand>;

/// Name of the control socket inside the container dir.
inline constexpr const char* monitor_socket_name = "monitor.sock";

/// The command's JSON line (without the newline).
std::string encode_command(const MonitorCommand& command);
/// Parses a command line; invalid_argument for anything else (the monitor
/// answers it with ok:false). Signals must be 1..64.
Result<MonitorCommand> decode_command(std::string_view line);

/// The reply line for `result`.
std::string encode_reply(const Result<void>& result);
/// Parses a reply line: ok, or the monitor's error (kind system unless it said otherwise).
Result<void> decode_reply(std::string_view line);

/// Connects to the monitor at `socket_path`, sends `command` and waits up to
/// `timeout` for its reply.
Result<void> send_monitor_command(const std::string& socket_path, const MonitorCommand& command,
                                  std::chrono::milliseconds timeout);

/// Reads one line (without '\n') from `fd` within `timeout`; at most 64 KiB.
Result<std::string> read_line(int fd, std::chrono::milliseconds timeout);

}  // namespace kata::runtime
