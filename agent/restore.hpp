#pragma once
// What makes a VM restored from a template its own (VM templating): every
// clone of one template wakes up with the template's memory, so the same
// CRNG state, clock and everything else the guest computed at boot. The
// host sends fresh entropy and its clock in RestoreSandbox; the agent mixes
// the entropy in (RNDADDENTROPY, credited) and reseeds the CRNG
// (RNDRESEEDCRNG) so random numbers diverge at once, then sets the clock.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kata::agent {

/// The bytes of `hex` (lowercase, even length); invalid_argument otherwise.
Result<std::string> decode_hex(std::string_view hex);

/// Adds `entropy` to the kernel's pool through `random_device` (/dev/random
/// in the guest), credited in full, and reseeds the CRNG from it.
Result<void> add_entropy(const std::string& random_device, const std::string& entropy);

/// Sets CLOCK_REALTIME to `realtime_ns`.
Result<void> set_realtime(std::int64_t realtime_ns);

}  // namespace kata::agent
