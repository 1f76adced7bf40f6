#pragma once
// What `kata update` sends: an OCI linux.resources object, either the
// document given with -r FILE|- or one built from runc's individual flags.

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cmd/verb_options.hpp"
#include "common/error.hpp"

namespace kata::cmd {

/// runc's memory sizes (go-units RAMInBytes): a decimal number with an
/// optional binary unit (b, k, m, g, t, p, case-insensitive, optionally
/// followed by "b" or "ib": "512m", "1.5GiB", "4096"), or "-1" for
/// unlimited. invalid_argument naming the text otherwise.
Result<std::int64_t> parse_memory_size(std::string_view text);

/// The resources object built from the flags of `options` (-r not given):
/// only the members whose flags were given, so the rest stays as it is.
/// --kernel-memory is ignored as runc 1.1+ does; the Intel RDT schemas are
/// unsupported (no RDT inside a VM).
Result<nlohmann::json> resources_from_flags(const UpdateOptions& options);

/// Parses the -r document read from `source` (a path or "standard input",
/// for messages); it must be a JSON object.
Result<nlohmann::json> parse_resources_document(std::string_view text, std::string_view source);

}  // namespace kata::cmd
