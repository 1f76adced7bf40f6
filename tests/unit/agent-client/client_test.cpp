// AgentClient against a fake agent: a thread speaking the protocol (built
// from kata_protocol) on the other end of a socketpair.
#include "agent-client/client.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"

using namespace kata;
using namespace kata::agent_client;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

/// The agent's end: non-blocking socket, decoder, bounded receive.
struct FakeAgent {
  UniqueFd fd;
  FrameDecoder decoder;

  Result<void> send(const Result<std::string>& bytes) {
    if (!bytes) return bytes.error();
    return write_all(fd.get(), *bytes);
  }
  Result<void> send_raw(std::string_view bytes) { return write_all(fd.get(), bytes); }

  /// The next frame within `timeout`; timeout error otherwise.
  Result<Frame> receive(std::chrono::milliseconds timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    while (true) {
      auto frame = KATA_TRY(decoder.next());
      if (frame) return std::move(*frame);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return make_error(ErrorKind::timeout, "fake agent: no frame");
      pollfd pfd{fd.get(), POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()));
      auto filled = KATA_TRY(decoder.fill_from(fd.get()));
      if (filled.eof) return make_error(ErrorKind::protocol, "fake agent: host closed");
    }
  }

  /// Exchanges hellos; returns the session as the agent sees it.
  Result<Session> handshake(Hello hello = agent_hello()) {
    KATA_TRY(send(encode_hello(hello)));
    auto frame = KATA_TRY(receive());
    auto host = KATA_TRY(decode_hello(frame));
    return negotiate(hello, host);
  }

  static Hello agent_hello() {
    Hello hello;
    hello.role = Role::agent;
    hello.build_version = "fake-agent";
    return hello;
  }
};

/// A client and a fake agent connected by a socketpair; the agent runs
/// `script` in a thread, joined on destruction.
struct Pair {
  UniqueFd host_fd;
  FakeAgent agent;
  std::thread thread;

  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
    host_fd.reset(fds[0]);
    agent.fd.reset(fds[1]);
  }
  void run(std::function<void(FakeAgent&)> script) {
    thread = std::thread([this, script = std::move(script)] { script(agent); });
  }
  ~Pair() {
    if (thread.joinable()) thread.join();
  }
};

/// Client side of a Pair whose agent does the handshake, then `script`.
AgentClient connected(Pair& pair, std::function<void(FakeAgent&)> script) {
  pair.run([script = std::move(script)](FakeAgent& agent) {
    if (!agent.handshake()) return;
    script(agent);
  });
  auto client = AgentClient::handshake(std::move(pair.host_fd), 5s);
  REQUIRE(client.ok());
  return std::move(*client);
}

/// Answers each request with `answer(request)` until the host closes or
/// `count` requests were answered.
void serve(FakeAgent& agent, int count, const std::function<Result<std::string>(const IncomingRequest&)>& answer) {
  for (int i = 0; i < count; ++i) {
    auto frame = agent.receive();
    if (!frame) return;
    auto request = decode_request(*frame);
    if (!request) return;
    if (!agent.send(answer(*request))) return;
  }
}

}  // namespace

TEST_CASE("handshake: the client learns the agent's session and sends a host hello") {
  Pair pair;
  std::promise<Result<Session>> agent_side;
  pair.run([&](FakeAgent& agent) {
    Hello hello = FakeAgent::agent_hello();
    hello.build_version = "agent-7";
    hello.stream_window = 8192;
    agent_side.set_value(agent.handshake(hello));
  });
  auto client = AgentClient::handshake(std::move(pair.host_fd), 5s);
  REQUIRE(client.ok());
  CHECK(client->session().peer_build_version == "agent-7");
  CHECK(client->session().send_window == 8192);
  CHECK(client->session().receive_window == kDefaultStreamWindow);
  auto seen = agent_side.get_future().get();
  REQUIRE(seen.ok());  // the agent accepted our hello: role host, same major
}

TEST_CASE("handshake: an agent of another major version is refused") {
  Pair pair;
  pair.run([](FakeAgent& agent) {
    Hello hello = FakeAgent::agent_hello();
    hello.version = {kProtocolVersion.major + 1, 0};
    (void)agent.send(encode_hello(hello));
  });
  auto client = AgentClient::handshake(std::move(pair.host_fd), 5s);
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().kind == ErrorKind::unsupported);
}

