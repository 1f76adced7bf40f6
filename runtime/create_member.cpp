#include "runtime/create_member.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <thread>
#include <vector>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "common/unix_socket.hpp"
#include "runtime/bundle_rewrite.hpp"
#include "runtime/container_state.hpp"
#include "runtime/container_view.hpp"
#include "runtime/exec_process.hpp"
#include "runtime/hooks.hpp"
#include "runtime/host_cgroup.hpp"
#include "runtime/leftover_processes.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/network/netns.hpp"
#include "runtime/pid_file.hpp"
#include "runtime/proc_stat.hpp"
#include "runtime/share_dir.hpp"
#include "runtime/stand_in.hpp"
#include "runtime/terminal.hpp"

namespace kata::runtime {

namespace {

using namespace std::chrono_literals;

// The guest creates the member while the sandbox's loop waits: bounded by
// the agent's own RPC timeout, plus slack.
constexpr auto member_create_timeout = 90s;
// How long a member's delete waits for a sandbox monitor that no longer
// answers to finish ending (the guest's power-off and QEMU's exit).
constexpr auto member_monitor_patience = 20s;

// The member's namespaces against the sandbox's: the network namespace
// must be the pod's; an ipc, uts or pid path must name the sandbox's (its
// stand-in's), and is then shared in the guest too. Matched by identity.
struct SharedNamespaces {
  UniqueFd netns;
  UniqueFd ipc;
  UniqueFd uts;
  std::vector<std::string> join;
};

Result<SharedNamespaces> match_sandbox_namespaces(const oci::Spec& spec, const GuestBundle& guest,
                                                  const ContainerRecord& sandbox) {
  SharedNamespaces shared;
  // The sandbox's interfaces are in its container's own namespace in the
  // VM (late_network.hpp), which a member's spec does not name.
  if (sandbox.late_network)
    return make_error(ErrorKind::unsupported,
                      "pod sandbox {} has a user namespace, whose network is set up after create and stays the "
                      "sandbox container's own in the VM; members cannot share it yet",
                      sandbox.id);
  if (guest.netns_path.empty() || !sandbox.netns_id)
    return make_error(ErrorKind::invalid_argument,
                      "linux.namespaces: a member of pod sandbox {} must name the pod's network namespace", sandbox.id);
  shared.netns = KATA_TRY(network::open_container_netns(guest.netns_path).wrap("container network"));
  if (KATA_TRY(network::namespace_id(shared.netns.get(), guest.netns_path)) != *sandbox.netns_id)
    return make_error(ErrorKind::invalid_argument,
                      "linux.namespaces: network path {} is not the network namespace of pod sandbox {}",
                      guest.netns_path, sandbox.id);
  if (!spec.linux_config || !spec.linux_config->namespaces) return shared;
  const auto& namespaces = *spec.linux_config->namespaces;
  for (std::size_t i = 0; i < namespaces.size(); ++i) {
    const auto& entry = namespaces[i];
    if (!entry.path || entry.path->empty()) continue;
    if (entry.type != "ipc" && entry.type != "uts" && entry.type != "pid") continue;
    std::string sandbox_path = "/proc/" + std::to_string(sandbox.pid) + "/ns/" + entry.type;
    auto sandbox_ns = KATA_TRY(network::namespace_id_of(sandbox_path).wrap(fmt::format("pod sandbox {}", sandbox.id)));
    UniqueFd fd;
    auto member_ns = KATA_TRY(network::namespace_id_of(*entry.path, &fd).wrap(fmt::format("linux.namespaces[{}]", i)));
    if (member_ns != sandbox_ns)
      return make_error(ErrorKind::invalid_argument,
                        "linux.namespaces[{}].path {}: a pod member may share only pod sandbox {}'s {} namespace", i,
                        *entry.path, sandbox.id, entry.type);
    shared.join.push_back(entry.type);
    if (entry.type == "ipc") shared.ipc = std::move(fd);
    if (entry.type == "uts") shared.uts = std::move(fd);
  }
  return shared;
}

// The sandbox's VM grew by `added_mib` for this member: its host cgroup's
// memory limit (VM + overhead) grows as much, in state.json too, so a later
// `kata update` of the sandbox keeps it.
Result<void> raise_sandbox_memory(StateStore& store, const std::string& sandbox_id, unsigned added_mib) {
  auto lock = KATA_TRY(store.lock(sandbox_id));
  auto record = KATA_TRY(store.load(sandbox_id));
  if (!record.host_cgroup) return ok();
  KATA_TRY(raise_host_memory_limit(*record.host_cgroup, static_cast<std::uint64_t>(added_mib) << 20));
  return store.save(lock, record);
}

// The live sandbox named by the member's annotation.
Result<ContainerRecord> live_sandbox(const StateStore& store, const std::string& sandbox_id) {
  auto sandbox = store.load(sandbox_id);
  if (!sandbox) {
    if (sandbox.error().kind == ErrorKind::not_found)
      return make_error(ErrorKind::not_found, "pod sandbox {} is not a kata container under {}", sandbox_id,
                        store.root());
    return std::move(sandbox).error().wrap(fmt::format("pod sandbox {}", sandbox_id));
  }
  if (is_pod_member(*sandbox))
    return make_error(ErrorKind::invalid_argument, "pod sandbox {} is itself a member of pod sandbox {}", sandbox_id,
                      *sandbox->sandbox_id);
  auto current = refresh_status(*sandbox);
  if (current.status == oci::Status::stopped || !current.monitor_socket)
    return make_error(ErrorKind::wrong_state, "pod sandbox {} is stopped", sandbox_id);
  return current;
}

// create's stdio as the member's: a closed one becomes /dev/null.
Result<std::vector<UniqueFd>> own_stdio(bool terminal_on_caller) {
  std::vector<UniqueFd> fds;
  for (int fd = 0; fd < (terminal_on_caller ? 2 : 3); ++fd) {
    UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    if (!copy) copy = UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!copy) return sys_error(errno, "open /dev/null");
    fds.push_back(std::move(copy));
  }
  return fds;
}

}  // namespace

