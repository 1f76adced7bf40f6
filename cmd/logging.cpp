#include "cmd/logging.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <memory>
#include <mutex>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::cmd {
namespace {

// RFC 3339 in UTC to the second: what logrus's default formatters print.
std::string format_time(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buffer[32];
  std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, length);
}

// Escapes for a double-quoted JSON string, which is also what Go's %q
// produces for the printable ASCII and control characters we meet.
void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string_view logrus_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warning";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "fatal";
    default: return "info";
  }
}

// Formats each record with format_log_line and writes it to an fd. Owns
// the fd unless it is stderr.
class LogLineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  LogLineSink(UniqueFd file, LogFormat format) : file_(std::move(file)), format_(format) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& record) override {
    std::string_view message(record.payload.data(), record.payload.size());
    std::string line = format_log_line(format_, logrus_level(record.level), message, record.time);
    // A log that cannot be written has nowhere to report to; drop the line.
    (void)write_all(file_ ? file_.get() : STDERR_FILENO, line);
  }
  void flush_() override {}

 private:
  UniqueFd file_;  // empty: stderr
  LogFormat format_;
};

void install(UniqueFd file, const GlobalOptions& global) {
  auto sink = std::make_shared<LogLineSink>(std::move(file), global.log_format);
  auto logger = std::make_shared<spdlog::logger>("kata", std::move(sink));
  logger->set_level(global.debug ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

std::string format_log_line(LogFormat format, std::string_view level, std::string_view message,
                            std::chrono::system_clock::time_point time) {
  std::string line;
  std::string stamp = format_time(time);
  if (format == LogFormat::json) {
    // Keys in logrus's (alphabetical) order.
    line += "{\"level\":";
    append_quoted(line, level);
    line += ",\"msg\":";
    append_quoted(line, message);
    line += ",\"time\":";
    append_quoted(line, stamp);
    line += "}\n";
  } else {
    line += "time=";
    append_quoted(line, stamp);
    line += " level=";
    line += level;
    line += " msg=";
    append_quoted(line, message);
    line += '\n';
  }
  return line;
}

Result<void> setup_logging(const GlobalOptions& global) {
  if (global.log_path.empty()) {
    install(UniqueFd{}, global);
    return ok();
  }
  UniqueFd file(::open(global.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!file) {
    int error = errno;
    install(UniqueFd{}, global);
    return sys_error(error, "open log file {}", global.log_path);
  }
  install(std::move(file), global);
  return ok();
}

}  // namespace kata::cmd
