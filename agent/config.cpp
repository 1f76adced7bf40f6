#include "agent/config.hpp"

#include <cctype>

namespace kata::agent {

namespace {

// Port names and tags end up in sysfs comparisons and mount(2) sources:
// keep them to a plain, bounded alphabet.
bool valid_name(std::string_view value) {
  if (value.empty() || value.size() > 64) return false;
  for (char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

Result<AgentConfig> parse_kernel_cmdline(std::string_view cmdline) {
  AgentConfig config;
  std::size_t pos = 0;
  while (pos < cmdline.size()) {
    std::size_t start = cmdline.find_first_not_of(" \t\n", pos);
    if (start == std::string_view::npos) break;
    std::size_t end = cmdline.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = cmdline.size();
    std::string_view word = cmdline.substr(start, end - start);
    pos = end;
    if (!word.starts_with("kata.")) continue;

    std::string_view key = word.substr(5);
    std::string_view value;
    bool has_value = false;
    if (auto eq = key.find('='); eq != std::string_view::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      has_value = true;
    }
    if (key == "port" || key == "share_tag") {
      if (!valid_name(value)) {
        return make_error(ErrorKind::invalid_argument, "kernel command line: bad value for kata.{}: '{}'", key,
                          value);
      }
      (key == "port" ? config.port_name : config.share_tag) = std::string(value);
    } else if (key == "debug" || key == "template") {
      bool& flag = key == "debug" ? config.debug : config.template_boot;
      if (!has_value || value == "1" || value == "true") {
        flag = true;
      } else if (value == "0" || value == "false") {
        flag = false;
      } else {
        return make_error(ErrorKind::invalid_argument, "kernel command line: bad value for kata.{}: '{}'", key, value);
      }
    } else {
      return make_error(ErrorKind::invalid_argument, "kernel command line: unknown option kata.{}", key);
    }
  }
  return config;
}

}  // namespace kata::agent
