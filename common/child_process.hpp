#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace kata {

/// How to start a child with ChildProcess::spawn.
struct SpawnOptions {
  /// argv[0] is the program's path; it is executed directly (no shell, no PATH search).
  std::vector<std::string> argv;
  /// Environment of the child; nullopt inherits the caller's.
  std::optional<std::vector<std::string>> env;
  /// Descriptors to install in the child: {fd in the parent, fd number in the
  /// child}. The parent keeps ownership of its fds. Fds 0-2 not listed here
  /// are inherited; every other fd of kata is close-on-exec and stays behind.
  std::vector<std::pair<int, int>> fds;
  /// Directory to run in; empty keeps the caller's.
  std::string cwd;
  /// Start a new session (setsid), detaching from the caller's terminal.
  bool new_session = false;
  /// Signal the child gets when its parent thread dies (0: none).
  int parent_death_signal = 0;
};

/// Owner of a child process. Unless released, destroying it SIGKILLs and
/// reaps the child, so an error path can never leave an orphan behind.
class ChildProcess {
 public:
  ChildProcess() = default;
  /// Takes ownership of an existing child `pid`.
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  /// Forks and execs `options.argv`. Fails (with the child's errno) if the
  /// program could not be executed, so "not found" is reported here, not later.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  /// The child's pid, or -1 once reaped or released.
  pid_t pid() const { return pid_; }
  /// Sends `signal` to the child.
  Result<void> signal(int signal) const;
  /// Blocks until the child exits; returns its raw wait status.
  Result<int> wait();
  /// Returns the raw wait status if the child has exited, nullopt if it still runs.
  Result<std::optional<int>> try_wait();
  /// Gives up ownership: the child is no longer killed or reaped by this object.
  pid_t release() { return std::exchange(pid_, -1); }

 private:
  pid_t pid_ = -1;
};

/// Exit code as a shell reports it: the exit status, or 128+signal if the
/// process was killed by a signal.
int exit_code_from_wait_status(int wait_status);

}  // namespace kata