TEST_CASE("handshake: silence, garbage and a huge header cost an error within the timeout") {
  SUBCASE("nothing at all") {
    Pair pair;  // the agent end stays open and silent
    auto started = Clock::now();
    auto client = AgentClient::handshake(std::move(pair.host_fd), 300ms);
    REQUIRE_FALSE(client.ok());
    CHECK(client.error().kind == ErrorKind::timeout);
    CHECK(Clock::now() - started < 3s);
  }
  SUBCASE("garbage instead of a hello") {
    Pair pair;
    pair.run([](FakeAgent& agent) { (void)agent.send_raw("HTTP/1.1 200 OK\r\n\r\n"); });
    auto client = AgentClient::handshake(std::move(pair.host_fd), 5s);
    REQUIRE_FALSE(client.ok());
    CHECK(client.error().kind == ErrorKind::protocol);
  }
  SUBCASE("a request frame before the hello") {
    Pair pair;
    pair.run([](FakeAgent& agent) { (void)agent.send(encode_request(1, StartContainer{"c"})); });
    auto client = AgentClient::handshake(std::move(pair.host_fd), 5s);
    REQUIRE_FALSE(client.ok());
    CHECK(client.error().kind == ErrorKind::protocol);
  }
  SUBCASE("the agent hangs up") {
    Pair pair;
    pair.agent.fd.reset();
    auto client = AgentClient::handshake(std::move(pair.host_fd), 5s);
    REQUIRE_FALSE(client.ok());
  }
}

TEST_CASE("connect: a missing socket is retried until the timeout") {
  auto started = Clock::now();
  auto client = AgentClient::connect("/nonexistent-kata-dir/agent.sock", 300ms);
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().kind == ErrorKind::timeout);
  CHECK(Clock::now() - started >= 250ms);
  CHECK(Clock::now() - started < 3s);
}

TEST_CASE("every RPC: request encoding and response decoding") {
  Pair pair;
  std::vector<Request> seen;
  AgentClient client = connected(pair, [&](FakeAgent& agent) {
    serve(agent, 14, [&](const IncomingRequest& incoming) -> Result<std::string> {
      seen.push_back(incoming.request);
      const std::string_view op = op_name(incoming.request);
      if (op == CreateContainer::kOp) return encode_response(incoming.id, ProcessStarted{41}.to_json());
      if (op == ExecProcess::kOp) return encode_response(incoming.id, ProcessStarted{57}.to_json());
      if (op == WaitProcess::kOp) return encode_response(incoming.id, ProcessStatus{137}.to_json());
      if (op == ListProcesses::kOp) return encode_response(incoming.id, ProcessList{{1, 7, 9}}.to_json());
      if (op == StatsContainer::kOp) {
        ContainerStats stats;
        stats.memory.usage_bytes = 123456;
        stats.pids.current = 3;
        return encode_response(incoming.id, stats.to_json());
      }
      return encode_response(incoming.id, Empty{}.to_json());
    });
  });
  const auto t = std::optional<std::chrono::milliseconds>(5s);
  StdioStreams stdio{1, 2, 3};
  nlohmann::json spec = {{"ociVersion", "1.1.0"}, {"root", {{"path", "/run/kata-containers/shared/c1/rootfs"}}}};
  nlohmann::json process = {{"args", {"/bin/ls"}}, {"cwd", "/"}};
  nlohmann::json resources = {{"pids", {{"limit", 10}}}};

  auto pid = client.create_container("c1", spec, stdio, true, t);
  REQUIRE(pid.ok());
  CHECK(*pid == 41);
  CHECK(client.start_container("c1", t).ok());
  auto exec_pid = client.exec_process("c1", "e1", process, StdioStreams{4, 5, 0}, t);
  REQUIRE(exec_pid.ok());
  CHECK(*exec_pid == 57);
  CHECK(client.signal_process("c1", "e1", 15, true, t).ok());
  auto status = client.wait_process("c1", "e1", t);
  REQUIRE(status.ok());
  CHECK(*status == 137);
  CHECK(client.close_stdin("c1", "e1", t).ok());
  CHECK(client.resize_tty("c1", "", 24, 80, t).ok());
  auto pids = client.list_processes("c1", t);
  REQUIRE(pids.ok());
  CHECK(*pids == std::vector<std::int64_t>{1, 7, 9});
  CHECK(client.pause_container("c1", t).ok());
  CHECK(client.resume_container("c1", t).ok());
  CHECK(client.update_container("c1", resources, t).ok());
  auto stats = client.stats_container("c1", t);
  REQUIRE(stats.ok());
  CHECK(stats->memory.usage_bytes == 123456);
  CHECK(stats->pids.current == 3);
  CHECK(client.remove_container("c1", t).ok());
  CHECK(client.destroy_sandbox(t).ok());
  pair.thread.join();

  REQUIRE(seen.size() == 14);
  const auto& create = std::get<CreateContainer>(seen[0]);
  CHECK(create.container_id == "c1");
  CHECK(create.spec == spec);
  CHECK(create.stdio.stdin_id == 1);
  CHECK(create.stdio.stdout_id == 2);
  CHECK(create.stdio.stderr_id == 3);
  CHECK(create.terminal);
  CHECK(std::get<StartContainer>(seen[1]).container_id == "c1");
  const auto& exec = std::get<ExecProcess>(seen[2]);
  CHECK(exec.exec_id == "e1");
  CHECK(exec.process == process);
  CHECK(exec.stdio.stdout_id == 5);
  const auto& signal = std::get<SignalProcess>(seen[3]);
  CHECK(signal.signal == 15);
  CHECK(signal.all);
  CHECK(signal.exec_id == "e1");
  CHECK(std::get<WaitProcess>(seen[4]).exec_id == "e1");
  CHECK(std::get<CloseStdin>(seen[5]).exec_id == "e1");
  const auto& resize = std::get<ResizeTty>(seen[6]);
  CHECK(resize.rows == 24);
  CHECK(resize.cols == 80);
  CHECK(std::get<ListProcesses>(seen[7]).container_id == "c1");
  CHECK(std::holds_alternative<PauseContainer>(seen[8]));
  CHECK(std::holds_alternative<ResumeContainer>(seen[9]));
  CHECK(std::get<UpdateContainer>(seen[10]).resources == resources);
  CHECK(std::holds_alternative<StatsContainer>(seen[11]));
  CHECK(std::get<RemoveContainer>(seen[12]).container_id == "c1");
  CHECK(std::holds_alternative<DestroySandbox>(seen[13]));
}

