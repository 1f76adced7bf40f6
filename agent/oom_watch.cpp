#include "agent/oom_watch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace kata::agent {

namespace {

// memory.events has a handful of short lines; this is ample.
constexpr std::size_t max_events_text = 4096;

}  // namespace

Result<std::uint64_t> parse_oom_kill_count(std::string_view memory_events) {
  constexpr std::string_view key = "oom_kill";
  std::size_t at = 0;
  while (at < memory_events.size()) {
    std::size_t end = memory_events.find('\n', at);
    if (end == std::string_view::npos) end = memory_events.size();
    std::string_view line = memory_events.substr(at, end - at);
    at = end + 1;
    // "oom_kill 3"; "oom_kill_foo" or "oom" are other keys.
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ' ') continue;
    std::string_view value = line.substr(key.size() + 1);
    std::uint64_t count = 0;
    auto [stop, error] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (error != std::errc{} || stop != value.data() + value.size() || value.empty()) {
      return make_error(ErrorKind::protocol, "memory.events: oom_kill is not a number: {}", value);
    }
    return count;
  }
  return std::uint64_t{0};
}

Result<OomWatch> OomWatch::open(const std::string& cgroup_dir) {
  std::string path = cgroup_dir + "/memory.events";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open {}", path);
  OomWatch watch(std::move(fd), std::move(path));
  watch.seen_ = KATA_TRY(watch.read_count());
  return watch;
}

Result<std::uint64_t> OomWatch::read_count() const {
  // pread from 0 on the kept fd: kernfs restarts the file's text, and the
  // read also re-arms the poll notification.
  std::string text(max_events_text, '\0');
  std::size_t filled = 0;
  while (filled < text.size()) {
    ssize_t got = ::pread(fd_.get(), text.data() + filled, text.size() - filled, static_cast<off_t>(filled));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return sys_error(errno, "read {}", path_);
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  text.resize(filled);
  return parse_oom_kill_count(text);
}

Result<std::uint64_t> OomWatch::check() {
  auto count = KATA_TRY(read_count());
  // A counter only grows; a smaller value (a test rewriting its file) resets the baseline.
  std::uint64_t fresh = count > seen_ ? count - seen_ : 0;
  seen_ = count;
  return fresh;
}

}  // namespace kata::agent
