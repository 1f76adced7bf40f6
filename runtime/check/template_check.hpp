#pragma once

#include "runtime/check/check_report.hpp"
#include "runtime/configuration.hpp"

namespace kata::runtime {

/// `kata check` with [factory] enable_template: "factory.template" passes
/// when the template under template_path matches this configuration's
/// boots, and warns when there is none or it is stale (create then boots
/// cold), naming why and that `kata factory init` makes a fresh one.
CheckResult template_check(const Configuration& config);

}  // namespace kata::runtime
