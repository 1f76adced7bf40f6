#pragma once
// VM templating: one template VM booted to the agent's hello, paused and
// saved (its memory in a file, its device state in another), and clones
// that start from it instead of booting. This file holds what a template
// is made of and when one may be used: the QEMU configurations of the
// template and of a clone, derived from the one a cold boot would use, and
// the fingerprint that says whether a saved template still matches.
//
// Layout of [factory] template_path:
//   memory         the template's guest memory (memory-backend-file, share=on);
//                  clones map it share=off: copy-on-write
//   state          its device state (QMP migrate with x-ignore-shared: the
//                  memory file already holds the RAM)
//   template.json  the fingerprint, written last: a template without it is
//                  incomplete and never used
//   empty/         the template's 9p share (a clone serves its own share dir)
//
// Why 9p: virtiofsd maps the guest's memory through its fd, and a clone's
// memory is a private (copy-on-write) mapping whose pages virtiofsd cannot
// see, so a clone shares its files over virtio-9p, which QEMU serves from
// its own address space. Why hot-plugged NICs: taps belong to one
// container, so the template has empty PCIe root ports and each clone plugs
// its taps in after the restore.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "hypervisor/qemu/qemu_config.hpp"

namespace kata::runtime {

/// File names inside the template directory.
inline constexpr const char* template_memory_name = "memory";
inline constexpr const char* template_state_name = "state";
inline constexpr const char* template_record_name = "template.json";
inline constexpr const char* template_share_name = "empty";
/// The template VM's QEMU output (its warnings, why it failed), kept out of
/// the caller's terminal as a sandbox's goes to its monitor.log.
inline constexpr const char* template_qemu_log_name = "qemu.log";

/// PCIe root ports a template carries (the first holds the standby NIC):
/// the most NICs a clone can have.
inline constexpr unsigned template_nic_ports = 4;

/// One file a template depends on, as it was when the template was made.
struct FileIdentity {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

/// What a template was made from: a clone is possible only when all of it
/// matches what a cold boot would use now.
struct TemplateFingerprint {
  FileIdentity kernel;
  FileIdentity initrd;
  FileIdentity qemu;
  unsigned memory_mib = 0;
  unsigned vcpus = 0;
  std::string machine;         ///< "q35" (microvm has no PCIe ports to plug NICs into)
  std::string accel;           ///< "kvm" or "tcg": device state differs
  std::string kernel_params;   ///< the configuration's extra parameters
  unsigned memory_slots = 0;
  unsigned max_memory_mib = 0;
  std::string agent_protocol;  ///< agent protocol version ("1.1")
  /// A digest of the clone's QEMU argv with its paths left out: any other
  /// change to the machine kata builds (a kata upgrade) makes the template stale.
  std::string machine_digest;
  bool operator==(const TemplateFingerprint&) const = default;
};

/// The saved record: the fingerprint and when the template was made.
struct TemplateRecord {
  TemplateFingerprint fingerprint;
  std::string created;            ///< RFC 3339
  std::uint64_t state_bytes = 0;  ///< size of the device state file
};

/// The fingerprint of `qemu` (the configuration a cold boot would use),
/// statting its kernel, initramfs and QEMU binary. Errors name a file that
/// cannot be read.
Result<TemplateFingerprint> fingerprint_of(const hypervisor::qemu::QemuConfig& qemu, const std::string& kernel_params);

/// Why a template made with `saved` cannot stand in for a boot with
/// `wanted` ("memory: template 512 MiB, this boot 768 MiB"); empty when it can.
std::string template_mismatch(const TemplateFingerprint& saved, const TemplateFingerprint& wanted);

/// state.json-like forms of the record.
nlohmann::json template_record_to_json(const TemplateRecord& record);
/// Parses template_record_to_json's form; errors (invalid_argument) name the key.
Result<TemplateRecord> template_record_from_json(const nlohmann::json& value);

/// The template VM's configuration, from a cold boot's `qemu` for the
/// template directory `dir`: memory in dir/memory (shared), a 9p share of
/// dir/empty, PCIe ports for NICs with the standby NIC in the first, no
/// virtio-fs, no other NICs, and
/// `kata.template` for the agent (no share mounted at boot).
hypervisor::qemu::QemuConfig template_qemu_config(hypervisor::qemu::QemuConfig qemu, const std::string& dir);

/// A clone's configuration, from its cold boot's `qemu` (whose paths are
/// the sandbox's): the same machine as the template's, its memory mapped
/// from the template's file copy-on-write, its own share over 9p, started
/// paused for the restore. Its first NIC's tap backs the standby NIC; the
/// others are not in the argv (they are plugged in after the restore, from
/// port 1 on): the caller keeps qemu.net_devices.
hypervisor::qemu::QemuConfig clone_qemu_config(hypervisor::qemu::QemuConfig qemu, const std::string& template_dir,
                                               const std::string& share_dir);

/// Loads the record in `dir`; nullopt when there is no complete template.
Result<std::optional<TemplateRecord>> load_template_record(const std::string& dir);

}  // namespace kata::runtime
