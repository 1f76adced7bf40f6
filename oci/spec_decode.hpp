#pragma once
// Internal to oci/: JSON → typed Spec, recording type problems instead of
// failing, so validation can go on and report the whole document.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace kata::oci {

/// Decodes a config.json document as far as its types allow; every value of
/// the wrong type or range, and every missing required member, is appended to
/// `problems`. The result is only meaningful when no problem was added.
Spec decode_spec(const nlohmann::json& document, std::vector<Problem>& problems);

/// Decodes a process object found at `path` ("process", or "" for a lone
/// process document).
Process decode_process(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems);

}  // namespace kata::oci
