#pragma once
// The five capability sets of process.capabilities, resolved with libcap
// before fork and applied by the child in runc's order.

#include <sys/capability.h>

#include <cstdint>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// Capability sets as bit masks (bit n = capability n).
struct CapabilityPlan {
  bool present = false;  ///< false: the spec has no `capabilities`; nothing changes
  std::uint64_t bounding = 0;
  std::uint64_t effective = 0;
  std::uint64_t permitted = 0;
  std::uint64_t inheritable = 0;
  std::uint64_t ambient = 0;
  int last_cap = 0;  ///< highest capability the running kernel knows
};

/// Resolves CAP_* names. A set the spec omits is empty; names this libcap or
/// kernel does not know are skipped, as runc does, so newer specs still run.
Result<CapabilityPlan> plan_capabilities(const oci::Process& process);

/// Child side, while still privileged: drops every capability not in the
/// bounding set (PR_CAPBSET_DROP).
Result<void> drop_bounding_set(const CapabilityPlan& plan);

/// Child side, after the uid/gid switch (done with PR_SET_KEEPCAPS so the
/// permitted set survives it): sets effective/permitted/inheritable with
/// capset, then raises the ambient ones.
Result<void> apply_capability_sets(const CapabilityPlan& plan);

}  // namespace kata::agent
