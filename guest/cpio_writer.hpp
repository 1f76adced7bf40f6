#pragma once
// A writer for the "newc" cpio format the kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst).

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kata::guest {

/// Builds a newc archive in memory. Every entry gets uid/gid 0, mtime 0 and
/// the next inode number, so the bytes depend only on what is added and in
/// which order — the caller adds entries in a fixed order for a reproducible
/// image.
class CpioWriter {
 public:
  /// Adds a directory `path` (no leading slash, e.g. "lib/modules").
  Result<void> add_directory(std::string_view path, mode_t permissions);
  /// Adds a character device node, e.g. "dev/console" 5:1.
  Result<void> add_char_device(std::string_view path, mode_t permissions, std::uint32_t major,
                               std::uint32_t minor);
  /// Adds a regular file holding `content`.
  Result<void> add_file(std::string_view path, mode_t permissions, std::string_view content);
  /// Appends the trailer and returns the archive; the writer is spent.
  std::string finish() &&;

 private:
  Result<void> add_entry(std::string_view path, std::uint32_t mode, std::uint32_t nlink,
                         std::uint32_t rdev_major, std::uint32_t rdev_minor, std::string_view content);

  std::string archive_;
  std::uint32_t next_inode_ = 1;
};

}  // namespace kata::guest
