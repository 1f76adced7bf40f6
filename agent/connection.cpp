#include "agent/connection.hpp"

#include <unistd.h>

#include <cerrno>

#include "agent/console.hpp"

namespace kata::agent {

using agent_client::Frame;
using agent_client::FrameDecoder;

namespace {

// The hello we send: our role and build, the default window.
agent_client::Hello local_hello(const std::string& build_version) {
  agent_client::Hello hello;
  hello.role = agent_client::Role::agent;
  hello.build_version = build_version;
  return hello;
}

}  // namespace

Connection::Connection(int fd, std::string build_version) : fd_(fd), build_version_(std::move(build_version)) {}

void Connection::reset() {
  state_ = ConnectionState::detached;
  decoder_ = FrameDecoder();
  out_.clear();
  out_start_ = 0;
  session_.reset();
  streams_.reset();
}

void Connection::begin() {
  reset();
  state_ = ConnectionState::awaiting_hello;
  send(agent_client::encode_hello(local_hello(build_version_)));
}

void Connection::break_connection() {
  state_ = ConnectionState::broken;
  out_.clear();
  out_start_ = 0;
  session_.reset();
  streams_.reset();
}

Result<bool> Connection::fill() {
  while (true) {
    if (decoder_.space() == 0) return true;  // take frames out first
    auto filled = decoder_.fill_from(fd_);
    if (!filled) {
      if (filled.error().errno_value == EPIPE || filled.error().errno_value == ECONNRESET) return false;
      if (filled.error().kind == ErrorKind::protocol) {
        // A broken header: the frames before it were still delivered by next().
        return true;
      }
      return std::move(filled).error().wrap("read agent port");
    }
    if (filled->eof) return false;
    if (filled->would_block) return true;
  }
}

Result<std::optional<Frame>> Connection::next_frame() {
  if (state_ == ConnectionState::broken || state_ == ConnectionState::detached) return std::optional<Frame>{};
  return decoder_.next();
}

Result<void> Connection::accept_hello(const Frame& frame) {
  auto peer = KATA_TRY(agent_client::decode_hello(frame));
  auto session = KATA_TRY(agent_client::negotiate(local_hello(build_version_), peer));
  streams_.emplace(session.receive_window, session.send_window);
  session_ = std::move(session);
  state_ = ConnectionState::ready;
  return ok();
}

void Connection::send(std::string frame) {
  if (state_ != ConnectionState::ready && state_ != ConnectionState::awaiting_hello) return;
  if (out_start_ > 0 && out_start_ == out_.size()) {
    out_.clear();
    out_start_ = 0;
  }
  out_ += frame;
}

void Connection::send(Result<std::string> frame) {
  if (!frame) {
    console_log("cannot encode frame: {}", frame.error().message);
    return;
  }
  send(std::move(*frame));
}

Result<bool> Connection::flush() {
  while (out_start_ < out_.size()) {
    ssize_t wrote = ::write(fd_, out_.data() + out_start_, out_.size() - out_start_);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;
      if (errno == EPIPE || errno == ECONNRESET) return false;
      return sys_error(errno, "write agent port");
    }
    out_start_ += static_cast<std::size_t>(wrote);
  }
  out_.clear();
  out_start_ = 0;
  return true;
}

}  // namespace kata::agent
