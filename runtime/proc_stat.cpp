#include "runtime/proc_stat.hpp"

#include <fmt/format.h>

#include <charconv>
#include <string>

#include "common/fs.hpp"

namespace kata::runtime {

std::optional<unsigned long long> parse_stat_start_time(std::string_view stat) {
  // "pid (comm) state ppid ...": the comm is whatever the process called
  // itself, so only the last ')' reliably ends it.
  auto close = stat.rfind(')');
  if (close == std::string_view::npos || stat.find('(') == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  // After ')' come fields 3, 4, ...; starttime is field 22.
  constexpr int wanted_field = 22;
  int field = 2;
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    auto end = rest.find_first_of(" \n");
    std::string_view token = rest.substr(0, end);
    ++field;
    if (field == wanted_field) {
      unsigned long long value = 0;
      auto [ptr, error] = std::from_chars(token.data(), token.data() + token.size(), value);
      if (error != std::errc{} || ptr != token.data() + token.size()) return std::nullopt;
      return value;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
    if (!rest.empty() && rest.front() == '\n') break;
  }
  return std::nullopt;
}

std::optional<char> parse_stat_state(std::string_view stat) {
  auto close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat.size() || stat[close + 1] != ' ') return std::nullopt;
  return stat[close + 2];
}

bool process_exited_unreaped(pid_t pid) {
  if (pid <= 0) return false;
  auto content = read_file(fmt::format("/proc/{}/stat", pid), 64 * 1024);
  if (!content) return false;
  auto state = parse_stat_state(*content);
  return state && (*state == 'Z' || *state == 'X');
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  // The file is a few hundred bytes; the bound only guards against surprises.
  auto content = read_file(fmt::format("/proc/{}/stat", pid), 64 * 1024);
  if (!content) return std::nullopt;
  return parse_stat_start_time(*content);
}

}  // namespace kata::runtime
