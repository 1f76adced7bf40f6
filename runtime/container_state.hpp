#pragma once
// `kata state` and `kata list`: what a container's state is now, which is
// the stored record corrected by whether its process still lives.

#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "oci/state.hpp"
#include "runtime/container_record.hpp"
#include "runtime/state_store.hpp"

namespace kata::runtime {

/// Whether the record's process is still the one it recorded: alive, and
/// with the same start time (so a recycled pid does not count).
bool process_alive(const ContainerRecord& record);

/// The record with its status corrected: a created, running or paused
/// container whose process is gone is stopped (pid 0).
ContainerRecord refresh_status(ContainerRecord record);

/// The current OCI state of container `id`. Errors: invalid_argument for a
/// bad ID, not_found ("container does not exist") when there is none.
Result<oci::State> container_state(const StateStore& store, std::string_view id);

/// The current states of every container under the store's root, sorted by
/// ID. Containers still being created (no state.json yet) are left out.
Result<std::vector<oci::State>> list_containers(const StateStore& store);

}  // namespace kata::runtime
