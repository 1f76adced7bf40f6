#include "runtime/factory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <vector>

#include <fmt/ranges.h>

#include "agent-client/client.hpp"
#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"
#include "hypervisor/qemu/qemu_vm.hpp"
#include "oci/state.hpp"
#include "runtime/check/guest_kernel.hpp"
#include "runtime/vm_config.hpp"

namespace kata::runtime {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Saving and restoring move a few MiB of device state: seconds at most,
// even under TCG on a loaded host.
constexpr auto migration_timeout = 60s;

// The template directory, made if needed and locked: init and destroy
// never run at once (clones read without the lock: the record is written
// last and removed first).
Result<UniqueFd> lock_template_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::system, "[factory] template_path {}: {}", dir, ec.message());
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error(errno, "[factory] template_path {}", dir);
  if (::flock(fd.get(), LOCK_EX) < 0) return sys_error(errno, "lock {}", dir);
  return fd;
}

// Everything a template consists of, the record first.
Result<void> remove_template_files(const std::string& dir) {
  for (const char* name : {template_record_name, template_state_name, template_memory_name, console_log_name,
                           template_qemu_log_name, qmp_socket_name, agent_socket_name}) {
    std::string path = dir + "/" + name;
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) return sys_error(errno, "remove {}", path);
  }
  std::string share = dir + "/" + template_share_name;
  if (::rmdir(share.c_str()) < 0 && errno != ENOENT) return sys_error(errno, "remove {}", share);
  return ok();
}

std::uint64_t allocated_bytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_blocks) * 512 : 0;
}

// The configuration a cold boot of an unsized container would use.
Result<VmConfigs> cold_boot_plan(const Configuration& config, const std::string& dir) {
  return vm_configs_for(config, dir, "kata-template");
}

// A clone shares its files over virtio-9p and gets its NICs by PCIe
// hot-plug: a kernel whose .config (installed beside it) lacks either
// cannot run clones. Without a .config nothing can be said; the boot decides.
Result<void> require_clone_support(const std::string& kernel) {
  auto config = read_file(guest_kernel_config_path(kernel), 16 << 20);
  if (!config) return ok();
  std::vector<std::string> missing;
  for (const char* option : {"CONFIG_9P_FS=y", "CONFIG_NET_9P_VIRTIO=y", "CONFIG_HOTPLUG_PCI_PCIE=y"})
    if (config->find(std::string("\n") + option + "\n") == std::string::npos) missing.push_back(option);
  if (missing.empty()) return ok();
  return make_error(ErrorKind::unsupported,
                    "kata factory init: the guest kernel {} lacks {}, which clones need (their files come over "
                    "virtio-9p, their NICs by PCIe hot-plug); kata's own kernel has them",
                    kernel, fmt::join(missing, ", "));
}

}  // namespace

