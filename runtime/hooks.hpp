#pragma once
// OCI hooks, run on the host: each hook program gets the container's state
// JSON on stdin, runs with exactly the hook's env, and is killed when its
// `timeout` passes.
//
// In a VM the container's namespaces are in the guest, so hooks that the
// spec runs in them (createContainer, startContainer) cannot run there:
// createContainer runs on the host after createRuntime (what tools like
// GPU or network plugins that use it need is host state); startContainer
// is not run (documented in docs/architecture.md).

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "oci/spec.hpp"
#include "runtime/container_record.hpp"

namespace kata::runtime {

/// Runs one hook; error naming `kind` and the hook's path when it cannot be
/// started, exits non-zero, is killed, or outlives its timeout.
Result<void> run_hook(const oci::Hook& hook, std::string_view kind, const std::string& state_json);

/// Runs `hooks` in order and stops at the first failure.
Result<void> run_hooks(const std::optional<std::vector<oci::Hook>>& hooks, std::string_view kind,
                       const std::string& state_json);

/// Runs every hook in order, logging failures as warnings instead of
/// stopping (the spec's rule for poststart and poststop).
void run_hooks_warn(const std::optional<std::vector<oci::Hook>>& hooks, std::string_view kind,
                    const std::string& state_json);

/// The spec's prestart, createRuntime and createContainer hooks, run once
/// the container exists in the guest at its start barrier (where runc runs
/// them), with the state of `record` as status "creating".
Result<void> run_creation_hooks(const oci::Spec& spec, ContainerRecord record);

}  // namespace kata::runtime
