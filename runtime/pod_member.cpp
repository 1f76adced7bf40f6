#include "runtime/pod_member.hpp"

#include "runtime/container_id.hpp"

namespace kata::runtime {

namespace {

// The value of the first of `keys` the spec carries.
std::optional<std::pair<std::string, std::string>> annotation(const oci::Spec& spec,
                                                              std::initializer_list<const char*> keys) {
  if (!spec.annotations) return std::nullopt;
  for (const char* key : keys) {
    if (auto it = spec.annotations->find(key); it != spec.annotations->end()) return std::pair{std::string(key), it->second};
  }
  return std::nullopt;
}

}  // namespace

bool is_marked_pod_sandbox(const oci::Spec& spec) {
  auto type = annotation(spec, {crio_container_type, cri_container_type});
  return type && type->second == "sandbox";
}

Result<PodPlacement> pod_placement(const oci::Spec& spec, const std::string& id) {
  auto type = annotation(spec, {crio_container_type, cri_container_type});
  if (!type || type->second == "sandbox") return PodPlacement{};
  if (type->second != "container")
    return make_error(ErrorKind::invalid_argument, "annotations[{}]: expected \"sandbox\" or \"container\", got \"{}\"",
                      type->first, type->second);
  auto sandbox = annotation(spec, {crio_sandbox_id, cri_sandbox_id});
  if (!sandbox || sandbox->second.empty())
    return make_error(ErrorKind::invalid_argument, "annotations[{}] is \"container\" but no sandbox id ({} or {}) is set",
                      type->first, crio_sandbox_id, cri_sandbox_id);
  // CRI-O marks its sandbox as its own sandbox too.
  if (sandbox->second == id) return PodPlacement{};
  KATA_TRY(validate_container_id(sandbox->second).wrap(fmt::format("annotations[{}]", sandbox->first)));
  return PodPlacement{sandbox->second};
}

void join_sandbox_namespaces(nlohmann::json& guest_spec, std::int64_t sandbox_init,
                             const std::vector<std::string>& join) {
  auto& namespaces = guest_spec["linux"]["namespaces"];
  if (!namespaces.is_array()) namespaces = nlohmann::json::array();
  for (const auto& type : join) {
    std::string path = "/proc/" + std::to_string(sandbox_init) + "/ns/" + type;
    bool found = false;
    for (auto& entry : namespaces) {
      if (entry.is_object() && entry.value("type", "") == type) {
        entry["path"] = path;
        found = true;
      }
    }
    if (!found) namespaces.push_back({{"type", type}, {"path", path}});
  }
}

}  // namespace kata::runtime
