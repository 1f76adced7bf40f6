// The monitor's control protocol: command, reply and event lines, and the
// client side over a real unix socket with a scripted fake monitor.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "common/fs.hpp"
#include "common/unix_socket.hpp"
#include "runtime/monitor_control.hpp"

using namespace kata;
using namespace kata::runtime;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

template <typename T>
T round_trip(const MonitorCommand& command) {
  auto decoded = decode_command(encode_command(command));
  REQUIRE_MESSAGE(decoded.ok(), (decoded.ok() ? "" : decoded.error().message));
  REQUIRE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

// A directory removed at the end of the test.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    char pattern[] = "/tmp/kata-monitor-control.XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

// Accepts one connection on `listener`, reads the command line into
// `received` and writes `script` (whole lines) back, then closes.
std::thread fake_monitor(int listener, std::string& received, std::string script) {
  return std::thread([listener, &received, script = std::move(script)] {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    auto line = read_line(fd, 5s);
    if (line) received = *line;
    (void)write_all(fd, script);
    ::close(fd);
  });
}

}  // namespace

TEST_CASE("monitor commands: every command round-trips with its op name") {
  CHECK(encode_command(PsCommand{}) == R"({"op":"ps"})");
  CHECK(encode_command(PauseCommand{}) == R"({"op":"pause"})");
  CHECK(encode_command(ResumeCommand{}) == R"({"op":"resume"})");
  CHECK(encode_command(StatsCommand{}) == R"({"op":"stats"})");
  CHECK(encode_command(SubscribeCommand{}) == R"({"op":"subscribe"})");
  // start and kill keep their original encodings (old monitors parse them).
  CHECK(encode_command(StartCommand{}) == R"({"op":"start"})");
  CHECK(encode_command(KillCommand{9, true}) == R"({"all":true,"op":"kill","signal":9})");

  round_trip<PsCommand>(PsCommand{});
  round_trip<PauseCommand>(PauseCommand{});
  round_trip<ResumeCommand>(ResumeCommand{});
  round_trip<StatsCommand>(StatsCommand{});
  round_trip<SubscribeCommand>(SubscribeCommand{});
  CHECK(round_trip<KillCommand>(KillCommand{2, false}) == KillCommand{2, false});

  json resources = {{"memory", {{"limit", 67108864}}}, {"pids", {{"limit", 10}}}};
  auto update = round_trip<UpdateCommand>(UpdateCommand{resources});
  CHECK(update.resources == resources);
}

TEST_CASE("monitor commands: create_member carries the guest spec and the shared namespaces; remove") {
  CreateMemberCommand member{"app1", json{{"ociVersion", "1.0.2"}}, true, {"ipc", "uts"}};
  CHECK(round_trip<CreateMemberCommand>(member) == member);
  CHECK(encode_command(RemoveCommand{}) == R"({"op":"remove"})");
  round_trip<RemoveCommand>(RemoveCommand{});
  // Only the namespaces a member may share with its sandbox.
  auto hostile = decode_command(R"({"op":"create_member","id":"a","spec":{},"join":["user"]})");
  REQUIRE_FALSE(hostile.ok());
  CHECK(hostile.error().message.find("join") != std::string::npos);
  CHECK_FALSE(decode_command(R"({"op":"create_member","spec":{}})").ok());
  CHECK_FALSE(decode_command(R"({"op":"create_member","id":"a","spec":"x"})").ok());
}

TEST_CASE("monitor commands: plug_network carries the agent's request and needs it as an object") {
  json network = {{"interfaces", json::array({{{"mac", "02:42:0a:58:00:09"}, {"name", "eth0"}, {"mtu", 1500}}})},
                  {"routes", json::array()}};
  CHECK(round_trip<PlugNetworkCommand>(PlugNetworkCommand{network}).network == network);
  CHECK_FALSE(decode_command(R"({"op":"plug_network"})").ok());
  CHECK_FALSE(decode_command(R"({"op":"plug_network","network":[]})").ok());
}

TEST_CASE("monitor commands: update needs a resources object") {
  auto missing = decode_command(R"({"op":"update"})");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::invalid_argument);
  CHECK(missing.error().message.find("resources") != std::string::npos);
  CHECK_FALSE(decode_command(R"({"op":"update","resources":[1]})").ok());
  CHECK_FALSE(decode_command(R"({"op":"update","resources":"memory=1"})").ok());
  CHECK(decode_command(R"({"op":"update","resources":{}})").ok());
  CHECK_FALSE(decode_command(R"({"op":"paws"})").ok());
}

TEST_CASE("monitor replies: values ride beside ok, errors keep their kind") {
  auto line = encode_reply_value({{"pids", {1, 7}}, {"ok", false}});
  auto reply = decode_reply_value(line);
  REQUIRE(reply.ok());
  CHECK((*reply)["ok"] == true);
  auto pids = pids_from_reply(*reply);
  REQUIRE(pids.ok());
  CHECK(*pids == std::vector<std::int64_t>{1, 7});
  CHECK(decode_reply(line).ok());

  auto failed = decode_reply_value(encode_reply(make_error(ErrorKind::wrong_state, "container not paused")));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::wrong_state);
  CHECK(failed.error().message == "container not paused");
  CHECK_FALSE(decode_reply_value("[]").ok());

  CHECK_FALSE(pids_from_reply(json{{"ok", true}}).ok());
  CHECK_FALSE(pids_from_reply(json{{"ok", true}, {"pids", {1, -3}}}).ok());
  CHECK_FALSE(pids_from_reply(json{{"ok", true}, {"pids", {"1"}}}).ok());
}

