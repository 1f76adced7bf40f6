#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace kata::hypervisor {

/// One sandbox VM, whatever runs it. The runtime drives the lifecycle through
/// this interface only, so a fake (tests/fakes/) can stand in for QEMU.
/// The object owns the processes it starts: destroying it kills them.
class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  /// Starts the VM and its helper processes; returns once the VMM is
  /// controllable. The guest may still be booting.
  virtual Result<void> start() = 0;
  /// Freezes every vCPU.
  virtual Result<void> pause() = 0;
  /// Thaws every vCPU.
  virtual Result<void> resume() = 0;
  /// Ends the VM: asks the VMM to quit, waits up to `grace`, then kills it
  /// and its helpers. Safe to call twice and after the VM died by itself.
  virtual Result<void> stop(std::chrono::milliseconds grace) = 0;
  /// Returns the wait status of the VMM, or of a helper the VM cannot run
  /// without (virtiofsd), if it has exited (reaping it); nullopt while all run.
  virtual Result<std::optional<int>> poll_exit() = 0;
  /// Adds `mib` MiB of memory to the running VM (one memory slot); errors
  /// name the bound it would cross (slots, the maximum) and leave the VM as
  /// it was.
  virtual Result<void> hot_add_memory(unsigned mib) = 0;
  /// Unix socket on which the guest agent's channel is reachable.
  virtual std::string agent_socket() const = 0;
  /// Host pids of the VMM and its helpers that are still owned (for `ps`, cgroups, cleanup).
  virtual std::vector<pid_t> pids() const = 0;
};

}  // namespace kata::hypervisor
