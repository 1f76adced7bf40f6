#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/child_process.hpp"
#include "hypervisor/hypervisor.hpp"
#include "hypervisor/qemu/qemu_config.hpp"
#include "hypervisor/qemu/qmp_client.hpp"
#include "hypervisor/qemu/virtiofsd.hpp"

namespace kata::hypervisor::qemu {

/// A sandbox VM run by QEMU, with virtiofsd serving its shared directory.
/// Both are children of the process that calls start(); a failed start
/// leaves neither running.
class QemuVm final : public Hypervisor {
 public:
  /// `qemu.virtiofs_socket` must name where the vhost-user socket is created
  /// (in the sandbox's state dir); leave it empty for a VM without virtio-fs.
  QemuVm(QemuConfig qemu, VirtiofsdConfig virtiofsd, std::chrono::milliseconds qmp_timeout);
  ~QemuVm() override;

  Result<void> start() override;
  Result<void> pause() override;
  Result<void> resume() override;
  Result<void> stop(std::chrono::milliseconds grace) override;
  Result<std::optional<int>> poll_exit() override;
  Result<void> hot_add_memory(unsigned mib) override;
  std::string agent_socket() const override { return qemu_config_.agent_socket; }
  std::vector<pid_t> pids() const override;

  /// Saves the paused VM's device state into `path` (templating: memory
  /// the VM shares with its memory file is left out; see qmp_client.hpp).
  Result<void> save_state(const std::string& path, std::chrono::milliseconds timeout);
  /// Restores a VM started with `incoming` from the device state in
  /// `path`; it stays paused until resume().
  Result<void> restore_state(const std::string& path, std::chrono::milliseconds timeout);
  /// Plugs `net` (its tap fd passed over QMP) into the nth empty PCIe root
  /// port (QemuConfig::hotplug_ports).
  Result<void> plug_nic(const NetDevice& net, unsigned port);

  /// Sends QEMU's and virtiofsd's stdout and stderr to `fd` (kept open by
  /// the caller until start() returns); by default they inherit the caller's.
  void set_output_fd(int fd) { output_fd_ = fd; }

 private:
  Result<void> start_virtiofsd();

  QemuConfig qemu_config_;
  VirtiofsdConfig virtiofsd_config_;
  std::chrono::milliseconds qmp_timeout_;
  ChildProcess virtiofsd_;
  ChildProcess qemu_;
  std::optional<QmpClient> qmp_;
  int output_fd_ = -1;
  unsigned dimms_ = 0;          // pc-dimm slots used
  unsigned added_memory_mib_ = 0;
};

}  // namespace kata::hypervisor::qemu
