// Finding and killing what a container left behind: liveness by pid and
// start time (zombies count as gone), and processes naming a directory.
#include "runtime/leftover_processes.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "runtime/proc_stat.hpp"

using namespace kata;
using namespace kata::runtime;
using namespace std::chrono_literals;

namespace {

/// Forks a child running `sleep 30` with argv[0] = `arg0` (so its command
/// line carries arg0, and no grandchild outlives it); returns its pid.
pid_t spawn_sleeper(const std::string& arg0) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl("/bin/sleep", arg0.c_str(), "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

}  // namespace

TEST_CASE("process_gone: live, reused start time, zombie, missing") {
  pid_t pid = spawn_sleeper("x");
  std::this_thread::sleep_for(50ms);
  auto start = process_start_time(pid);
  REQUIRE(start.has_value());
  CHECK_FALSE(process_gone(pid, start));
  CHECK_FALSE(process_gone(pid, std::nullopt));
  CHECK(process_gone(pid, *start + 1));  // same pid, another process
  REQUIRE(::kill(pid, SIGKILL) == 0);
  // Not reaped yet: a zombie, which is gone for our purposes.
  for (int i = 0; i < 100 && !process_gone(pid, start); ++i) std::this_thread::sleep_for(10ms);
  CHECK(process_gone(pid, start));
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(process_gone(pid, start));
  CHECK(process_gone(0, std::nullopt));
}

TEST_CASE("processes naming a dir are found and killed, others are left alone") {
  std::string dir = "/tmp/kata-leftover-test-" + std::to_string(::getpid());
  pid_t named = spawn_sleeper(dir + "/console.log");
  pid_t other = spawn_sleeper(dir + "-other/console.log");  // a sibling dir sharing the prefix
  std::this_thread::sleep_for(100ms);
  auto found = processes_naming(dir);
  CHECK(std::find(found.begin(), found.end(), named) != found.end());
  CHECK(std::find(found.begin(), found.end(), other) == found.end());
  CHECK(std::find(found.begin(), found.end(), ::getpid()) == found.end());

  REQUIRE(kill_processes_naming(dir, 5s).ok());
  int status = 0;
  REQUIRE(::waitpid(named, &status, 0) == named);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(::waitpid(other, &status, WNOHANG) == 0);  // still running
  ::kill(other, SIGKILL);
  ::waitpid(other, &status, 0);
}