Result<TemplateRecord> init_template(const Configuration& config) {
  const std::string& dir = config.factory.template_path;
  auto lock = KATA_TRY(lock_template_dir(dir));
  KATA_TRY(remove_template_files(dir));
  ScopeExit undo([&] { (void)remove_template_files(dir); });
  std::string share = dir + "/" + template_share_name;
  if (::mkdir(share.c_str(), 0700) < 0) return sys_error(errno, "mkdir {}", share);

  auto plan = KATA_TRY(cold_boot_plan(config, dir));
  KATA_TRY(require_clone_support(plan.qemu.kernel));
  if (plan.qemu.machine != hypervisor::qemu::Machine::q35)
    return make_error(ErrorKind::unsupported,
                      "kata factory init: machine_type microvm has no PCIe ports for a clone's NICs; templates need q35");
  auto print = KATA_TRY(fingerprint_of(plan.qemu, config.hypervisor.kernel_params));
  // QEMU's sockets and console log go in the template dir, like a sandbox's.
  if (::chdir(dir.c_str()) < 0) return sys_error(errno, "chdir {}", dir);
  std::string qemu_log = dir + "/" + template_qemu_log_name;
  UniqueFd log_fd(::open(qemu_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!log_fd) return sys_error(errno, "open {}", qemu_log);
  hypervisor::qemu::QemuVm vm(template_qemu_config(plan.qemu, dir), plan.virtiofsd, 10s);
  vm.set_output_fd(log_fd.get());
  if (auto started = vm.start(); !started) {
    auto error = std::move(started).error().wrap("kata factory init: start the template VM");
    error.message += "\nqemu.log (last lines):\n" + file_tail(qemu_log, 20);
    return error;
  }
  // The hello says the agent is up and serving. The connection stays open
  // through the save: the template's port is saved host-connected, and a
  // clone's host connects before QEMU loads that state (the monitor's
  // start_clone), so no clone's guest sees its port close and open again;
  // its agent takes the clone host's hello as a new session. (Closed before
  // the save, clones could get the template's close after their own hello
  // and drop their host: 3 of 44 factory_test runs.) A request answered
  // before the save makes sure the agent has read all we sent, since a
  // frame half read would begin every clone's stream; the one sent brings
  // the guest's loopback up, which every sandbox needs, so no clone spends
  // its start on it.
  auto agent = agent_client::AgentClient::connect(plan.qemu.agent_socket,
                                                  std::chrono::seconds(config.agent.dial_timeout));
  Result<void> serving = agent ? agent->configure_network({}, std::chrono::seconds(config.agent.dial_timeout))
                               : Result<void>(std::move(agent).error());
  if (!serving) {
    auto error = std::move(serving).error().wrap("kata factory init: the template's agent");
    error.message += "\nconsole.log (last lines):\n" + file_tail(plan.qemu.console_log, 20);
    return error;
  }
  std::string state = dir + "/" + template_state_name;
  KATA_TRY(vm.save_state(state, migration_timeout).wrap("kata factory init"));
  KATA_TRY(vm.stop(2s));

  TemplateRecord record{print, oci::format_rfc3339(std::chrono::system_clock::now()), 0};
  struct stat st {};
  if (::stat(state.c_str(), &st) == 0) record.state_bytes = static_cast<std::uint64_t>(st.st_size);
  KATA_TRY(write_file_atomic(dir + "/" + template_record_name, template_record_to_json(record).dump(2) + "\n", 0600));
  undo.dismiss();
  return record;
}

Result<TemplateStatus> template_status(const Configuration& config) {
  TemplateStatus status;
  status.dir = config.factory.template_path;
  status.record = KATA_TRY(load_template_record(status.dir));
  if (!status.record) return status;
  status.memory_bytes = allocated_bytes(status.dir + "/" + template_memory_name);
  auto plan = KATA_TRY(cold_boot_plan(config, status.dir));
  auto wanted = fingerprint_of(plan.qemu, config.hypervisor.kernel_params);
  status.stale = wanted ? template_mismatch(status.record->fingerprint, *wanted) : wanted.error().message;
  return status;
}

Result<void> destroy_template(const Configuration& config) {
  const std::string& dir = config.factory.template_path;
  struct stat st {};
  if (::stat(dir.c_str(), &st) < 0 && errno == ENOENT) return ok();
  auto lock = KATA_TRY(lock_template_dir(dir));
  KATA_TRY(remove_template_files(dir));
  // The directory too, unless it holds something that is not kata's.
  if (::rmdir(dir.c_str()) < 0 && errno != ENOTEMPTY && errno != EEXIST) return sys_error(errno, "remove {}", dir);
  return ok();
}

CloneSource clone_source(const Configuration& config, const hypervisor::qemu::QemuConfig& qemu) {
  const std::string& dir = config.factory.template_path;
  auto record = load_template_record(dir);
  if (!record) return {"", record.error().message};
  if (!*record) return {"", fmt::format("no template in {} (kata factory init makes one)", dir)};
  auto wanted = fingerprint_of(qemu, config.hypervisor.kernel_params);
  if (!wanted) return {"", wanted.error().message};
  if (auto why = template_mismatch((*record)->fingerprint, *wanted); !why.empty())
    return {"", "the template is stale: " + why};
  return {dir, ""};
}

}  // namespace kata::runtime
