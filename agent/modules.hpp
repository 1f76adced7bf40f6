#pragma once
// Kernel modules the guest needs (virtio, virtio-fs, ...). The image builder
// (guest/build_image.sh) resolves dependencies on the host and writes the
// order to /lib/modules/load-order, one file name per line, each module after
// those it needs; the agent only follows it.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kata::agent {

/// Parses load-order text: one module file name per line, blank lines and
/// '#' comments skipped. A name with '/' or not ending in ".ko" is an
/// invalid_argument error.
Result<std::vector<std::string>> parse_load_order(std::string_view text);

/// Loads every module listed in `dir`/load-order from `dir`, in order, with
/// finit_module. A module already present (built in or loaded) is fine.
/// Returns how many modules were listed.
Result<std::size_t> load_modules(const std::string& dir);

}  // namespace kata::agent
