#include "runtime/container_record.hpp"

#include <fmt/format.h>

#include <limits>

#include "runtime/container_id.hpp"

namespace kata::runtime {

using nlohmann::json;

namespace {

std::string_view type_name(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  return "object";
}

Error bad_field(std::string_view key, std::string_view reason) {
  return make_error(ErrorKind::invalid_argument, "{}: {}", key, reason);
}

Error wrong_type(std::string_view key, std::string_view expected, const json& got) {
  return bad_field(key, fmt::format("expected {}, got {}", expected, type_name(got)));
}

// Reads the members of one JSON object with type checks. `prefix` is the
// dotted path of the object ("kata."), so errors name the full key.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  const json* find(std::string_view key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string name(std::string_view key) const { return prefix_ + std::string(key); }

  Result<std::string> required_string(std::string_view key) const {
    const json* value = find(key);
    if (value == nullptr) return bad_field(name(key), "missing");
    if (!value->is_string()) return wrong_type(name(key), "a string", *value);
    return value->get<std::string>();
  }
  Result<std::string> string_or_empty(std::string_view key) const {
    if (find(key) == nullptr) return std::string();
    return required_string(key);
  }
  Result<std::optional<std::string>> optional_string(std::string_view key) const {
    if (find(key) == nullptr) return std::optional<std::string>();
    return std::optional<std::string>(KATA_TRY(required_string(key)));
  }
  Result<std::optional<long long>> optional_integer(std::string_view key, long long min, long long max) const {
    const json* value = find(key);
    if (value == nullptr) return std::optional<long long>();
    long long number = 0;
    if (value->is_number_unsigned()) {
      auto unsigned_value = value->get<unsigned long long>();
      if (unsigned_value > static_cast<unsigned long long>(max)) {
        return bad_field(name(key), fmt::format("{} is out of range [{}, {}]", unsigned_value, min, max));
      }
      number = static_cast<long long>(unsigned_value);
    } else if (value->is_number_integer()) {
      number = value->get<long long>();
    } else {
      return wrong_type(name(key), "an integer", *value);
    }
    if (number < min || number > max) {
      return bad_field(name(key), fmt::format("{} is out of range [{}, {}]", number, min, max));
    }
    return std::optional<long long>(number);
  }
  Result<std::optional<unsigned long long>> optional_unsigned(std::string_view key) const {
    const json* value = find(key);
    if (value == nullptr) return std::optional<unsigned long long>();
    if (!value->is_number_unsigned()) {
      if (value->is_number_integer()) return bad_field(name(key), "must not be negative");
      return wrong_type(name(key), "an integer", *value);
    }
    return std::optional<unsigned long long>(value->get<unsigned long long>());
  }
  Result<bool> flag(std::string_view key) const {
    const json* value = find(key);
    if (value == nullptr) return false;
    if (!value->is_boolean()) return wrong_type(name(key), "a boolean", *value);
    return value->get<bool>();
  }
  Result<pid_t> pid(std::string_view key) const {
    auto number = KATA_TRY(optional_integer(key, 0, std::numeric_limits<pid_t>::max()));
    return static_cast<pid_t>(number.value_or(0));
  }

 private:
  const json& object_;
  std::string prefix_;
};

template <typename T>
void put_optional(json& object, const char* key, const std::optional<T>& value) {
  if (value) object[key] = *value;
}

// An optional array of objects at `key`, each read by `read_entry` from an
// ObjectReader whose field names carry "key[i]." for the error messages.
template <typename T, typename ReadEntry>
Result<std::vector<T>> read_object_array(const json* value, const std::string& key, ReadEntry read_entry) {
  std::vector<T> entries;
  if (value == nullptr) return entries;
  if (!value->is_array()) return wrong_type(key, "an array", *value);
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& entry = (*value)[i];
    std::string entry_key = fmt::format("{}[{}]", key, i);
    if (!entry.is_object()) return wrong_type(entry_key, "an object", entry);
    ObjectReader reader(entry, entry_key + ".");
    entries.push_back(KATA_TRY(read_entry(reader)));
  }
  return entries;
}

