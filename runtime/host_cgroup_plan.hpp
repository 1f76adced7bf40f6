#pragma once
// The sandbox's cgroup on the host, computed: which directory of which
// cgroup hierarchy the spec's `linux.cgroupsPath` names, and what goes in
// its limit files. No filesystem access here (the texts of
// /proc/self/mountinfo and /proc/self/cgroup are inputs), so all of it is
// unit-tested; host_cgroup.hpp makes, joins and removes the directories.
//
// cgroupsPath forms, as runc reads them:
// - cgroupfs driver: "/a/b" is below each hierarchy's root; "a/b" is below
//   kata's own cgroup in that hierarchy (on cgroup v2 below its parent,
//   because kata's own cgroup holds processes and so cannot have children
//   with controllers: runc's fs2 rule).
// - systemd driver (--systemd-cgroup): "slice:prefix:name", e.g.
//   "machine.slice:libpod:ID" is /machine.slice/libpod-ID.scope; a dashed
//   slice nests ("a-b.slice" is /a.slice/a-b.slice); an empty slice is
//   system.slice; a name ending in ".slice" is a slice unit in that slice
//   (runc's paths: the slice's expansion, then the unit).
// Any ".." component is refused (runc clamps it; a path that climbs is a
// mistake or an attack, never what an engine means).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::runtime {

/// One mounted cgroup hierarchy and kata's own place in it.
struct CgroupHierarchy {
  std::string mount_point;               ///< absolute, e.g. /sys/fs/cgroup/memory
  bool unified = false;                  ///< cgroup v2
  std::vector<std::string> controllers;  ///< v1: "cpu", "memory", "name=systemd"...; v2: empty (read from the files)
  std::string own_cgroup;                ///< kata's cgroup there, from /proc/self/cgroup ("/" when none is listed)
  bool operator==(const CgroupHierarchy&) const = default;
};

/// The hierarchies of `mountinfo` (the text of /proc/self/mountinfo), each
/// once (the first mount of a hierarchy wins), with kata's own cgroup from
/// `self_cgroup` (the text of /proc/self/cgroup). Errors (system) only for
/// malformed lines.
Result<std::vector<CgroupHierarchy>> parse_cgroup_hierarchies(std::string_view mountinfo, std::string_view self_cgroup);

/// The cgroup path `cgroups_path` names: absolute ("/a/b", below each
/// hierarchy's root) or relative ("a/b", below kata's own cgroup),
/// normalised (no "." or empty components). `systemd`: the
/// "slice:prefix:name" form. Errors (invalid_argument) name the path and
/// say why: "..", a malformed systemd form or slice name, the root cgroup.
Result<std::string> parse_cgroups_path(std::string_view cgroups_path, bool systemd);

/// The directory `path` (from parse_cgroups_path) names in `hierarchy`.
std::string cgroup_dir_in(const CgroupHierarchy& hierarchy, const std::string& path);

/// The host-side limits kata writes: those of the spec's resources that
/// bound the VM's host processes as a whole. The container's memory limit
/// is not one of them (it stays in the guest): a memory limit only turns
/// the sandbox's own limit on (VM memory + overhead).
struct HostLimits {
  std::optional<std::uint64_t> cpu_shares;  ///< v1 cpu.shares; v2 cpu.weight after conversion
  std::optional<std::int64_t> cpu_quota;    ///< microseconds; <= 0 unlimited (0 is unset, as runc)
  std::optional<std::uint64_t> cpu_period;  ///< microseconds
  std::optional<std::string> cpus;          ///< cpuset.cpus
  std::optional<std::string> mems;          ///< cpuset.mems
  std::optional<std::int64_t> pids_limit;   ///< < 0 unlimited, 0 unset (runc)
  bool memory_limited = false;              ///< the container has a memory limit
  bool operator==(const HostLimits&) const = default;
};

/// The host limits of a spec's linux.resources.
HostLimits host_limits_from(const oci::Resources& resources);
/// The host limits of `spec`'s sandbox: those of its linux.resources, or
/// none for a pod's marked sandbox. A pause or infra container's resources
/// are its own idle process's (containerd and CRI-O give it 2 CPU shares,
/// CRI-O may pin it to reserved CPUs), while kata's host cgroup holds the
/// whole pod's VM: the pod's bounds are the engine's pod cgroup around it
/// (kubelet's cgroup_parent), never the pause container's.
HostLimits host_limits_of(const oci::Spec& spec);
/// The host limits of `kata update`'s resources document (validated by
/// validate_resources already: members of the wrong type are skipped).
HostLimits host_limits_from_json(const nlohmann::json& resources);

/// cgroup v2's cpu.weight for a v1 cpu.shares value, as runc converts it:
/// 1 + (shares - 2) * 9999 / 262142, shares clamped to [2, 262144].
std::uint64_t cpu_weight_from_shares(std::uint64_t shares);

/// One write into a limit file of a cgroup directory.
struct CgroupWrite {
  std::string controller;  ///< the controller the file belongs to ("cpu", "memory")
  std::string file;        ///< e.g. "cpu.cfs_quota_us"
  std::string value;
  bool operator==(const CgroupWrite&) const = default;
};

/// The writes that apply `limits` to a cgroup of version v1 or v2
/// (`unified`), in the order to make them (v1: the period before the
/// quota). `memory_limit` (bytes) is the sandbox's memory limit, written
/// only when limits.memory_limited.
std::vector<CgroupWrite> host_limit_writes(const HostLimits& limits, std::uint64_t memory_limit, bool unified);

/// The sandbox's host memory limit in bytes: the VM's memory plus QEMU's
/// and virtiofsd's own overhead, both in MiB. Never below the VM, whatever
/// the container's own limit, so the host never OOM-kills a VM for what the
/// guest allows.
std::uint64_t sandbox_memory_limit(unsigned vm_memory_mib, unsigned overhead_mib);

/// One directory that holds the sandbox's host processes: the spec's
/// cgroup in one hierarchy.
struct HostCgroupLeaf {
  std::string path;                      ///< absolute directory
  bool unified = false;                  ///< cgroup v2
  std::vector<std::string> controllers;  ///< v1: the hierarchy's controllers; v2: those available in it
  /// kata made it, so its limits are kata's to write; a cgroup that existed
  /// before (an engine's) is joined but never changed.
  bool created = false;
  bool operator==(const HostCgroupLeaf&) const = default;
};

/// What create made on the host, as state.json keeps it for update and delete.
struct HostCgroupRecord {
  std::string cgroups_path;               ///< the spec's, for messages
  std::vector<HostCgroupLeaf> leaves;     ///< one per hierarchy
  std::vector<std::string> created_dirs;  ///< in creation order (parents first); delete removes them in reverse
  std::uint64_t memory_limit = 0;         ///< bytes (sandbox_memory_limit)
  bool operator==(const HostCgroupRecord&) const = default;
};

/// state.json's form of the record.
nlohmann::json host_cgroup_to_json(const HostCgroupRecord& record);
/// Parses host_cgroup_to_json's form; errors (invalid_argument) name the key.
Result<HostCgroupRecord> host_cgroup_from_json(const nlohmann::json& value);

}  // namespace kata::runtime
