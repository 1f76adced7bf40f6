#pragma once
// `kata timings`: where a container's start-up time went. create records
// the phases in state.json (kata.boot_timings), each in milliseconds since
// create began: vm_spawned (QEMU and virtiofsd started), agent_ready (the
// guest kernel booted and the agent answered), network_configured (the
// guest's interfaces up with their addresses and routes; only with
// interfaces), container_created (the agent set the container up at its
// start barrier). A clone of the VM template adds vm_restored (the
// template's state restored, NICs after the first plugged) and
// clone_restored (the agent took fresh entropy, the clock and its share).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "runtime/container_record.hpp"
#include "runtime/state_store.hpp"

namespace kata::runtime {

/// The recorded phases of container `id`, in the order they ran. not_found
/// "container does not exist" when there is none; not_found naming the
/// container when its record holds no timings (it is still being created).
Result<std::vector<BootPhase>> container_boot_timings(const StateStore& store, std::string_view id);

/// The table `kata timings` prints: a header, then per phase its name, ms
/// since create began and ms since the previous phase, one decimal,
/// columns aligned.
std::string boot_timings_table(const std::vector<BootPhase>& phases);

/// The JSON `kata timings --format json` prints:
/// {"id": ..., "phases": [{"phase", "ms", "delta_ms"}, ...]}, in ms rounded to the microsecond.
nlohmann::json boot_timings_json(std::string_view id, const std::vector<BootPhase>& phases);

}  // namespace kata::runtime
