#pragma once
// A process's start time identifies it across pid reuse: a pid plus the start
// time recorded when kata spawned it names exactly one process.

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace kata::runtime {

/// Start time of `pid` in clock ticks since boot (field 22 of
/// /proc/<pid>/stat); nullopt when the process does not exist (or is not
/// visible) or the file cannot be parsed.
std::optional<unsigned long long> process_start_time(pid_t pid);

/// Field 3 (state: R, S, D, Z, X, ...) of the text of a /proc/<pid>/stat
/// file; nullopt if malformed.
std::optional<char> parse_stat_state(std::string_view stat);

/// True when `pid` has exited but is not reaped yet (zombie, or dead), so
/// that it still has a /proc entry and a start time.
bool process_exited_unreaped(pid_t pid);

/// Extracts field 22 (starttime) from the text of a /proc/<pid>/stat file.
/// The comm field (2) may contain spaces and ')' characters, so fields are
/// counted from the last ')'. nullopt if the text is malformed.
std::optional<unsigned long long> parse_stat_start_time(std::string_view stat);

}  // namespace kata::runtime
