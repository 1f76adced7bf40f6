#pragma once
// The runtime-spec `features` document (features.md, features-linux.md) that
// `kata features` prints and CRI-O and containerd read to learn what the
// runtime can do.

#include <nlohmann/json.hpp>

namespace kata::oci {

/// What kata supports, as the features document states it. The claims are
/// about the guest agent, which sets up the container inside the VM; they
/// live in one table in features.cpp.
nlohmann::json features_document();

}  // namespace kata::oci
