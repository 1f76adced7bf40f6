// ps, pause, resume, update and events against a state store and a scripted
// fake monitor on a real unix socket (no VM): the state rules, what ends up
// in state.json, and runc's event layout.
#include "runtime/container_control.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>

#include "common/fs.hpp"
#include "common/unix_socket.hpp"
#include "runtime/monitor_control.hpp"

using namespace kata;
using namespace kata::runtime;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A state root with one container whose "monitor" is this test: its pid is
// the test's own (alive) and its monitor socket a listener the test serves.
struct Fixture {
  fs::path dir;
  std::optional<StateStore> store;
  std::string socket;
  UniqueFd listener;

  explicit Fixture(oci::Status status, pid_t pid = ::getpid()) {
    std::string pattern = (fs::temp_directory_path() / "kata-control-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    auto opened = StateStore::open((dir / "root").string());
    REQUIRE(opened.ok());
    store.emplace(std::move(opened).value());
    socket = (dir / "monitor.sock").string();
    auto listening = listen_unix_socket(socket);
    REQUIRE(listening.ok());
    listener = std::move(listening).value();
    auto lock = store->reserve("c1");
    REQUIRE(lock.ok());
    ContainerRecord record;
    record.oci_version = "1.0.2";
    record.id = "c1";
    record.status = status;
    record.pid = pid;
    record.bundle = dir.string();
    record.monitor_socket = socket;
    REQUIRE(store->save(*lock, record).ok());
  }
  ~Fixture() { fs::remove_all(dir); }

  oci::Status saved_status() const { return store->load("c1").value().status; }

  // Serves one connection: records the command line, writes `script`.
  std::thread serve(std::string& received, std::string script) {
    return std::thread([this, &received, script = std::move(script)] {
      pollfd pfd{listener.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 5000) != 1) return;
      int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      auto line = read_line(fd, 5s);
      if (line) received = *line;
      (void)write_all(fd, script);
      ::close(fd);
    });
  }
};

// A pid that is certainly not alive: a reaped child's.
pid_t dead_pid() {
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return child;
}

}  // namespace

TEST_CASE("pause records paused only after the monitor confirms; resume records running") {
  Fixture fixture(oci::Status::running);
  std::string received;
  auto monitor = fixture.serve(received, encode_reply(ok()) + "\n");
  auto paused = pause_container(*fixture.store, "c1");
  monitor.join();
  REQUIRE_MESSAGE(paused.ok(), (paused.ok() ? "" : paused.error().message));
  CHECK(received == R"({"op":"pause"})");
  CHECK(fixture.saved_status() == oci::Status::paused);

  auto again = pause_container(*fixture.store, "c1");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == "container not running");

  // A refusal from the monitor leaves the record as it was.
  monitor = fixture.serve(received, encode_reply(make_error(ErrorKind::system, "freezer: EBUSY")) + "\n");
  auto refused = resume_container(*fixture.store, "c1");
  monitor.join();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("freezer: EBUSY") != std::string::npos);
  CHECK(fixture.saved_status() == oci::Status::paused);

  monitor = fixture.serve(received, encode_reply(ok()) + "\n");
  auto resumed = resume_container(*fixture.store, "c1");
  monitor.join();
  REQUIRE(resumed.ok());
  CHECK(received == R"({"op":"resume"})");
  CHECK(fixture.saved_status() == oci::Status::running);

  auto not_paused = resume_container(*fixture.store, "c1");
  REQUIRE_FALSE(not_paused.ok());
  CHECK(not_paused.error().kind == ErrorKind::wrong_state);
  CHECK(not_paused.error().message == "container not paused");
}

