#pragma once
// The one place where kata reports a failure, the way runc's fatal() does,
// because engines parse it: conmon forwards stderr, podman decodes the whole
// --log file as one JSON object, containerd takes the last "error" line.

#include <string_view>

#include "cmd/global_options.hpp"

namespace kata::cmd {

/// Reports `message` once as an error record through the logger set up by
/// setup_logging (a JSON or logrus-text line in --log, or on stderr when
/// there is no --log) and, when the log is a file, also writes the bare
/// message and a newline to stderr.
void report_error(const GlobalOptions& global, std::string_view message);

/// Exit status of a failed verb: 255 for exec (engines tell a failed exec
/// from the exec'd process's own status this way, as with runc), else 1.
int failure_exit_code(std::string_view verb);

}  // namespace kata::cmd
