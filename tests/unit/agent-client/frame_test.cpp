#include "agent-client/frame.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/unique_fd.hpp"

using namespace kata;
using namespace kata::agent_client;

namespace {

std::string frame_bytes(FrameType type, std::uint32_t id, std::string_view payload, std::uint8_t flags = 0) {
  auto encoded = encode_frame(type, id, payload, flags);
  REQUIRE(encoded.ok());
  return *encoded;
}

// A raw header, bypassing the encoder's checks, to play a hostile peer.
std::string raw_header(std::uint8_t magic, std::uint8_t version, std::uint8_t type, std::uint8_t flags,
                       std::uint32_t id, std::uint32_t length) {
  std::string out;
  out.push_back(static_cast<char>(magic));
  out.push_back(static_cast<char>(version));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  for (std::uint32_t value : {id, length}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
  return out;
}

std::vector<Frame> drain(FrameDecoder& decoder) {
  std::vector<Frame> frames;
  while (true) {
    auto frame = decoder.next();
    REQUIRE(frame.ok());
    if (!frame->has_value()) return frames;
    frames.push_back(std::move(**frame));
  }
}

bool same_frame(const Frame& a, const Frame& b) {
  return a.type == b.type && a.flags == b.flags && a.id == b.id && a.payload == b.payload;
}

}  // namespace

TEST_CASE("a frame's header is big-endian with magic, version, type, flags, id and length") {
  std::string bytes = frame_bytes(FrameType::request, 0x01020304, "{}");
  REQUIRE(bytes.size() == kFrameHeaderSize + 2);
  CHECK(bytes.substr(0, kFrameHeaderSize) == raw_header(0x4b, 1, 0x02, 0, 0x01020304, 2));
  CHECK(bytes.substr(kFrameHeaderSize) == "{}");
}

TEST_CASE("frames split at every byte boundary decode the same") {
  std::string binary_payload("\0\xff\x01 data\n", 8);
  std::vector<Frame> sent = {
      {FrameType::hello, 0, 0, R"({"role":"host"})"},
      {FrameType::request, 0, 7, R"({"op":"start_container"})"},
      {FrameType::stream_data, 0, 3, binary_payload},
      {FrameType::stream_close, 0, 3, ""},
      {FrameType::stream_credit, 0, 5, std::string("\0\0\x10\0", 4)},
  };
  std::string wire;
  for (const auto& frame : sent) wire += frame_bytes(frame.type, frame.id, frame.payload);

  for (std::size_t split = 0; split <= wire.size(); ++split) {
    CAPTURE(split);
    FrameDecoder decoder;
    REQUIRE(decoder.feed(std::string_view(wire).substr(0, split)).ok());
    auto frames = drain(decoder);
    REQUIRE(decoder.feed(std::string_view(wire).substr(split)).ok());
    auto rest = drain(decoder);
    frames.insert(frames.end(), rest.begin(), rest.end());
    REQUIRE(frames.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) CHECK(same_frame(frames[i], sent[i]));
    CHECK(decoder.finish().ok());
  }

  SUBCASE("one byte at a time") {
    FrameDecoder decoder;
    std::vector<Frame> frames;
    for (char c : wire) {
      REQUIRE(decoder.feed(std::string_view(&c, 1)).ok());
      auto got = drain(decoder);
      frames.insert(frames.end(), got.begin(), got.end());
    }
    REQUIRE(frames.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) CHECK(same_frame(frames[i], sent[i]));
  }
}

TEST_CASE("a header announcing an oversized payload is rejected before the payload arrives") {
  FrameDecoder decoder(4096);
  auto fed = decoder.feed(raw_header(0x4b, 1, 0x10, 0, 1, 4097));
  REQUIRE_FALSE(fed.ok());
  CHECK(fed.error().kind == ErrorKind::protocol);
  CHECK(decoder.poisoned());
  // Nothing beyond the header was buffered, and the decoder stays failed.
  CHECK(decoder.buffered() == kFrameHeaderSize);
  CHECK(decoder.space() == 0);
  CHECK_FALSE(decoder.next().ok());
  CHECK_FALSE(decoder.finish().ok());

  FrameDecoder full;
  auto huge = full.feed(raw_header(0x4b, 1, 0x02, 0, 1, 0xffffffff));
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().kind == ErrorKind::protocol);
}

