#pragma once
// configuration.toml: where it is looked up, what it may hold, and the
// built-in defaults, all in one place.
//
// Section and key names are Kata's ([hypervisor.qemu], [agent.kata],
// [runtime]) so an operator's existing Kata file works. Keys kata does not
// implement (Kata files carry dozens: [factory], enable_iothreads, other
// hypervisors' sections, ...) are accepted and recorded in
// Configuration::ignored_keys, which `kata env` prints: refusing them would
// reject every real Kata file, and dropping them silently would hide that a
// setting has no effect. A key kata does implement is checked strictly: a
// wrong type or an out-of-range value is an error naming file, key and why.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "runtime/install_paths.hpp"

namespace kata::runtime {

/// CPU virtualisation: KVM when /dev/kvm is usable else TCG ("auto"), or forced.
enum class Accel { automatic, kvm, tcg };
/// QEMU machine model (`machine_type`); both are supported by the QEMU driver.
enum class MachineType { q35, microvm };
/// virtiofsd cache mode (`virtio_fs_cache`): "never" (alias "none"), "auto", "always".
enum class VirtioFsCache { never, automatic, always };
/// How the container's network reaches the VM (`internetworking_model`).
enum class InterNetworkingModel { tcfilter, none };

/// Spelling used in the file and in `kata env`.
std::string_view to_string(Accel accel);
std::string_view to_string(MachineType machine_type);
std::string_view to_string(VirtioFsCache cache);
std::string_view to_string(InterNetworkingModel model);

/// Smallest accepted default_memory (MiB): Debian's cloud kernel with the
/// agent's initramfs does not boot reliably below this.
inline constexpr unsigned min_memory_mib = 64;

/// [hypervisor.qemu]
struct HypervisorConfig {
  std::string path = default_qemu_path;
  std::string kernel = installed_guest_kernel;  ///< where this build installs it
  std::string initrd = installed_guest_initrd;
  MachineType machine_type = MachineType::q35;
  std::string kernel_params;   ///< appended after the parameters kata itself needs
  /// Firmware QEMU runs before the kernel (-bios); empty: QEMU's default
  /// for the machine (SeaBIOS on q35, qboot on microvm).
  std::string firmware;
  unsigned default_vcpus = 1;
  unsigned default_maxvcpus = 0;  ///< 0: as many as the host has (Kata's meaning)
  /// MiB. Kata ships 2048, which exceeds many pod memory limits and gets
  /// QEMU OOM-killed (kata-anchor.md §7.5); the guest here is a kernel plus an
  /// initramfs holding only the agent, with the rootfs shared over virtio-fs,
  /// so 512 MiB leaves most of the VM to the workload.
  unsigned default_memory = 512;
  unsigned memory_slots = 10;  ///< memory hotplug slots (Kata's default)
  /// MiB the VM may grow to when the container's memory limit is added to
  /// default_memory; 0: the host's physical memory (Kata's meaning).
  unsigned default_maxmemory = 0;
  std::string shared_fs = "virtio-fs";  ///< only "virtio-fs" is implemented
  std::string virtio_fs_daemon = default_virtiofsd_path;
  VirtioFsCache virtio_fs_cache = VirtioFsCache::automatic;
  std::vector<std::string> virtio_fs_extra_args;
  bool enable_debug = false;
  /// Keys of [hypervisor.qemu] that io.katacontainers.config.hypervisor.<key>
  /// annotations may override, as names or regular expressions that must
  /// match the whole key (ECMAScript syntax); empty: none.
  std::vector<std::string> enable_annotations;
  Accel accel = Accel::automatic;
  /// MiB of QEMU's TCG translation cache (-accel tcg,tb-size=); 0: QEMU's
  /// default (1 GiB reserved, touched as the guest runs new code). No
  /// effect under KVM.
  unsigned tcg_tb_size = 0;

  /// Field by field; the shipped file's test compares against the defaults.
  bool operator==(const HypervisorConfig&) const = default;
};

/// [agent.kata]
struct AgentConfig {
  bool enable_debug = false;
  /// Seconds to wait for the agent to answer after the VM starts. Kata's 45:
  /// a TCG boot takes ~4 s on an idle machine but much longer on a loaded one.
  unsigned dial_timeout = 45;

