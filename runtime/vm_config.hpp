#pragma once
// How a sandbox's VM is configured from configuration.toml: the QEMU and
// virtiofsd settings, with every socket and log inside the sandbox dir.
// Used by the sandbox monitor and by `kata check --boot`.

#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "hypervisor/qemu/qemu_config.hpp"
#include "hypervisor/qemu/virtiofsd.hpp"
#include "oci/spec.hpp"
#include "runtime/configuration.hpp"

namespace kata::runtime {

/// QEMU's QMP socket, inside the sandbox dir.
inline constexpr const char* qmp_socket_name = "qmp.sock";
/// The socket QEMU serves the agent's virtio-serial port on.
inline constexpr const char* agent_socket_name = "agent.sock";
/// virtiofsd's vhost-user socket.
inline constexpr const char* virtiofsd_socket_name = "virtiofsd.sock";
/// The guest's serial console.
inline constexpr const char* console_log_name = "console.log";

/// The VM of one sandbox.
struct VmConfigs {
  hypervisor::qemu::QemuConfig qemu;
  hypervisor::qemu::VirtiofsdConfig virtiofsd;
  std::string accel_reason;  ///< why TCG was chosen under accel = "auto"; empty otherwise
};

/// The VM configuration for the sandbox dir `dir` (absolute), which holds
/// `share/` (exported over virtio-fs), the sockets and console.log. Socket
/// paths that would not fit sun_path are given relative to `dir`, so the
/// caller must run QEMU with `dir` as its working directory in that case.
/// Fails when accel = "kvm" but KVM is not usable.
Result<VmConfigs> vm_configs_for(const Configuration& config, const std::string& dir, const std::string& name);

/// Prefix of the annotations that override [hypervisor.qemu] keys (Kata's).
inline constexpr const char* hypervisor_annotation_prefix = "io.katacontainers.config.hypervisor.";

/// The host's size, which bounds a VM when the configuration sets no maximum.
struct HostCapacity {
  unsigned cpus = 1;             ///< online CPUs
  std::uint64_t memory_mib = 0;  ///< physical memory
};

/// This host's online CPUs and physical memory.
HostCapacity host_capacity();

/// A VM's vCPUs and memory.
struct VmSize {
  unsigned vcpus = 1;
  unsigned memory_mib = 0;
  bool operator==(const VmSize&) const = default;
};

/// The VM size for one container, as Kata sizes it:
/// - start from default_vcpus / default_memory, replaced by the annotations
///   io.katacontainers.config.hypervisor.default_vcpus / default_memory when
///   enable_annotations allows them;
/// - add ceil(linux.resources.memory.limit / 1 MiB) MiB and
///   ceil(cpu.quota / cpu.period) vCPUs (unlimited or absent values add
///   nothing);
/// - cap the additions at default_maxvcpus (0: the host's CPUs) and
///   default_maxmemory (0: the host's memory); the base is never reduced,
///   so a capped container still gets at least the configured VM.
/// Errors (invalid_argument) name the annotation: one under the hypervisor
/// prefix that enable_annotations does not allow, one kata does not
/// implement, a malformed value, or one beyond the maximum.
Result<VmSize> vm_size_for(const HypervisorConfig& config, const oci::Spec& spec, const HostCapacity& host);

/// `config` with default_vcpus / default_memory replaced by the VM size for
/// `spec` on this host (what vm_configs_for then puts in QEMU's -smp / -m).
Result<Configuration> configuration_sized_for(const Configuration& config, const oci::Spec& spec);

/// The last `lines` lines of the text file `path` (console.log), or a note
/// saying why there is none.
std::string file_tail(const std::string& path, std::size_t lines);

}  // namespace kata::runtime