TEST_CASE("an error response arrives as kata::Error with the agent's kind, errno and message") {
  Pair pair;
  AgentClient client = connected(pair, [](FakeAgent& agent) {
    serve(agent, 2, [](const IncomingRequest& incoming) -> Result<std::string> {
      if (op_name(incoming.request) == CreateContainer::kOp) {
        return encode_error_response(incoming.id, sys_error(EPERM, "mount proc on /proc"));
      }
      return encode_error_response(incoming.id, make_error(ErrorKind::not_found, "container c9 does not exist"));
    });
  });
  auto created = client.create_container("c1", nlohmann::json::object(), {}, false, 5s);
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().kind == ErrorKind::system);
  CHECK(created.error().errno_value == EPERM);
  CHECK(created.error().message.find("mount proc on /proc: Operation not permitted") != std::string::npos);
  auto started = client.start_container("c9", 5s);
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().kind == ErrorKind::not_found);
  CHECK(started.error().message.find("container c9 does not exist") != std::string::npos);
}

TEST_CASE("pipelined requests are matched to responses by id, whatever their order") {
  Pair pair;
  AgentClient client = connected(pair, [](FakeAgent& agent) {
    std::vector<IncomingRequest> requests;
    for (int i = 0; i < 3; ++i) {
      auto frame = agent.receive();
      if (!frame) return;
      auto request = decode_request(*frame);
      if (!request) return;
      requests.push_back(*request);
    }
    // Answer in reverse order, each with a status derived from its exec id.
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
      const auto& wait = std::get<WaitProcess>(it->request);
      (void)agent.send(encode_response(it->id, ProcessStatus{std::stoi(wait.exec_id)}.to_json()));
    }
  });
  std::vector<AgentClient::RequestId> ids;
  for (const char* exec : {"10", "20", "30"}) {
    auto id = client.submit(WaitProcess{"c1", exec});
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto body = client.await_response(ids[i], 5s);
    REQUIRE(body.ok());
    auto status = ProcessStatus::from_json(*body);
    REQUIRE(status.ok());
    CHECK(status->status == static_cast<int>((i + 1) * 10));
  }
}

