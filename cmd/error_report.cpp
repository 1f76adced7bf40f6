#include "cmd/error_report.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <string>

#include "common/fs.hpp"

namespace kata::cmd {

void report_error(const GlobalOptions& global, std::string_view message) {
  spdlog::error(message);
  if (!global.log_path.empty()) {
    std::string line(message);
    line += '\n';
    // stderr is the last resort; if it is gone there is nobody to tell.
    (void)write_all(STDERR_FILENO, line);
  }
}

int failure_exit_code(std::string_view verb) { return verb == "exec" ? 255 : 1; }

}  // namespace kata::cmd
