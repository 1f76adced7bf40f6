#include "runtime/container_id.hpp"

#include <fmt/format.h>

namespace kata::runtime {

namespace {

// runc's pattern is ^[\w+\-\.]+$ evaluated by Go's regexp, where \w is ASCII
// only; this is that character class without a regex engine.
bool is_id_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
         c == '-' || c == '.';
}

Error invalid_id(std::string_view id, std::string_view reason) {
  return make_error(ErrorKind::invalid_argument, "invalid container id \"{}\": {}", printable_container_id(id),
                    reason);
}

}  // namespace

std::string printable_container_id(std::string_view id) {
  constexpr std::size_t shown = 64;
  std::string out;
  for (std::size_t i = 0; i < id.size() && i < shown; ++i) {
    auto byte = static_cast<unsigned char>(id[i]);
    if (byte < 0x20 || byte >= 0x7f || byte == '"' || byte == '\\') {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (id.size() > shown) out += fmt::format("...({} bytes)", id.size());
  return out;
}

Result<void> validate_container_id(std::string_view id) {
  if (id.empty()) return invalid_id(id, "must not be empty");
  if (id.size() > max_container_id_length) {
    return invalid_id(id, fmt::format("longer than {} bytes", max_container_id_length));
  }
  if (id == "." || id == "..") return invalid_id(id, "must not be \".\" or \"..\"");
  for (char c : id) {
    if (!is_id_character(c)) {
      return invalid_id(id, "only letters, digits and _ + - . are allowed");
    }
  }
  return ok();
}

}  // namespace kata::runtime
