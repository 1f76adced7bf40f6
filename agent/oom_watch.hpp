#pragma once
// Noticing the OOM killer in a container's cgroup. cgroup v2 counts kills in
// memory.events ("oom_kill N") and notifies the file's pollers when a counter
// changes: poll(2) reports POLLPRI|POLLERR (kernfs), once per change, and a
// read re-arms it. A watch keeps the file open, remembers the last count and
// says how many kills are new each time it is checked. Checking is cheap and
// idempotent, so the server also checks on its own (before reporting a
// SIGKILLed process) without waiting for the notification.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

/// The oom_kill counter of a memory.events text; 0 when the key is missing
/// (kernels before 4.13 had only "oom"). Malformed numbers are errors.
Result<std::uint64_t> parse_oom_kill_count(std::string_view memory_events);

/// An open memory.events of one cgroup and the oom_kill count seen so far.
class OomWatch {
 public:
  /// Opens `<cgroup_dir>/memory.events` and takes its current count as the
  /// baseline (kills before the watch began are not reported).
  static Result<OomWatch> open(const std::string& cgroup_dir);

  /// The fd to poll for POLLPRI (never POLLIN: cgroup files are always
  /// readable, so POLLIN would spin).
  [[nodiscard]] int fd() const { return fd_.get(); }
  /// Re-reads the counter; the number of kills since the previous check.
  Result<std::uint64_t> check();

 private:
  OomWatch(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Result<std::uint64_t> read_count() const;

  UniqueFd fd_;
  std::string path_;
  std::uint64_t seen_ = 0;
};

}  // namespace kata::agent
