#pragma once
// The host's TSC frequency, which a microvm guest under TCG needs on its
// command line (tsc_early_khz=): TCG's guest TSC ticks at the host's rate,
// and microvm has no PIT, HPET or PM timer to calibrate it against.

#include <optional>
#include <string_view>

namespace kata::runtime {

/// The host TSC's frequency in kHz: from CPUID's hypervisor timing leaf
/// (0x40000010, when kata itself runs in a VM) or its TSC leaf (0x15),
/// else /proc/cpuinfo's "cpu MHz". nullopt when none says.
std::optional<unsigned long> host_tsc_khz();

/// The first "cpu MHz" of /proc/cpuinfo text, in kHz; nullopt without one.
std::optional<unsigned long> cpuinfo_khz(std::string_view cpuinfo);

}  // namespace kata::runtime
