#include "runtime/proc_stat.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

using kata::runtime::parse_stat_start_time;
using kata::runtime::process_start_time;

namespace {

// A /proc/<pid>/stat line with `comm` and starttime `start` in field 22.
std::string stat_line(const std::string& comm, unsigned long long start) {
  std::string line = "4242 (" + comm + ") S";
  for (int field = 4; field <= 52; ++field) {
    line += ' ';
    line += field == 22 ? std::to_string(start) : std::to_string(field * 10);
  }
  return line + "\n";
}

}  // namespace

TEST_CASE("parse_stat_start_time reads field 22 whatever the comm holds") {
  CHECK(parse_stat_start_time(stat_line("bash", 123456)) == 123456ULL);
  CHECK(parse_stat_start_time(stat_line("a b c", 77)) == 77ULL);
  CHECK(parse_stat_start_time(stat_line("x) S 1 2 3 (y", 999)) == 999ULL);
  CHECK(parse_stat_start_time(stat_line(")", 5)) == 5ULL);
}

TEST_CASE("parse_stat_start_time rejects malformed text") {
  CHECK_FALSE(parse_stat_start_time("").has_value());
  CHECK_FALSE(parse_stat_start_time("1 (short) S 1 2 3").has_value());
  CHECK_FALSE(parse_stat_start_time("no parentheses at all 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20")
                  .has_value());
  std::string not_number = "1 (x) S";
  for (int field = 4; field <= 22; ++field) not_number += field == 22 ? " 12a" : " 0";
  CHECK_FALSE(parse_stat_start_time(not_number).has_value());
}

TEST_CASE("process_start_time tells a live process from a reaped one") {
  auto self = process_start_time(::getpid());
  REQUIRE(self.has_value());
  CHECK(process_start_time(::getpid()) == self);  // stable for the same process

  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  auto child_start = process_start_time(child);
  REQUIRE(child_start.has_value());
  CHECK(*child_start >= *self);
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK_FALSE(process_start_time(child).has_value());
  CHECK_FALSE(process_start_time(0).has_value());
  CHECK_FALSE(process_start_time(-5).has_value());
}

TEST_CASE("a process that exited but is not reaped yet counts as exited") {
  CHECK(kata::runtime::parse_stat_state(stat_line("a) Z (b", 1)) == 'S');
  CHECK(kata::runtime::parse_stat_state("7 (sh) Z 1 2 3") == 'Z');
  CHECK_FALSE(kata::runtime::parse_stat_state("garbage").has_value());

  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  CHECK_FALSE(kata::runtime::process_exited_unreaped(child));
  ::kill(child, SIGKILL);
  // Until waitpid the child is a zombie: still in /proc, with its start time.
  bool zombie = false;
  for (int i = 0; i < 200 && !zombie; ++i) {
    zombie = kata::runtime::process_exited_unreaped(child);
    if (!zombie) ::usleep(10000);
  }
  CHECK(zombie);
  CHECK(kata::runtime::process_start_time(child).has_value());
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK_FALSE(kata::runtime::process_exited_unreaped(child));
}
