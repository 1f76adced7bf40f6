#include "agent-client/frame.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kata::agent_client {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>((value >> 24) & 0xff));
  out.push_back(static_cast<char>((value >> 16) & 0xff));
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

std::uint32_t get_u32(std::string_view bytes, std::size_t offset) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i])); };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

bool is_known(std::uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::hello:
    case FrameType::request:
    case FrameType::response:
    case FrameType::event:
    case FrameType::stream_data:
    case FrameType::stream_close:
    case FrameType::stream_credit:
      return true;
  }
  return false;
}

// Per-type rules on id and payload size, shared by encoder and decoder so
// that we never build a frame our own decoder would reject.
std::optional<std::string> check_type_rules(FrameType type, std::uint32_t id, std::uint32_t size) {
  switch (type) {
    case FrameType::hello:
    case FrameType::event:
      if (id != 0) return "id must be 0";
      if (size == 0) return "payload must not be empty";
      return std::nullopt;
    case FrameType::request:
    case FrameType::response:
      if (id == 0) return "request id must not be 0";
      if (size == 0) return "payload must not be empty";
      return std::nullopt;
    case FrameType::stream_data:
      if (id == 0) return "stream id must not be 0";
      if (size == 0) return "payload must not be empty";
      return std::nullopt;
    case FrameType::stream_close:
      if (id == 0) return "stream id must not be 0";
      if (size != 0) return "payload must be empty";
      return std::nullopt;
    case FrameType::stream_credit:
      if (id == 0) return "stream id must not be 0";
      if (size != 4) return "payload must be 4 bytes";
      return std::nullopt;
  }
  return "unknown frame type";
}

}  // namespace

std::string_view to_string(FrameType type) {
  switch (type) {
    case FrameType::hello: return "hello";
    case FrameType::request: return "request";
    case FrameType::response: return "response";
    case FrameType::event: return "event";
    case FrameType::stream_data: return "stream_data";
    case FrameType::stream_close: return "stream_close";
    case FrameType::stream_credit: return "stream_credit";
  }
  return "unknown";
}

Result<FrameHeader> parse_frame_header(std::string_view bytes, std::uint32_t max_payload) {
  if (bytes.size() < kFrameHeaderSize) {
    return make_error(ErrorKind::internal, "frame header needs {} bytes, have {}", kFrameHeaderSize, bytes.size());
  }
  auto magic = static_cast<std::uint8_t>(bytes[0]);
  auto version = static_cast<std::uint8_t>(bytes[1]);
  auto type = static_cast<std::uint8_t>(bytes[2]);
  auto flags = static_cast<std::uint8_t>(bytes[3]);
  if (magic != kFrameMagic) return make_error(ErrorKind::protocol, "bad frame magic 0x{:02x}", magic);
  if (version != kFrameVersion) {
    return make_error(ErrorKind::protocol, "unsupported frame version {} (expected {})", version, kFrameVersion);
  }
  if ((flags & kReservedFlags) != 0) return make_error(ErrorKind::protocol, "reserved frame flags 0x{:02x} set", flags);
  FrameHeader header;
  header.flags = flags;
  header.id = get_u32(bytes, 4);
  header.payload_size = get_u32(bytes, 8);
  if (header.payload_size > max_payload) {
    return make_error(ErrorKind::protocol, "frame payload of {} bytes exceeds the maximum of {}", header.payload_size,
                      max_payload);
  }
  if (!is_known(type)) {
    if ((flags & kFlagIgnorable) == 0) return make_error(ErrorKind::protocol, "unknown frame type 0x{:02x}", type);
    header.known_type = false;
    return header;
  }
  header.type = static_cast<FrameType>(type);
  if (auto problem = check_type_rules(header.type, header.id, header.payload_size)) {
    return make_error(ErrorKind::protocol, "{} frame: {}", to_string(header.type), *problem);
  }
  return header;
}

