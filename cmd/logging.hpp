#pragma once
// kata's log: spdlog's default logger, writing one line per record in
// runc's formats, so code anywhere below cmd/ can call spdlog::debug() and
// the line lands where the engine looks (--log FILE, else stderr).

#include <chrono>
#include <string>
#include <string_view>

#include "cmd/global_options.hpp"
#include "common/error.hpp"

namespace kata::cmd {

/// One log record as a line (with '\n'), as logrus prints it for runc:
///   json: {"level":"error","msg":"...","time":"2026-11-29T18:02:58Z"}
///   text: time="2026-11-29T18:02:58Z" level=error msg="..."
/// `level` is logrus's name: debug, info, warning, error, fatal.
std::string format_log_line(LogFormat format, std::string_view level, std::string_view message,
                            std::chrono::system_clock::time_point time);

/// Installs the default logger for `global`: lines are appended to --log
/// (opened O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, mode 0644, each line one
/// write(2) so concurrent writers do not interleave) or written to stderr.
/// Level: debug with --debug, otherwise warn, so an error run writes only
/// its error line (podman decodes the whole --log file as one JSON object).
/// On failure to open the log the logger writes to stderr and the error is
/// returned.
Result<void> setup_logging(const GlobalOptions& global);

}  // namespace kata::cmd
