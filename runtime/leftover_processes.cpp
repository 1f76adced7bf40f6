#include "runtime/leftover_processes.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "common/fs.hpp"
#include "runtime/proc_stat.hpp"

namespace kata::runtime {

using Clock = std::chrono::steady_clock;

bool process_gone(pid_t pid, std::optional<unsigned long long> start_time) {
  if (pid <= 0) return true;
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat) return true;
  auto started = parse_stat_start_time(*stat);
  if (!started) return true;
  if (start_time && *start_time != *started) return true;
  // Field 3 (state) follows the comm's closing parenthesis; a zombie is dead
  // but waits for a parent that may be this very process (run, create).
  auto paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

std::vector<pid_t> processes_naming(const std::string& dir) {
  std::vector<pid_t> pids;
  std::string needle = dir + "/";
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (auto* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == ::getpid()) continue;
    auto cmdline = read_file("/proc/" + std::string(entry->d_name) + "/cmdline", 1U << 20);
    if (!cmdline) continue;
    if (cmdline->find(needle) != std::string::npos) pids.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return pids;
}

Result<void> kill_and_wait(pid_t pid, std::optional<unsigned long long> start_time,
                           std::chrono::milliseconds timeout) {
  if (process_gone(pid, start_time)) return ok();
  if (::kill(pid, SIGKILL) < 0 && errno != ESRCH) return sys_error(errno, "kill {}", pid);
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (process_gone(pid, start_time)) return ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return make_error(ErrorKind::timeout, "process {} still alive {} ms after SIGKILL", pid, timeout.count());
}

Result<void> kill_processes_naming(const std::string& dir, std::chrono::milliseconds timeout) {
  for (pid_t pid : processes_naming(dir)) {
    auto start = process_start_time(pid);
    if (!start) continue;
    KATA_TRY(kill_and_wait(pid, start, timeout));
  }
  return ok();
}

}  // namespace kata::runtime
