#pragma once
// Go-style durations ("5s", "500ms", "1m30s"), the syntax runc's
// `events --interval` takes.

#include <chrono>
#include <string_view>

#include "common/error.hpp"

namespace kata::cmd {

/// Parses a Go time.ParseDuration string without sign: one or more
/// <decimal number><unit> with units ns, us, µs, ms, s, m, h. "0" alone is
/// zero. Anything else is invalid_argument.
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

}  // namespace kata::cmd
