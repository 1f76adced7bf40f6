#include "runtime/bundle_rewrite.hpp"

#include <algorithm>

#include "seccomp/precompiled.hpp"

namespace kata::runtime {

namespace {

std::string resolve(const std::string& path, const std::string& bundle_dir) {
  if (!path.empty() && path.front() == '/') return path;
  return bundle_dir + "/" + path;
}

}  // namespace

bool asks_new_namespace(const oci::Spec& spec, const std::string& type) {
  if (!spec.linux_config || !spec.linux_config->namespaces) return false;
  const auto& namespaces = *spec.linux_config->namespaces;
  return std::any_of(namespaces.begin(), namespaces.end(), [&](const oci::Namespace& ns) {
    return ns.type == type && (!ns.path || ns.path->empty());
  });
}

Result<void> check_vm_compatible(const oci::Spec& spec, const CreateRequest& request) {
  if (request.preserve_fds > 0)
    return make_error(ErrorKind::unsupported,
                      "--preserve-fds is not supported: host file descriptors cannot be passed into a VM");
  bool terminal = spec.process && spec.process->terminal.value_or(false);
  if (terminal && request.detached && !request.console_socket_given)
    return make_error(ErrorKind::invalid_argument,
                      "cannot allocate tty if kata will detach without setting console socket");
  if (!terminal && request.console_socket_given)
    return make_error(ErrorKind::invalid_argument,
                      "cannot use console socket if kata will not detach or allocate tty");
  bool has_network = false;
  if (spec.linux_config && spec.linux_config->namespaces) {
    const auto& linux_config = *spec.linux_config;
    const auto& namespaces = *linux_config.namespaces;
    has_network = std::any_of(namespaces.begin(), namespaces.end(),
                              [](const oci::Namespace& ns) { return ns.type == "network"; });
    // A host user namespace cannot be joined from the guest's kernel; the
    // guest recreates it from the spec's mappings, so without them the
    // container would run with every id unmapped.
    bool mapped = linux_config.uid_mappings && !linux_config.uid_mappings->empty() && linux_config.gid_mappings &&
                  !linux_config.gid_mappings->empty();
    for (std::size_t n = 0; n < namespaces.size(); ++n) {
      const auto& ns = namespaces[n];
      if (ns.type == "user" && ns.path && !ns.path->empty() && !mapped)
        return make_error(ErrorKind::unsupported,
                          "config.json: linux.namespaces[{}].path: a VM cannot join the host user namespace {}; "
                          "give linux.uidMappings and linux.gidMappings for a new one",
                          n, *ns.path);
    }
  }
  // No network namespace means "use the host's": a VM has its own kernel
  // and cannot share the host's network stack.
  if (!has_network) return make_error(ErrorKind::unsupported, host_network_refusal);
  return ok();
}

bool is_bind_mount(const oci::Mount& mount) {
  if (mount.type && *mount.type == "bind") return true;
  if (!mount.options) return false;
  return std::any_of(mount.options->begin(), mount.options->end(),
                     [](const std::string& option) { return option == "bind" || option == "rbind"; });
}

Result<GuestBundle> rewrite_for_guest(const oci::Spec& spec, const std::string& id, const std::string& bundle_dir,
                                      const std::string& uts_hostname, const seccomp::GuestAbis& abis) {
  if (!spec.root) return make_error(ErrorKind::invalid_argument, "config.json: root: missing");
  oci::Spec guest = spec;
  GuestBundle bundle;
  std::string guest_dir = std::string(guest_share_root) + "/" + id;
  bundle.mounts.push_back({resolve(spec.root->path, bundle_dir), id + "/rootfs"});
  guest.root->path = guest_dir + "/rootfs";
  if (guest.mounts) {
    for (std::size_t n = 0; n < guest.mounts->size(); ++n) {
      auto& mount = (*guest.mounts)[n];
      if (!is_bind_mount(mount)) continue;
      if (!mount.source || mount.source->empty())
        return make_error(ErrorKind::invalid_argument, "config.json: mounts[{}].source: a bind mount needs a source",
                          n);
      std::string target = id + "/mounts/" + std::to_string(n);
      bundle.mounts.push_back({resolve(*mount.source, bundle_dir), target});
      mount.source = guest_dir + "/mounts/" + std::to_string(n);
    }
  }
  guest.hooks.reset();  // hooks run on the host, never in the guest
  // A namespace path names a host namespace (podman's /run/netns/..., a pause
  // container's /proc/PID/ns/...): it means nothing in the guest's kernel,
  // where the agent would fail to open it. Each entry is rewritten to what
  // the container really gets in the VM, so that the guest's checks (net.*
  // sysctls need a network namespace, ipc sysctls an ipc one) judge that
  // meaning rather than a missing entry:
  // - network: the engine's namespace is carried into the guest's root
  //   namespace (tcfilter), so the entry names that one;
  // - every other type: a namespace of that type of its own in the VM.
  if (guest.linux_config && guest.linux_config->namespaces) {
    for (auto& ns : *guest.linux_config->namespaces) {
      if (!ns.path || ns.path->empty()) continue;
      if (ns.type == "network") {
        bundle.netns_path = *ns.path;
        ns.path = guest_root_netns;
      } else {
        ns.path.reset();
      }
    }
  }
  // A shared UTS namespace (none in the spec: the host's; a path: another)
  // cannot be joined from the VM, where the guest kernel's is "(none)". The
  // container gets a namespace of its own with the shared one's name: what
  // it would see under runc, and nothing on the host changes.
  if (guest.linux_config && guest.linux_config->namespaces && guest.hostname.value_or("").empty() &&
      !uts_hostname.empty()) {
    auto& namespaces = *guest.linux_config->namespaces;
    bool has_uts = std::any_of(namespaces.begin(), namespaces.end(),
                               [](const oci::Namespace& ns) { return ns.type == "uts"; });
    if (!has_uts) {
      oci::Namespace uts;
      uts.type = "uts";
      namespaces.push_back(uts);
    }
    guest.hostname = uts_hostname;
  }
  // The agent would compile the profile again, several times slower under
  // emulation; it gets the program compiled here (seccomp/precompiled.hpp).
  if (guest.linux_config && guest.linux_config->seccomp) {
    guest.linux_config->seccomp =
        KATA_TRY(seccomp::precompile(*guest.linux_config->seccomp, abis).wrap("config.json: linux.seccomp"));
  }
  bundle.late_network = asks_new_namespace(spec, "network") && asks_new_namespace(spec, "user");
  bundle.spec = oci::to_json(guest);
  return bundle;
}

}  // namespace kata::runtime
