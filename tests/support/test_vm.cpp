#include "tests/support/test_vm.hpp"

#include <sys/stat.h>

#include <sstream>
#include <vector>

#include "common/fs.hpp"
#include "hypervisor/accel.hpp"

namespace kata::test_support {

using Clock = std::chrono::steady_clock;

Result<std::unique_ptr<TestVm>> TestVm::boot(const TestVmOptions& options) {
  std::unique_ptr<TestVm> vm(new TestVm());
  const std::string& dir = vm->state_.path();
  if (dir.empty()) return make_error(ErrorKind::system, "cannot create a temp dir for the VM");
  if (::mkdir(vm->share_dir().c_str(), 0755) < 0) return sys_error(errno, "mkdir {}", vm->share_dir());

  auto accel = KATA_TRY(hypervisor::resolve_accel(hypervisor::AccelSetting::automatic));
  vm->accel_ = accel.accel == hypervisor::qemu::Accel::kvm ? "kvm" : "tcg";

  hypervisor::qemu::QemuConfig qemu;
  qemu.binary = options.qemu;
  qemu.name = "kata-test";
  qemu.accel = accel.accel;
  qemu.memory_mib = options.memory_mib;
  qemu.kernel = options.kernel;
  qemu.initrd = options.initrd;
  qemu.console_log = dir + "/console.log";
  qemu.qmp_socket = dir + "/qmp.sock";
  qemu.agent_socket = dir + "/agent.sock";
  qemu.virtiofs_socket = dir + "/virtiofsd.sock";
  hypervisor::qemu::VirtiofsdConfig virtiofsd;
  virtiofsd.binary = options.virtiofsd;
  virtiofsd.shared_dir = vm->share_dir();
  // The namespace sandbox needs unshare rights a CI container may lack.
  virtiofsd.extra_args = {"-o", "sandbox=chroot"};

  auto started = Clock::now();
  vm->vm_ = std::make_unique<hypervisor::qemu::QemuVm>(qemu, virtiofsd, std::chrono::seconds(10));
  auto fail = [&](Error error) -> Error {
    error.message = fmt::format("boot test VM ({}): {}\nconsole:\n{}", vm->accel_, error.message, vm->console_tail());
    return error;
  };
  if (auto result = vm->vm_->start(); !result) return fail(std::move(result).error());
  auto agent = agent_client::AgentClient::connect(qemu.agent_socket, options.boot_timeout);
  if (!agent) return fail(std::move(agent).error());
  vm->agent_.emplace(std::move(*agent));
  vm->boot_seconds_ = std::chrono::duration<double>(Clock::now() - started).count();
  return vm;
}

TestVm::~TestVm() {
  agent_.reset();
  vm_.reset();  // kills and reaps QEMU and virtiofsd before the dir goes
}

std::string TestVm::console_tail(std::size_t lines) const {
  auto text = read_file(state_.path() + "/console.log", 16U << 20);
  if (!text) return "(no console log: " + text.error().message + ")\n";
  std::vector<std::string> all;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string tail;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) tail += all[i] + "\n";
  return tail;
}

}  // namespace kata::test_support
