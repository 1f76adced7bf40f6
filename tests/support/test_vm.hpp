#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "agent-client/client.hpp"
#include "common/error.hpp"
#include "hypervisor/qemu/qemu_vm.hpp"
#include "tests/support/temp_dir.hpp"

namespace kata::test_support {

/// What TestVm::boot needs; the paths come from the test's build definitions.
struct TestVmOptions {
  std::string qemu = "/usr/bin/qemu-system-x86_64";
  std::string virtiofsd = "/usr/lib/qemu/virtiofsd";
  std::string kernel;  ///< build tree's guest/vmlinuz
  std::string initrd;  ///< build tree's guest/kata-initramfs.img
  unsigned memory_mib = 512;
  std::chrono::milliseconds boot_timeout{120000};  ///< TCG on a busy 2-core host can be slow
};

/// One booted sandbox VM for tests: a temp state dir holding share/ (exported
/// over virtio-fs as kataShared), the sockets and console.log; QEMU and
/// virtiofsd as children; a handshaken AgentClient. The destructor kills both
/// children and removes the state dir.
class TestVm {
 public:
  /// Boots under resolve_accel(automatic) (TCG on this machine's PVM /dev/kvm)
  /// and connects to the agent. The error carries the console's tail.
  static Result<std::unique_ptr<TestVm>> boot(const TestVmOptions& options);
  TestVm(const TestVm&) = delete;
  TestVm& operator=(const TestVm&) = delete;
  ~TestVm();

  /// The agent connection.
  agent_client::AgentClient& agent() { return *agent_; }
  /// Host directory the guest sees as /run/kata-containers/shared.
  [[nodiscard]] std::string share_dir() const { return state_.path() + "/share"; }
  /// The last `lines` lines of the guest's serial console (for failure messages).
  [[nodiscard]] std::string console_tail(std::size_t lines = 40) const;
  /// QEMU's wait status once it exited, nullopt while it runs.
  Result<std::optional<int>> poll_exit() { return vm_->poll_exit(); }
  /// Seconds from QEMU's start to the agent's hello.
  [[nodiscard]] double boot_seconds() const { return boot_seconds_; }
  /// Which accelerator was used ("kvm" or "tcg").
  [[nodiscard]] const std::string& accel() const { return accel_; }

 private:
  TestVm() = default;

  TempDir state_{"kata-vm-test"};
  std::unique_ptr<hypervisor::qemu::QemuVm> vm_;
  std::optional<agent_client::AgentClient> agent_;
  double boot_seconds_ = 0;
  std::string accel_;
};

}  // namespace kata::test_support
