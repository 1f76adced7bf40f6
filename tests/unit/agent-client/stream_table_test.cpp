#include "agent-client/stream_table.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace kata;
using namespace kata::agent_client;

namespace {

constexpr std::uint32_t kWindow = 64 * 1024;
constexpr std::uint32_t kStdout = 6;

// Both ends of one connection in memory: the agent writes a process's stdout,
// the host reads it. Bytes pass through the real encoder and decoder.
struct Link {
  StreamTable agent{kWindow, kWindow};
  StreamTable host{kWindow, kWindow};
  std::string agent_to_host;  // wire bytes not yet read by the host
  std::string host_to_agent;
  std::string host_buffer;    // what the host received and did not consume yet
  std::size_t agent_sent = 0;
  bool host_eof = false;

  Link() {
    REQUIRE(agent.open(kStdout, StreamDirection::outbound).ok());
    REQUIRE(host.open(kStdout, StreamDirection::inbound).ok());
  }

  // The agent sends as much of `want` bytes as its credit allows, in 4 KiB
  // chunks, like a relay copying from a pipe.
  void agent_write(std::size_t want) {
    while (want > 0) {
      auto credit = agent.sendable(kStdout);
      REQUIRE(credit.ok());
      std::size_t chunk = std::min<std::size_t>({want, *credit, 4096});
      if (chunk == 0) return;
      auto frame = encode_stream_data(kStdout, std::string(chunk, 'o'));
      REQUIRE(frame.ok());
      agent_to_host += *frame;
      REQUIRE(agent.record_sent(kStdout, chunk).ok());
      agent_sent += chunk;
      want -= chunk;
    }
  }

  // Delivers every frame in flight to `table`; returns the first error.
  static Result<void> deliver(std::string& wire, StreamTable& table, std::string* data, bool* eof) {
    FrameDecoder decoder;
    while (!wire.empty()) {
      std::size_t n = std::min(wire.size(), decoder.space());
      KATA_TRY(decoder.feed(std::string_view(wire).substr(0, n)));
      wire.erase(0, n);
      while (true) {
        auto frame = KATA_TRY(decoder.next());
        if (!frame) break;
        auto event = KATA_TRY(table.on_frame(*frame));
        if (event.kind == StreamEvent::Kind::data && data) *data += frame->payload;
        if (event.kind == StreamEvent::Kind::eof && eof) *eof = true;
      }
    }
    return decoder.finish();
  }

  void host_receive() { REQUIRE(deliver(agent_to_host, host, &host_buffer, &host_eof).ok()); }

  // The host consumes `n` buffered bytes and sends any credit it owes.
  void host_consume(std::size_t n) {
    REQUIRE(n <= host_buffer.size());
    host_buffer.erase(0, n);
    auto grant = host.consume(kStdout, n);
    REQUIRE(grant.ok());
    if (*grant > 0) {
      auto frame = encode_stream_credit(kStdout, *grant);
      REQUIRE(frame.ok());
      host_to_agent += *frame;
    }
  }

  void agent_receive() { REQUIRE(deliver(host_to_agent, agent, nullptr, nullptr).ok()); }
};

}  // namespace

TEST_CASE("a writer stops after one window while the reader reads nothing, and resumes on credit") {
  Link link;
  link.agent_write(1 << 20);
  CHECK(link.agent_sent == kWindow);
  link.host_receive();
  CHECK(link.host_buffer.size() == kWindow);

  // Still stalled: more attempts send nothing, and the host buffers no more.
  link.agent_write(1 << 20);
  CHECK(link.agent_sent == kWindow);
  CHECK(link.agent_to_host.empty());

  // Consuming a little is not worth a credit frame yet; nothing moves.
  link.host_consume(1000);
  CHECK(link.host_to_agent.empty());
  link.agent_write(1 << 20);
  CHECK(link.agent_sent == kWindow);

  // Once half the window is free the host grants exactly the free space,
  // and the agent sends exactly that much more.
  link.host_consume(kWindow / 2 - 1000);
  CHECK_FALSE(link.host_to_agent.empty());
  link.agent_receive();
  CHECK(*link.agent.sendable(kStdout) == kWindow / 2);
  link.agent_write(1 << 20);
  CHECK(link.agent_sent == kWindow + kWindow / 2);
  link.host_receive();
  CHECK(link.host_buffer.size() == kWindow);  // never more than the window

  // Draining everything repeatedly moves all the data through.
  constexpr std::size_t kTotal = 1 << 20;
  for (int round = 0; round < 20 && link.agent_sent < kTotal; ++round) {
    link.host_consume(link.host_buffer.size());
    link.agent_receive();
    link.agent_write(kTotal - link.agent_sent);
    link.host_receive();
    CHECK(link.host_buffer.size() <= kWindow);
  }
  CHECK(link.agent_sent == kTotal);
}

