#pragma once
// Frame layer of the host <-> agent protocol: the fixed 12-byte header, the
// encoder and the incremental decoder. The wire format is described in
// agent-client/protocol.hpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kata::agent_client {

/// First byte of every frame ('K'); anything else means the stream is not ours.
inline constexpr std::uint8_t kFrameMagic = 0x4b;
/// Second byte of every frame: version of the frame header layout itself.
inline constexpr std::uint8_t kFrameVersion = 1;
/// Bytes in a frame header.
inline constexpr std::size_t kFrameHeaderSize = 12;
/// Largest payload either side may send or accept (1 MiB): an OCI spec is
/// tens of KiB, stdio chunks are at most a stream window.
inline constexpr std::uint32_t kMaxFramePayload = 1U << 20;

/// What a frame carries. Values are on the wire; never renumber.
enum class FrameType : std::uint8_t {
  hello = 0x01,          ///< handshake, JSON, id 0
  request = 0x02,        ///< control RPC, JSON, id = request id (non-zero)
  response = 0x03,       ///< answer to a request, JSON, id = the request's id
  event = 0x04,          ///< asynchronous notification, JSON, id 0
  stream_data = 0x10,    ///< raw stdio bytes, id = stream id, non-empty
  stream_close = 0x11,   ///< sender's EOF on a stream, id = stream id, empty
  stream_credit = 0x12,  ///< receiver grants credit, id = stream id, 4-byte BE increment
};

/// Name of a frame type for messages ("stream_data").
std::string_view to_string(FrameType type);

/// Flag bit: a receiver that does not know this frame type drops the frame
/// instead of failing. Lets a newer peer send hints an older one may ignore.
inline constexpr std::uint8_t kFlagIgnorable = 0x01;
/// Flag bits that must be zero; a set reserved bit is a protocol error.
inline constexpr std::uint8_t kReservedFlags = static_cast<std::uint8_t>(~kFlagIgnorable);

/// One decoded frame; owns its payload.
struct Frame {
  FrameType type = FrameType::hello;
  std::uint8_t flags = 0;
  std::uint32_t id = 0;
  std::string payload;
};

/// A validated frame header.
struct FrameHeader {
  FrameType type = FrameType::hello;
  std::uint8_t flags = 0;
  std::uint32_t id = 0;
  std::uint32_t payload_size = 0;
  bool known_type = true;  ///< false for an unknown type flagged ignorable
};

/// Parses and validates the first kFrameHeaderSize bytes of `bytes`: magic,
/// version, flags, type, id and size rules per type, payload_size <=
/// `max_payload`. Fails with ErrorKind::protocol.
Result<FrameHeader> parse_frame_header(std::string_view bytes, std::uint32_t max_payload);

/// Appends the encoded frame to `out`. Fails (invalid_argument, `out`
/// untouched) if the frame breaks the rules the decoder enforces, e.g. a
/// payload larger than `max_payload`.
Result<void> append_frame(std::string& out, FrameType type, std::uint32_t id, std::string_view payload,
                          std::uint8_t flags = 0, std::uint32_t max_payload = kMaxFramePayload);

/// The encoded frame as a new string; same rules as append_frame().
Result<std::string> encode_frame(FrameType type, std::uint32_t id, std::string_view payload,
                                 std::uint8_t flags = 0, std::uint32_t max_payload = kMaxFramePayload);

/// Outcome of FrameDecoder::fill_from().
struct FillResult {
  std::size_t bytes = 0;     ///< bytes read by this call
  bool eof = false;          ///< the peer closed its end
  bool would_block = false;  ///< the fd had nothing more to read right now
};

/// Incremental decoder: feed it bytes as they arrive, take complete frames
/// out. Its buffer never holds more than one maximal frame
/// (kFrameHeaderSize + max_payload bytes); a header announcing a larger
/// payload is rejected as soon as its 12 bytes arrive, before any payload is
/// buffered. Any protocol error poisons the decoder: every later call fails
/// and the caller must drop the connection, since framing is lost.
class FrameDecoder {
 public:
  /// A decoder accepting payloads up to `max_payload` (capped at kMaxFramePayload).
  explicit FrameDecoder(std::uint32_t max_payload = kMaxFramePayload);

  /// Bytes feed() accepts right now. Zero means: call next() first.
  [[nodiscard]] std::size_t space() const;

  /// Appends `bytes`. Fails with internal if bytes.size() > space() (a
  /// caller bug), with protocol if the decoder is poisoned or a buffered
  /// header is invalid.
  Result<void> feed(std::string_view bytes);

  /// Reads at most space() bytes from `fd` (normally non-blocking) and feeds
  /// them. EINTR is retried; EAGAIN sets would_block; 0 sets eof.
  Result<FillResult> fill_from(int fd);

  /// The next complete frame, or nullopt when more bytes are needed. Frames of
  /// unknown type flagged kFlagIgnorable are skipped. Fails with protocol on
  /// an invalid header (and stays failed).
  Result<std::optional<Frame>> next();

  /// Call when the peer closed the connection: fails with protocol if a
  /// partial frame is buffered (truncated frame), succeeds on a frame boundary.
  Result<void> finish() const;

  /// True once a protocol error was seen.
  [[nodiscard]] bool poisoned() const { return poison_.has_value(); }
  /// Bytes buffered and not yet returned as frames.
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - start_; }

 private:
  Result<void> check_header();
  void compact();

  std::uint32_t max_payload_;
  std::string buffer_;      // bytes [start_, size) are pending
  std::size_t start_ = 0;
  std::optional<FrameHeader> header_;  // header of the frame at start_, once validated
  std::optional<Error> poison_;
};

}  // namespace kata::agent_client
