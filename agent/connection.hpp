#pragma once
// The agent's end of one host connection on the port: handshake state, frame
// decoding, the stream flow-control table and a non-blocking outbound queue.
//
// The port outlives connections: QEMU's chardev socket lets the host
// disconnect and reconnect. A virtio-serial port polls POLLHUP while no host
// is attached; the server calls reset() then and, when the host is back,
// begin() sends a fresh hello. A hello arriving on an established connection
// also starts a new one: the host reconnected faster than we noticed, or this
// is a clone of a VM template, saved with the template's host connected, and
// the clone's host, connected before the state loaded, says hello.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent-client/protocol.hpp"
#include "common/error.hpp"

namespace kata::agent {

/// Where a connection is in its life.
enum class ConnectionState {
  detached,        ///< no host attached (or a broken one): input is ignored
  awaiting_hello,  ///< our hello is queued; the first frame must be the host's
  ready,           ///< handshake done: requests and streams flow
  broken,          ///< protocol error: framing lost, input discarded until the host detaches
};

/// One host connection over a non-blocking fd it does not own.
class Connection {
 public:
  /// `build_version` goes into our hello.
  Connection(int fd, std::string build_version);

  /// Starts a connection: fresh decoder and queue, our hello queued.
  void begin();
  /// Forgets the connection (host detached): queue, decoder, streams.
  void reset();
  /// Marks the connection broken after a protocol error: nothing more is read or sent.
  void break_connection();

  /// Reads what the fd has into the decoder. Returns false when the host
  /// hung up (EOF / EPIPE); errors are fatal system errors.
  Result<bool> fill();
  /// The next complete frame, if any; protocol errors mean break_connection().
  Result<std::optional<agent_client::Frame>> next_frame();
  /// Completes the handshake with the host's hello frame.
  Result<void> accept_hello(const agent_client::Frame& frame);

  /// Queues an encoded frame (dropped unless ready or awaiting_hello).
  void send(std::string frame);
  /// Queues an encoded frame, ignoring an encoding error (logged).
  void send(Result<std::string> frame);
  /// Writes as much of the queue as the fd takes now. Returns false when
  /// the host hung up.
  Result<bool> flush();
  /// Bytes queued and not yet written.
  [[nodiscard]] std::size_t queued() const { return out_.size() - out_start_; }

  /// Current state.
  [[nodiscard]] ConnectionState state() const { return state_; }
  /// True once the handshake is done.
  [[nodiscard]] bool ready() const { return state_ == ConnectionState::ready; }
  /// The stream table (only when ready()).
  agent_client::StreamTable& streams() { return *streams_; }
  /// The negotiated session (only when ready()).
  [[nodiscard]] const agent_client::Session& session() const { return *session_; }
  /// The port fd.
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
  std::string build_version_;
  ConnectionState state_ = ConnectionState::detached;
  agent_client::FrameDecoder decoder_;
  std::string out_;
  std::size_t out_start_ = 0;
  std::optional<agent_client::Session> session_;
  std::optional<agent_client::StreamTable> streams_;
};

}  // namespace kata::agent
