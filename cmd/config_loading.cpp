#include "cmd/config_loading.hpp"

#include <filesystem>

namespace kata::cmd {

runtime::ConfigSources config_sources(const GlobalOptions& global) {
  return runtime::config_sources_from_environment(global.config_path);
}

Result<runtime::Configuration> load_configuration(const GlobalOptions& global) {
  return runtime::load_configuration(config_sources(global));
}

std::string state_root(const GlobalOptions& global) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(global.root, error);
  return error ? global.root : absolute.lexically_normal().string();
}

}  // namespace kata::cmd
