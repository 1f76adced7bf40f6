// exec's process object from flags and from -p files.
#include "runtime/exec_process.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "common/fs.hpp"

using namespace kata;
using namespace kata::runtime;
using nlohmann::json;

namespace {

json container_process_json() {
  return json::parse(R"({"terminal":true,"consoleSize":{"height":24,"width":80},"user":{"uid":5,"gid":6},
    "args":["sh"],"env":["PATH=/bin","HOME=/root"],"cwd":"/srv",
    "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"]},"noNewPrivileges":false})");
}

}  // namespace

TEST_CASE("exec flags start from the container's process") {
  ExecFlags flags;
  flags.args = {"echo", "hi"};
  auto process = exec_process_from_flags(container_process_json(), flags);
  REQUIRE(process);
  CHECK((*process)["args"] == json({"echo", "hi"}));
  CHECK((*process)["terminal"] == false);  // -t decides, not the container's terminal
  CHECK_FALSE(process->contains("consoleSize"));
  CHECK((*process)["cwd"] == "/srv");
  CHECK((*process)["user"]["uid"] == 5);
  CHECK((*process)["env"] == json({"PATH=/bin", "HOME=/root"}));
}

TEST_CASE("exec flags override env, cwd, user and add capabilities") {
  ExecFlags flags;
  flags.args = {"id"};
  flags.env = {"HOME=/home/x", "EXTRA=1"};
  flags.cwd = "/tmp";
  flags.tty = true;
  flags.user = "1000:1001";
  flags.additional_gids = {7, 8};
  flags.no_new_privs = true;
  flags.caps = {"CAP_NET_ADMIN"};
  auto process = exec_process_from_flags(container_process_json(), flags);
  REQUIRE(process);
  CHECK((*process)["env"] == json({"PATH=/bin", "HOME=/home/x", "EXTRA=1"}));
  CHECK((*process)["cwd"] == "/tmp");
  CHECK((*process)["terminal"] == true);
  CHECK((*process)["user"]["uid"] == 1000);
  CHECK((*process)["user"]["gid"] == 1001);
  CHECK((*process)["user"]["additionalGids"] == json({7, 8}));
  CHECK((*process)["noNewPrivileges"] == true);
  CHECK((*process)["capabilities"]["bounding"] == json({"CAP_KILL", "CAP_NET_ADMIN"}));
  CHECK((*process)["capabilities"]["ambient"] == json({"CAP_NET_ADMIN"}));
}

TEST_CASE("-u without a group keeps the container's gid") {
  ExecFlags flags;
  flags.args = {"id"};
  flags.user = "42";
  auto process = exec_process_from_flags(container_process_json(), flags);
  REQUIRE(process);
  CHECK((*process)["user"]["uid"] == 42);
  CHECK((*process)["user"]["gid"] == 6);
}

TEST_CASE("malformed exec flags name the flag") {
  ExecFlags flags;
  flags.args = {"id"};
  auto attempt = [&] { return exec_process_from_flags(container_process_json(), flags); };
  flags.user = "root";
  CHECK(attempt().error().message.find("-u root") != std::string::npos);
  flags.user = "1:x";
  CHECK(attempt().error().message.find("gid") != std::string::npos);
  flags.user.clear();
  flags.env = {"NOEQUALS"};
  CHECK(attempt().error().message.find("-e NOEQUALS") != std::string::npos);
  flags.env.clear();
  flags.caps = {"NET_ADMIN"};
  CHECK(attempt().error().message.find("-c NET_ADMIN") != std::string::npos);
  flags.caps.clear();
  flags.args.clear();
  CHECK(attempt().error().message.find("no command") != std::string::npos);
}

TEST_CASE("a -p file must be a process with args") {
  std::string dir = (std::filesystem::temp_directory_path() / "kata-exec-test-XXXXXX").string();
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  std::string path = dir + "/process.json";
  REQUIRE(write_file_atomic(path, R"({"args":["ls","/"],"cwd":"/","user":{"uid":0,"gid":0}})"));
  auto process = load_exec_process_file(path);
  REQUIRE(process);
  CHECK((*process)["args"][0] == "ls");
  REQUIRE(write_file_atomic(path, R"({"args":[],"cwd":"/"})"));
  auto empty = load_exec_process_file(path);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message.find(path) != std::string::npos);
  REQUIRE(write_file_atomic(path, "{not json"));
  auto broken = load_exec_process_file(path);
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message.find(path) != std::string::npos);
  CHECK_FALSE(load_exec_process_file(dir + "/missing.json"));
  std::filesystem::remove_all(dir);
}
