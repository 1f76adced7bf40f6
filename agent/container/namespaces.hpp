#pragma once
// Linux namespaces of a container: which to create, which to join (setns),
// and the user-namespace id maps the agent writes for the child.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// A namespace to join: an open fd of its nsfs file and its CLONE_NEW* type.
struct NamespaceJoin {
  UniqueFd fd;
  int type = 0;
  std::string path;  ///< for error messages
};

/// The namespaces of a container, resolved before fork.
struct NamespacePlan {
  int new_flags = 0;  ///< CLONE_NEW* of the namespaces to create
  std::vector<NamespaceJoin> joins;  ///< user first, then the others; never pid
  UniqueFd pid_join;  ///< pid namespace to join (set by the parent before fork)
};

/// CLONE_NEW* flag of an OCI namespace type ("network" -> CLONE_NEWNET).
Result<int> namespace_flag(const std::string& type);

/// Opens every `path` of linux.namespaces and collects the types to create.
/// The time namespace is refused (it only applies to a later child).
Result<NamespacePlan> plan_namespaces(const oci::Spec& spec);

/// The namespaces of running process `pid` that differ from the caller's,
/// as joins (user first); the pid namespace goes to pid_join.
Result<NamespacePlan> plan_join_process(pid_t pid);

/// Child side: setns() into each join, in order.
Result<void> join_namespaces(const std::vector<NamespaceJoin>& joins);

/// Parent side: writes uid_map and gid_map of `pid` from linux.uidMappings
/// and linux.gidMappings.
Result<void> write_id_mappings(pid_t pid, const oci::Spec& spec);

/// Sets which pid namespace the caller's next children are born in; restores
/// the caller's own on destruction (setns back to its active namespace).
class PidNamespaceForChildren {
 public:
  /// Opens the caller's own pid namespace so it can be restored.
  static Result<PidNamespaceForChildren> enter(int target_fd);
  PidNamespaceForChildren(PidNamespaceForChildren&&) = default;
  PidNamespaceForChildren& operator=(PidNamespaceForChildren&&) = default;
  ~PidNamespaceForChildren();

 private:
  explicit PidNamespaceForChildren(UniqueFd own) : own_(std::move(own)) {}
  UniqueFd own_;
};

}  // namespace kata::agent
