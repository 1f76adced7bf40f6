// SCM_RIGHTS lines between exec and the monitor, and to console sockets.
#include "common/fd_passing.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "runtime/terminal.hpp"

using namespace kata;
using namespace kata::runtime;
using namespace std::chrono_literals;

namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    a = UniqueFd(fds[0]);
    b = UniqueFd(fds[1]);
  }
  UniqueFd a, b;
};

}  // namespace

TEST_CASE("a line arrives with its fds, which refer to the same files") {
  SocketPair pair;
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  int passed[] = {write_end.get(), read_end.get()};
  REQUIRE(send_with_fds(pair.a.get(), "{\"op\":\"exec\"}\n", passed));
  auto received = receive_line_with_fds(pair.b.get(), 1s);
  REQUIRE(received);
  CHECK(received->line == "{\"op\":\"exec\"}");
  REQUIRE(received->fds.size() == 2);
  CHECK((::fcntl(received->fds[0].get(), F_GETFD) & FD_CLOEXEC) != 0);
  // Writing through the received write end reaches our read end.
  REQUIRE(::write(received->fds[0].get(), "x", 1) == 1);
  char byte = 0;
  REQUIRE(::read(read_end.get(), &byte, 1) == 1);
  CHECK(byte == 'x');
}

TEST_CASE("a line without fds, a closed peer and a silent peer") {
  SocketPair pair;
  REQUIRE(send_with_fds(pair.a.get(), "hello\n", {}));
  auto received = receive_line_with_fds(pair.b.get(), 1s);
  REQUIRE(received);
  CHECK(received->line == "hello");
  CHECK(received->fds.empty());
  auto silent = receive_line_with_fds(pair.b.get(), 50ms);
  REQUIRE_FALSE(silent);
  CHECK(silent.error().kind == ErrorKind::timeout);
  pair.a.reset();
  auto closed = receive_line_with_fds(pair.b.get(), 1s);
  REQUIRE_FALSE(closed);
  CHECK(closed.error().kind == ErrorKind::protocol);
}

TEST_CASE("too many fds are refused") {
  SocketPair pair;
  std::vector<int> many(max_passed_fds + 1, 0);
  CHECK_FALSE(send_with_fds(pair.a.get(), "x\n", many));
  CHECK_FALSE(send_with_fds(pair.a.get(), "", {}));
}

TEST_CASE("a host pty is raw, sized, and carries bytes both ways") {
  auto pty = open_host_pty(WindowSize{30, 100});
  REQUIRE(pty);
  auto size = window_size(pty->slave.get());
  REQUIRE(size);
  CHECK(*size == WindowSize{30, 100});
  // Raw: "\n" written on the slave arrives as is (no "\r\n").
  REQUIRE(::write(pty->slave.get(), "a\n", 2) == 2);
  char buffer[8] = {};
  auto got = ::read(pty->master.get(), buffer, sizeof buffer);
  CHECK(std::string(buffer, static_cast<std::size_t>(got)) == "a\n");
  UniqueFd not_a_terminal(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK_FALSE(window_size(not_a_terminal.get()));
}