TEST_CASE("a misbehaving agent costs an error or a timeout, never a hang") {
  SUBCASE("garbage after the handshake breaks the connection for good") {
    Pair pair;
    AgentClient client = connected(pair, [](FakeAgent& agent) {
      (void)agent.receive();
      (void)agent.send_raw(std::string(64, 'x'));
    });
    auto started = client.start_container("c1", 5s);
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().kind == ErrorKind::protocol);
    auto again = client.pause_container("c1", 5s);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().kind == ErrorKind::protocol);
  }
  SUBCASE("a header announcing 4 GiB is refused before any payload") {
    Pair pair;
    AgentClient client = connected(pair, [](FakeAgent& agent) {
      auto frame = agent.receive();
      if (!frame) return;
      std::string header = {'\x4b', '\x01', '\x03', '\x00', '\x00', '\x00', '\x00',
                            static_cast<char>(frame->id), '\xff', '\xff', '\xff', '\xff'};
      (void)agent.send_raw(header);
    });
    auto started = client.start_container("c1", 5s);
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().kind == ErrorKind::protocol);
  }
  SUBCASE("no response at all: timeout, and the response is still accepted later") {
    Pair pair;
    std::promise<void> timed_out;
    AgentClient client = connected(pair, [&](FakeAgent& agent) {
      auto frame = agent.receive();
      if (!frame) return;
      timed_out.get_future().wait_for(10s);
      (void)agent.send(encode_response(frame->id, Empty{}.to_json()));
    });
    auto id = client.submit(StartContainer{"c1"});
    REQUIRE(id.ok());
    auto begun = Clock::now();
    auto body = client.await_response(*id, 200ms);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().kind == ErrorKind::timeout);
    CHECK(Clock::now() - begun < 3s);
    timed_out.set_value();
    CHECK(client.await_response(*id, 5s).ok());
  }
  SUBCASE("a response to a request never made") {
    Pair pair;
    AgentClient client = connected(pair, [](FakeAgent& agent) {
      auto frame = agent.receive();
      if (!frame) return;
      (void)agent.send(encode_response(frame->id + 1000, Empty{}.to_json()));
    });
    auto started = client.start_container("c1", 5s);
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().kind == ErrorKind::protocol);
  }
  SUBCASE("the agent hangs up mid-call") {
    Pair pair;
    AgentClient client = connected(pair, [](FakeAgent& agent) {
      (void)agent.receive();
      agent.fd.reset();
    });
    auto started = client.start_container("c1", 5s);
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().kind != ErrorKind::timeout);
  }
}

TEST_CASE("events are delivered in arrival order") {
  Pair pair;
  AgentClient client = connected(pair, [](FakeAgent& agent) {
    (void)agent.send(encode_event(Oom{"a"}));
    (void)agent.send(encode_event(ProcessExited{"b", "e", 3}));
    (void)agent.send(encode_event(Oom{"c"}));
  });
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto event = client.next_event(5s);
    REQUIRE(event.ok());
    REQUIRE(event->has_value());
    if (const auto* oom = std::get_if<Oom>(&**event)) order.push_back("oom " + oom->container_id);
    if (const auto* exited = std::get_if<ProcessExited>(&**event)) {
      order.push_back("exited " + exited->container_id + " " + std::to_string(exited->status));
    }
  }
  CHECK(order == std::vector<std::string>{"oom a", "exited b 3", "oom c"});
  auto none = client.next_event(100ms);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

namespace {

struct PipeFds {
  UniqueFd read;
  UniqueFd write;
  PipeFds() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

std::string read_all(int fd) {
  std::string all;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0) all.append(buffer, static_cast<std::size_t>(got));
  return all;
}

}  // namespace

TEST_CASE("run_until_exit relays stdin, stdout and stderr and returns the exit status") {
  Pair pair;
  AgentClient client = connected(pair, [](FakeAgent& agent) {
    // The echo process: stdin back on stdout, a line on stderr, exit 3.
    auto frame = agent.receive();
    if (!frame) return;
    auto request = decode_request(*frame);
    if (!request) return;
    auto stdio = std::get<CreateContainer>(request->request).stdio;
    (void)agent.send(encode_response(request->id, ProcessStarted{1}.to_json()));
    std::string input;
    while (true) {
      auto data = agent.receive();
      if (!data || data->id != stdio.stdin_id) return;
      if (data->type == FrameType::stream_close) break;
      input += data->payload;
    }
    (void)agent.send(encode_stream_data(stdio.stdout_id, input));
    (void)agent.send(encode_stream_data(stdio.stderr_id, "warning\n"));
    (void)agent.send(encode_stream_close(stdio.stdout_id));
    (void)agent.send(encode_stream_close(stdio.stderr_id));
    (void)agent.send(encode_event(Oom{"other"}));
    (void)agent.send(encode_event(ProcessExited{"c1", "", 3}));
  });
  auto stdio = client.allocate_stdio(true, false);
  REQUIRE(stdio.ok());
  CHECK(stdio->stdin_id != 0);
  CHECK(stdio->stdout_id != stdio->stderr_id);
  REQUIRE(client.create_container("c1", nlohmann::json::object(), *stdio, false, 5s).ok());

  PipeFds in, out, err;
  REQUIRE(write_all(in.write.get(), "hello from the host\n").ok());
  in.write.reset();
  auto status = client.run_until_exit("c1", "", *stdio, {in.read.get(), out.write.get(), err.write.get()}, 10s);
  REQUIRE(status.ok());
  CHECK(*status == 3);
  out.write.reset();
  err.write.reset();
  CHECK(read_all(out.read.get()) == "hello from the host\n");
  CHECK(read_all(err.read.get()) == "warning\n");
  // The unrelated event stays queued for whoever wants it.
  auto event = client.next_event(1s);
  REQUIRE(event.ok());
  REQUIRE(event->has_value());
  CHECK(std::holds_alternative<Oom>(**event));
}

