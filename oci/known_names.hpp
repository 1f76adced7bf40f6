#pragma once
// The closed vocabularies of runtime-spec 1.3 (namespace types, capability,
// rlimit and seccomp names, propagation modes), shared by validation, the
// `spec` template and the `features` document.

#include <span>
#include <string_view>

namespace kata::oci {

/// linux.namespaces[].type values the spec defines.
std::span<const std::string_view> namespace_types();

/// A namespace type with its file under /proc/<pid>/ns and its clone flag
/// (what NS_GET_NSTYPE reports for it).
struct NamespaceKind {
  std::string_view type;       ///< "network"
  std::string_view proc_name;  ///< "net"
  int clone_flag;              ///< CLONE_NEWNET
};
/// Every namespace type, user first: joining it first gives the rights
/// needed to join the others (runc's nsexec does the same).
std::span<const NamespaceKind> namespace_kinds();
/// The kind of namespace type `type`; nullptr for an unknown one.
const NamespaceKind* namespace_kind(std::string_view type);
/// Every Linux capability name up to CAP_CHECKPOINT_RESTORE (Linux 5.9).
std::span<const std::string_view> capability_names();
/// The RLIMIT_* names of getrlimit(2) that process.rlimits may use.
std::span<const std::string_view> rlimit_types();
/// SCMP_ACT_* actions of runtime-spec's seccomp section.
std::span<const std::string_view> seccomp_actions();
/// SCMP_CMP_* comparison operators.
std::span<const std::string_view> seccomp_operators();
/// SCMP_ARCH_* architecture names.
std::span<const std::string_view> seccomp_archs();
/// SECCOMP_FILTER_FLAG_* names allowed in linux.seccomp.flags.
std::span<const std::string_view> seccomp_flags();
/// linux.rootfsPropagation values.
std::span<const std::string_view> rootfs_propagations();

/// True when `names` contains `name`.
bool contains(std::span<const std::string_view> names, std::string_view name);

}  // namespace kata::oci
