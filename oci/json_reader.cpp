#include "oci/json_reader.hpp"

namespace kata::oci {

std::string member_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path(parent);
  path += '.';
  path += key;
  return path;
}

std::string element_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string key_path(std::string_view parent, std::string_view key) {
  return std::string(parent) + "[" + json_quote(key) + "]";
}

std::string json_quote(std::string_view text) {
  // User data: dump() quotes and escapes it; `replace` turns invalid UTF-8
  // into U+FFFD instead of throwing.
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view json_type_name(const nlohmann::json& value) {
  if (value.is_number_float()) return "a fractional number";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  if (value.is_null()) return "null";
  return "binary data";
}

bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems,
            std::string& out) {
  if (!value.is_string()) {
    problems.push_back({path, "must be a string, not " + std::string(json_type_name(value))});
    return false;
  }
  out = value.get<std::string>();
  return true;
}

bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems, bool& out) {
  if (!value.is_boolean()) {
    problems.push_back({path, "must be a boolean, not " + std::string(json_type_name(value))});
    return false;
  }
  out = value.get<bool>();
  return true;
}

bool decode(const nlohmann::json& value, const std::string& path, std::vector<Problem>& problems,
            nlohmann::json& out) {
  if (!value.is_object()) {
    problems.push_back({path, "must be an object, not " + std::string(json_type_name(value))});
    return false;
  }
  out = value;
  return true;
}

ObjectReader::ObjectReader(const nlohmann::json& value, std::string path, std::vector<Problem>& problems)
    : path_(std::move(path)), problems_(&problems) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    problems.push_back({path_.empty() ? std::string("(document)") : path_,
                        "must be an object, not " + std::string(json_type_name(value))});
  }
}

const nlohmann::json* ObjectReader::take(std::string_view key) {
  if (object_ == nullptr) return nullptr;
  auto found = object_->find(key);
  if (found == object_->end() || found->is_null()) return nullptr;
  taken_.emplace(key);
  return &*found;
}

nlohmann::json ObjectReader::unknown() const {
  nlohmann::json rest = nlohmann::json::object();
  if (object_ == nullptr) return rest;
  for (const auto& [key, value] : object_->items()) {
    if (!taken_.contains(key)) rest[key] = value;
  }
  return rest;
}

}  // namespace kata::oci
