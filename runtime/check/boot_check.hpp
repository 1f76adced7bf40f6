#pragma once

#include <string>

#include "common/error.hpp"
#include "runtime/check/check_report.hpp"
#include "runtime/configuration.hpp"

namespace kata::runtime {

/// `kata check --boot`: boots a throwaway sandbox with the configured
/// kernel, initramfs and hypervisor until its agent answers the handshake,
/// powers it off through the agent and removes everything it made under
/// `state_root`. The result is a check named "boot": pass with the time to
/// agent-ready and the accelerator, or fail with the step and the tail of
/// the guest console.
CheckResult boot_check(const Configuration& config, const std::string& state_root);

/// Boots a sandbox whose state lives in `dir` (existing, empty) until its
/// agent answers, powers it off through the agent and reaps QEMU and
/// virtiofsd. Returns the seconds from spawning QEMU to the agent's hello;
/// `accel` receives "KVM" or "TCG". Also the floor of bench/startup.sh.
Result<double> boot_to_agent(const Configuration& config, const std::string& dir, std::string& accel);

}  // namespace kata::runtime
