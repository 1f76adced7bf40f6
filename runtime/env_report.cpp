#include "runtime/env_report.hpp"

#include <cstdint>
#include <sstream>
#include <type_traits>
#include <toml++/toml.h>

namespace kata::runtime {

using nlohmann::ordered_json;

namespace {

// JSON to TOML, recursively; null values are left out.
toml::array to_toml_array(const ordered_json& value);
toml::table to_toml_table(const ordered_json& value);

template <typename Container>
void insert_value(Container& container, const std::string* key, const ordered_json& value) {
  auto put = [&](auto&& node) {
    if constexpr (std::is_same_v<Container, toml::table>) {
      container.insert_or_assign(*key, std::forward<decltype(node)>(node));
    } else {
      container.push_back(std::forward<decltype(node)>(node));
    }
  };
  if (value.is_null()) return;
  if (value.is_boolean()) return put(value.get<bool>());
  if (value.is_number_unsigned()) return put(static_cast<std::int64_t>(value.get<std::uint64_t>()));
  if (value.is_number_integer()) return put(value.get<std::int64_t>());
  if (value.is_number()) return put(value.get<double>());
  if (value.is_string()) return put(value.get<std::string>());
  if (value.is_array()) return put(to_toml_array(value));
  put(to_toml_table(value));
}

toml::array to_toml_array(const ordered_json& value) {
  toml::array array;
  for (const auto& element : value) insert_value(array, nullptr, element);
  return array;
}

toml::table to_toml_table(const ordered_json& value) {
  toml::table table;
  for (const auto& [key, element] : value.items()) insert_value(table, &key, element);
  return table;
}

}  // namespace

ordered_json build_env_document(const Configuration& config, const EnvInputs& inputs) {
  const HypervisorConfig& qemu = config.hypervisor;
  ordered_json document;
  document["Meta"] = {{"Version", env_format_version}};

  ordered_json runtime;
  runtime["Version"] = {{"Semver", inputs.version}, {"Commit", inputs.commit}, {"OCI", inputs.oci_version}};
  runtime["Config"] = {
      {"Path", config.path.empty() ? std::string("built-in defaults") : config.path},
      // Keys in the file that kata does not implement: they have no effect.
      {"IgnoredKeys", config.ignored_keys},
  };
  runtime["Path"] = inputs.runtime_path;
  runtime["Debug"] = config.runtime.enable_debug;
  runtime["InterNetworkingModel"] = to_string(config.runtime.internetworking_model);
  runtime["DisableNewNetNs"] = config.runtime.disable_new_netns;
  runtime["SandboxCgroupOnly"] = config.runtime.sandbox_cgroup_only;
  runtime["HostCgroupMemoryOverhead"] = config.runtime.host_cgroup_memory_overhead;
  runtime["Experimental"] = config.runtime.experimental;
  document["Runtime"] = std::move(runtime);

  document["Hypervisor"] = {
      {"MachineType", to_string(qemu.machine_type)},
      {"Path", qemu.path},
      {"Accel", to_string(qemu.accel)},
      {"DefaultVCPUs", qemu.default_vcpus},
      {"DefaultMaxVCPUs", qemu.default_maxvcpus},
      {"DefaultMemory", qemu.default_memory},
      {"DefaultMaxMemory", qemu.default_maxmemory},
      {"MemorySlots", qemu.memory_slots},
      {"SharedFS", qemu.shared_fs},
      {"VirtioFSDaemon", qemu.virtio_fs_daemon},
      {"VirtioFSCache", to_string(qemu.virtio_fs_cache)},
      {"VirtioFSExtraArgs", qemu.virtio_fs_extra_args},
      {"EnableAnnotations", qemu.enable_annotations},
      {"Debug", qemu.enable_debug},
  };
  document["Kernel"] = {{"Path", qemu.kernel}, {"Parameters", qemu.kernel_params}};
  document["Initrd"] = {{"Path", qemu.initrd}};
  document["Agent"] = {{"Debug", config.agent.enable_debug}, {"DialTimeout", config.agent.dial_timeout}};
  // Templating's caveat travels with the setting: clones share the
  // template's memory pages (and what the guest kept in them) until written.
  document["Factory"] = {{"Template", config.factory.enable_template},
                         {"TemplatePath", config.factory.template_path},
                         {"Caveat", "clones share the template's memory pages copy-on-write: the guest kernel state "
                                    "saved in the template (its KASLR layout among it) is the same in every clone"}};
  if (!inputs.host.is_null()) document["Host"] = inputs.host;
  return document;
}

std::string render_env_toml(const ordered_json& document) {
  std::ostringstream out;
  out << to_toml_table(document) << "\n";
  return out.str();
}

std::string render_env_json(const ordered_json& document) { return document.dump(2) + "\n"; }

}  // namespace kata::runtime
