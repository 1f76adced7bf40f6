#include "agent-client/stream_table.hpp"

namespace kata::agent_client {

Result<void> SendWindow::consume(std::size_t bytes) {
  if (bytes > credit_) {
    return make_error(ErrorKind::internal, "stream: sending {} bytes with {} bytes of credit", bytes, credit_);
  }
  credit_ -= bytes;
  return ok();
}

Result<void> SendWindow::grant(std::uint32_t bytes, std::uint32_t max_window) {
  if (bytes == 0) return make_error(ErrorKind::protocol, "stream: credit of 0 bytes");
  if (credit_ + bytes > max_window) {
    return make_error(ErrorKind::protocol, "stream: credit of {} bytes on top of {} exceeds the window of {}", bytes,
                      credit_, max_window);
  }
  credit_ += bytes;
  return ok();
}

Result<void> ReceiveWindow::on_data(std::size_t bytes) {
  if (bytes > outstanding_) {
    return make_error(ErrorKind::protocol, "stream: peer sent {} bytes with only {} bytes of credit", bytes,
                      outstanding_);
  }
  outstanding_ -= bytes;
  buffered_ += bytes;
  return ok();
}

Result<void> ReceiveWindow::consume(std::size_t bytes) {
  if (bytes > buffered_) {
    return make_error(ErrorKind::internal, "stream: consuming {} bytes with {} buffered", bytes, buffered_);
  }
  buffered_ -= bytes;
  return ok();
}

std::uint32_t ReceiveWindow::take_grant() {
  std::uint64_t used = outstanding_ + buffered_;
  std::uint64_t free = used >= window_ ? 0 : window_ - used;
  if (free == 0 || free < window_ / 2) return 0;
  outstanding_ += free;
  return static_cast<std::uint32_t>(free);
}

StreamTable::StreamTable(std::uint32_t receive_window, std::uint32_t send_window, std::size_t max_streams)
    : receive_window_(receive_window), send_window_(send_window), max_streams_(max_streams) {}

Result<void> StreamTable::open(std::uint32_t id, StreamDirection direction) {
  if (id == 0) return make_error(ErrorKind::invalid_argument, "stream id 0 is reserved");
  if (streams_.count(id) != 0) return make_error(ErrorKind::invalid_argument, "stream {} is already open", id);
  if (streams_.size() >= max_streams_) {
    return make_error(ErrorKind::wrong_state, "cannot open stream {}: {} streams open already", id, streams_.size());
  }
  streams_.emplace(id, Stream{direction, SendWindow(send_window_), ReceiveWindow(receive_window_)});
  return ok();
}

Result<std::uint64_t> StreamTable::sendable(std::uint32_t id) const {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.direction != StreamDirection::outbound) {
    return make_error(ErrorKind::not_found, "no outbound stream {}", id);
  }
  return it->second.send.available();
}

Result<void> StreamTable::record_sent(std::uint32_t id, std::size_t bytes) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.direction != StreamDirection::outbound) {
    return make_error(ErrorKind::not_found, "no outbound stream {}", id);
  }
  return it->second.send.consume(bytes);
}

Result<void> StreamTable::close_outbound(std::uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.direction != StreamDirection::outbound) {
    return make_error(ErrorKind::not_found, "no outbound stream {}", id);
  }
  streams_.erase(it);
  return ok();
}

Result<StreamEvent> StreamTable::on_frame(const Frame& frame) {
  auto it = streams_.find(frame.id);
  switch (frame.type) {
    case FrameType::stream_data:
    case FrameType::stream_close: {
      if (it == streams_.end()) {
        return make_error(ErrorKind::protocol, "{} on unknown stream {}", to_string(frame.type), frame.id);
      }
      Stream& stream = it->second;
      if (stream.direction != StreamDirection::inbound) {
        return make_error(ErrorKind::protocol, "{} on stream {}, which we send on", to_string(frame.type), frame.id);
      }
      if (stream.eof) {
        return make_error(ErrorKind::protocol, "{} on stream {} after its EOF", to_string(frame.type), frame.id);
      }
      if (frame.type == FrameType::stream_close) {
        stream.eof = true;
        return StreamEvent{StreamEvent::Kind::eof, frame.id, 0};
      }
      KATA_TRY(stream.receive.on_data(frame.payload.size()).wrap(fmt::format("stream {}", frame.id)));
      return StreamEvent{StreamEvent::Kind::data, frame.id, frame.payload.size()};
    }
    case FrameType::stream_credit: {
      auto bytes = KATA_TRY(decode_stream_credit(frame));
      if (it == streams_.end()) return StreamEvent{StreamEvent::Kind::ignored, frame.id, 0};
      Stream& stream = it->second;
      if (stream.direction != StreamDirection::outbound) {
        return make_error(ErrorKind::protocol, "stream_credit on stream {}, which we receive on", frame.id);
      }
      KATA_TRY(stream.send.grant(bytes, send_window_).wrap(fmt::format("stream {}", frame.id)));
      return StreamEvent{StreamEvent::Kind::credit, frame.id, bytes};
    }
    default:
      return make_error(ErrorKind::internal, "{} frame given to the stream table", to_string(frame.type));
  }
}

Result<std::uint32_t> StreamTable::consume(std::uint32_t id, std::size_t bytes) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.direction != StreamDirection::inbound) {
    return make_error(ErrorKind::not_found, "no inbound stream {}", id);
  }
  ReceiveWindow& window = it->second.receive;
  KATA_TRY(window.consume(bytes));
  // No credit for a stream whose sender is done: it would be wasted.
  if (it->second.eof) return std::uint32_t{0};
  return window.take_grant();
}

void StreamTable::remove(std::uint32_t id) { streams_.erase(id); }

Result<std::string> encode_stream_data(std::uint32_t id, std::string_view bytes) {
  return encode_frame(FrameType::stream_data, id, bytes);
}

Result<std::string> encode_stream_close(std::uint32_t id) { return encode_frame(FrameType::stream_close, id, {}); }

Result<std::string> encode_stream_credit(std::uint32_t id, std::uint32_t bytes) {
  if (bytes == 0) return make_error(ErrorKind::invalid_argument, "stream credit of 0 bytes");
  char payload[4] = {static_cast<char>((bytes >> 24) & 0xff), static_cast<char>((bytes >> 16) & 0xff),
                     static_cast<char>((bytes >> 8) & 0xff), static_cast<char>(bytes & 0xff)};
  return encode_frame(FrameType::stream_credit, id, std::string_view(payload, sizeof payload));
}

Result<std::uint32_t> decode_stream_credit(const Frame& frame) {
  if (frame.type != FrameType::stream_credit || frame.payload.size() != 4) {
    return make_error(ErrorKind::protocol, "malformed stream_credit frame");
  }
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(frame.payload[i])); };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

}  // namespace kata::agent_client
