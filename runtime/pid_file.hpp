#pragma once
// The --pid-file engines read: the pid in decimal, no newline (runc writes
// it so and conmon parses it strictly), written atomically so a reader never
// sees a partial number.

#include <sys/types.h>

#include <string>

#include "common/error.hpp"

namespace kata::runtime {

/// The file's content for `pid`: decimal digits only.
std::string format_pid_file(pid_t pid);

/// Writes `pid` to `path` (made absolute against the cwd) atomically, mode 0644.
Result<void> write_pid_file(const std::string& path, pid_t pid);

}  // namespace kata::runtime