TEST_CASE("a stalled host reader stops the agent after one window; reading resumes the flow") {
  constexpr std::size_t total = 256U << 10;
  auto pattern = [](std::size_t i) { return static_cast<char>('a' + i % 26); };

  Pair pair;
  std::promise<void> stalled;
  std::atomic<std::size_t> credit_while_stalled{0};
  std::atomic<std::uint64_t> sendable_when_stalled{1};
  std::atomic<bool> agent_ok{false};
  AgentClient client = connected(pair, [&](FakeAgent& agent) {
    auto frame = agent.receive();
    if (!frame) return;
    auto request = decode_request(*frame);
    if (!request) return;
    auto stdio = std::get<CreateContainer>(request->request).stdio;
    (void)agent.send(encode_response(request->id, ProcessStarted{1}.to_json()));
    StreamTable table(kDefaultStreamWindow, kDefaultStreamWindow);
    if (!table.open(stdio.stdout_id, StreamDirection::outbound)) return;
    std::size_t sent = 0;
    auto send_what_credit_allows = [&]() -> bool {
      while (sent < total) {
        auto sendable = table.sendable(stdio.stdout_id);
        if (!sendable || *sendable == 0) return sendable.ok();
        std::size_t n = std::min<std::size_t>({*sendable, total - sent, 16384});
        std::string chunk;
        for (std::size_t i = 0; i < n; ++i) chunk.push_back(pattern(sent + i));
        if (!agent.send(encode_stream_data(stdio.stdout_id, chunk))) return false;
        if (!table.record_sent(stdio.stdout_id, n)) return false;  // never beyond credit
        sent += n;
      }
      return true;
    };
    if (!send_what_credit_allows()) return;
    // Whatever credit comes now would be a bug: nobody reads the host pipe.
    while (true) {
      auto credit = agent.receive(500ms);
      if (!credit) break;
      if (credit->type == FrameType::stream_credit) credit_while_stalled += *decode_stream_credit(*credit);
      if (!table.on_frame(*credit)) return;
    }
    sendable_when_stalled = *table.sendable(stdio.stdout_id);
    stalled.set_value();
    while (sent < total) {
      auto credit = agent.receive(10s);
      if (!credit || !table.on_frame(*credit)) return;
      if (!send_what_credit_allows()) return;
    }
    (void)agent.send(encode_stream_close(stdio.stdout_id));
    (void)agent.send(encode_stream_close(stdio.stderr_id));
    (void)agent.send(encode_event(ProcessExited{"c1", "", 0}));
    agent_ok = true;
  });

  auto stdio = client.allocate_stdio(false, false);
  REQUIRE(stdio.ok());
  REQUIRE(client.create_container("c1", nlohmann::json::object(), *stdio, false, 5s).ok());
  PipeFds out;
  REQUIRE(::fcntl(out.write.get(), F_SETPIPE_SZ, 4096) >= 0);
  std::string received;
  std::thread reader([&] {
    stalled.get_future().wait_for(15s);
    char buffer[8192];
    while (received.size() < total) {
      ssize_t got = ::read(out.read.get(), buffer, sizeof buffer);
      if (got <= 0) break;
      received.append(buffer, static_cast<std::size_t>(got));
    }
  });
  auto status = client.run_until_exit("c1", "", *stdio, {-1, out.write.get(), -1}, 30s);
  reader.join();
  pair.thread.join();
  REQUIRE(status.ok());
  CHECK(*status == 0);
  CHECK(agent_ok);
  CHECK(credit_while_stalled == 0);
  CHECK(sendable_when_stalled == 0);
  REQUIRE(received.size() == total);
  bool intact = true;
  for (std::size_t i = 0; i < total; ++i) intact = intact && received[i] == pattern(i);
  CHECK(intact);
}
