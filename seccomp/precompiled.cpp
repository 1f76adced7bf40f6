#include "seccomp/precompiled.hpp"

#include <cstring>

#include <fmt/format.h>

namespace kata::seccomp {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<std::vector<sock_filter>> parse_program(const nlohmann::json& value) {
  auto bad = [](std::string_view why) {
    return make_error(ErrorKind::invalid_argument, "linux.seccomp.{}: {}", precompiled_key, why);
  };
  if (!value.is_string()) return bad("not a string");
  const auto& text = value.get_ref<const std::string&>();
  constexpr std::size_t digits_per_insn = 2 * sizeof(sock_filter);
  if (text.empty() || text.size() % digits_per_insn != 0) return bad("not hex of whole BPF instructions");
  std::size_t count = text.size() / digits_per_insn;
  if (count > BPF_MAXINSNS) return bad(fmt::format("{} instructions, more than BPF_MAXINSNS ({})", count, BPF_MAXINSNS));
  std::vector<unsigned char> bytes(text.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    int high = hex_value(text[2 * i]);
    int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return bad(fmt::format("not lower-case hex at offset {}", 2 * i));
    bytes[i] = static_cast<unsigned char>(high << 4 | low);
  }
  std::vector<sock_filter> program(count);
  std::memcpy(program.data(), bytes.data(), bytes.size());
  return program;
}

}  // namespace

std::string program_text(const std::vector<sock_filter>& program) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(program.size() * sizeof(sock_filter) * 2);
  const auto* bytes = reinterpret_cast<const unsigned char*>(program.data());
  for (std::size_t i = 0; i < program.size() * sizeof(sock_filter); ++i) {
    text += digits[bytes[i] >> 4];
    text += digits[bytes[i] & 0xf];
  }
  return text;
}

Result<oci::Seccomp> precompile(const oci::Seccomp& seccomp, const GuestAbis& abis) {
  auto compiled = KATA_TRY(compile(seccomp, abis));
  oci::Seccomp guest = seccomp;
  guest.architectures.reset();
  guest.syscalls.reset();
  guest.extra[precompiled_key] = program_text(compiled.program);
  return guest;
}

Result<Program> program_for(const oci::Seccomp& seccomp) {
  if (!seccomp.extra.contains(precompiled_key)) return compile(seccomp);
  Program result;
  result.flags = KATA_TRY(filter_flags(seccomp));
  result.program = KATA_TRY(parse_program(seccomp.extra.at(precompiled_key)));
  return result;
}

}  // namespace kata::seccomp
