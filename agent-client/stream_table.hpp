#pragma once
// Credit-based flow control for the multiplexed stdio streams, as an
// I/O-free state machine shared by agent and host: it decides and checks,
// the caller moves the bytes.
//
// A stream is one-way: one side sends stream_data frames and finally a
// stream_close (EOF), the other grants credit with stream_credit frames.
// Each stream starts with the receiver's announced window (Hello::
// stream_window) as credit, so no frame is needed before data can flow. The
// invariant is: bytes in flight + bytes buffered by the receiver <= window,
// so a reader that stops reading stops the writer after one window, and
// neither side buffers without bound.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent-client/frame.hpp"
#include "common/error.hpp"

namespace kata::agent_client {

/// Most streams a table tracks at once (bounds what a peer can make us keep).
inline constexpr std::size_t kMaxStreams = 4096;

/// Sender side of one stream: bytes the peer still lets us send.
class SendWindow {
 public:
  /// Starts with `initial_credit` (the peer's announced window).
  explicit SendWindow(std::uint32_t initial_credit) : credit_(initial_credit) {}
  /// Bytes that may be sent now.
  [[nodiscard]] std::uint64_t available() const { return credit_; }
  /// Records `bytes` sent; internal error if more than available() (a caller bug).
  Result<void> consume(std::size_t bytes);
  /// Adds credit from a stream_credit frame; protocol error if `bytes` is 0
  /// or the credit would exceed `max_window` (no honest receiver grants that).
  Result<void> grant(std::uint32_t bytes, std::uint32_t max_window);

 private:
  std::uint64_t credit_;
};

/// Receiver side of one stream: credit granted and not yet used by the peer
/// (outstanding) plus bytes received and not yet consumed (buffered) never
/// exceed the window.
class ReceiveWindow {
 public:
  /// Starts with `window` bytes granted (the window we announced).
  explicit ReceiveWindow(std::uint32_t window) : window_(window), outstanding_(window) {}
  /// Records `bytes` of received data; protocol error if the peer exceeded
  /// its credit (overrun).
  Result<void> on_data(std::size_t bytes);
  /// Records that the application took `bytes` out of its buffer; internal
  /// error if more than buffered().
  Result<void> consume(std::size_t bytes);
  /// Credit to grant now, already counted as outstanding: the free part of
  /// the window once it reaches half the window (so that grants are not
  /// sent for every few bytes), else 0.
  std::uint32_t take_grant();
  /// Bytes received and not yet consumed.
  [[nodiscard]] std::uint64_t buffered() const { return buffered_; }
  /// Credit granted and not yet used by the peer.
  [[nodiscard]] std::uint64_t outstanding() const { return outstanding_; }
  /// The window size.
  [[nodiscard]] std::uint32_t window() const { return window_; }

 private:
  std::uint32_t window_;
  std::uint64_t outstanding_;
  std::uint64_t buffered_ = 0;
};

/// Which way a stream flows, seen from the table's owner.
enum class StreamDirection {
  inbound,   ///< we receive (host: stdout/stderr; agent: stdin)
  outbound,  ///< we send (host: stdin; agent: stdout/stderr)
};

/// What a stream frame from the peer meant, returned by StreamTable::on_frame.
struct StreamEvent {
  enum class Kind {
    data,     ///< `bytes` of data on inbound stream `id`: deliver frame.payload
    eof,      ///< the peer closed inbound stream `id`
    credit,   ///< outbound stream `id` may send more (see sendable())
    ignored,  ///< credit for a stream we closed already; nothing to do
  };
  Kind kind = Kind::ignored;
  std::uint32_t id = 0;
  std::size_t bytes = 0;
};

/// Flow-control state of every stream of one connection.
class StreamTable {
 public:
  /// `receive_window`: credit we grant each inbound stream (our
  /// Hello::stream_window); `send_window`: initial credit of each outbound
  /// stream (the peer's); both from Session.
  StreamTable(std::uint32_t receive_window, std::uint32_t send_window, std::size_t max_streams = kMaxStreams);

  /// Starts tracking stream `id`. Fails with invalid_argument for id 0 or an
  /// id in use, with wrong_state when max_streams are open.
  Result<void> open(std::uint32_t id, StreamDirection direction);

  /// Bytes that may be sent on outbound stream `id` right now (0: wait for
  /// credit); not_found for an unknown id.
  [[nodiscard]] Result<std::uint64_t> sendable(std::uint32_t id) const;
  /// Records `bytes` sent on outbound stream `id` (internal error beyond sendable()).
  Result<void> record_sent(std::uint32_t id, std::size_t bytes);
  /// Forgets outbound stream `id` after we sent its stream_close.
  Result<void> close_outbound(std::uint32_t id);

  /// Accounts for a stream frame (data, close or credit) from the peer.
  /// Protocol errors: data or close on an unknown, outbound or already
  /// closed stream; data beyond granted credit; credit on an inbound stream.
  /// Credit for an unknown id is ignored: it may cross our stream_close.
  Result<StreamEvent> on_frame(const Frame& frame);

  /// Records that the application consumed `bytes` of inbound stream `id`
  /// and returns credit to send back in a stream_credit frame (0: none yet).
  Result<std::uint32_t> consume(std::uint32_t id, std::size_t bytes);

  /// Forgets inbound stream `id` (after its EOF, or when tearing down).
  void remove(std::uint32_t id);

  /// True when stream `id` is tracked.
  [[nodiscard]] bool contains(std::uint32_t id) const { return streams_.count(id) != 0; }
  /// Number of tracked streams.
  [[nodiscard]] std::size_t size() const { return streams_.size(); }

 private:
  struct Stream {
    StreamDirection direction;
    SendWindow send;
    ReceiveWindow receive;
    bool eof = false;  // inbound only: the peer sent stream_close
  };

  std::uint32_t receive_window_;
  std::uint32_t send_window_;
  std::size_t max_streams_;
  std::unordered_map<std::uint32_t, Stream> streams_;
};

/// A stream_data frame carrying `bytes` (1..max payload) on stream `id`.
Result<std::string> encode_stream_data(std::uint32_t id, std::string_view bytes);
/// A stream_close frame: EOF on stream `id` from its sender.
Result<std::string> encode_stream_close(std::uint32_t id);
/// A stream_credit frame granting `bytes` more on stream `id`.
Result<std::string> encode_stream_credit(std::uint32_t id, std::uint32_t bytes);
/// The increment carried by a stream_credit frame.
Result<std::uint32_t> decode_stream_credit(const Frame& frame);

}  // namespace kata::agent_client
