#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::hypervisor::qemu {

/// A client of QEMU's machine protocol (QMP) on a unix socket. Every read is
/// bounded in size and time: a wedged or misbehaving QEMU costs an error,
/// never a hang or unbounded memory.
class QmpClient {
 public:
  /// Longest QMP message accepted, in bytes.
  static constexpr std::size_t max_message_bytes = 1 << 20;

  /// Connects to `socket_path` (retrying while QEMU has not created it yet,
  /// until `timeout`), reads the greeting and negotiates capabilities.
  static Result<QmpClient> connect(const std::string& socket_path, std::chrono::milliseconds timeout);
  /// Same on an already connected socket (tests use a socketpair).
  static Result<QmpClient> attach(UniqueFd socket, std::chrono::milliseconds timeout);

  /// Runs `command` with `arguments` (null: none) and returns its "return"
  /// value. A QMP error reply becomes an error with QEMU's class and text.
  /// Asynchronous events that arrive meanwhile are skipped.
  Result<nlohmann::json> execute(std::string_view command, const nlohmann::json& arguments = nullptr);

  /// The VM's run state as QEMU names it ("running", "paused", ...).
  Result<std::string> query_status();
  /// Pauses all vCPUs.
  Result<void> stop();
  /// Resumes all vCPUs.
  Result<void> cont();
  /// Asks QEMU to exit at once (the guest is not shut down cleanly).
  Result<void> quit();

 private:
  QmpClient(UniqueFd socket, std::chrono::milliseconds timeout) : socket_(std::move(socket)), timeout_(timeout) {}
  Result<nlohmann::json> read_message();

  UniqueFd socket_;
  std::chrono::milliseconds timeout_;
  std::string pending_;  // bytes received after the last complete line
};

}  // namespace kata::hypervisor::qemu
