#include "cmd/duration.hpp"

#include <doctest/doctest.h>

using namespace kata;
using namespace kata::cmd;
using namespace std::chrono_literals;

TEST_CASE("Go durations") {
  CHECK(*parse_duration("5s") == 5s);
  CHECK(*parse_duration("500ms") == 500ms);
  CHECK(*parse_duration("1m30s") == 90s);
  CHECK(*parse_duration("2h") == 2h);
  CHECK(*parse_duration("1.5s") == 1500ms);
  CHECK(*parse_duration("10us") == 10us);
  CHECK(*parse_duration("7ns") == 7ns);
  CHECK(*parse_duration("0") == 0ns);
}

TEST_CASE("malformed durations are invalid_argument") {
  for (const char* text : {"", "5", "s", "5x", "-5s", "1..5s", "5s3", "ms"}) {
    auto duration = parse_duration(text);
    REQUIRE_MESSAGE(!duration.ok(), text);
    CHECK(duration.error().kind == ErrorKind::invalid_argument);
  }
}
