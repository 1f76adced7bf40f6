#include "runtime/check/boot_check.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "agent-client/client.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"
#include "hypervisor/qemu/qemu_vm.hpp"
#include "runtime/vm_config.hpp"

namespace kata::runtime {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<double> boot_to_agent(const Configuration& config, const std::string& dir, std::string& accel_name) {
  if (::mkdir((dir + "/share").c_str(), 0755) < 0) return sys_error(errno, "mkdir {}/share", dir);
  auto plan = KATA_TRY(vm_configs_for(config, dir, "kata-check-boot"));
  accel_name = plan.qemu.accel == hypervisor::qemu::Accel::kvm ? "KVM" : "TCG";
  hypervisor::qemu::QemuVm vm(plan.qemu, plan.virtiofsd, std::chrono::seconds(10));
  // QEMU's and virtiofsd's chatter goes to a log in the sandbox dir, not to
  // the operator's terminal.
  UniqueFd output(::open((dir + "/vmm.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!output) return sys_error(errno, "open {}/vmm.log", dir);
  vm.set_output_fd(output.get());
  auto started = Clock::now();
  KATA_TRY(vm.start().wrap("start the VM"));
  auto agent = agent_client::AgentClient::connect(plan.qemu.agent_socket, std::chrono::seconds(config.agent.dial_timeout));
  if (!agent) {
    auto error = std::move(agent).error().wrap("connect to the agent");
    error.message += "\nconsole.log (last lines):\n" + file_tail(plan.qemu.console_log, 20);
    return error;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  KATA_TRY(agent->destroy_sandbox(std::chrono::seconds(10)).wrap("power off through the agent"));
  // A clean power-off ends QEMU by itself; stop() only reaps it (or kills
  // it if the guest did not go down within the grace time).
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    auto exited = vm.poll_exit();
    if (!exited || exited->has_value()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  KATA_TRY(vm.stop(std::chrono::seconds(1)));
  return seconds;
}

CheckResult boot_check(const Configuration& config, const std::string& state_root) {
  std::error_code ignored;
  std::filesystem::create_directories(state_root, ignored);
  std::string pattern = state_root + "/check-boot-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return {"boot", CheckStatus::fail, fmt::format("cannot create a sandbox dir under {}: {}", state_root, errno_message(errno)),
            "pass --root with a writable directory"};
  }
  ScopeExit remove_dir([&] { std::filesystem::remove_all(pattern, ignored); });
  std::string accel;
  auto seconds = boot_to_agent(config, pattern, accel);
  if (!seconds) {
    return {"boot", CheckStatus::fail, fmt::format("booting a sandbox failed: {}", seconds.error().message),
            "fix what the failing step names; kata check --verbose shows the checks it depends on"};
  }
  return {"boot", CheckStatus::pass,
          fmt::format("a sandbox booted to its agent in {:.2f} s with {} and powered off cleanly", *seconds, accel), ""};
}

}  // namespace kata::runtime
