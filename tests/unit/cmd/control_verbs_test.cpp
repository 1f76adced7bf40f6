// Black-box tests of ps, pause, resume, update and events: the built kata
// against a temp --root whose container's "monitor" is a thread of this test
// serving monitor.sock, so the output formats, the saved status and the
// errors are checked without a VM.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "common/unix_socket.hpp"
#include "run_kata.hpp"
#include "runtime/container_state.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/proc_stat.hpp"
#include "runtime/state_store.hpp"

using namespace kata;
using namespace kata::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A root with container "c1" (status `status`, pid = this test process) whose
// monitor socket this fixture listens on.
struct FakeContainer {
  fs::path dir = make_temp_dir();
  std::string root = (dir / "root").string();
  std::string socket = (dir / "monitor.sock").string();
  UniqueFd listener;

  explicit FakeContainer(oci::Status status) {
    auto listening = listen_unix_socket(socket);
    REQUIRE(listening.ok());
    listener = std::move(listening).value();
    auto store = runtime::StateStore::open(root);
    REQUIRE(store.ok());
    auto lock = store->reserve("c1");
    REQUIRE(lock.ok());
    runtime::ContainerRecord record;
    record.oci_version = "1.2.0";
    record.id = "c1";
    record.status = status;
    record.pid = ::getpid();
    record.pid_start_time = runtime::process_start_time(::getpid());
    record.bundle = dir.string();
    record.created = std::chrono::system_clock::now();
    record.monitor_socket = socket;
    REQUIRE(store->save(*lock, record).ok());
  }
  ~FakeContainer() { fs::remove_all(dir); }

  // Answers one connection with `reply`; the command line goes to `received`.
  std::thread answer(std::string& received, std::string reply) {
    return std::thread([this, &received, reply = std::move(reply)] {
      pollfd pfd{listener.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 10000) != 1) return;
      UniqueFd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd.valid()) return;
      if (auto line = runtime::read_line(fd.get(), 10s)) received = *line;
      (void)write_all(fd.get(), reply + "\n");
    });
  }

  Outcome kata(std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", root});
    return run_kata(dir, args);
  }

  std::string status() {
    auto out = kata({"state", "c1"});
    REQUIRE(out.exit_code == 0);
    return json::parse(out.out)["status"].get<std::string>();
  }
};

}  // namespace

TEST_CASE("ps -f json prints the guest pids as an array; the table a PID column") {
  FakeContainer container(oci::Status::running);
  std::string received;
  auto monitor = container.answer(received, runtime::encode_reply_value({{"pids", {1, 23}}}));
  auto json_out = container.kata({"ps", "--format", "json", "c1"});
  monitor.join();
  CHECK(received == R"({"op":"ps"})");
  CHECK(json_out.exit_code == 0);
  CHECK(json_out.out == "[1,23]\n");

  monitor = container.answer(received, runtime::encode_reply_value({{"pids", {1, 23}}}));
  auto table = container.kata({"ps", "c1"});
  monitor.join();
  CHECK(table.exit_code == 0);
  CHECK(table.out == "PID\n1\n23\n");

  auto with_args = container.kata({"ps", "c1", "-ef"});
  CHECK(with_args.exit_code == 1);
  CHECK(with_args.err.find("ps arguments are not supported") != std::string::npos);
  CHECK(with_args.out.empty());
}

TEST_CASE("pause then resume: state shows paused, then running; wrong states get runc's errors") {
  FakeContainer container(oci::Status::running);
  std::string received;
  auto monitor = container.answer(received, runtime::encode_reply(ok()));
  auto paused = container.kata({"pause", "c1"});
  monitor.join();
  CHECK(received == R"({"op":"pause"})");
  CHECK(paused.exit_code == 0);
  CHECK(paused.out.empty());
  CHECK(container.status() == "paused");

  auto twice = container.kata({"pause", "c1"});
  CHECK(twice.exit_code == 1);
  CHECK(twice.err.find("container not running") != std::string::npos);

  monitor = container.answer(received, runtime::encode_reply(ok()));
  auto resumed = container.kata({"resume", "c1"});
  monitor.join();
  CHECK(received == R"({"op":"resume"})");
  CHECK(resumed.exit_code == 0);
  CHECK(container.status() == "running");

  auto not_paused = container.kata({"resume", "c1"});
  CHECK(not_paused.exit_code == 1);
  CHECK(not_paused.err.find("container not paused") != std::string::npos);

  auto missing = container.kata({"pause", "nothere"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("container does not exist") != std::string::npos);
}

TEST_CASE("update: flags and -r FILE become one resources object; bad input is refused before the monitor") {
  FakeContainer container(oci::Status::running);
  std::string received;
  auto monitor = container.answer(received, runtime::encode_reply(ok()));
  auto flags = container.kata({"update", "--memory", "64m", "--pids-limit", "30", "c1"});
  monitor.join();
  CHECK(flags.exit_code == 0);
  auto sent = json::parse(received);
  CHECK(sent["op"] == "update");
  CHECK(sent["resources"] == json{{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 30}}}});

  std::string file = (container.dir / "resources.json").string();
  REQUIRE(write_file_atomic(file, R"({"cpu":{"quota":20000,"period":100000}})").ok());
  monitor = container.answer(received, runtime::encode_reply(ok()));
  auto from_file = container.kata({"update", "-r", file, "--memory", "1g", "c1"});
  monitor.join();
  CHECK(from_file.exit_code == 0);
  CHECK(json::parse(received)["resources"] == json{{"cpu", {{"quota", 20000}, {"period", 100000}}}});

  REQUIRE(write_file_atomic(file, R"({"memory":{"limit":"big"}})").ok());
  auto bad_type = container.kata({"update", "-r", file, "c1"});
  CHECK(bad_type.exit_code == 1);
  CHECK(bad_type.err.find("memory.limit: expected an integer") != std::string::npos);
  auto bad_size = container.kata({"update", "--memory", "lots", "c1"});
  CHECK(bad_size.exit_code == 1);
  CHECK(bad_size.err.find("invalid memory size") != std::string::npos);
  auto no_file = container.kata({"update", "-r", (container.dir / "absent.json").string(), "c1"});
  CHECK(no_file.exit_code == 1);
  CHECK(no_file.err.find("absent.json") != std::string::npos);
}

TEST_CASE("events --stats prints one runc stats object for the container") {
  FakeContainer container(oci::Status::running);
  agent_client::ContainerStats stats;
  stats.memory.usage_bytes = 2 << 20;
  stats.memory.limit_bytes = 128 << 20;
  stats.cpu.usage_ns = 777;
  stats.pids.current = 2;
  std::string received;
  auto monitor = container.answer(received, runtime::encode_reply_value({{"stats", stats.to_json()}}));
  auto out = container.kata({"events", "--stats", "c1"});
  monitor.join();
  CHECK(received == R"({"op":"stats"})");
  REQUIRE(out.exit_code == 0);
  auto lines = lines_of(out.out);
  REQUIRE(lines.size() == 1);
  auto event = json::parse(lines[0]);
  CHECK(event["type"] == "stats");
  CHECK(event["id"] == "c1");
  CHECK(event["data"]["memory"]["usage"]["usage"] == 2 << 20);
  CHECK(event["data"]["memory"]["usage"]["limit"] == 128 << 20);
  CHECK(event["data"]["cpu"]["usage"]["total"] == 777);
  CHECK(event["data"]["pids"]["current"] == 2);

  auto zero = container.kata({"events", "--interval", "0", "c1"});
  CHECK(zero.exit_code == 1);
  CHECK(zero.err.find("--interval must be greater than 0") != std::string::npos);
}
