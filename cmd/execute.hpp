#pragma once
// Carries out a parsed Invocation: logging first, then help, version, a
// usage error or the verb, each failure reported through error_report.

#include "cmd/command_line.hpp"

namespace kata::cmd {

/// Runs `invocation` and returns the process exit code. Prints help and
/// version text on stdout; everything else a verb prints is its own.
int execute(const Invocation& invocation);

}  // namespace kata::cmd
