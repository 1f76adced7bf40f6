#pragma once
// Kernel modules the guest needs (virtio, virtio-fs, ...) when the kernel
// loads its drivers as modules (Debian's cloud kernel). The image builder
// (guest/debian_kernel.sh) resolves dependencies on the host and writes the
// order to /lib/modules/load-order, one file name per line, each module after
// those it needs; the agent only follows it. kata's own kernel has every
// driver built in: its image has no load-order, and the kernel has no module
// support (no /proc/modules), so the agent loads nothing.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kata::agent {

/// Parses load-order text: one module file name per line, blank lines and
/// '#' comments skipped. A name with '/' or not ending in ".ko" is an
/// invalid_argument error.
Result<std::vector<std::string>> parse_load_order(std::string_view text);

/// What load_modules found to do.
struct ModuleLoad {
  std::size_t loaded = 0;  ///< modules listed in load-order and now present
  bool built_in = false;   ///< nothing to load: no load-order, or a kernel without module support
};

/// Loads every module listed in `dir`/load-order from `dir`, in order, with
/// finit_module. A module already present (built in or loaded) is fine.
/// Loads nothing (built_in) when `dir`/load-order does not exist (an image
/// for a kernel with everything built in) or `proc_modules` does not (a
/// kernel built without loadable modules: finit_module would fail ENOSYS).
Result<ModuleLoad> load_modules(const std::string& dir, const std::string& proc_modules = "/proc/modules");

}  // namespace kata::agent
