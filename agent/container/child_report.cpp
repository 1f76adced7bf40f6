#include "agent/container/child_report.hpp"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace kata::agent {
namespace {

enum class RecordKind : std::uint8_t { ready = 1, error = 2 };

// Fixed header then the message bytes; the whole record is one write() of at
// most PIPE_BUF bytes, so the parent never sees half a record.
struct RecordHeader {
  RecordKind kind;
  std::int32_t error_kind;
  std::int32_t errno_value;
  std::uint32_t message_size;
};

constexpr std::size_t kMaxMessage = PIPE_BUF - sizeof(RecordHeader);

void write_record(int fd, const RecordHeader& header, const char* message) {
  char buffer[PIPE_BUF];
  std::memcpy(buffer, &header, sizeof header);
  std::memcpy(buffer + sizeof header, message, header.message_size);
  ssize_t n;
  do {
    n = ::write(fd, buffer, sizeof header + header.message_size);
  } while (n < 0 && errno == EINTR);
}

}  // namespace

void report_child_error(int fd, const Error& error) {
  RecordHeader header{RecordKind::error, static_cast<std::int32_t>(error.kind), error.errno_value,
                      static_cast<std::uint32_t>(std::min(error.message.size(), kMaxMessage))};
  write_record(fd, header, error.message.data());
}

void report_child_ready(int fd) {
  RecordHeader header{RecordKind::ready, 0, 0, 0};
  write_record(fd, header, "");
}

Result<ChildOutcome> read_child_report(int fd) {
  char buffer[PIPE_BUF];
  ssize_t n;
  do {
    n = ::read(fd, buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error(errno, "read the child's error pipe");
  if (n == 0) return ChildOutcome::closed;
  RecordHeader header;
  if (static_cast<std::size_t>(n) < sizeof header) {
    return make_error(ErrorKind::internal, "short record ({} bytes) on the child's error pipe", n);
  }
  std::memcpy(&header, buffer, sizeof header);
  if (header.kind == RecordKind::ready) return ChildOutcome::ready;
  std::size_t size = std::min<std::size_t>(header.message_size, static_cast<std::size_t>(n) - sizeof header);
  Error error;
  error.kind = static_cast<ErrorKind>(header.error_kind);
  error.errno_value = header.errno_value;
  error.message.assign(buffer + sizeof header, size);
  return error;
}

}  // namespace kata::agent