TEST_CASE("monitor replies: stats decode into ContainerStats") {
  agent_client::ContainerStats stats;
  stats.memory.usage_bytes = 4096;
  stats.memory.limit_bytes = 1 << 20;
  stats.cpu.usage_ns = 300;
  stats.cpu.user_ns = 200;
  stats.cpu.system_ns = 100;
  stats.pids.current = 3;
  auto reply = decode_reply_value(encode_reply_value({{"stats", stats.to_json()}}));
  REQUIRE(reply.ok());
  auto decoded = stats_from_reply(*reply);
  REQUIRE(decoded.ok());
  CHECK(decoded->memory.usage_bytes == 4096);
  CHECK(decoded->memory.limit_bytes == 1 << 20);
  CHECK(decoded->cpu.usage_ns == 300);
  CHECK(decoded->cpu.system_ns == 100);
  CHECK(decoded->pids.current == 3);
  CHECK_FALSE(stats_from_reply(json{{"ok", true}}).ok());
  CHECK_FALSE(stats_from_reply(json{{"ok", true}, {"stats", {{"memory", 1}}}}).ok());
}

TEST_CASE("monitor events: oom and exit round-trip, others are refused") {
  auto oom = decode_event(encode_event(OomEvent{}));
  REQUIRE(oom.ok());
  CHECK(std::holds_alternative<OomEvent>(*oom));
  auto exit = decode_event(encode_event(ExitEvent{137}));
  REQUIRE(exit.ok());
  REQUIRE(std::holds_alternative<ExitEvent>(*exit));
  CHECK(std::get<ExitEvent>(*exit).status == 137);
  CHECK(encode_event(ExitEvent{3}) == R"({"status":3,"type":"exit"})");
  CHECK_FALSE(decode_event(R"({"type":"exit"})").ok());
  CHECK_FALSE(decode_event(R"({"type":"exit","status":300})").ok());
  CHECK_FALSE(decode_event(R"({"type":"reboot"})").ok());
  CHECK_FALSE(decode_event(R"({"ok":true})").ok());
}

TEST_CASE("line reader keeps bytes after a newline for the next line") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  REQUIRE(write_all(write_end.get(), "one\ntwo\nthr").ok());
  LineReader reader(read_end.get());
  CHECK(reader.next(1s).value() == "one");
  CHECK(reader.next(1s).value() == "two");
  auto partial = reader.next(50ms);
  REQUIRE_FALSE(partial.ok());
  CHECK(partial.error().kind == ErrorKind::timeout);
  REQUIRE(write_all(write_end.get(), "ee\n").ok());
  CHECK(reader.next(1s).value() == "three");
  write_end.reset();
  auto closed = reader.next(1s);
  REQUIRE_FALSE(closed.ok());
  CHECK(closed.error().kind == ErrorKind::protocol);
}

TEST_CASE("send_monitor_request returns the whole reply and the monitor's errors") {
  ScratchDir dir;
  std::string socket = dir.path + "/monitor.sock";
  auto listener = listen_unix_socket(socket);
  REQUIRE(listener.ok());

  std::string received;
  auto monitor = fake_monitor(listener->get(), received, R"({"ok":true,"pids":[1,12]})" "\n");
  auto reply = send_monitor_request(socket, PsCommand{}, 5s);
  monitor.join();
  CHECK(received == R"({"op":"ps"})");
  REQUIRE(reply.ok());
  CHECK(pids_from_reply(*reply).value() == std::vector<std::int64_t>{1, 12});

  monitor = fake_monitor(listener->get(), received,
                         encode_reply(make_error(ErrorKind::wrong_state, "container not running")) + "\n");
  auto refused = send_monitor_command(socket, PauseCommand{}, 5s);
  monitor.join();
  CHECK(received == R"({"op":"pause"})");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::wrong_state);
  CHECK(refused.error().message == "container not running");

  auto nobody = send_monitor_request(dir.path + "/absent.sock", StatsCommand{}, 1s);
  REQUIRE_FALSE(nobody.ok());
  CHECK(nobody.error().message.find("connect to the sandbox monitor") != std::string::npos);
}

TEST_CASE("subscription: acceptance, then events until exit; a dead monitor is an error") {
  ScratchDir dir;
  std::string socket = dir.path + "/monitor.sock";
  auto listener = listen_unix_socket(socket);
  REQUIRE(listener.ok());

  std::string received;
  // All lines in one write: the reader must split them.
  auto monitor = fake_monitor(listener->get(), received,
                              encode_reply(ok()) + "\n" + encode_event(OomEvent{}) + "\n" +
                                  encode_event(ExitEvent{9}) + "\n");
  auto subscription = MonitorSubscription::open(socket, 5s);
  REQUIRE(subscription.ok());
  auto first = subscription->next(5s);
  auto second = subscription->next(5s);
  monitor.join();
  CHECK(received == R"({"op":"subscribe"})");
  REQUIRE(first.ok());
  CHECK(std::holds_alternative<OomEvent>(*first));
  REQUIRE(second.ok());
  REQUIRE(std::holds_alternative<ExitEvent>(*second));
  CHECK(std::get<ExitEvent>(*second).status == 9);
  CHECK_FALSE(subscription->next(1s).ok());

  monitor = fake_monitor(listener->get(), received, encode_reply(make_error(ErrorKind::system, "no agent")) + "\n");
  auto refused = MonitorSubscription::open(socket, 5s);
  monitor.join();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("no agent") != std::string::npos);

  monitor = fake_monitor(listener->get(), received, encode_reply(ok()) + "\n");
  auto cut = MonitorSubscription::open(socket, 5s);
  monitor.join();
  REQUIRE(cut.ok());
  auto after_close = cut->next(5s);
  REQUIRE_FALSE(after_close.ok());
  CHECK(after_close.error().kind == ErrorKind::protocol);
}