Result<ChildProcess> create_pod_member(StateStore& store, const CreateParams& params, MemberInputs inputs) {
  const auto& spec = inputs.spec;
  auto sandbox = KATA_TRY(live_sandbox(store, inputs.sandbox_id));
  auto shared = KATA_TRY(match_sandbox_namespaces(spec, inputs.guest, sandbox));
  bool terminal = spec.process && spec.process->terminal.value_or(false);
  auto cgroup_plan = KATA_TRY(plan_member_host_cgroup(spec, params.systemd_cgroup));

  auto lock = KATA_TRY(store.reserve(params.id));
  const std::string dir = lock.dir();
  const std::string share = store.container_dir(sandbox.id) + "/share";
  const std::string socket_path = dir + "/" + monitor_socket_name;
  bool in_vm = false;
  std::optional<ChildProcess> stand_in;
  std::optional<HostCgroupRecord> host_cgroup;
  ScopeExit rollback([&] {
    stand_in.reset();
    if (host_cgroup) (void)remove_host_cgroup(*host_cgroup);
    // Out of the VM first: its processes hold the mounts below.
    if (in_vm) (void)send_monitor_command(socket_path, RemoveCommand{}, 30s);
    (void)remove_share_entry(share, params.id);
    (void)store.remove(lock);
  });


  KATA_TRY(write_file_atomic(dir + "/" + container_process_name, oci::to_json(*spec.process).dump(), 0600)
               .wrap("save the container's process"));
  std::optional<HostPty> pty;
  if (terminal && !params.console_socket.empty()) {
    std::optional<WindowSize> size;
    if (spec.process->console_size) size = WindowSize{spec.process->console_size->height, spec.process->console_size->width};
    pty = KATA_TRY(open_host_pty(size).wrap("container terminal"));
  }
  KATA_TRY(bind_share_mounts(share, inputs.guest.mounts).wrap("share the rootfs with the pod's VM"));

  auto listener = KATA_TRY(listen_unix_socket(socket_path).wrap("member control socket"));
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return sys_error(errno, "socketpair");
  UniqueFd monitor_end(pair[0]);
  UniqueFd stand_in_end(pair[1]);
  std::vector<UniqueFd> stdio;
  if (pty) {
    stdio.push_back(std::move(pty->slave));
  } else {
    stdio = KATA_TRY(own_stdio(terminal));
  }
  std::vector<int> fds{listener.get(), monitor_end.get()};
  for (const auto& fd : stdio) fds.push_back(fd.get());
  CreateMemberCommand command{params.id, inputs.guest.spec, terminal, shared.join};
  auto reply = KATA_TRY(send_monitor_request(*sandbox.monitor_socket, command, fds, member_create_timeout)
                            .wrap(fmt::format("create the container in pod sandbox {}'s VM", sandbox.id)));
  in_vm = true;
  if (auto added = reply.find("hot_added_mib"); added != reply.end() && added->is_number_unsigned() && *added > 0u)
    KATA_TRY(raise_sandbox_memory(store, sandbox.id, added->get<unsigned>())
                 .wrap(fmt::format("raise pod sandbox {}'s host memory limit", sandbox.id)));
  listener.reset();
  monitor_end.reset();
  stdio.clear();
  if (pty) {
    KATA_TRY(send_console_master(params.console_socket, pty->master.get()));
    pty.reset();
  }
  StandInParams stand_in_params{view_plan_for(spec, params.id, share), shared.netns.get(), spec.hostname,
                                spec.domainname, stand_in_end.get()};
  stand_in_params.ipc_fd = shared.ipc ? shared.ipc.get() : -1;
  stand_in_params.uts_fd = shared.uts ? shared.uts.get() : -1;
  // Engines read the member's usage from its pid's cgroup.
  if (cgroup_plan) host_cgroup = KATA_TRY(create_host_cgroup(*cgroup_plan));
  if (host_cgroup) stand_in_params.cgroup_leaves = leaf_paths(*host_cgroup);
  stand_in_params.new_cgroup_namespace = asks_new_namespace(spec, "cgroup");
  stand_in = KATA_TRY(spawn_stand_in(stand_in_params));
  stand_in_end.reset();
  pid_t container_pid = stand_in->pid();

  ContainerRecord record;
  record.oci_version = spec.oci_version;
  record.id = params.id;
  record.status = oci::Status::created;
  record.pid = container_pid;
  record.bundle = inputs.bundle;
  record.rootfs = inputs.guest.mounts.front().source;
  record.created = inputs.created_at;
  if (spec.annotations) record.annotations = *spec.annotations;
  record.pid_start_time = process_start_time(container_pid);
  // The sandbox's monitor serves the member too; delete must never kill it
  // for a member (delete tells members by sandbox_id != id).
  record.monitor_pid = sandbox.monitor_pid;
  record.monitor_start_time = sandbox.monitor_start_time;
  record.netns_id = sandbox.netns_id;
  record.sandbox_id = sandbox.id;
  record.host_cgroup = host_cgroup;
  record.monitor_socket = socket_path;
  record.qmp_socket = sandbox.qmp_socket;
  record.agent_socket = sandbox.agent_socket;
  record.virtiofsd_socket = sandbox.virtiofsd_socket;
  KATA_TRY(run_creation_hooks(spec, record));
  KATA_TRY(store.save(lock, record).wrap("save state"));
  if (!params.pid_file.empty()) KATA_TRY(write_pid_file(params.pid_file, container_pid));
  rollback.dismiss();
  return std::move(*stand_in);
}

Result<void> remove_pod_member(const StateStore& store, const ContainerRecord& member) {
  if (member.monitor_socket && !process_gone(member.monitor_pid, member.monitor_start_time)) {
    auto removed = send_monitor_command(*member.monitor_socket, RemoveCommand{}, 30s);
    // No answer: the monitor is ending with its sandbox (which takes the
    // VM and the member with it) or died; wait for it to be gone. It is
    // the sandbox's, never a member's to kill.
    for (auto deadline = std::chrono::steady_clock::now() + member_monitor_patience;
         !removed && !process_gone(member.monitor_pid, member.monitor_start_time);) {
      if (std::chrono::steady_clock::now() >= deadline)
        return std::move(removed).error().wrap("remove the container from its pod's VM");
      std::this_thread::sleep_for(100ms);
    }
  }
  return remove_share_entry(store.container_dir(*member.sandbox_id) + "/share", member.id);
}

}  // namespace kata::runtime
