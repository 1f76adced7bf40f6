// Both ends of a connection in one process over a socketpair: handshake,
// a request answered with an error, an event and a stdio stream with EOF.
#include "agent-client/protocol.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <optional>
#include <string>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"

using namespace kata;
using namespace kata::agent_client;

namespace {

// One end: a socket and its decoder.
struct Endpoint {
  UniqueFd fd;
  FrameDecoder decoder;

  void send(const Result<std::string>& bytes) {
    REQUIRE(bytes.ok());
    REQUIRE(write_all(fd.get(), *bytes).ok());
  }

  // The next frame; the socket is non-blocking and the peer wrote first, so
  // a bounded number of reads suffices.
  Frame receive() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto frame = decoder.next();
      REQUIRE(frame.ok());
      if (frame->has_value()) return std::move(**frame);
      auto filled = decoder.fill_from(fd.get());
      REQUIRE(filled.ok());
      REQUIRE_FALSE(filled->eof);
    }
    FAIL("no frame arrived");
    return {};
  }
};

}  // namespace

TEST_CASE("host and agent talk over a socketpair") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
  Endpoint host{UniqueFd(fds[0]), FrameDecoder()};
  Endpoint agent{UniqueFd(fds[1]), FrameDecoder()};

  Hello host_hello;
  host_hello.role = Role::host;
  host_hello.build_version = "host";
  Hello agent_hello;
  agent_hello.role = Role::agent;
  agent_hello.build_version = "agent-1";
  host.send(encode_hello(host_hello));
  agent.send(encode_hello(agent_hello));
  auto host_session = negotiate(host_hello, *decode_hello(host.receive()));
  auto agent_session = negotiate(agent_hello, *decode_hello(agent.receive()));
  REQUIRE(host_session.ok());
  REQUIRE(agent_session.ok());
  CHECK(host_session->peer_build_version == "agent-1");

  StreamTable host_streams(host_session->receive_window, host_session->send_window);
  StreamTable agent_streams(agent_session->receive_window, agent_session->send_window);
  REQUIRE(host_streams.open(2, StreamDirection::inbound).ok());

  CreateContainer create{"c1", {{"ociVersion", "1.1.0"}}, StdioStreams{0, 2, 0}, false};
  host.send(encode_request(1, create));

  auto incoming = decode_request(agent.receive());
  REQUIRE(incoming.ok());
  REQUIRE(std::holds_alternative<CreateContainer>(incoming->request));
  const auto& received = std::get<CreateContainer>(incoming->request);
  CHECK(received.container_id == "c1");
  REQUIRE(agent_streams.open(received.stdio.stdout_id, StreamDirection::outbound).ok());
  agent.send(encode_stream_data(2, "booting\n"));
  REQUIRE(agent_streams.record_sent(2, 8).ok());
  agent.send(encode_stream_close(2));
  REQUIRE(agent_streams.close_outbound(2).ok());
  agent.send(encode_error_response(incoming->id, sys_error(EPERM, "mount proc on /proc").wrap("create container")));
  agent.send(encode_event(ProcessExited{"c1", "", 1}));

  auto data = host.receive();
  auto data_event = host_streams.on_frame(data);
  REQUIRE(data_event.ok());
  CHECK(data_event->kind == StreamEvent::Kind::data);
  CHECK(data.payload == "booting\n");
  auto eof_event = host_streams.on_frame(host.receive());
  REQUIRE(eof_event.ok());
  CHECK(eof_event->kind == StreamEvent::Kind::eof);

  auto response = decode_response(host.receive());
  REQUIRE(response.ok());
  CHECK(response->id == 1);
  auto started = response_body<CreateContainer::Response>(*response);
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().errno_value == EPERM);
  CHECK(started.error().message == "create container: mount proc on /proc: Operation not permitted");

  auto event = decode_event(host.receive());
  REQUIRE(event.ok());
  REQUIRE(std::holds_alternative<ProcessExited>(*event));
  CHECK(std::get<ProcessExited>(*event).status == 1);
  CHECK(host.decoder.finish().ok());
}