TEST_CASE("verbs on a container whose process is gone say it is not running, and touch nothing") {
  Fixture fixture(oci::Status::running, dead_pid());
  CHECK(pause_container(*fixture.store, "c1").error().message == "container not running");
  CHECK(list_container_processes(*fixture.store, "c1").error().message == "container not running");
  CHECK(update_container(*fixture.store, "c1", json::object()).error().message == "container not running");
  CHECK(container_stats(*fixture.store, "c1").error().message == "container with id c1 is not running");
  CHECK(stream_container_events(*fixture.store, "c1", 1s, [](const json&) {}).error().message ==
        "container with id c1 is not running");
  CHECK(fixture.saved_status() == oci::Status::running);  // the record is not rewritten by a refusal
  auto missing = pause_container(*fixture.store, "nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
}

TEST_CASE("ps returns the monitor's guest pids; update sends the resources") {
  Fixture fixture(oci::Status::running);
  std::string received;
  auto monitor = fixture.serve(received, encode_reply_value({{"pids", {1, 5, 9}}}) + "\n");
  auto pids = list_container_processes(*fixture.store, "c1");
  monitor.join();
  REQUIRE(pids.ok());
  CHECK(*pids == std::vector<std::int64_t>{1, 5, 9});

  json resources = {{"memory", {{"limit", 33554432}}}};
  monitor = fixture.serve(received, encode_reply(ok()) + "\n");
  auto updated = update_container(*fixture.store, "c1", resources);
  monitor.join();
  REQUIRE(updated.ok());
  auto command = decode_command(received);
  REQUIRE(command.ok());
  REQUIRE(std::holds_alternative<UpdateCommand>(*command));
  CHECK(std::get<UpdateCommand>(*command).resources == resources);

  // Bad resources never reach the monitor.
  auto bad = update_container(*fixture.store, "c1", json{{"memory", {{"limit", "lots"}}}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::invalid_argument);
}

TEST_CASE("events: stats every interval and oom until the monitor reports the exit") {
  Fixture fixture(oci::Status::running);
  agent_client::ContainerStats stats;
  stats.memory.usage_bytes = 1000;
  stats.pids.current = 2;
  // One thread plays the monitor: the subscription first, then stats requests.
  std::vector<std::string> commands;
  std::thread monitor([&] {
    auto accept_one = [&]() -> int {
      pollfd pfd{fixture.listener.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 5000) != 1) return -1;
      return ::accept4(fixture.listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    };
    int subscriber = accept_one();
    if (subscriber < 0) return;
    if (auto line = read_line(subscriber, 5s)) commands.push_back(*line);
    (void)write_all(subscriber, encode_reply(ok()) + "\n" + encode_event(OomEvent{}) + "\n");
    for (int i = 0; i < 2; ++i) {
      int fd = accept_one();
      if (fd < 0) break;
      if (auto line = read_line(fd, 5s)) commands.push_back(*line);
      (void)write_all(fd, encode_reply_value({{"stats", stats.to_json()}}) + "\n");
      ::close(fd);
    }
    (void)write_all(subscriber, encode_event(ExitEvent{0}) + "\n");
    ::close(subscriber);
  });
  std::vector<json> events;
  auto streamed = stream_container_events(*fixture.store, "c1", 200ms, [&](const json& e) { events.push_back(e); });
  monitor.join();
  REQUIRE_MESSAGE(streamed.ok(), (streamed.ok() ? "" : streamed.error().message));
  REQUIRE(commands.size() == 3);
  CHECK(commands[0] == R"({"op":"subscribe"})");
  CHECK(commands[1] == R"({"op":"stats"})");
  REQUIRE(events.size() == 3);
  CHECK(events[0] == oom_event("c1"));
  CHECK(events[1]["type"] == "stats");
  CHECK(events[2]["data"]["memory"]["usage"]["usage"] == 1000);

  CHECK_FALSE(stream_container_events(*fixture.store, "c1", 0s, [](const json&) {}).ok());
}

TEST_CASE("stats events follow runc's layout") {
  agent_client::ContainerStats stats;
  stats.cpu.usage_ns = 5000;
  stats.cpu.user_ns = 3000;
  stats.cpu.system_ns = 2000;
  stats.memory.usage_bytes = 1 << 20;
  stats.memory.limit_bytes = 64 << 20;
  stats.pids.current = 4;
  stats.pids.limit = 100;
  auto event = stats_event("web", stats);
  CHECK(event["type"] == "stats");
  CHECK(event["id"] == "web");
  const auto& data = event["data"];
  CHECK(data["cpu"]["usage"]["total"] == 5000);
  CHECK(data["cpu"]["usage"]["user"] == 3000);
  CHECK(data["cpu"]["usage"]["kernel"] == 2000);
  CHECK(data["memory"]["usage"]["usage"] == 1 << 20);
  CHECK(data["memory"]["usage"]["limit"] == 64 << 20);
  CHECK(data["pids"]["current"] == 4);
  CHECK(data["pids"]["limit"] == 100);

  agent_client::ContainerStats unlimited;
  auto open = stats_event("web", unlimited);
  CHECK(open["data"]["memory"]["usage"]["limit"] == std::numeric_limits<std::uint64_t>::max());
  CHECK_FALSE(open["data"]["pids"].contains("limit"));
  CHECK(oom_event("web") == json{{"type", "oom"}, {"id", "web"}});
}

TEST_CASE("resources validation names the offending member") {
  CHECK(validate_resources(json::object()).ok());
  CHECK(validate_resources(json{{"memory", {{"limit", -1}, {"swap", 1024}}},
                                {"cpu", {{"shares", 512}, {"quota", -1}, {"cpus", "0-1"}}},
                                {"pids", {{"limit", 50}}},
                                {"unified", {{"memory.high", "max"}}},
                                {"somethingNew", 1}})
            .ok());
  auto not_object = validate_resources(json::array());
  REQUIRE_FALSE(not_object.ok());
  CHECK(not_object.error().kind == ErrorKind::invalid_argument);
  CHECK(validate_resources(json{{"memory", {{"limit", "1g"}}}}).error().message.rfind("memory.limit: expected an integer", 0) == 0);
  CHECK(validate_resources(json{{"cpu", {{"shares", -2}}}}).error().message.rfind("cpu.shares:", 0) == 0);
  CHECK(validate_resources(json{{"cpu", {{"cpus", 3}}}}).error().message.rfind("cpu.cpus: expected a string", 0) == 0);
  CHECK(validate_resources(json{{"pids", 5}}).error().message.rfind("pids: expected an object", 0) == 0);
  CHECK(validate_resources(json{{"unified", {{"memory.max", 5}}}}).error().message.rfind("unified.memory.max", 0) == 0);
  CHECK(validate_resources(json{{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", "x"}}}}})
            .error()
            .message.rfind("hugepageLimits[0].limit", 0) == 0);
}
