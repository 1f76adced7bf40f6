#include "runtime/namespace_sharing.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"
#include "oci/known_names.hpp"
#include "runtime/container_state.hpp"

namespace kata::runtime {

Result<void> check_namespace_paths(const oci::Spec& spec) {
  if (!spec.linux_config || !spec.linux_config->namespaces) return ok();
  const auto& namespaces = *spec.linux_config->namespaces;
  for (std::size_t n = 0; n < namespaces.size(); ++n) {
    const auto& entry = namespaces[n];
    if (!entry.path || entry.path->empty()) continue;
    const auto* expected = oci::namespace_kind(entry.type);
    if (expected == nullptr) continue;  // the spec's parser names unknown types
    // Non-blocking: a FIFO or a device at the path must not hang create.
    UniqueFd fd(::open(entry.path->c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) return sys_error(errno, "linux.namespaces[{}].path {}", n, *entry.path);
    int found = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (found < 0)
      return make_error(ErrorKind::invalid_argument, "linux.namespaces[{}].path {}: not a namespace", n, *entry.path);
    if (found == expected->clone_flag) continue;
    std::string_view actual = "unknown";
    for (const auto& kind : oci::namespace_kinds())
      if (kind.clone_flag == found) actual = kind.type;
    return make_error(ErrorKind::invalid_argument, "linux.namespaces[{}].path {}: a namespace of type {}, not {}", n,
                      *entry.path, actual, entry.type);
  }
  return ok();
}

Result<void> refuse_shared_netns(const StateStore& store, const network::NamespaceId& netns) {
  for (const auto& id : KATA_TRY(store.list_ids())) {
    auto record = store.load(id);
    if (!record || !record->netns_id || !(*record->netns_id == netns)) continue;
    if (!process_alive(*record)) continue;
    return make_error(ErrorKind::unsupported,
                      "linux.namespaces: the network namespace is kata container {}'s, which runs in a VM of its own; "
                      "only a member of its pod can share it",
                      id);
  }
  return ok();
}

Result<void> refuse_other_containers_namespaces(const StateStore& store, const oci::Spec& spec) {
  struct Named {
    std::size_t index;
    std::string type;
    std::string path;
    network::NamespaceId identity;
  };
  std::vector<Named> named;
  if (spec.linux_config && spec.linux_config->namespaces) {
    const auto& namespaces = *spec.linux_config->namespaces;
    for (std::size_t n = 0; n < namespaces.size(); ++n) {
      const auto& entry = namespaces[n];
      if (entry.type != "pid" && entry.type != "ipc") continue;
      if (!entry.path || entry.path->empty()) continue;
      auto identity = KATA_TRY(network::namespace_id_of(*entry.path).wrap(fmt::format("linux.namespaces[{}]", n)));
      named.push_back({n, entry.type, *entry.path, identity});
    }
  }
  if (named.empty()) return ok();
  for (const auto& id : KATA_TRY(store.list_ids())) {
    auto record = store.load(id);
    if (!record || !process_alive(*record)) continue;
    for (const auto& entry : named) {
      // The pid-file process holds the container's namespaces on the host.
      auto theirs = network::namespace_id_of(fmt::format("/proc/{}/ns/{}", record->pid, entry.type));
      if (!theirs || !(*theirs == entry.identity)) continue;
      return make_error(ErrorKind::unsupported,
                        "linux.namespaces[{}].path {}: the {} namespace is kata container {}'s, which runs in a VM of "
                        "its own; only a member of its pod can share it",
                        entry.index, entry.path, entry.type, id);
    }
  }
  return ok();
}

namespace {

// The nodename inside the UTS namespace `path` names: a child joins it (a
// process cannot leave its own to come back) and reports uname()'s answer.
Result<std::string> nodename_in(const std::string& path) {
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return sys_error(errno, "open {}", path);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd reader(pipe_fds[0]);
  UniqueFd writer(pipe_fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error(errno, "fork");
  if (pid == 0) {  // async-signal-safe calls only from here
    utsname names{};
    if (::setns(ns.get(), CLONE_NEWUTS) < 0 || ::uname(&names) < 0) ::_exit(1);
    ssize_t length = static_cast<ssize_t>(::strnlen(names.nodename, sizeof names.nodename));
    ::_exit(::write(writer.get(), names.nodename, static_cast<std::size_t>(length)) == length ? 0 : 1);
  }
  writer.reset();
  std::string name;
  char buffer[sizeof(utsname::nodename)];
  ssize_t got;
  while ((got = ::read(reader.get(), buffer, sizeof buffer)) > 0) name.append(buffer, static_cast<std::size_t>(got));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return make_error(ErrorKind::invalid_argument, "{}: not a UTS namespace kata can join", path);
  return name;
}

}  // namespace

Result<std::string> shared_uts_hostname(const oci::Spec& spec) {
  if (!spec.hostname.value_or("").empty() || !spec.linux_config || !spec.linux_config->namespaces) return std::string();
  const auto& namespaces = *spec.linux_config->namespaces;
  for (std::size_t n = 0; n < namespaces.size(); ++n) {
    const auto& entry = namespaces[n];
    if (entry.type != "uts") continue;
    if (!entry.path || entry.path->empty()) return std::string();  // a new one: no name to share
    return nodename_in(*entry.path).wrap(fmt::format("linux.namespaces[{}]", n));
  }
  utsname host{};
  if (::uname(&host) < 0) return sys_error(errno, "uname");
  return std::string(host.nodename);
}

}  // namespace kata::runtime
