#pragma once
// cgroup v2 in the guest: one cgroup per container under the root that boot
// mounts at /sys/fs/cgroup. Processes are born in it (the container library
// clones them into path()), so nothing here moves them. Pause/resume use cgroup.freeze, stats and limits
// the memory, cpu and pids controllers, removal cgroup.kill (Linux 5.14+;
// the guest kernel is 6.1). The root directory is a parameter so that the
// file formats are tested on an ordinary directory.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace kata::agent {

/// Counters read from a container's cgroup.
struct CgroupStats {
  std::uint64_t memory_current = 0;
  std::uint64_t memory_max = 0;  ///< 0: "max"
  std::uint64_t cpu_usage_usec = 0;
  std::uint64_t cpu_user_usec = 0;
  std::uint64_t cpu_system_usec = 0;
  std::uint64_t pids_current = 0;
  std::uint64_t pids_max = 0;  ///< 0: "max"
};

/// The cgroup v2 files of containers under one root.
class Cgroups {
 public:
  /// Containers' cgroups are `<root>/<container_id>`.
  explicit Cgroups(std::string root) : root_(std::move(root)) {}

  /// Enables the memory, cpu and pids controllers for children of the root
  /// (best effort per controller: one the kernel lacks is skipped).
  void enable_controllers() const;
  /// Creates the container's cgroup (an existing one is reused).
  Result<void> create(const std::string& container_id) const;
  /// Pids listed in cgroup.procs.
  Result<std::vector<pid_t>> processes(const std::string& container_id) const;
  /// Writes cgroup.freeze: true freezes, false thaws.
  Result<void> freeze(const std::string& container_id, bool frozen) const;
  /// SIGKILLs every process in the cgroup (cgroup.kill).
  Result<void> kill_all(const std::string& container_id) const;
  /// Removes the (empty) cgroup; a missing one is not an error.
  Result<void> remove(const std::string& container_id) const;
  /// Applies memory.max, cpu.max and pids.max from an OCI linux.resources
  /// object; absent fields leave the current values.
  Result<void> update(const std::string& container_id, const nlohmann::json& resources) const;
  /// Reads memory.current/max, cpu.stat and pids.current/max.
  Result<CgroupStats> stats(const std::string& container_id) const;

  /// The container's cgroup directory.
  [[nodiscard]] std::string path(const std::string& container_id) const { return root_ + "/" + container_id; }

 private:
  Result<void> write(const std::string& container_id, const std::string& file, const std::string& value) const;
  Result<std::string> read(const std::string& container_id, const std::string& file) const;

  std::string root_;
};

}  // namespace kata::agent
