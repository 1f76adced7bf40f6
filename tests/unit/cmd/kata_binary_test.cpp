// Black-box tests: run the built `kata` as an engine does and look only at
// its exit code, stdout, stderr and --log file.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"
#include "run_kata.hpp"

using namespace kata;
using namespace kata::testing;
namespace fs = std::filesystem;


TEST_CASE("a failing verb writes exactly one JSON error line to --log, the message to stderr, exits 1") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string log = (dir / "log.json").string();
  auto outcome = run_kata(dir, {"--root", (dir / "root").string(), "--log", log, "--log-format", "json", "create", "x"});
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.out.empty());
  // The bundle (the current directory) has no config.json.
  CHECK(outcome.err.find("config.json") != std::string::npos);
  auto lines = lines_of(*read_file(log, 1 << 20));
  REQUIRE(lines.size() == 1);
  const std::string& line = lines[0];
  CHECK(line.starts_with("{\"level\":\"error\",\"msg\":\""));
  CHECK(line.find("\"msg\":\"kata create: ") != std::string::npos);
  CHECK(line.find("config.json") != std::string::npos);
  CHECK(line.find("\"time\":\"") != std::string::npos);
  CHECK(line.ends_with("Z\"}"));
}

TEST_CASE("--log appends: two failures give two lines") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string log = (dir / "log.json").string();
  REQUIRE(write_file_atomic(log, "{\"level\":\"info\",\"msg\":\"before\",\"time\":\"x\"}\n").ok());
  std::string root = (dir / "root").string();
  run_kata(dir, {"--root", root, "--log", log, "--log-format=json", "start", "x"});
  auto outcome = run_kata(dir, {"--root", root, "--log", log, "--log-format=json", "kill", "x", "KILL"});
  CHECK(outcome.exit_code == 1);
  auto lines = lines_of(*read_file(log, 1 << 20));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("before") != std::string::npos);
  CHECK(lines[1].find("kata start:") != std::string::npos);
  CHECK(lines[2].find("kata kill:") != std::string::npos);
}

TEST_CASE("without --log the error is one logrus text line on stderr") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto outcome = run_kata(dir, {"--root", (dir / "root").string(), "delete", "x"});
  CHECK(outcome.exit_code == 1);
  auto lines = lines_of(outcome.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with("time=\""));
  CHECK(lines[0].find("level=error msg=\"kata delete: container does not exist\"") != std::string::npos);
}

TEST_CASE("a usage error reaches the JSON log too") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string log = (dir / "log.json").string();
  auto outcome = run_kata(dir, {"--log", log, "--log-format", "json", "create", "--bogus", "x"});
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.err.find("--bogus") != std::string::npos);
  auto lines = lines_of(*read_file(log, 1 << 20));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("--bogus") != std::string::npos);
}

TEST_CASE("exec errors exit 255; an unknown verb exits 3") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  CHECK(run_kata(dir, {"exec", "x", "true"}).exit_code == 255);
  auto unknown = run_kata(dir, {"foo"});
  CHECK(unknown.exit_code == 3);
  CHECK(unknown.err.find("No help topic for 'foo'") != std::string::npos);
}

TEST_CASE("checkpoint --help exits non-zero; checkpoint ID says it is unsupported") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto help = run_kata(dir, {"checkpoint", "--help"});
  CHECK(help.exit_code != 0);
  CHECK(help.out.find("--image-path") != std::string::npos);
  auto checkpoint = run_kata(dir, {"checkpoint", "--image-path", "/i", "x"});
  CHECK(checkpoint.exit_code == 1);
  CHECK(checkpoint.err.find("not supported") != std::string::npos);
}

TEST_CASE("--help and VERB --help exit 0 on stdout") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto help = run_kata(dir, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("create") != std::string::npos);
  CHECK(help.err.empty());
  auto create = run_kata(dir, {"create", "--help"});
  CHECK(create.exit_code == 0);
  CHECK(create.out.find("--pid-file") != std::string::npos);
}

TEST_CASE("--version prints runc's three lines") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  for (const char* flag : {"--version", "-v"}) {
    auto outcome = run_kata(dir, {flag});
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.err.empty());
    auto lines = lines_of(outcome.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].starts_with("kata version "));
    CHECK(lines[0].size() > std::string("kata version ").size());
    CHECK(lines[1].starts_with("commit: "));
    CHECK(lines[1].size() > std::string("commit: ").size());
    CHECK(lines[2] == "spec: 1.3.0");
  }
}

TEST_CASE("--debug adds debug lines; without it only the error is logged") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string log = (dir / "log.json").string();
  run_kata(dir, {"--root", (dir / "root").string(), "--debug", "--log", log, "--log-format", "json", "state", "x"});
  auto lines = lines_of(*read_file(log, 1 << 20));
  REQUIRE(lines.size() >= 2);
  CHECK(lines.front().starts_with("{\"level\":\"debug\""));
  CHECK(lines.back().starts_with("{\"level\":\"error\""));
}

TEST_CASE("an unopenable --log is an error on stderr") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto outcome = run_kata(dir, {"--root", (dir / "root").string(), "--log", (dir / "missing" / "log.json").string(), "state", "x"});
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.err.find("open log file") != std::string::npos);
}
