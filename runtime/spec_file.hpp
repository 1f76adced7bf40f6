#pragma once

#include <string>

#include "common/error.hpp"

namespace kata::runtime {

/// `kata spec`: writes the default config.json (oci::default_spec) into
/// `bundle_dir` ("" is the current directory). Like runc it never replaces
/// an existing config.json (already_exists).
Result<void> write_default_spec(const std::string& bundle_dir, bool rootless);

}  // namespace kata::runtime
