#pragma once
// Internal to oci/: the semantic rules (runtime-spec's MUSTs plus runc's
// checks) applied to a decoded Spec or Process.

#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace kata::oci {

/// Appends every rule violation of `spec` to `problems`. A rule whose path
/// (or an enclosing path) already has a problem, typically a wrong JSON type,
/// is not reported again, so each mistake is named once.
void check_spec(const Spec& spec, std::vector<Problem>& problems);

/// Same for a process object whose JSON path is `path` ("process" or "").
void check_process(const Process& process, const std::string& path, std::vector<Problem>& problems);

}  // namespace kata::oci
