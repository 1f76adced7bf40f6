#pragma once

#include <string>

#include "cmd/global_options.hpp"
#include "common/error.hpp"
#include "runtime/configuration.hpp"

namespace kata::cmd {

/// Where to look for configuration.toml: --config, KATA_CONF_FILE, then the
/// default paths.
runtime::ConfigSources config_sources(const GlobalOptions& global);

/// Loads configuration.toml as the global flags and environment say
/// (--config, KATA_CONF_FILE, then the default paths, then built-in defaults).
Result<runtime::Configuration> load_configuration(const GlobalOptions& global);

/// The effective root of the state store: --root made absolute.
std::string state_root(const GlobalOptions& global);

}  // namespace kata::cmd
