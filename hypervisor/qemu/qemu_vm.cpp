#include "hypervisor/qemu/qemu_vm.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"
#include "common/unix_socket.hpp"
#include "hypervisor/qemu/qemu_cmdline.hpp"

namespace kata::hypervisor::qemu {

namespace {

using Clock = std::chrono::steady_clock;

// Waits for `child` to exit until `deadline`; true if it did (and was reaped).
bool wait_until(ChildProcess& child, Clock::time_point deadline) {
  while (child.pid() > 0) {
    auto status = child.try_wait();
    if (!status || status->has_value()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace

QemuVm::QemuVm(QemuConfig qemu, VirtiofsdConfig virtiofsd, std::chrono::milliseconds qmp_timeout)
    : qemu_config_(std::move(qemu)), virtiofsd_config_(std::move(virtiofsd)), qmp_timeout_(qmp_timeout) {}

QemuVm::~QemuVm() { (void)stop(std::chrono::milliseconds(0)); }

Result<void> QemuVm::start_virtiofsd() {
  const std::string& socket_path = qemu_config_.virtiofs_socket;
  ::unlink(socket_path.c_str());
  // kata listens and hands the socket to virtiofsd, so it exists before QEMU
  // connects: no polling for virtiofsd to create it.
  auto listener = KATA_TRY(listen_unix_socket(socket_path).wrap("virtiofsd socket"));
  auto config = virtiofsd_config_;
  config.socket_fd = 3;
  std::vector<std::pair<int, int>> fds = {{listener.get(), 3}};
  if (output_fd_ >= 0) fds.insert(fds.end(), {{output_fd_, 1}, {output_fd_, 2}});
  virtiofsd_ = KATA_TRY(ChildProcess::spawn({
                                                .argv = build_virtiofsd_argv(config),
                                                .fds = fds,
                                                .parent_death_signal = SIGKILL,
                                            })
                            .wrap("start virtiofsd"));
  return ok();
}

Result<void> QemuVm::start() {
  ScopeExit rollback([this] { (void)stop(std::chrono::milliseconds(0)); });
  if (!qemu_config_.virtiofs_socket.empty()) KATA_TRY(start_virtiofsd());
  ::unlink(qemu_config_.qmp_socket.c_str());
  ::unlink(qemu_config_.agent_socket.c_str());
  // QEMU gets its QMP and agent sockets bound and listening (qemu_cmdline.hpp):
  // clients connect at once and wait for QEMU to answer.
  auto qmp_listener = KATA_TRY(listen_unix_socket(qemu_config_.qmp_socket).wrap("qmp socket"));
  auto agent_listener = KATA_TRY(listen_unix_socket(qemu_config_.agent_socket).wrap("agent socket"));
  std::vector<std::pair<int, int>> fds = {{qmp_listener.get(), kQmpFd}, {agent_listener.get(), kAgentFd}};
  if (output_fd_ >= 0) fds.insert(fds.end(), {{output_fd_, 1}, {output_fd_, 2}});
  for (std::size_t n = 0; n < qemu_config_.net_devices.size(); ++n)
    fds.emplace_back(qemu_config_.net_devices[n].host_fd, kFirstNetFd + static_cast<int>(n));
  qemu_ = KATA_TRY(ChildProcess::spawn({
                                           .argv = build_argv(qemu_config_),
                                           .fds = fds,
                                           .parent_death_signal = SIGKILL,
                                       })
                       .wrap("start qemu"));
  // QEMU holds the listeners alone from here: should it die, connections
  // waiting for it are reset instead of waiting for a timeout.
  qmp_listener.reset();
  agent_listener.reset();
  auto qmp = QmpClient::connect(qemu_config_.qmp_socket, qmp_timeout_);
  if (!qmp) {
    // QEMU that exits at once (bad argument, missing kernel) explains itself
    // on stderr, which the caller sees; say that it died rather than "timeout"
    // (its listener closes a moment before its exit can be reaped).
    for (auto deadline = Clock::now() + std::chrono::milliseconds(200);;) {
      if (auto exited = qemu_.try_wait(); exited && exited->has_value()) {
        return make_error(ErrorKind::system, "start qemu: qemu exited with code {} before answering QMP",
                          exit_code_from_wait_status(**exited));
      }
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::move(qmp).error().wrap("start qemu");
  }
  qmp_.emplace(std::move(qmp).value());
  rollback.dismiss();
  return ok();
}

Result<void> QemuVm::pause() {
  if (!qmp_) return make_error(ErrorKind::wrong_state, "pause: the VM is not running");
  return qmp_->stop().wrap("pause vm");
}

Result<void> QemuVm::resume() {
  if (!qmp_) return make_error(ErrorKind::wrong_state, "resume: the VM is not running");
  return qmp_->cont().wrap("resume vm");
}

Result<void> QemuVm::stop(std::chrono::milliseconds grace) {
  if (qemu_.pid() > 0 && qmp_ && grace.count() > 0) {
    (void)qmp_->quit();  // QEMU may already be gone; the wait below decides
    if (!wait_until(qemu_, Clock::now() + grace)) (void)qemu_.signal(SIGKILL);
  }
  qmp_.reset();
  // ChildProcess kills (SIGKILL) and reaps in its destructor.
  qemu_ = ChildProcess();
  virtiofsd_ = ChildProcess();
  return ok();
}

Result<std::optional<int>> QemuVm::poll_exit() {
  if (qemu_.pid() <= 0) return make_error(ErrorKind::wrong_state, "the VM is not running");
  auto qemu = KATA_TRY(qemu_.try_wait());
  if (qemu) return qemu;
  // Without virtiofsd the guest has lost its root filesystem: the VM is as
  // good as gone.
  if (virtiofsd_.pid() > 0) return virtiofsd_.try_wait();
  return qemu;
}

Result<void> QemuVm::hot_add_memory(unsigned mib) {
  if (!qmp_) return make_error(ErrorKind::wrong_state, "hot-add memory: the VM is not running");
  const auto& config = qemu_config_;
  if (!memory_hotplug_possible(config))
    return make_error(ErrorKind::unsupported,
                      "hot-add {} MiB: the VM takes no hot-added memory (q35 with memory_slots and a "
                      "default_maxmemory above its {} MiB only)",
                      mib, config.memory_mib);
  if (dimms_ >= config.memory_slots)
    return make_error(ErrorKind::unsupported, "hot-add {} MiB: all {} memory_slots are used", mib,
                      config.memory_slots);
  if (config.memory_mib + added_memory_mib_ + mib > config.max_memory_mib)
    return make_error(ErrorKind::unsupported, "hot-add {} MiB: the VM would exceed its maximum of {} MiB", mib,
                      config.max_memory_mib);
  // Shared memfd like the boot memory: virtiofsd maps every region.
  std::string id = fmt::format("dimm{}", dimms_);
  KATA_TRY(qmp_->execute("object-add", {{"qom-type", "memory-backend-memfd"},
                                         {"id", id + "-ram"},
                                         {"size", static_cast<std::uint64_t>(mib) << 20},
                                         {"share", true}})
               .wrap(fmt::format("hot-add {} MiB", mib)));
  auto plugged = qmp_->execute("device_add", {{"driver", "pc-dimm"}, {"id", id}, {"memdev", id + "-ram"}});
  if (!plugged) {
    (void)qmp_->execute("object-del", {{"id", id + "-ram"}});
    return std::move(plugged).error().wrap(fmt::format("hot-add {} MiB", mib));
  }
  ++dimms_;
  added_memory_mib_ += mib;
  return ok();
}

Result<void> QemuVm::save_state(const std::string& path, std::chrono::milliseconds timeout) {
  if (!qmp_) return make_error(ErrorKind::wrong_state, "save the VM: it is not running");
  // QEMU may not spawn a shell (-sandbox spawn=deny), so the file is opened
  // here and its fd handed over: the "fd:" migration URI.
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!file) return sys_error(errno, "open {}", path);
  KATA_TRY(qmp_->stop().wrap("save the VM"));
  KATA_TRY(qmp_->pass_fd("vmstate", file.get()).wrap("save the VM"));
  return qmp_->migrate_to("fd:vmstate", timeout).wrap(fmt::format("save the VM to {}", path));
}

Result<void> QemuVm::restore_state(const std::string& path, std::chrono::milliseconds timeout) {
  if (!qmp_) return make_error(ErrorKind::wrong_state, "restore the VM: it is not running");
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) return sys_error(errno, "open {}", path);
  KATA_TRY(qmp_->pass_fd("vmstate", file.get()).wrap("restore the VM"));
  return qmp_->migrate_from("fd:vmstate", timeout).wrap(fmt::format("restore the VM from {}", path));
}

Result<void> QemuVm::plug_nic(const NetDevice& net, unsigned port) {
  if (!qmp_) return make_error(ErrorKind::wrong_state, "plug {}: the VM is not running", net.id);
  if (port >= qemu_config_.hotplug_ports)
    return make_error(ErrorKind::unsupported, "plug {}: the VM has {} ports for NICs", net.id,
                      qemu_config_.hotplug_ports);
  std::string fd_name = net.id + "-fd";
  KATA_TRY(qmp_->pass_fd(fd_name, net.host_fd).wrap(fmt::format("plug {}", net.id)));
  KATA_TRY(qmp_->execute("netdev_add", {{"type", "tap"}, {"id", net.id}, {"fd", fd_name}})
               .wrap(fmt::format("plug {}", net.id)));
  auto added = qmp_->execute("device_add", {{"driver", "virtio-net-pci"},
                                            {"id", net.id + "-dev"},
                                            {"netdev", net.id},
                                            {"mac", net.mac},
                                            {"bus", hotplug_port_id(port)},
                                            {"romfile", ""}});
  if (!added) {
    (void)qmp_->execute("netdev_del", {{"id", net.id}});
    return std::move(added).error().wrap(fmt::format("plug {}", net.id));
  }
  return ok();
}

std::vector<pid_t> QemuVm::pids() const {
  std::vector<pid_t> result;
  if (qemu_.pid() > 0) result.push_back(qemu_.pid());
  if (virtiofsd_.pid() > 0) result.push_back(virtiofsd_.pid());
  return result;
}

}  // namespace kata::hypervisor::qemu