TEST_CASE("data beyond granted credit is detected as an overrun") {
  Link link;
  link.agent_write(kWindow);
  link.host_receive();
  // A misbehaving agent ignores its credit and sends one more byte.
  auto extra = encode_stream_data(kStdout, "x");
  REQUIRE(extra.ok());
  link.agent_to_host = *extra;
  auto delivered = Link::deliver(link.agent_to_host, link.host, nullptr, nullptr);
  REQUIRE_FALSE(delivered.ok());
  CHECK(delivered.error().kind == ErrorKind::protocol);

  // A well-behaved sender cannot record more than its credit either.
  auto overspent = link.agent.record_sent(kStdout, 1);
  REQUIRE_FALSE(overspent.ok());
  CHECK(overspent.error().kind == ErrorKind::internal);
}

TEST_CASE("credit beyond the window is a protocol error") {
  StreamTable table(kWindow, kWindow);
  REQUIRE(table.open(3, StreamDirection::outbound).ok());
  auto frame = encode_stream_credit(3, 1);  // the full window is already available
  REQUIRE(frame.ok());
  auto event = table.on_frame(Frame{FrameType::stream_credit, 0, 3, frame->substr(kFrameHeaderSize)});
  REQUIRE_FALSE(event.ok());
  CHECK(event.error().kind == ErrorKind::protocol);
}

TEST_CASE("EOF propagates per stream, and nothing may follow it") {
  Link link;
  StreamTable& host = link.host;
  REQUIRE(host.open(7, StreamDirection::inbound).ok());  // stderr stays open

  link.agent_write(10);
  auto close = encode_stream_close(kStdout);
  REQUIRE(close.ok());
  link.agent_to_host += *close;
  REQUIRE(link.agent.close_outbound(kStdout).ok());
  CHECK_FALSE(link.agent.contains(kStdout));
  link.host_receive();
  CHECK(link.host_eof);
  CHECK(link.host_buffer.size() == 10);

  // Data or a second close after EOF is a protocol error; stream 7 is unaffected.
  auto late = host.on_frame(Frame{FrameType::stream_data, 0, kStdout, "late"});
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == ErrorKind::protocol);
  CHECK_FALSE(host.on_frame(Frame{FrameType::stream_close, 0, kStdout, ""}).ok());
  auto other = host.on_frame(Frame{FrameType::stream_data, 0, 7, "err"});
  REQUIRE(other.ok());
  CHECK(other->kind == StreamEvent::Kind::data);

  // No credit is granted on a finished stream; it can then be forgotten.
  auto grant = host.consume(kStdout, 10);
  REQUIRE(grant.ok());
  CHECK(*grant == 0);
  host.remove(kStdout);
  CHECK_FALSE(host.contains(kStdout));
}

TEST_CASE("frames on unknown or wrong-direction streams") {
  StreamTable table(kWindow, kWindow);
  REQUIRE(table.open(1, StreamDirection::inbound).ok());
  REQUIRE(table.open(2, StreamDirection::outbound).ok());
  auto credit = encode_stream_credit(1, 100);
  REQUIRE(credit.ok());
  std::string credit_payload = credit->substr(kFrameHeaderSize);

  CHECK(table.on_frame(Frame{FrameType::stream_data, 0, 9, "x"}).error().kind == ErrorKind::protocol);
  CHECK(table.on_frame(Frame{FrameType::stream_close, 0, 9, ""}).error().kind == ErrorKind::protocol);
  CHECK(table.on_frame(Frame{FrameType::stream_data, 0, 2, "x"}).error().kind == ErrorKind::protocol);
  CHECK(table.on_frame(Frame{FrameType::stream_credit, 0, 1, credit_payload}).error().kind == ErrorKind::protocol);
  // Credit for a stream we already closed may cross our close: ignored.
  auto stale = table.on_frame(Frame{FrameType::stream_credit, 0, 9, credit_payload});
  REQUIRE(stale.ok());
  CHECK(stale->kind == StreamEvent::Kind::ignored);
}

TEST_CASE("the table refuses id 0, duplicates and more than its stream limit") {
  StreamTable table(kWindow, kWindow, 2);
  CHECK(table.open(0, StreamDirection::inbound).error().kind == ErrorKind::invalid_argument);
  REQUIRE(table.open(1, StreamDirection::inbound).ok());
  CHECK(table.open(1, StreamDirection::outbound).error().kind == ErrorKind::invalid_argument);
  REQUIRE(table.open(2, StreamDirection::outbound).ok());
  CHECK(table.open(3, StreamDirection::outbound).error().kind == ErrorKind::wrong_state);
  CHECK(table.size() == 2);
}
