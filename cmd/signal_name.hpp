#pragma once
// Signal names and numbers as `kata kill` accepts them.

#include <string_view>

#include "common/error.hpp"

namespace kata::cmd {

/// Parses a signal the way runc does: a number ("9"), or a name in any case
/// with or without the SIG prefix ("KILL", "SIGKILL", "kill", "sigterm"),
/// including real-time signals ("RTMIN+3", "SIGRTMAX-1"). Numbers must be a
/// valid Linux signal (1..SIGRTMAX). Anything else is invalid_argument.
Result<int> parse_signal(std::string_view text);

}  // namespace kata::cmd
