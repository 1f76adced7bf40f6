#include "runtime/verb_rules.hpp"

namespace kata::runtime {

Result<void> check_verb_allowed(LifecycleVerb verb, oci::Status status, std::string_view id) {
  using oci::Status;
  switch (verb) {
    case LifecycleVerb::start:
      if (status == Status::created) return ok();
      if (status == Status::stopped)
        return make_error(ErrorKind::wrong_state, "cannot start a container that has stopped");
      return make_error(ErrorKind::wrong_state, "cannot start a container that has already started");
    case LifecycleVerb::kill:
      if (status == Status::created || status == Status::running || status == Status::paused) return ok();
      return make_error(ErrorKind::wrong_state, "container not running");
    case LifecycleVerb::delete_plain:
      // containerd deletes created containers without --force and expects
      // them killed (oci-cli-contract.md §4).
      if (status == Status::stopped || status == Status::created) return ok();
      return make_error(ErrorKind::wrong_state, "cannot delete container {} that is not stopped: {}", id,
                        oci::to_string(status));
    case LifecycleVerb::delete_force:
      return ok();
    case LifecycleVerb::pause:
      // runc also freezes a created container; kata does not, because its
      // resume could not tell created from running afterwards (the record
      // keeps one status), and engines only pause running containers.
      if (status == Status::running) return ok();
      return make_error(ErrorKind::wrong_state, "container not running");
    case LifecycleVerb::resume:
      if (status == Status::paused) return ok();
      return make_error(ErrorKind::wrong_state, "container not paused");
    case LifecycleVerb::ps:
    case LifecycleVerb::update:
      if (status == Status::created || status == Status::running || status == Status::paused) return ok();
      return make_error(ErrorKind::wrong_state, "container not running");
    case LifecycleVerb::events:
      if (status == Status::created || status == Status::running || status == Status::paused) return ok();
      return make_error(ErrorKind::wrong_state, "container with id {} is not running", id);
  }
  return make_error(ErrorKind::internal, "unknown verb");
}

DeleteAction delete_action(oci::Status status) {
  return status == oci::Status::stopped ? DeleteAction::cleanup : DeleteAction::kill_then_cleanup;
}

}  // namespace kata::runtime
