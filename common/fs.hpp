#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kata {

/// Writes all of `data` to `fd`, retrying short writes and EINTR.
Result<void> write_all(int fd, std::string_view data);

/// Reads the whole file at `path`; fails with invalid_argument if it holds
/// more than `max_bytes`, so a hostile or runaway file cannot exhaust memory.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes);

/// Replaces the file at `path` with `data` so that readers see either the old
/// or the new content, never a mix or a truncated file, even if kata is
/// killed midway or the host loses power: write a temporary file in the same
/// directory, fsync it, rename it over `path`, fsync the directory.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0600);

}  // namespace kata
