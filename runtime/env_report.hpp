#pragma once
// The document `kata env` prints. One ordered JSON tree is built from the
// configuration; the TOML rendering (the default) and the JSON rendering
// (--json) are both made from that tree, so they cannot disagree.

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/configuration.hpp"

namespace kata::runtime {

/// Version of the env document's layout, printed as [Meta] Version. Bump it
/// when a key is renamed or removed (adding keys keeps it).
inline constexpr const char* env_format_version = "1.0.0";

/// What the caller knows and the configuration does not.
struct EnvInputs {
  std::string version;       ///< kata's version ("0.1.0")
  std::string commit;        ///< source commit, empty if unknown
  std::string oci_version;   ///< runtime-spec version kata implements
  std::string runtime_path;  ///< path of the running kata binary
  /// [Host] section (kernel, architecture, distro, CPU, VMContainerCapable,
  /// ...) from the `kata check` probes; null leaves the section out.
  nlohmann::ordered_json host;
};

/// Sections Meta, Runtime, Hypervisor, Kernel, Initrd, Agent and (when given)
/// Host, with Kata's key names where Kata has one.
nlohmann::ordered_json build_env_document(const Configuration& config, const EnvInputs& inputs);

/// The document as TOML (toml++'s writer). Null values are left out, since
/// TOML has no null.
std::string render_env_toml(const nlohmann::ordered_json& document);

/// The document as indented JSON, ending with a newline.
std::string render_env_json(const nlohmann::ordered_json& document);

}  // namespace kata::runtime
