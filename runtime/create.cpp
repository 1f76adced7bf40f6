#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/scope_exit.hpp"
#include "oci/spec.hpp"
#include "common/fs.hpp"
#include "runtime/bundle_rewrite.hpp"
#include "runtime/check/guest_kernel.hpp"
#include "runtime/exec_process.hpp"
#include "runtime/terminal.hpp"
#include "runtime/container_id.hpp"
#include "runtime/create_member.hpp"
#include "runtime/pod_member.hpp"
#include "runtime/hooks.hpp"
#include "runtime/host_cgroup.hpp"
#include "runtime/leftover_processes.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/namespace_sharing.hpp"
#include "runtime/network/tcfilter.hpp"
#include "runtime/pid_file.hpp"
#include "runtime/proc_stat.hpp"
#include "runtime/sandbox_monitor.hpp"
#include "runtime/share_dir.hpp"
#include "runtime/stand_in.hpp"
#include "runtime/container_state.hpp"
#include "runtime/network/netns.hpp"
#include "runtime/vm_config.hpp"

namespace kata::runtime {

namespace {

using namespace std::chrono_literals;

Result<std::string> absolute_bundle(const std::string& bundle) {
  std::error_code ec;
  auto path = bundle.empty() ? std::filesystem::current_path(ec) : std::filesystem::absolute(bundle, ec);
  if (ec) return sys_error(ec.value(), "bundle {}", bundle);
  return path.lexically_normal().string();
}

// Waits for the monitor's one-line report. The monitor bounds its own steps
// (agent dial timeout, RPC timeouts); this bound only catches a stuck one.
Result<std::vector<BootPhase>> await_report(int fd, const Configuration& config) {
  auto limit = std::chrono::seconds(config.agent.dial_timeout) + 120s;
  auto line = read_line(fd, std::chrono::duration_cast<std::chrono::milliseconds>(limit));
  if (!line) {
    if (line.error().kind == ErrorKind::protocol)
      return make_error(ErrorKind::system, "sandbox monitor exited before reporting (see monitor.log)");
    return std::move(line).error().wrap("sandbox monitor");
  }
  return decode_monitor_report(*line);
}

}  // namespace

Result<ChildProcess> create_container(StateStore& store, const CreateParams& params) {
  auto began = std::chrono::steady_clock::now();  // boot timings count from here
  // Everything that can be checked is checked before the first side effect.
  KATA_TRY(validate_container_id(params.id));
  auto bundle = KATA_TRY(absolute_bundle(params.bundle));
  auto spec = KATA_TRY(oci::load_bundle_spec(bundle));
  KATA_TRY(check_vm_compatible(spec, {!params.console_socket.empty(), params.preserve_fds, params.detached}));
  KATA_TRY(check_namespace_paths(spec));
  bool terminal = spec.process && spec.process->terminal.value_or(false);
  // VM sizing (vm_config.hpp): annotations and the spec's resources.
  auto vm_config = KATA_TRY(configuration_sized_for(params.config, spec));
  // The seccomp program covers the syscall ABIs the guest kernel serves;
  // a kernel without its .config beside it is assumed to serve them all.
  seccomp::GuestAbis abis;
  if (auto kernel_config = read_file(guest_kernel_config_path(params.config.hypervisor.kernel), 16 << 20))
    abis = guest_abis_of(*kernel_config);
  auto uts_hostname = KATA_TRY(shared_uts_hostname(spec));
  auto guest = KATA_TRY(rewrite_for_guest(spec, params.id, bundle, uts_hostname, abis));
  const std::string& rootfs = guest.mounts.front().source;
  struct stat rootfs_stat {};
  if (::stat(rootfs.c_str(), &rootfs_stat) < 0) return sys_error(errno, "rootfs {}", rootfs);
  if (!S_ISDIR(rootfs_stat.st_mode)) return make_error(ErrorKind::invalid_argument, "rootfs {}: not a directory", rootfs);
  auto created_at = std::chrono::system_clock::now();
  // A pod member joins its sandbox's VM (create_member.hpp), in the pod's
  // namespaces; what follows is a sandbox's own.
  auto placement = KATA_TRY(pod_placement(spec, params.id));
  if (placement.sandbox_id)
    return create_pod_member(store, params, {spec, std::move(guest), bundle, *placement.sandbox_id, created_at});
  KATA_TRY(refuse_other_containers_namespaces(store, spec));
  // The host cgroup bounds the whole sandbox: the VM plus QEMU's overhead.
  auto cgroup_plan = KATA_TRY(plan_host_cgroup(
      spec, params.systemd_cgroup,
      sandbox_memory_limit(vm_config.hypervisor.default_memory, params.config.runtime.host_cgroup_memory_overhead)));
  // A path naming kata's own (the host's) network namespace means the
  // host's network, whatever the model: refused before any side effect.
  // tcfilter checks again on the very fd it enters.
  // The stand-in joins the same namespace through this very fd.
  UniqueFd netns_fd;
  if (!guest.netns_path.empty()) {
    netns_fd = KATA_TRY(network::open_container_netns(guest.netns_path).wrap("container network"));
    auto netns_id = KATA_TRY(network::namespace_id(netns_fd.get(), guest.netns_path));
    KATA_TRY(refuse_shared_netns(store, netns_id));
  }
  // IPC and UTS namespaces pinned by the engine (CRI-O) are the pod's: the
  // stand-in joins them, so members naming them match it.
  auto ipc_fd = KATA_TRY(namespace_to_join(spec, "ipc"));
  auto uts_fd = KATA_TRY(namespace_to_join(spec, "uts"));

  auto lock = KATA_TRY(store.reserve(params.id));
  const std::string dir = lock.dir();
  std::optional<ChildProcess> monitor;
  std::optional<ChildProcess> stand_in;
  std::optional<network::PreparedNetwork> prepared_network;
  std::optional<HostCgroupRecord> host_cgroup;
  ScopeExit rollback([&] {
    stand_in.reset();
    monitor.reset();  // SIGKILLs and reaps it; QEMU and virtiofsd die with it
    (void)kill_processes_naming(dir, 5s);
    if (host_cgroup) (void)remove_host_cgroup(*host_cgroup);
    if (prepared_network)
      (void)network::teardown_tcfilter_network(prepared_network->netns_path, prepared_network->netns_id,
                                               prepared_network->links());
    (void)unmount_below(dir);
    (void)store.remove(lock);
  });

  if (cgroup_plan) host_cgroup = KATA_TRY(create_host_cgroup(*cgroup_plan));
  // The container's process, for exec to start from.
  KATA_TRY(write_file_atomic(dir + "/" + container_process_name, oci::to_json(*spec.process).dump(), 0600)
               .wrap("save the container's process"));
  // A terminal for a console socket: the monitor relays the slave, the
  // engine gets the master once the container exists.
  std::optional<HostPty> pty;
  if (terminal && !params.console_socket.empty()) {
    std::optional<WindowSize> size;
    if (spec.process->console_size) size = WindowSize{spec.process->console_size->height, spec.process->console_size->width};
    pty = KATA_TRY(open_host_pty(size).wrap("container terminal"));
  }

  std::string share = dir + "/share";
  if (::mkdir(share.c_str(), 0755) < 0) return sys_error(errno, "mkdir {}", share);
  KATA_TRY(make_share_mount(share).wrap("share dir"));
  KATA_TRY(bind_share_mounts(share, guest.mounts).wrap("share the rootfs with the VM"));

  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd report_read(report_pipe[0]);
  UniqueFd report_write(report_pipe[1]);
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return sys_error(errno, "socketpair");
  UniqueFd monitor_end(pair[0]);
  UniqueFd stand_in_end(pair[1]);
  MonitorParams monitor_params{params.id, store.root(), dir, vm_config, guest.spec, report_write.get(), terminal,
                               pty ? pty->slave.get() : -1};
  monitor_params.stand_in_fd = monitor_end.get();
  if (host_cgroup) monitor_params.host_cgroup = leaf_paths(*host_cgroup);  // joined before QEMU starts
  // The engine's namespace is carried into the VM (tcfilter); with "none" the
  // guest has loopback only. The tap fds must be open across the fork below:
  // the monitor hands them to QEMU.
  if (!guest.netns_path.empty() && params.config.runtime.internetworking_model == InterNetworkingModel::tcfilter) {
    prepared_network = KATA_TRY(network::prepare_tcfilter_network(guest.netns_path).wrap("container network"));
    monitor_params.network = {prepared_network->devices(), prepared_network->guest};
  }
  // Interfaces the engine adds after create arrive at start, hot-plugged
  // into PCIe root ports, which q35 has and microvm does not (there such a
  // container keeps loopback only).
  bool late_network = guest.late_network &&
                      params.config.runtime.internetworking_model == InterNetworkingModel::tcfilter &&
                      vm_config.hypervisor.machine_type == MachineType::q35;
  if (late_network) monitor_params.late_nic_ports = late_network_ports;
  // The monitor is this process forked without exec: kata is
  // single-threaded here (no logging or other threads exist), so the child
  // may go on using the heap, spdlog and the rest as the parent would.
  auto forked_at = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) return sys_error(errno, "fork the sandbox monitor");
  if (pid == 0) {
    // The monitor must not hold the container's flock (it is the open file
    // description, shared across fork) or the read end of its own report.
    ::close(lock.dir_fd());
    ::close(report_read.get());
    if (pty) ::close(pty->master.get());
    ::close(stand_in_end.get());
    ::setsid();
    run_sandbox_monitor(monitor_params);
  }
  monitor.emplace(pid);
  report_write.reset();
  monitor_end.reset();
  // Only the monitor (and QEMU) keep the taps open from here on.
  if (prepared_network) {
    for (auto& interface : prepared_network->interfaces) interface.tap_fd.reset();
  }
  auto timings = KATA_TRY(await_report(report_read.get(), params.config));
  if (pty) {
    pty->slave.reset();
    KATA_TRY(send_console_master(params.console_socket, pty->master.get()));
    pty.reset();
  }
  // After the container exists in the guest: the mount points it made in
  // the rootfs are where the view's bind mounts go.
  StandInParams stand_in_params{view_plan_for(spec, params.id, share), netns_fd ? netns_fd.get() : -1,
                                spec.hostname, spec.domainname, stand_in_end.get()};
  stand_in_params.ipc_fd = ipc_fd ? ipc_fd.get() : -1;
  stand_in_params.uts_fd = uts_fd ? uts_fd.get() : -1;
  // Engines read the container's cgroup from its pid's /proc/<pid>/cgroup.
  if (host_cgroup) stand_in_params.cgroup_leaves = leaf_paths(*host_cgroup);
  stand_in_params.new_cgroup_namespace = asks_new_namespace(spec, "cgroup");
  stand_in = KATA_TRY(spawn_stand_in(stand_in_params));
  stand_in_end.reset();
  netns_fd.reset();
  pid_t container_pid = stand_in->pid();
  // The monitor counts from its own start; state.json counts from create's
  // (the validation and the share's bind mounts come before the fork).
  double before_fork = std::chrono::duration<double, std::milli>(forked_at - began).count();
  for (auto& phase : timings) phase.milliseconds += before_fork;

