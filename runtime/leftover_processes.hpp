#pragma once
// Finding and killing what a container left behind on the host: its monitor
// (by pid and start time) and any QEMU or virtiofsd whose command line names
// the container dir (they die with the monitor through their parent-death
// signal; this catches the rest).

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace kata::runtime {

/// True when `pid` no longer names the process that started at
/// `start_time` (nullopt: any): gone, reused, or a zombie.
bool process_gone(pid_t pid, std::optional<unsigned long long> start_time);

/// Pids (other than this process) whose /proc/<pid>/cmdline has an argument
/// containing `dir` + "/".
std::vector<pid_t> processes_naming(const std::string& dir);

/// SIGKILLs `pid` if it is still the process that started at `start_time`,
/// then waits up to `timeout` until it is gone; timeout error otherwise.
Result<void> kill_and_wait(pid_t pid, std::optional<unsigned long long> start_time,
                           std::chrono::milliseconds timeout);

/// SIGKILLs every process naming `dir` and waits up to `timeout` for them.
Result<void> kill_processes_naming(const std::string& dir, std::chrono::milliseconds timeout);

}  // namespace kata::runtime
