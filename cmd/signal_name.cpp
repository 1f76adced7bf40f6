#include "cmd/signal_name.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <csignal>
#include <optional>
#include <string>
#include <utility>

namespace kata::cmd {
namespace {

struct SignalName {
  std::string_view name;  // without "SIG"
  int number;
};

// The signals Linux defines, by the names of signal(7), aliases included.
constexpr std::array kSignals{
    SignalName{"HUP", SIGHUP},     SignalName{"INT", SIGINT},       SignalName{"QUIT", SIGQUIT},
    SignalName{"ILL", SIGILL},     SignalName{"TRAP", SIGTRAP},     SignalName{"ABRT", SIGABRT},
    SignalName{"IOT", SIGIOT},     SignalName{"BUS", SIGBUS},       SignalName{"FPE", SIGFPE},
    SignalName{"KILL", SIGKILL},   SignalName{"USR1", SIGUSR1},     SignalName{"SEGV", SIGSEGV},
    SignalName{"USR2", SIGUSR2},   SignalName{"PIPE", SIGPIPE},     SignalName{"ALRM", SIGALRM},
    SignalName{"TERM", SIGTERM},   SignalName{"STKFLT", SIGSTKFLT}, SignalName{"CHLD", SIGCHLD},
    SignalName{"CLD", SIGCHLD},    SignalName{"CONT", SIGCONT},     SignalName{"STOP", SIGSTOP},
    SignalName{"TSTP", SIGTSTP},   SignalName{"TTIN", SIGTTIN},     SignalName{"TTOU", SIGTTOU},
    SignalName{"URG", SIGURG},     SignalName{"XCPU", SIGXCPU},     SignalName{"XFSZ", SIGXFSZ},
    SignalName{"VTALRM", SIGVTALRM}, SignalName{"PROF", SIGPROF},   SignalName{"WINCH", SIGWINCH},
    SignalName{"IO", SIGIO},       SignalName{"POLL", SIGPOLL},     SignalName{"PWR", SIGPWR},
    SignalName{"SYS", SIGSYS},
};

// Linux's real-time range as the kernel numbers it. glibc's SIGRTMIN is 34
// because it reserves two for threads, but the container's libc may not, and
// runc (Go) uses the kernel's numbering too.
constexpr int kRtMin = 32;
constexpr int kRtMax = 64;

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "RTMIN", "RTMIN+3", "RTMAX-2".
std::optional<int> parse_realtime(std::string_view name) {
  int base = 0;
  if (name.starts_with("RTMIN")) {
    base = kRtMin;
  } else if (name.starts_with("RTMAX")) {
    base = kRtMax;
  } else {
    return std::nullopt;
  }
  std::string_view offset = name.substr(5);
  if (offset.empty()) return base;
  if (offset.size() < 2 || (offset[0] != '+' && offset[0] != '-')) return std::nullopt;
  auto amount = parse_int(offset.substr(1));
  if (!amount) return std::nullopt;
  int number = offset[0] == '+' ? base + *amount : base - *amount;
  if (number < kRtMin || number > kRtMax) return std::nullopt;
  return number;
}

}  // namespace

Result<int> parse_signal(std::string_view text) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    auto number = parse_int(text);
    if (!number || *number < 1 || *number > kRtMax) {
      return make_error(ErrorKind::invalid_argument, "invalid signal number \"{}\"", text);
    }
    return *number;
  }
  std::string name;
  name.reserve(text.size());
  for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view bare = name;
  if (bare.starts_with("SIG")) bare.remove_prefix(3);
  for (const auto& signal : kSignals) {
    if (signal.name == bare) return signal.number;
  }
  if (auto realtime = parse_realtime(bare)) return *realtime;
  return make_error(ErrorKind::invalid_argument, "unknown signal \"{}\"", text);
}

}  // namespace kata::cmd
