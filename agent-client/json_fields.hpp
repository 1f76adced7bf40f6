#pragma once
// Checked access to fields of JSON objects received from the peer. Every
// accessor validates presence, type and range and returns a protocol error
// instead of throwing, so nothing a guest sends can raise an exception or
// yield an out-of-range value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace kata::agent_client {

/// Deepest nesting of arrays/objects accepted in a received JSON document.
/// nlohmann's copy, dump and comparison recurse, so depth must be bounded.
inline constexpr std::size_t kMaxJsonDepth = 64;
/// Longest identifier string (container id, exec id, op name) accepted.
inline constexpr std::size_t kMaxIdLength = 1024;

/// Parses `text` as a JSON object without exceptions; fails with protocol on
/// malformed JSON, a non-object top level or nesting deeper than kMaxJsonDepth.
Result<nlohmann::json> parse_json_object(std::string_view text);

/// Serialises `value` compactly; invalid UTF-8 in strings is replaced rather
/// than thrown about, so encoding never fails.
std::string dump_json(const nlohmann::json& value);

/// The string field `name` of `object`, at most `max_length` bytes.
Result<std::string> get_string(const nlohmann::json& object, std::string_view name,
                               std::size_t max_length = kMaxIdLength);
/// The boolean field `name`.
Result<bool> get_bool(const nlohmann::json& object, std::string_view name);
/// The integer field `name`, within [min, max].
Result<std::int64_t> get_int(const nlohmann::json& object, std::string_view name, std::int64_t min,
                             std::int64_t max);
/// The non-negative integer field `name`, at most `max`.
Result<std::uint64_t> get_uint(const nlohmann::json& object, std::string_view name,
                               std::uint64_t max = UINT64_MAX);
/// The object field `name` (copied).
Result<nlohmann::json> get_object(const nlohmann::json& object, std::string_view name);
/// The array field `name` whose elements are strings, at most `max_items` of
/// at most kMaxIdLength bytes each.
Result<std::vector<std::string>> get_string_array(const nlohmann::json& object, std::string_view name,
                                                  std::size_t max_items);
/// The array field `name` whose elements are integers in [min, max], at most `max_items`.
Result<std::vector<std::int64_t>> get_int_array(const nlohmann::json& object, std::string_view name,
                                                std::size_t max_items, std::int64_t min, std::int64_t max);

}  // namespace kata::agent_client
