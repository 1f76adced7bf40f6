#pragma once

#include <string>

#include "cmd/global_options.hpp"
#include "cmd/verb_options.hpp"
#include "common/error.hpp"
#include "runtime/lifecycle.hpp"

namespace kata::cmd {

/// What `create` and `run` hand to runtime::create_container: their shared
/// flags plus the configuration the global flags select.
Result<runtime::CreateParams> create_params(const GlobalOptions& global, const BundleFlags& bundle,
                                            unsigned preserve_fds, const std::string& id);

}  // namespace kata::cmd
