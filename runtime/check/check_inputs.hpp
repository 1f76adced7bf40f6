#pragma once

#include <string>

#include "runtime/check/host_checks.hpp"
#include "runtime/configuration.hpp"

namespace kata::runtime {

/// The check inputs for a configuration: `config` is what was loaded (the
/// built-in defaults when loading failed, with `config_error` saying why),
/// `state_root` is --root.
CheckInputs check_inputs_from(const Configuration& config, const std::string& config_error,
                              const std::string& state_root);

}  // namespace kata::runtime
