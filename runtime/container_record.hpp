#pragma once
// What <root>/<id>/state.json holds: the OCI state plus kata's private fields.
//
// Layout: the OCI fields at the top level under runtime-spec's names (so a
// human or a tool reading the file sees familiar keys), kata's own fields in
// a nested "kata" object. Unknown keys are ignored when reading, so a newer
// kata can add fields without breaking an older one reading the same root.
// To add a field: add the member here, one line in record_to_json and one in
// record_from_json (container_record.cpp).

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "oci/state.hpp"
#include "runtime/host_cgroup_plan.hpp"
#include "runtime/network/netns.hpp"

namespace kata::runtime {

/// How long one phase of bringing a container up took ("vm_boot", "agent_dial").
struct BootPhase {
  std::string name;
  double milliseconds = 0;
  bool operator==(const BootPhase&) const = default;
};

/// A tap kata created in the container's network namespace (tcfilter
/// model) and the interface it mirrors; delete removes both's tc state.
struct TapLink {
  std::string host_interface;  ///< the engine's interface (veth) in the namespace
  std::string tap;             ///< kata's tap next to it ("tap0_kata")
  bool operator==(const TapLink&) const = default;
};

/// One container's persistent record.
struct ContainerRecord {
  // --- OCI state (runtime-spec "State") ---
  std::string oci_version;  ///< ociVersion of the bundle's config.json
  std::string id;
  oci::Status status = oci::Status::creating;
  pid_t pid = 0;            ///< host pid engines see (the --pid-file process); 0 if none
  std::string bundle;       ///< absolute bundle path
  std::string rootfs;       ///< absolute root filesystem path
  oci::Timestamp created{};
  std::string owner;
  std::map<std::string, std::string> annotations;

  // --- kata private ---
  /// Start time of `pid` (clock ticks since boot, /proc/<pid>/stat field 22):
  /// a live process with that pid but another start time is not ours.
  std::optional<unsigned long long> pid_start_time;
  pid_t monitor_pid = 0;    ///< sandbox monitor process; 0 if none
  std::optional<unsigned long long> monitor_start_time;
  std::optional<int> exit_status;        ///< container's exit status once known (128+signal if killed)
  std::optional<std::string> sandbox_id;  ///< sandbox (VM) this container runs in
  std::optional<std::string> monitor_socket;
  std::optional<std::string> qmp_socket;
  std::optional<std::string> agent_socket;
  std::optional<std::string> virtiofsd_socket;
  std::vector<BootPhase> boot_timings;   ///< in the order the phases ran
  std::optional<std::string> netns_path;  ///< network namespace kata put taps in; none: no taps
  /// Identity of the namespace netns_path named at create: delete touches
  /// it only if the path still names that one.
  std::optional<network::NamespaceId> netns_id;
  std::vector<TapLink> taps;              ///< what delete tears down in netns_path
  /// The engine configures the network namespace only after create (late
  /// network, late_network.hpp): start carries what it finds there.
  bool late_network = false;
  /// start has carried the late network into the VM (a retried start does
  /// not carry it again).
  bool late_network_carried = false;
  /// The host cgroup create made for the sandbox; none: its processes stay
  /// in the caller's cgroup (no cgroupsPath).
  std::optional<HostCgroupRecord> host_cgroup;

  bool operator==(const ContainerRecord&) const = default;
};

/// True for a pod member: a container in another container's VM, whose
/// monitor is the sandbox's.
inline bool is_pod_member(const ContainerRecord& record) {
  return record.sandbox_id && *record.sandbox_id != record.id;
}

/// The JSON document stored in state.json.
nlohmann::json record_to_json(const ContainerRecord& record);

/// Parses and validates a state.json document. Errors (invalid_argument) name
/// the offending key and why: "kata.monitor_pid: expected an integer, got
/// string"; the caller adds the file name. Never throws.
Result<ContainerRecord> record_from_json(std::string_view text);

/// The OCI state `kata state` prints and hooks receive.
oci::State to_oci_state(const ContainerRecord& record);

}  // namespace kata::runtime
