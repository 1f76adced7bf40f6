#pragma once
// Which lifecycle verb may act on a container in which status, in one place,
// with runc's wording for the refusals engines match on.

#include "common/error.hpp"
#include "oci/state.hpp"

namespace kata::runtime {

/// The verbs whose permission depends on the container's status.
enum class LifecycleVerb { start, kill, delete_plain, delete_force, pause, resume, ps, update, events };

/// What delete must do with a container in a given status.
enum class DeleteAction { cleanup, kill_then_cleanup };

/// ok when `verb` may run on container `id` in `status` (already refreshed
/// with refresh_status); otherwise a wrong_state error worded as runc's.
Result<void> check_verb_allowed(LifecycleVerb verb, oci::Status status, std::string_view id);

/// How delete proceeds for `status` (check_verb_allowed passed): a stopped
/// container is only cleaned up; a created (and, with --force, a running or
/// paused) one is killed first.
DeleteAction delete_action(oci::Status status);

}  // namespace kata::runtime
