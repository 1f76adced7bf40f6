#include "agent/container/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <string_view>
#include <utility>

#include "oci/known_names.hpp"

namespace kata::agent {
namespace {

Result<UniqueFd> open_ns(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "open namespace {}", path);
  return UniqueFd(fd);
}

// True when `fd` (opened from `path`) is the namespace this process is in.
Result<bool> is_own_namespace(int fd, std::string_view proc_name, const std::string& path) {
  struct stat target {}, own {};
  if (::fstat(fd, &target) != 0) return sys_error(errno, "stat namespace {}", path);
  auto own_path = fmt::format("/proc/self/ns/{}", proc_name);
  if (::stat(own_path.c_str(), &own) != 0) return sys_error(errno, "stat {}", own_path);
  return target.st_dev == own.st_dev && target.st_ino == own.st_ino;
}

std::string format_mappings(const std::vector<oci::IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings) text += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
  return text;
}

Result<void> write_map(pid_t pid, const char* file, const std::string& text) {
  auto path = fmt::format("/proc/{}/{}", pid, file);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "open {}", path);
  UniqueFd owner(fd);
  // The kernel takes a map in one write() only.
  ssize_t n = ::write(fd, text.data(), text.size());
  if (n < 0) return sys_error(errno, "write {}", path);
  return ok();
}

}  // namespace

Result<int> namespace_flag(const std::string& type) {
  if (const auto* kind = oci::namespace_kind(type)) return kind->clone_flag;
  return make_error(ErrorKind::invalid_argument, "unknown namespace type \"{}\"", type);
}

Result<NamespacePlan> plan_namespaces(const oci::Spec& spec) {
  NamespacePlan plan;
  if (!spec.linux_config || !spec.linux_config->namespaces) return plan;
  // Collect in namespace_kinds() order (user first), whatever the order in
  // config.json.
  for (const auto& name : oci::namespace_kinds()) {
    for (const auto& ns : *spec.linux_config->namespaces) {
      if (ns.type != name.type) continue;
      if (name.clone_flag == CLONE_NEWTIME) {
        return make_error(ErrorKind::unsupported, "time namespaces are not supported");
      }
      if (!ns.path || ns.path->empty()) {
        plan.new_flags |= name.clone_flag;
        continue;
      }
      auto fd = KATA_TRY(open_ns(*ns.path));
      // The agent's own namespace (the host names the guest's root network
      // namespace this way): the child inherits it, and must, since a new
      // user namespace created before the joins could not setns back into it.
      if (KATA_TRY(is_own_namespace(fd.get(), name.proc_name, *ns.path))) continue;
      if (name.clone_flag == CLONE_NEWPID) {
        plan.pid_join = std::move(fd);
      } else {
        plan.joins.push_back(NamespaceJoin{std::move(fd), name.clone_flag, *ns.path});
      }
    }
  }
  return plan;
}

Result<NamespacePlan> plan_join_process(pid_t pid) {
  NamespacePlan plan;
  for (const auto& name : oci::namespace_kinds()) {
    auto target = fmt::format("/proc/{}/ns/{}", pid, name.proc_name);
    UniqueFd fd(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT && name.clone_flag == CLONE_NEWTIME) continue;  // kernel without time ns
      return sys_error(errno, "open namespace {}", target);
    }
    // Same namespace: nothing to join (setns into one's own user namespace is EINVAL).
    if (KATA_TRY(is_own_namespace(fd.get(), name.proc_name, target))) continue;
    if (name.clone_flag == CLONE_NEWPID) {
      plan.pid_join = std::move(fd);
    } else {
      plan.joins.push_back(NamespaceJoin{std::move(fd), name.clone_flag, target});
    }
  }
  return plan;
}

Result<void> join_namespaces(const std::vector<NamespaceJoin>& joins) {
  for (const auto& join : joins) {
    if (::setns(join.fd.get(), join.type) != 0) return sys_error(errno, "setns {}", join.path);
  }
  return ok();
}

Result<void> write_id_mappings(pid_t pid, const oci::Spec& spec) {
  const auto& linux_config = spec.linux_config;
  if (linux_config && linux_config->uid_mappings && !linux_config->uid_mappings->empty()) {
    KATA_TRY(write_map(pid, "uid_map", format_mappings(*linux_config->uid_mappings)));
  }
  if (linux_config && linux_config->gid_mappings && !linux_config->gid_mappings->empty()) {
    KATA_TRY(write_map(pid, "gid_map", format_mappings(*linux_config->gid_mappings)));
  }
  return ok();
}

Result<PidNamespaceForChildren> PidNamespaceForChildren::enter(int target_fd) {
  auto own = KATA_TRY(open_ns("/proc/self/ns/pid"));
  if (::setns(target_fd, CLONE_NEWPID) != 0) return sys_error(errno, "setns pid namespace");
  return PidNamespaceForChildren(std::move(own));
}

PidNamespaceForChildren::~PidNamespaceForChildren() {
  // Going back to one's active pid namespace is always allowed.
  if (own_) (void)::setns(own_.get(), CLONE_NEWPID);
}

}  // namespace kata::agent
