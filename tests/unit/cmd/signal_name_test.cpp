#include "cmd/signal_name.hpp"

#include <doctest/doctest.h>

#include <csignal>

using namespace kata;
using namespace kata::cmd;

TEST_CASE("signals by number and by name in any case, with or without SIG") {
  for (const char* text : {"9", "KILL", "SIGKILL", "kill", "sigkill", "SigKill"}) {
    auto signal = parse_signal(text);
    REQUIRE_MESSAGE(signal.ok(), text);
    CHECK(*signal == SIGKILL);
  }
  CHECK(*parse_signal("sigterm") == SIGTERM);
  CHECK(*parse_signal("TERM") == SIGTERM);
  CHECK(*parse_signal("15") == SIGTERM);
  CHECK(*parse_signal("HUP") == SIGHUP);
  CHECK(*parse_signal("USR1") == SIGUSR1);
  CHECK(*parse_signal("WINCH") == SIGWINCH);
  CHECK(*parse_signal("CHLD") == SIGCHLD);
  CHECK(*parse_signal("64") == 64);
}

TEST_CASE("real-time signals use the kernel's numbering") {
  CHECK(*parse_signal("RTMIN") == 32);
  CHECK(*parse_signal("SIGRTMIN+3") == 35);
  CHECK(*parse_signal("rtmax") == 64);
  CHECK(*parse_signal("RTMAX-1") == 63);
  CHECK_FALSE(parse_signal("RTMAX+1").ok());
  CHECK_FALSE(parse_signal("RTMIN+").ok());
}

TEST_CASE("unknown names and invalid numbers are invalid_argument") {
  for (const char* text : {"FOO", "SIG", "", "0", "65", "9x", "-9", "KILLL", "99999999999"}) {
    auto signal = parse_signal(text);
    REQUIRE_MESSAGE(!signal.ok(), text);
    CHECK(signal.error().kind == ErrorKind::invalid_argument);
  }
  CHECK(parse_signal("FOO").error().message.find("FOO") != std::string::npos);
}
