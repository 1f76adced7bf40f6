// OOM detection from memory.events, on an ordinary directory standing in for
// a container's cgroup.
#include "agent/oom_watch.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

using namespace kata;
using namespace kata::agent;

namespace {

std::string make_dir() {
  char dir[] = "/tmp/kata-oom-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  return dir;
}

// Rewrites the file in place, as the kernel's counters change under one
// open file (a rename would leave the watch on the old inode).
void write_events(const std::string& dir, const std::string& text) {
  std::ofstream file(dir + "/memory.events", std::ios::trunc);
  file << text;
  REQUIRE(file.good());
}

std::string events(int oom, int oom_kill) {
  return "low 0\nhigh 0\nmax 5\noom " + std::to_string(oom) + "\noom_kill " + std::to_string(oom_kill) +
         "\noom_group_kill 0\n";
}

}  // namespace

TEST_CASE("parse_oom_kill_count finds the oom_kill line only") {
  CHECK(*parse_oom_kill_count(events(4, 3)) == 3);
  CHECK(*parse_oom_kill_count("oom_kill 12") == 12);  // no trailing newline
  CHECK(*parse_oom_kill_count("oom_group_kill 7\noom 2\n") == 0);  // other keys, no oom_kill
  CHECK(*parse_oom_kill_count("") == 0);
  CHECK(parse_oom_kill_count("oom_kill lots\n").error().kind == ErrorKind::protocol);
  CHECK_FALSE(parse_oom_kill_count("oom_kill \n").ok());
}

TEST_CASE("OomWatch reports only kills counted after it opened, each once") {
  auto dir = make_dir();
  write_events(dir, events(1, 1));  // a kill before the watch began
  auto watch = OomWatch::open(dir);
  REQUIRE(watch.ok());
  CHECK(watch->fd() >= 0);
  CHECK(*watch->check() == 0);

  write_events(dir, events(2, 2));
  CHECK(*watch->check() == 1);
  CHECK(*watch->check() == 0);  // the same count again is not news

  write_events(dir, events(5, 5));
  CHECK(*watch->check() == 3);

  write_events(dir, "oom_kill broken\n");
  CHECK_FALSE(watch->check().ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("OomWatch::open fails without memory.events (no memory controller)") {
  auto dir = make_dir();
  auto watch = OomWatch::open(dir);
  REQUIRE_FALSE(watch.ok());
  CHECK(watch.error().errno_value == ENOENT);
  std::filesystem::remove_all(dir);
}
