#include "agent-client/json_fields.hpp"

namespace kata::agent_client {
namespace {

using nlohmann::json;

// Depth of nesting, counted on the raw text before parsing so that a hostile
// "[[[[..." never reaches the recursive parts of nlohmann::json.
bool nesting_within(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

Result<const json*> find_field(const json& object, std::string_view name) {
  if (!object.is_object()) return make_error(ErrorKind::protocol, "expected a JSON object");
  auto it = object.find(std::string(name));
  if (it == object.end()) return make_error(ErrorKind::protocol, "missing field \"{}\"", name);
  return &*it;
}

Error wrong_type(std::string_view name, std::string_view expected, const json& value) {
  return make_error(ErrorKind::protocol, "field \"{}\": expected {}, got {}", name, expected, value.type_name());
}

Result<std::int64_t> int_value(const json& value, std::string_view name, std::int64_t min, std::int64_t max) {
  std::int64_t number = 0;
  if (value.is_number_unsigned()) {
    auto raw = value.get<std::uint64_t>();
    if (raw > static_cast<std::uint64_t>(INT64_MAX)) {
      return make_error(ErrorKind::protocol, "field \"{}\": {} out of range [{}, {}]", name, raw, min, max);
    }
    number = static_cast<std::int64_t>(raw);
  } else if (value.is_number_integer()) {
    number = value.get<std::int64_t>();
  } else {
    return wrong_type(name, "integer", value);
  }
  if (number < min || number > max) {
    return make_error(ErrorKind::protocol, "field \"{}\": {} out of range [{}, {}]", name, number, min, max);
  }
  return number;
}

}  // namespace

Result<json> parse_json_object(std::string_view text) {
  if (!nesting_within(text, kMaxJsonDepth)) {
    return make_error(ErrorKind::protocol, "JSON nested deeper than {} levels", kMaxJsonDepth);
  }
  // allow_exceptions=false: malformed input yields a `discarded` value.
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return make_error(ErrorKind::protocol, "malformed JSON");
  if (!value.is_object()) return make_error(ErrorKind::protocol, "expected a JSON object, got {}", value.type_name());
  return value;
}

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::string> get_string(const json& object, std::string_view name, std::size_t max_length) {
  const json* value = KATA_TRY(find_field(object, name));
  if (!value->is_string()) return wrong_type(name, "string", *value);
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() > max_length) {
    return make_error(ErrorKind::protocol, "field \"{}\": {} bytes exceed the limit of {}", name, text.size(),
                      max_length);
  }
  return text;
}

Result<bool> get_bool(const json& object, std::string_view name) {
  const json* value = KATA_TRY(find_field(object, name));
  if (!value->is_boolean()) return wrong_type(name, "boolean", *value);
  return value->get<bool>();
}

Result<std::int64_t> get_int(const json& object, std::string_view name, std::int64_t min, std::int64_t max) {
  const json* value = KATA_TRY(find_field(object, name));
  return int_value(*value, name, min, max);
}

Result<std::uint64_t> get_uint(const json& object, std::string_view name, std::uint64_t max) {
  const json* value = KATA_TRY(find_field(object, name));
  if (!value->is_number_unsigned()) {
    // nlohmann stores non-negative literals as unsigned, so anything else
    // (negative, float, string) is the wrong type.
    return wrong_type(name, "non-negative integer", *value);
  }
  auto number = value->get<std::uint64_t>();
  if (number > max) return make_error(ErrorKind::protocol, "field \"{}\": {} exceeds {}", name, number, max);
  return number;
}

Result<json> get_object(const json& object, std::string_view name) {
  const json* value = KATA_TRY(find_field(object, name));
  if (!value->is_object()) return wrong_type(name, "object", *value);
  return *value;
}

Result<std::vector<std::string>> get_string_array(const json& object, std::string_view name,
                                                  std::size_t max_items) {
  const json* value = KATA_TRY(find_field(object, name));
  if (!value->is_array()) return wrong_type(name, "array", *value);
  if (value->size() > max_items) {
    return make_error(ErrorKind::protocol, "field \"{}\": {} items exceed the limit of {}", name, value->size(),
                      max_items);
  }
  std::vector<std::string> items;
  items.reserve(value->size());
  for (const auto& item : *value) {
    if (!item.is_string()) return wrong_type(name, "array of strings", item);
    const auto& text = item.get_ref<const std::string&>();
    if (text.size() > kMaxIdLength) {
      return make_error(ErrorKind::protocol, "field \"{}\": item of {} bytes exceeds the limit", name, text.size());
    }
    items.push_back(text);
  }
  return items;
}

Result<std::vector<std::int64_t>> get_int_array(const json& object, std::string_view name, std::size_t max_items,
                                                std::int64_t min, std::int64_t max) {
  const json* value = KATA_TRY(find_field(object, name));
  if (!value->is_array()) return wrong_type(name, "array", *value);
  if (value->size() > max_items) {
    return make_error(ErrorKind::protocol, "field \"{}\": {} items exceed the limit of {}", name, value->size(),
                      max_items);
  }
  std::vector<std::int64_t> items;
  items.reserve(value->size());
  for (const auto& item : *value) items.push_back(KATA_TRY(int_value(item, name, min, max)));
  return items;
}

}  // namespace kata::agent_client
