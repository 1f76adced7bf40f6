#include "runtime/boot_timings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kata::runtime {

Result<std::vector<BootPhase>> container_boot_timings(const StateStore& store, std::string_view id) {
  auto record = KATA_TRY(store.load(id));
  if (record.boot_timings.empty())
    return make_error(ErrorKind::not_found, "container {} has no boot timings recorded", id);
  return std::move(record.boot_timings);
}

std::string boot_timings_table(const std::vector<BootPhase>& phases) {
  std::vector<std::vector<std::string>> rows = {{"PHASE", "MS", "DELTA"}};
  double previous = 0;
  for (const auto& phase : phases) {
    rows.push_back({phase.name, fmt::format("{:.1f}", phase.milliseconds),
                    fmt::format("{:.1f}", phase.milliseconds - previous)});
    previous = phase.milliseconds;
  }
  std::size_t name_width = 0;
  std::size_t number_width = 0;
  for (const auto& row : rows) {
    name_width = std::max(name_width, row[0].size());
    number_width = std::max({number_width, row[1].size(), row[2].size()});
  }
  // Names left-aligned, numbers right-aligned so their decimals line up.
  std::string text;
  for (const auto& row : rows)
    text += fmt::format("{:<{}}   {:>{}}   {:>{}}\n", row[0], name_width, row[1], number_width, row[2], number_width);
  return text;
}

nlohmann::json boot_timings_json(std::string_view id, const std::vector<BootPhase>& phases) {
  // Microseconds are the most a reader can use; more digits are float noise.
  auto rounded = [](double milliseconds) { return std::round(milliseconds * 1000) / 1000; };
  nlohmann::json list = nlohmann::json::array();
  double previous = 0;
  for (const auto& phase : phases) {
    list.push_back({{"phase", phase.name},
                    {"ms", rounded(phase.milliseconds)},
                    {"delta_ms", rounded(phase.milliseconds - previous)}});
    previous = phase.milliseconds;
  }
  return {{"id", id}, {"phases", std::move(list)}};
}

}  // namespace kata::runtime
