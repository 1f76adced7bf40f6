// The host TSC frequency a microvm guest under TCG is told (tsc_early_khz=):
// /proc/cpuinfo's fallback parse, and that this host yields some frequency.
#include <doctest/doctest.h>

#include "runtime/host_tsc.hpp"

using namespace kata::runtime;

TEST_CASE("cpuinfo_khz reads the first processor's cpu MHz") {
  CHECK(cpuinfo_khz("processor\t: 0\nmodel name\t: X\ncpu MHz\t\t: 2445.424\ncache size\t: 512 KB\n"
                    "processor\t: 1\ncpu MHz\t\t: 1200.000\n") == 2445424UL);
  CHECK(cpuinfo_khz("cpu MHz : 3000\n") == 3000000UL);
  CHECK_FALSE(cpuinfo_khz("processor\t: 0\nBogoMIPS\t: 50.00\n"));  // arm64 has no cpu MHz
  CHECK_FALSE(cpuinfo_khz("cpu MHz\t\t: unknown\n"));
  CHECK_FALSE(cpuinfo_khz("cpu MHz\t\t: 0.000\n"));
  CHECK_FALSE(cpuinfo_khz("cpu MHz\ncolon later: 5\n"));
}

TEST_CASE("an x86 host has a TSC frequency") {
  auto khz = host_tsc_khz();
  REQUIRE(khz);
  // Between 100 MHz and 10 GHz: a real TSC, not a unit mistake.
  CHECK(*khz > 100'000UL);
  CHECK(*khz < 10'000'000UL);
}
