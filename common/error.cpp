#include "common/error.hpp"

#include <cstring>

namespace kata {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument: return "invalid_argument";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::already_exists: return "already_exists";
    case ErrorKind::wrong_state: return "wrong_state";
    case ErrorKind::system: return "system";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::internal: return "internal";
  }
  return "unknown";
}

Error Error::wrap(std::string_view context) const& {
  Error copy = *this;
  return std::move(copy).wrap(context);
}

Error Error::wrap(std::string_view context) && {
  std::string joined;
  joined.reserve(context.size() + 2 + message.size());
  joined.append(context).append(": ").append(message);
  message = std::move(joined);
  return std::move(*this);
}

std::string errno_message(int errno_value) {
  char buffer[256];
  // GNU strerror_r returns a pointer that may or may not be `buffer`.
  const char* text = strerror_r(errno_value, buffer, sizeof buffer);
  return text;
}

}  // namespace kata
