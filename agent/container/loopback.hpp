#pragma once
// Loopback in a network namespace: a new namespace starts with `lo` down,
// and runc brings it up, so containers expect 127.0.0.1 to work.

#include "common/error.hpp"

namespace kata::agent {

/// Brings `lo` of the calling thread's network namespace up (idempotent).
Result<void> bring_loopback_up();

}  // namespace kata::agent
