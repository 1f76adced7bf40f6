#pragma once
// Internal to oci/: reads JSON values into typed fields without exceptions,
// recording a Problem (with the JSON path) for every value of the wrong type
// or out of range, and remembering which keys of an object were modelled so
// the rest can be kept for a faithful round trip.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "oci/spec.hpp"

namespace kata::oci {

/// "a.b" from "a" and "b"; just "b" at the top level.
std::string member_path(std::string_view parent, std::string_view key);
/// "a[3]".
std::string element_path(std::string_view parent, std::size_t index);
/// "a[\"key\"]": used for map keys, which may contain dots.
std::string key_path(std::string_view parent, std::string_view key);
/// `text` as a quoted, escaped JSON string, for messages; never throws.
std::string json_quote(std::string_view text);
/// "string", "number", "object", ... for messages.
std::string_view json_type_name(const nlohmann::json& value);

/// Decoders for leaf values: each returns false (and records a problem) when
/// the value has the wrong type or range, leaving `out` untouched.
bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems,
            std::string& out);
bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems, bool& out);
/// Raw JSON values (kata passes them through): must be objects.
bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems,
            nlohmann::json& out);

/// Integers of any width: JSON numbers without fraction, within T's range.
template <typename T>
  requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems, T& out) {
  auto out_of_range = [&] {
    problems.push_back({path, "must be an integer between " + std::to_string(std::numeric_limits<T>::min()) +
                                  " and " + std::to_string(std::numeric_limits<T>::max())});
    return false;
  };
  if (value.is_number_unsigned()) {
    auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return out_of_range();
    out = static_cast<T>(number);
    return true;
  }
  if (value.is_number_integer()) {
    auto number = value.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (number < 0) return out_of_range();
      if (static_cast<std::uint64_t>(number) > std::numeric_limits<T>::max()) return out_of_range();
    } else {
      if (number < std::numeric_limits<T>::min() || number > std::numeric_limits<T>::max()) return out_of_range();
    }
    out = static_cast<T>(number);
    return true;
  }
  if (value.is_number_float()) {
    problems.push_back({path, "must be an integer, not a fractional number"});
    return false;
  }
  problems.push_back({path, "must be an integer, not " + std::string(json_type_name(value))});
  return false;
}

/// Arrays: every element decoded; a bad element is reported and skipped.
template <typename T>
bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems,
            std::vector<T>& out) {
  if (!value.is_array()) {
    problems.push_back({path, "must be an array, not " + std::string(json_type_name(value))});
    return false;
  }
  std::vector<T> result;
  result.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    T element{};
    if (decode(value[i], element_path(path, i), problems, element)) result.push_back(std::move(element));
  }
  out = std::move(result);
  return true;
}

/// Objects of strings to T (annotations, sysctl, unified).
template <typename T>
bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems,
            std::map<std::string, T>& out) {
  if (!value.is_object()) {
    problems.push_back({path, "must be an object, not " + std::string(json_type_name(value))});
    return false;
  }
  std::map<std::string, T> result;
  for (const auto& [key, element] : value.items()) {
    T decoded{};
    if (decode(element, key_path(path, key), problems, decoded)) result.emplace(key, std::move(decoded));
  }
  out = std::move(result);
  return true;
}

/// Reads the members of one JSON object. If the value is not an object, one
/// problem is recorded and every read finds nothing.
class ObjectReader {
 public:
  /// `value` must outlive the reader; problems are appended to `problems`.
  ObjectReader(const nlohmann::json& value, std::string path, std::vector<Problem>& problems);

  /// True when the value was an object.
  bool is_object() const { return object_ != nullptr; }
  /// The JSON path of this object.
  const std::string& path() const { return path_; }
  /// The JSON path of one of its members.
  std::string path_of(std::string_view key) const { return member_path(path_, key); }
  /// Records a problem at this object's member `key`.
  void problem(std::string_view key, std::string message) { problems_->push_back({path_of(key), std::move(message)}); }

  /// Marks `key` as modelled and returns its value, or nullptr when absent or
  /// null (null stays in unknown(), so it round-trips).
  const nlohmann::json* take(std::string_view key);

  /// Reads an optional member; absent or null leaves `out` empty.
  template <typename T>
  void optional(std::string_view key, std::optional<T>& out) {
    if (const auto* value = take(key)) {
      T decoded{};
      if (decode(*value, path_of(key), *problems_, decoded)) out = std::move(decoded);
    }
  }

  /// Reads a required member; absent or null is a problem ("required").
  template <typename T>
  void required(std::string_view key, T& out) {
    if (const auto* value = take(key)) {
      decode(*value, path_of(key), *problems_, out);
    } else if (is_object()) {
      problem(key, "required");
    }
  }

  /// The members not taken, plus null-valued taken ones: the object's `extra`.
  nlohmann::json unknown() const;

 private:
  const nlohmann::json* object_ = nullptr;
  std::string path_;
  std::vector<Problem>* problems_;
  std::set<std::string, std::less<>> taken_;
};

}  // namespace kata::oci
