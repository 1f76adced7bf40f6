#include "runtime/check/template_check.hpp"

#include <fmt/format.h>

#include "runtime/factory.hpp"

namespace kata::runtime {

CheckResult template_check(const Configuration& config) {
  CheckResult result{.id = "factory.template"};
  const std::string fix = "run `kata factory init` (as root) to make a template for this configuration";
  auto status = template_status(config);
  if (!status) {
    result.status = CheckStatus::warn;
    result.fact = "the template cannot be read: " + status.error().message + "; create boots cold";
    result.fix = fix;
  } else if (!status->record) {
    result.status = CheckStatus::warn;
    result.fact = fmt::format("templating is enabled but {} holds no template; create boots cold", status->dir);
    result.fix = fix;
  } else if (!status->stale.empty()) {
    result.status = CheckStatus::warn;
    result.fact = fmt::format("the template in {} is stale ({}); create boots cold", status->dir, status->stale);
    result.fix = fix;
  } else {
    result.fact = fmt::format("the template in {} matches this configuration ({} MiB of memory): create clones it",
                              status->dir, status->memory_bytes >> 20);
  }
  return result;
}

}  // namespace kata::runtime