Result<std::vector<BootPhase>> read_boot_timings(const json* value, const std::string& key) {
  return read_object_array<BootPhase>(value, key, [](ObjectReader& reader) -> Result<BootPhase> {
    BootPhase phase;
    phase.name = KATA_TRY(reader.required_string("phase"));
    const json* milliseconds = reader.find("ms");
    if (milliseconds == nullptr) return bad_field(reader.name("ms"), "missing");
    if (!milliseconds->is_number()) return wrong_type(reader.name("ms"), "a number", *milliseconds);
    phase.milliseconds = milliseconds->get<double>();
    if (!(phase.milliseconds >= 0)) return bad_field(reader.name("ms"), "must not be negative");
    return phase;
  });
}

Result<std::vector<TapLink>> read_taps(const json* value, const std::string& key) {
  return read_object_array<TapLink>(value, key, [](ObjectReader& reader) -> Result<TapLink> {
    TapLink link;
    link.host_interface = KATA_TRY(reader.required_string("interface"));
    link.tap = KATA_TRY(reader.required_string("tap"));
    return link;
  });
}

Result<ContainerRecord> record_from_document(const json& document) {
  if (!document.is_object()) return wrong_type("state", "an object", document);
  ObjectReader top(document, "");
  ContainerRecord record;
  record.oci_version = KATA_TRY(top.string_or_empty("ociVersion"));
  record.id = KATA_TRY(top.required_string("id"));
  if (auto valid = validate_container_id(record.id); !valid) return std::move(valid).error().wrap("id");

  std::string status = KATA_TRY(top.required_string("status"));
  auto parsed_status = oci::parse_status(status);
  if (!parsed_status) return bad_field("status", fmt::format("unknown status \"{}\"", status));
  record.status = *parsed_status;

  record.pid = KATA_TRY(top.pid("pid"));
  record.bundle = KATA_TRY(top.string_or_empty("bundle"));
  record.rootfs = KATA_TRY(top.string_or_empty("rootfs"));
  std::string created = KATA_TRY(top.required_string("created"));
  auto parsed_created = oci::parse_rfc3339(created);
  if (!parsed_created) return bad_field("created", fmt::format("\"{}\" is not an RFC 3339 time", created));
  record.created = *parsed_created;
  record.owner = KATA_TRY(top.string_or_empty("owner"));

  if (const json* annotations = top.find("annotations")) {
    if (!annotations->is_object()) return wrong_type("annotations", "an object", *annotations);
    for (const auto& [key, value] : annotations->items()) {
      if (!value.is_string()) return wrong_type("annotations." + key, "a string", value);
      record.annotations.emplace(key, value.get<std::string>());
    }
  }

  const json* kata = top.find("kata");
  if (kata == nullptr) return record;
  if (!kata->is_object()) return wrong_type("kata", "an object", *kata);
  ObjectReader own(*kata, "kata.");
  record.pid_start_time = KATA_TRY(own.optional_unsigned("pid_start_time"));
  record.monitor_pid = KATA_TRY(own.pid("monitor_pid"));
  record.monitor_start_time = KATA_TRY(own.optional_unsigned("monitor_start_time"));
  if (auto exit_status = KATA_TRY(own.optional_integer("exit_status", 0, 255))) {
    record.exit_status = static_cast<int>(*exit_status);
  }
  record.sandbox_id = KATA_TRY(own.optional_string("sandbox_id"));
  record.monitor_socket = KATA_TRY(own.optional_string("monitor_socket"));
  record.qmp_socket = KATA_TRY(own.optional_string("qmp_socket"));
  record.agent_socket = KATA_TRY(own.optional_string("agent_socket"));
  record.virtiofsd_socket = KATA_TRY(own.optional_string("virtiofsd_socket"));
  record.boot_timings = KATA_TRY(read_boot_timings(own.find("boot_timings"), own.name("boot_timings")));
  record.netns_path = KATA_TRY(own.optional_string("netns_path"));
  auto netns_dev = KATA_TRY(own.optional_integer("netns_dev", 0, std::numeric_limits<long long>::max()));
  auto netns_ino = KATA_TRY(own.optional_integer("netns_ino", 0, std::numeric_limits<long long>::max()));
  if (netns_dev && netns_ino)
    record.netns_id = network::NamespaceId{static_cast<std::uint64_t>(*netns_dev), static_cast<std::uint64_t>(*netns_ino)};
  record.taps = KATA_TRY(read_taps(own.find("taps"), own.name("taps")));
  record.late_network = KATA_TRY(own.flag("late_network"));
  record.late_network_carried = KATA_TRY(own.flag("late_network_carried"));
  if (const json* host_cgroup = own.find("host_cgroup")) record.host_cgroup = KATA_TRY(host_cgroup_from_json(*host_cgroup));
  return record;
}

}  // namespace

