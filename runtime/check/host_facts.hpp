#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "runtime/check/check_report.hpp"
#include "runtime/check/host_probe.hpp"

namespace kata::runtime {

/// The [Host] section of `kata env`, Kata's keys: Kernel, Architecture,
/// Distro, CPU, VMContainerCapable, SupportVSocks, plus kata's
/// Accelerator (kvm or tcg) from the check verdict.
nlohmann::ordered_json host_facts(const HostProbe& probe, const CheckReport& report);

}  // namespace kata::runtime
