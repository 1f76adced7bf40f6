#pragma once
// The list of entries an initramfs holds, one per line, in the spirit of the
// kernel's gen_init_cpio:
//   dir  /PATH MODE
//   nod  /PATH MODE c MAJOR MINOR
//   file /PATH SOURCE MODE
// MODE is octal. Blank lines and lines starting with '#' are ignored.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kata::guest {

/// What kind of thing an entry is.
enum class EntryType { directory, char_device, file };

/// One line of the manifest.
struct ManifestEntry {
  EntryType type = EntryType::file;
  std::string path;    ///< absolute path in the guest, e.g. "/lib/modules"
  std::string source;  ///< host file to copy (files only)
  mode_t mode = 0;     ///< permission bits
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
};

/// Parses manifest text; fails with invalid_argument naming the line.
Result<std::vector<ManifestEntry>> parse_manifest(std::string_view text);

/// Sorts entries by path so the archive does not depend on the manifest's
/// order, and every directory comes before what it contains.
void sort_entries(std::vector<ManifestEntry>& entries);

}  // namespace kata::guest
