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

  /// execute() with `fd` passed along with the command (SCM_RIGHTS); -1: none.
  Result<nlohmann::json> execute_with_fd(std::string_view command, const nlohmann::json& arguments, int fd);
  /// Hands `fd` to QEMU under `name` (getfd), for a later command naming it
  /// (netdev_add tap,fd=NAME). The caller keeps its copy.
  Result<void> pass_fd(const std::string& name, int fd);
  /// Migrates the (paused) VM's device state to `uri` ("exec:cat > FILE"),
  /// leaving out memory the VM shares with a file (x-ignore-shared: a
  /// template's memory file already holds it), and waits until done.
  Result<void> migrate_to(const std::string& uri, std::chrono::milliseconds timeout);
  /// Restores a VM started with `-incoming defer` from `uri`, memory it
  /// maps from a file left out as it was saved; returns once the VM is
  /// restored (paused: cont() runs it).
  Result<void> migrate_from(const std::string& uri, std::chrono::milliseconds timeout);

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
  Result<void> wait_for_migration(std::chrono::milliseconds timeout);

  UniqueFd socket_;
  std::chrono::milliseconds timeout_;
  std::string pending_;  // bytes received after the last complete line
};

}  // namespace kata::hypervisor::qemu
