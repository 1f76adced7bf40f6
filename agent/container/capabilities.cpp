#include "agent/container/capabilities.hpp"

#include <sys/prctl.h>

#include <cctype>
#include <string>
#include <vector>

namespace kata::agent {
namespace {

std::uint64_t mask_of(const std::optional<std::vector<std::string>>& names, int last_cap) {
  std::uint64_t mask = 0;
  if (!names) return mask;
  for (const auto& name : *names) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    cap_value_t value;
    if (cap_from_name(lower.c_str(), &value) != 0 || value > last_cap) continue;
    mask |= std::uint64_t{1} << value;
  }
  return mask;
}

}  // namespace

Result<CapabilityPlan> plan_capabilities(const oci::Process& process) {
  CapabilityPlan plan;
  plan.last_cap = static_cast<int>(cap_max_bits()) - 1;
  if (!process.capabilities) return plan;
  const auto& caps = *process.capabilities;
  plan.present = true;
  plan.bounding = mask_of(caps.bounding, plan.last_cap);
  plan.effective = mask_of(caps.effective, plan.last_cap);
  plan.permitted = mask_of(caps.permitted, plan.last_cap);
  plan.inheritable = mask_of(caps.inheritable, plan.last_cap);
  plan.ambient = mask_of(caps.ambient, plan.last_cap);
  return plan;
}

Result<void> drop_bounding_set(const CapabilityPlan& plan) {
  if (!plan.present) return ok();
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if (plan.bounding & (std::uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return sys_error(errno, "drop capability {} from the bounding set", cap);
    }
  }
  return ok();
}

Result<void> apply_capability_sets(const CapabilityPlan& plan) {
  if (!plan.present) return ok();
  cap_t caps = cap_init();
  if (caps == nullptr) return sys_error(errno, "cap_init");
  struct Set {
    cap_flag_t flag;
    std::uint64_t mask;
  };
  for (Set set : {Set{CAP_EFFECTIVE, plan.effective}, Set{CAP_PERMITTED, plan.permitted},
                  Set{CAP_INHERITABLE, plan.inheritable}}) {
    for (int cap = 0; cap <= plan.last_cap; ++cap) {
      if (!(set.mask & (std::uint64_t{1} << cap))) continue;
      cap_value_t value = cap;
      cap_set_flag(caps, set.flag, 1, &value, CAP_SET);
    }
  }
  int rc = cap_set_proc(caps);
  int error = errno;
  cap_free(caps);
  if (rc != 0) return sys_error(error, "set capabilities");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return sys_error(errno, "clear ambient capabilities");
  }
  for (int cap = 0; cap <= plan.last_cap; ++cap) {
    if (!(plan.ambient & (std::uint64_t{1} << cap))) continue;
    // Raising needs the capability in permitted and inheritable; runc ignores
    // the ones that are not, so a spec listing them still starts.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0 && errno != EPERM) {
      return sys_error(errno, "raise ambient capability {}", cap);
    }
  }
  return ok();
}

}  // namespace kata::agent