TEST_CASE("the encoder refuses to build an oversized frame") {
  std::string payload(kMaxFramePayload + 1, 'x');
  auto encoded = encode_frame(FrameType::stream_data, 1, payload);
  REQUIRE_FALSE(encoded.ok());
  CHECK(encoded.error().kind == ErrorKind::invalid_argument);
  CHECK(encode_frame(FrameType::stream_data, 1, std::string_view(payload).substr(0, kMaxFramePayload)).ok());
  CHECK_FALSE(encode_frame(FrameType::stream_data, 1, "12345", 0, 4).ok());
}

TEST_CASE("the decoder buffers at most one maximal frame") {
  FrameDecoder decoder(4096);
  CHECK(decoder.space() == kFrameHeaderSize + 4096);
  std::string frame = frame_bytes(FrameType::stream_data, 1, std::string(4096, 'a'));
  REQUIRE(decoder.feed(frame).ok());
  CHECK(decoder.space() == 0);
  auto refused = decoder.feed("x");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::internal);
  CHECK(drain(decoder).size() == 1);
  CHECK(decoder.space() == kFrameHeaderSize + 4096);
}

TEST_CASE("a frame cut short by EOF is reported as truncated") {
  std::string frame = frame_bytes(FrameType::request, 9, R"({"op":"x"})");
  for (std::size_t cut = 1; cut < frame.size(); ++cut) {
    CAPTURE(cut);
    FrameDecoder decoder;
    REQUIRE(decoder.feed(std::string_view(frame).substr(0, cut)).ok());
    CHECK(drain(decoder).empty());
    auto finished = decoder.finish();
    REQUIRE_FALSE(finished.ok());
    CHECK(finished.error().kind == ErrorKind::protocol);
  }
}

TEST_CASE("invalid headers poison the decoder") {
  struct Case {
    const char* what;
    std::string header;
  };
  std::vector<Case> cases = {
      {"bad magic", raw_header(0x4c, 1, 0x02, 0, 1, 2)},
      {"bad version", raw_header(0x4b, 2, 0x02, 0, 1, 2)},
      {"unknown type", raw_header(0x4b, 1, 0x7f, 0, 1, 2)},
      {"reserved flag", raw_header(0x4b, 1, 0x02, 0x80, 1, 2)},
      {"request id 0", raw_header(0x4b, 1, 0x02, 0, 0, 2)},
      {"hello with id", raw_header(0x4b, 1, 0x01, 0, 3, 2)},
      {"empty data", raw_header(0x4b, 1, 0x10, 0, 3, 0)},
      {"close with payload", raw_header(0x4b, 1, 0x11, 0, 3, 1)},
      {"credit of 3 bytes", raw_header(0x4b, 1, 0x12, 0, 3, 3)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    FrameDecoder decoder;
    auto fed = decoder.feed(c.header);
    REQUIRE_FALSE(fed.ok());
    CHECK(fed.error().kind == ErrorKind::protocol);
    CHECK(decoder.poisoned());
    CHECK_FALSE(decoder.feed("").ok());
  }
}

TEST_CASE("an unknown frame type flagged ignorable is skipped") {
  std::string wire = raw_header(0x4b, 1, 0x7f, kFlagIgnorable, 0, 3) + "abc" +
                     frame_bytes(FrameType::event, 0, R"({"event":"oom"})");
  FrameDecoder decoder;
  REQUIRE(decoder.feed(wire).ok());
  auto frames = drain(decoder);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].type == FrameType::event);
  CHECK(decoder.finish().ok());
}

TEST_CASE("fill_from reads a non-blocking socket and reports EOF mid-frame") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
  UniqueFd reader(fds[0]);
  UniqueFd writer(fds[1]);

  FrameDecoder decoder;
  auto empty = decoder.fill_from(reader.get());
  REQUIRE(empty.ok());
  CHECK(empty->would_block);
  CHECK(empty->bytes == 0);

  std::string frame = frame_bytes(FrameType::stream_data, 4, "hello");
  std::string wire = frame + frame.substr(0, 7);
  REQUIRE(::write(writer.get(), wire.data(), wire.size()) == static_cast<ssize_t>(wire.size()));
  writer.reset();

  std::size_t total = 0;
  bool eof = false;
  while (!eof) {
    auto filled = decoder.fill_from(reader.get());
    REQUIRE(filled.ok());
    total += filled->bytes;
    eof = filled->eof;
  }
  CHECK(total == wire.size());
  auto frames = drain(decoder);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == "hello");
  CHECK_FALSE(decoder.finish().ok());
}
