#pragma once
// Resolving a container path inside its rootfs without letting symlinks in
// the (untrusted) image escape it: every symlink is resolved as if the rootfs
// were "/" (the CVE-2021-30465 class of mount-target escapes).

#include <string>

#include "common/error.hpp"

namespace kata::agent {

/// `root` joined with `path`, with every existing symlink component resolved
/// inside `root` ("../.." stops at `root`, absolute targets restart at it).
/// Components that do not exist are appended as they are.
Result<std::string> resolve_in_root(const std::string& root, const std::string& path);

/// mkdir -p of an absolute host path (mode 0755); existing dirs are fine.
Result<void> make_directories(const std::string& path);

}  // namespace kata::agent
