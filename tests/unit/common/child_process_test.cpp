#include "common/child_process.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "common/unique_fd.hpp"

using namespace kata;

TEST_CASE("spawn runs a program and wait returns its status") {
  auto child = ChildProcess::spawn({.argv = {"/bin/sh", "-c", "exit 42"}});
  REQUIRE(child.ok());
  auto status = child->wait();
  REQUIRE(status.ok());
  CHECK(exit_code_from_wait_status(*status) == 42);
}

TEST_CASE("spawn of a missing program fails with not_found at once") {
  auto child = ChildProcess::spawn({.argv = {"/nonexistent/program"}});
  REQUIRE_FALSE(child.ok());
  CHECK(child.error().kind == ErrorKind::not_found);
  CHECK(child.error().message == "execute /nonexistent/program: No such file or directory");
}

TEST_CASE("spawn installs the given fds, even when numbers cross") {
  int first[2];
  int second[2];
  REQUIRE(::pipe2(first, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(second, O_CLOEXEC) == 0);
  UniqueFd first_read(first[0]), first_write(first[1]);
  UniqueFd second_read(second[0]), second_write(second[1]);
  // The child's fd 1 is `first`, its fd 4 is `second`.
  auto child = ChildProcess::spawn({
      .argv = {"/bin/sh", "-c", "echo one; echo two >&4"},
      .fds = {{first_write.get(), 1}, {second_write.get(), 4}},
  });
  REQUIRE(child.ok());
  REQUIRE(child->wait().ok());
  first_write.reset();
  second_write.reset();
  char buffer[16] = {};
  CHECK(::read(first_read.get(), buffer, sizeof buffer) == 4);
  CHECK(std::string(buffer, 4) == "one\n");
  CHECK(::read(second_read.get(), buffer, sizeof buffer) == 4);
  CHECK(std::string(buffer, 4) == "two\n");
}

TEST_CASE("a ChildProcess that goes out of scope kills and reaps its child") {
  pid_t pid = -1;
  {
    auto child = ChildProcess::spawn({.argv = {"/bin/sleep", "100"}});
    REQUIRE(child.ok());
    pid = child->pid();
    CHECK(::kill(pid, 0) == 0);
  }
  // Reaped: the pid no longer names our child.
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}

TEST_CASE("exit_code_from_wait_status maps signals to 128+n") {
  auto child = ChildProcess::spawn({.argv = {"/bin/sleep", "100"}});
  REQUIRE(child.ok());
  REQUIRE(child->signal(SIGTERM).ok());
  auto status = child->wait();
  REQUIRE(status.ok());
  CHECK(exit_code_from_wait_status(*status) == 128 + SIGTERM);
  CHECK(child->pid() == -1);
}