Result<void> append_frame(std::string& out, FrameType type, std::uint32_t id, std::string_view payload,
                          std::uint8_t flags, std::uint32_t max_payload) {
  max_payload = std::min(max_payload, kMaxFramePayload);
  if (payload.size() > max_payload) {
    return make_error(ErrorKind::invalid_argument, "{} frame payload of {} bytes exceeds the maximum of {}",
                      to_string(type), payload.size(), max_payload);
  }
  if ((flags & kReservedFlags) != 0 || !is_known(static_cast<std::uint8_t>(type))) {
    return make_error(ErrorKind::invalid_argument, "invalid frame type 0x{:02x} or flags 0x{:02x}",
                      static_cast<unsigned>(type), flags);
  }
  auto size = static_cast<std::uint32_t>(payload.size());
  if (auto problem = check_type_rules(type, id, size)) {
    return make_error(ErrorKind::invalid_argument, "{} frame: {}", to_string(type), *problem);
  }
  out.reserve(out.size() + kFrameHeaderSize + payload.size());
  out.push_back(static_cast<char>(kFrameMagic));
  out.push_back(static_cast<char>(kFrameVersion));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  put_u32(out, id);
  put_u32(out, size);
  out.append(payload);
  return ok();
}

Result<std::string> encode_frame(FrameType type, std::uint32_t id, std::string_view payload, std::uint8_t flags,
                                 std::uint32_t max_payload) {
  std::string out;
  KATA_TRY(append_frame(out, type, id, payload, flags, max_payload));
  return out;
}

FrameDecoder::FrameDecoder(std::uint32_t max_payload) : max_payload_(std::min(max_payload, kMaxFramePayload)) {}

std::size_t FrameDecoder::space() const {
  if (poison_) return 0;
  return kFrameHeaderSize + max_payload_ - buffered();
}

void FrameDecoder::compact() {
  if (start_ == 0) return;
  buffer_.erase(0, start_);
  start_ = 0;
}

Result<void> FrameDecoder::check_header() {
  if (header_ || buffered() < kFrameHeaderSize) return ok();
  auto header = parse_frame_header(std::string_view(buffer_).substr(start_), max_payload_);
  if (!header) {
    poison_ = header.error();
    return std::move(header).error();
  }
  header_ = *header;
  return ok();
}

Result<void> FrameDecoder::feed(std::string_view bytes) {
  if (poison_) return *poison_;
  if (bytes.size() > space()) {
    return make_error(ErrorKind::internal, "frame decoder: fed {} bytes with room for {}", bytes.size(), space());
  }
  // Keep the allocation bounded by one maximal frame: drop consumed bytes
  // before growing past it.
  if (buffer_.size() + bytes.size() > kFrameHeaderSize + max_payload_) compact();
  buffer_.append(bytes);
  return check_header();
}

Result<FillResult> FrameDecoder::fill_from(int fd) {
  if (poison_) return *poison_;
  FillResult result;
  std::size_t room = space();
  if (room == 0) return result;
  char chunk[16384];
  while (room > 0) {
    ssize_t n = ::read(fd, chunk, std::min(room, sizeof chunk));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        result.would_block = true;
        return result;
      }
      return sys_error(errno, "read agent connection");
    }
    if (n == 0) {
      result.eof = true;
      return result;
    }
    KATA_TRY(feed(std::string_view(chunk, static_cast<std::size_t>(n))));
    result.bytes += static_cast<std::size_t>(n);
    room = space();
    // One read per call when it came up short: the fd is probably drained,
    // and the caller's poll loop should get a turn at the other fds.
    if (static_cast<std::size_t>(n) < sizeof chunk) return result;
  }
  return result;
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (poison_) return *poison_;
  while (header_) {
    std::size_t total = kFrameHeaderSize + header_->payload_size;
    if (buffered() < total) return std::optional<Frame>{};
    Frame frame;
    frame.type = header_->type;
    frame.flags = header_->flags;
    frame.id = header_->id;
    bool known = header_->known_type;
    if (known) frame.payload.assign(buffer_, start_ + kFrameHeaderSize, header_->payload_size);
    start_ += total;
    header_.reset();
    if (start_ == buffer_.size()) {
      buffer_.clear();
      start_ = 0;
    }
    KATA_TRY(check_header());
    if (known) return std::optional<Frame>(std::move(frame));
  }
  return std::optional<Frame>{};
}

Result<void> FrameDecoder::finish() const {
  if (poison_) return *poison_;
  if (buffered() != 0) {
    return make_error(ErrorKind::protocol, "connection closed in the middle of a frame ({} bytes pending)",
                      buffered());
  }
  return ok();
}

}  // namespace kata::agent_client