  ContainerRecord record;
  record.oci_version = spec.oci_version;
  record.id = params.id;
  record.status = oci::Status::created;
  record.pid = container_pid;
  record.bundle = bundle;
  record.rootfs = rootfs;
  record.created = created_at;
  if (spec.annotations) record.annotations = *spec.annotations;
  record.pid_start_time = process_start_time(container_pid);
  record.monitor_pid = pid;
  record.monitor_start_time = process_start_time(pid);
  record.netns_id = KATA_TRY(network::namespace_id_of("/proc/" + std::to_string(container_pid) + "/ns/net"));
  record.sandbox_id = params.id;
  record.monitor_socket = dir + "/" + monitor_socket_name;
  record.qmp_socket = dir + "/" + qmp_socket_name;
  record.agent_socket = dir + "/" + agent_socket_name;
  record.virtiofsd_socket = dir + "/" + virtiofsd_socket_name;
  record.boot_timings = std::move(timings);
  record.host_cgroup = host_cgroup;
  record.late_network = late_network;
  if (prepared_network) {
    record.netns_path = prepared_network->netns_path;
    record.taps = prepared_network->links();
  }
  KATA_TRY(run_creation_hooks(spec, record));
  KATA_TRY(store.save(lock, record).wrap("save state"));
  // Last: engines take the pid file's appearance to mean "created".
  if (!params.pid_file.empty()) KATA_TRY(write_pid_file(params.pid_file, container_pid));
  rollback.dismiss();
  // The monitor is nobody's to wait for: it ends with the stand-in.
  monitor->release();
  return std::move(*stand_in);
}

}  // namespace kata::runtime