  /// Field by field.
  bool operator==(const AgentConfig&) const = default;
};

/// [runtime]
struct RuntimeConfig {
  bool enable_debug = false;
  InterNetworkingModel internetworking_model = InterNetworkingModel::tcfilter;
  bool disable_new_netns = false;
  bool sandbox_cgroup_only = false;
  /// MiB the sandbox's host cgroup allows beyond the VM's memory, for QEMU
  /// itself (TCG's translation cache, device buffers) and virtiofsd: its
  /// memory limit is the VM's memory plus this (host_cgroup_plan.hpp).
  unsigned host_cgroup_memory_overhead = 512;
  std::vector<std::string> experimental;  ///< names of experimental features to enable

  /// Field by field.
  bool operator==(const RuntimeConfig&) const = default;
};

/// [factory]: VM templating (factory_template.hpp).
struct FactoryConfig {
  /// create clones a saved template VM instead of booting one, when a
  /// template that matches the configuration exists (`kata factory init`).
  bool enable_template = false;
  /// Directory of the template: its memory file, device state and record.
  /// On tmpfs, since clones map the memory file.
  std::string template_path = "/run/kata-template";

  /// Field by field.
  bool operator==(const FactoryConfig&) const = default;
};

/// The whole configuration; a default-constructed one is the built-in defaults.
struct Configuration {
  std::string path;  ///< file it was read from; empty for built-in defaults
  HypervisorConfig hypervisor;
  AgentConfig agent;
  RuntimeConfig runtime;
  FactoryConfig factory;
  /// Dotted names of keys present in the file that kata does not implement
  /// ("factory.enable_template"), section by section, alphabetical within one.
  std::vector<std::string> ignored_keys;
};

/// One key kata implements: `section` is the dotted table ("hypervisor.qemu"),
/// `name` the key in it ("default_memory").
struct ConfigKey {
  std::string section;
  std::string name;

  /// Same section and name.
  bool operator==(const ConfigKey&) const = default;
};

/// Every key the parser reads, section by section in the order it reads
/// them. Obtained by running the parser's own section readers on empty
/// tables (they ask for every key whether or not it is present), so it
/// cannot lag behind parse_configuration; the shipped configuration.toml is
/// tested against it.
std::vector<ConfigKey> configuration_keys();

/// Environment variable naming the configuration file.
inline constexpr const char* config_env_variable = "KATA_CONF_FILE";

/// /etc/kata-containers/configuration.toml (the operator's copy), then
/// /usr/share/defaults/kata-containers/configuration.toml (where Kata's
/// packages put theirs), then the file `cmake --install` put under this
/// build's prefix (installed_config_file; left out when it is the same path).
std::vector<std::string> default_config_candidates();

/// Where to look, in order. Empty strings mean "not given".
struct ConfigSources {
  std::string explicit_path;  ///< --config
  std::string env_path;       ///< $KATA_CONF_FILE
  std::vector<std::string> candidates = default_config_candidates();
};

/// Sources for production: `explicit_path` from --config, env from
/// KATA_CONF_FILE (empty counts as unset), the default candidates.
ConfigSources config_sources_from_environment(std::string explicit_path);

/// The file to read: the explicit path, else the env path (either must
/// exist: not_found otherwise), else the first existing candidate; nullopt
/// when none exists (use built-in defaults).
Result<std::optional<std::string>> find_configuration_file(const ConfigSources& sources);

/// Finds and loads the configuration (built-in defaults when no file).
Result<Configuration> load_configuration(const ConfigSources& sources);

/// Reads and parses one file; errors start with the file's path.
Result<Configuration> load_configuration_file(const std::string& path);

/// Parses TOML text; `source_name` (normally the path) starts every error:
/// "<source>: hypervisor.qemu.default_vcpus: expected an integer, got string",
/// "<source>:3:14: <syntax error>". Never throws.
Result<Configuration> parse_configuration(std::string_view text, const std::string& source_name);

}  // namespace kata::runtime
