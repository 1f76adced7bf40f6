#include "cmd/update_resources.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <string>

namespace kata::cmd {

using nlohmann::json;

Result<std::int64_t> parse_memory_size(std::string_view text) {
  if (text == "-1") return std::int64_t{-1};
  auto bad = [&] {
    return make_error(ErrorKind::invalid_argument,
                      "invalid memory size \"{}\": expected bytes or a number with a unit (512m, 1g), or -1", text);
  };
  std::size_t at = 0;
  while (at < text.size() && (std::isdigit(static_cast<unsigned char>(text[at])) || text[at] == '.')) ++at;
  std::string number(text.substr(0, at));
  if (number.empty() || !std::isdigit(static_cast<unsigned char>(number.front())) ||
      !std::isdigit(static_cast<unsigned char>(number.back())) || number.find('.') != number.rfind('.'))
    return bad();
  std::string_view unit = text.substr(at);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double multiplier = 1;
  if (!unit.empty()) {
    static constexpr std::string_view letters = "kmgtp";
    auto power = letters.find(static_cast<char>(std::tolower(static_cast<unsigned char>(unit.front()))));
    if (power != std::string_view::npos) {
      multiplier = std::pow(1024.0, static_cast<double>(power + 1));
      unit.remove_prefix(1);
      if (!unit.empty() && (unit.front() == 'i' || unit.front() == 'I')) unit.remove_prefix(1);
    }
    if (!unit.empty() && (unit.front() == 'b' || unit.front() == 'B')) unit.remove_prefix(1);
    if (!unit.empty()) return bad();
  }
  double bytes = std::stod(number) * multiplier;
  if (bytes >= static_cast<double>(std::numeric_limits<std::int64_t>::max()))
    return make_error(ErrorKind::invalid_argument, "memory size \"{}\" is too large", text);
  return static_cast<std::int64_t>(bytes);
}

Result<json> resources_from_flags(const UpdateOptions& options) {
  if (options.l3_cache_schema || options.mem_bw_schema)
    return make_error(ErrorKind::unsupported,
                      "--l3-cache-schema and --mem-bw-schema are not supported: Intel RDT is not available inside "
                      "the container's VM");
  json resources = json::object();
  auto memory_flag = [&](const std::optional<std::string>& value, const char* key, const char* flag) -> Result<void> {
    if (!value) return ok();
    auto bytes = parse_memory_size(*value);
    if (!bytes) return std::move(bytes).error().wrap(flag);
    resources["memory"][key] = *bytes;
    return ok();
  };
  KATA_TRY(memory_flag(options.memory, "limit", "--memory"));
  KATA_TRY(memory_flag(options.memory_reservation, "reservation", "--memory-reservation"));
  KATA_TRY(memory_flag(options.memory_swap, "swap", "--memory-swap"));
  if (options.cpu_share) resources["cpu"]["shares"] = *options.cpu_share;
  if (options.cpu_quota) resources["cpu"]["quota"] = *options.cpu_quota;
  if (options.cpu_period) resources["cpu"]["period"] = *options.cpu_period;
  if (options.cpu_rt_runtime) resources["cpu"]["realtimeRuntime"] = *options.cpu_rt_runtime;
  if (options.cpu_rt_period) resources["cpu"]["realtimePeriod"] = *options.cpu_rt_period;
  if (options.cpuset_cpus) resources["cpu"]["cpus"] = *options.cpuset_cpus;
  if (options.cpuset_mems) resources["cpu"]["mems"] = *options.cpuset_mems;
  if (options.pids_limit) resources["pids"]["limit"] = *options.pids_limit;
  if (options.blkio_weight) resources["blockIO"]["weight"] = *options.blkio_weight;
  return resources;
}

Result<json> parse_resources_document(std::string_view text, std::string_view source) {
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded())
    return make_error(ErrorKind::invalid_argument, "--resources {}: not valid JSON", source);
  if (!document.is_object())
    return make_error(ErrorKind::invalid_argument, "--resources {}: expected a JSON object (linux.resources)", source);
  return document;
}

}  // namespace kata::cmd
