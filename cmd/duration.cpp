#include "cmd/duration.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

namespace kata::cmd {
namespace {

struct Unit {
  std::string_view suffix;
  double nanoseconds;
};

// The longest matching suffix wins, so "ms" is not read as "m" then "s".
constexpr std::array kUnits{
    Unit{"ns", 1.0},   Unit{"us", 1e3},   Unit{"\xC2\xB5s", 1e3}, Unit{"ms", 1e6},
    Unit{"s", 1e9},    Unit{"m", 60e9},   Unit{"h", 3600e9},
};

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto invalid = [&] { return make_error(ErrorKind::invalid_argument, "invalid duration \"{}\"", text); };
  if (text == "0") return std::chrono::nanoseconds{0};
  if (text.empty()) return invalid();
  double total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return invalid();
    double number = 0;
    try {
      std::size_t used = 0;
      number = std::stod(std::string(rest.substr(0, digits)), &used);
      if (used != digits) return invalid();
    } catch (const std::exception&) {
      return invalid();
    }
    rest.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const auto& candidate : kUnits) {
      if (rest.starts_with(candidate.suffix) &&
          (unit == nullptr || candidate.suffix.size() > unit->suffix.size())) {
        unit = &candidate;
      }
    }
    if (unit == nullptr) return invalid();
    rest.remove_prefix(unit->suffix.size());
    total += number * unit->nanoseconds;
  }
  // Go rejects durations beyond ~292 years; so do we, rather than overflow.
  if (!std::isfinite(total) || total > static_cast<double>(INT64_MAX)) return invalid();
  return std::chrono::nanoseconds{static_cast<std::int64_t>(std::llround(total))};
}

}  // namespace kata::cmd
