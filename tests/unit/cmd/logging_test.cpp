#include "cmd/logging.hpp"

#include <doctest/doctest.h>

using namespace kata::cmd;

namespace {
// 2026-11-29T18:02:58Z
const auto kTime = std::chrono::system_clock::time_point{std::chrono::seconds{1795975378}};
}  // namespace

TEST_CASE("json lines are logrus's: level, msg, time; one line") {
  CHECK(format_log_line(LogFormat::json, "error", "kata create: boom", kTime) ==
        "{\"level\":\"error\",\"msg\":\"kata create: boom\",\"time\":\"2026-11-29T18:02:58Z\"}\n");
}

TEST_CASE("text lines are logrus's key=value form") {
  CHECK(format_log_line(LogFormat::text, "warning", "slow", kTime) ==
        "time=\"2026-11-29T18:02:58Z\" level=warning msg=\"slow\"\n");
}

TEST_CASE("quotes, backslashes and control characters are escaped, so a line stays one line") {
  std::string line = format_log_line(LogFormat::json, "error", "a \"b\" \\ c\nd\x01", kTime);
  CHECK(line == "{\"level\":\"error\",\"msg\":\"a \\\"b\\\" \\\\ c\\nd\\u0001\",\"time\":\"2026-11-29T18:02:58Z\"}\n");
  CHECK(line.find('\n') == line.size() - 1);
}
