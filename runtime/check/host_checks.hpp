#pragma once

#include <string>

#include "runtime/check/check_report.hpp"
#include "runtime/check/host_probe.hpp"

namespace kata::runtime {

/// What `kata check` checks the host against: the effective configuration,
/// reduced to the facts the checks need.
struct CheckInputs {
  std::string hypervisor_path;   ///< [hypervisor.qemu] path
  std::string machine_type;      ///< q35 or microvm
  std::string accel;             ///< "auto", "kvm" or "tcg"
  std::string virtiofsd_path;    ///< virtio_fs_daemon
  std::string kernel_path;
  std::string initrd_path;
  unsigned default_memory_mib = 0;
  std::string state_root;        ///< --root
  std::string config_source;     ///< file read, or "built-in defaults"
  std::string config_error;      ///< why the configuration failed to load; empty if it loaded
  std::string agent_protocol_marker;  ///< the string the matching agent carries (see agent version)
};

/// Runs every check against `probe` and draws the verdict. Changes nothing
/// on the host: no module is loaded, no file written.
CheckReport run_host_checks(const CheckInputs& inputs, const HostProbe& probe);

}  // namespace kata::runtime
