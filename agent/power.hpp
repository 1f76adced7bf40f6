#pragma once
// Ending the guest. PID 1 must never exit (the kernel panics and the host
// sees a hang, not a reason), so every way out goes through power_off.

#include <string>

#include "common/error.hpp"

namespace kata::agent {

/// Syncs, unmounts `shared_mount` (if not empty) so virtiofsd sees the
/// filesystem released, syncs again and powers the VM off. Does not return.
[[noreturn]] void power_off(const std::string& shared_mount);

/// Writes "fatal: <error>" to the console and powers off.
[[noreturn]] void fatal(const Error& error);

}  // namespace kata::agent
