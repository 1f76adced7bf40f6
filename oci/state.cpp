#include "oci/state.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

namespace kata::oci {

std::string_view to_string(Status status) {
  switch (status) {
    case Status::creating: return "creating";
    case Status::created: return "created";
    case Status::running: return "running";
    case Status::paused: return "paused";
    case Status::stopped: return "stopped";
  }
  return "unknown";
}

std::optional<Status> parse_status(std::string_view name) {
  for (Status status : {Status::creating, Status::created, Status::running, Status::paused, Status::stopped}) {
    if (to_string(status) == name) return status;
  }
  return std::nullopt;
}

std::string format_rfc3339(Timestamp time) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  auto nanoseconds = (since_epoch - seconds).count();
  std::time_t whole = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, nanoseconds);
}

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  std::string copy(text);
  std::tm parts{};
  int consumed = 0;
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
                  &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  long long nanoseconds = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 9) nanoseconds = nanoseconds * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanoseconds *= 10;
  }
  long offset_seconds = 0;
  if (rest == "Z" || rest == "z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int hours = 0, minutes = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
    offset_seconds = (hours * 60L + minutes) * 60L * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  std::time_t seconds = timegm(&parts);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(
      std::chrono::seconds(seconds - offset_seconds) + std::chrono::nanoseconds(nanoseconds)));
}

nlohmann::json to_json(const State& state) {
  // Key order follows runc's output (nlohmann::ordered_json would keep it,
  // but consumers parse JSON, so plain json with sorted keys is equivalent).
  nlohmann::json document = {
      {"ociVersion", state.oci_version},
      {"id", state.id},
      {"pid", state.status == Status::stopped ? 0 : state.pid},
      {"status", std::string(to_string(state.status))},
      {"bundle", state.bundle},
      {"rootfs", state.rootfs},
      {"created", format_rfc3339(state.created)},
      {"owner", state.owner},
  };
  if (!state.annotations.empty()) document["annotations"] = state.annotations;
  return document;
}

}  // namespace kata::oci