json record_to_json(const ContainerRecord& record) {
  json document = {
      {"ociVersion", record.oci_version},
      {"id", record.id},
      {"status", std::string(oci::to_string(record.status))},
      {"pid", record.pid},
      {"bundle", record.bundle},
      {"rootfs", record.rootfs},
      {"created", oci::format_rfc3339(record.created)},
      {"owner", record.owner},
      {"annotations", record.annotations},
  };
  json kata = json::object();
  put_optional(kata, "pid_start_time", record.pid_start_time);
  kata["monitor_pid"] = record.monitor_pid;
  put_optional(kata, "monitor_start_time", record.monitor_start_time);
  put_optional(kata, "exit_status", record.exit_status);
  put_optional(kata, "sandbox_id", record.sandbox_id);
  put_optional(kata, "monitor_socket", record.monitor_socket);
  put_optional(kata, "qmp_socket", record.qmp_socket);
  put_optional(kata, "agent_socket", record.agent_socket);
  put_optional(kata, "virtiofsd_socket", record.virtiofsd_socket);
  json timings = json::array();
  for (const BootPhase& phase : record.boot_timings) {
    timings.push_back({{"phase", phase.name}, {"ms", phase.milliseconds}});
  }
  kata["boot_timings"] = std::move(timings);
  put_optional(kata, "netns_path", record.netns_path);
  if (record.netns_id) {
    kata["netns_dev"] = record.netns_id->dev;
    kata["netns_ino"] = record.netns_id->ino;
  }
  if (!record.taps.empty()) {
    json taps = json::array();
    for (const TapLink& link : record.taps) taps.push_back({{"interface", link.host_interface}, {"tap", link.tap}});
    kata["taps"] = std::move(taps);
  }
  if (record.late_network) kata["late_network"] = true;
  if (record.late_network_carried) kata["late_network_carried"] = true;
  if (record.host_cgroup) kata["host_cgroup"] = host_cgroup_to_json(*record.host_cgroup);
  document["kata"] = std::move(kata);
  return document;
}

Result<ContainerRecord> record_from_json(std::string_view text) {
  if (text.empty()) return make_error(ErrorKind::invalid_argument, "empty file");
  // nlohmann reports syntax errors by exception; they stop here.
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& error) {
    return make_error(ErrorKind::invalid_argument, "not valid JSON: {}", error.what());
  }
  return record_from_document(document);
}

oci::State to_oci_state(const ContainerRecord& record) {
  return oci::State{
      .oci_version = record.oci_version,
      .id = record.id,
      .status = record.status,
      .pid = record.pid,
      .bundle = record.bundle,
      .rootfs = record.rootfs,
      .created = record.created,
      .owner = record.owner,
      .annotations = record.annotations,
  };
}

}  // namespace kata::runtime
