#pragma once
// CLI11 for kata's command files. GCC 12 at -O2 reports a false
// -Wnull-dereference inside CLI11's own string helpers once they are inlined
// into our code; the warning is silenced for CLI11's headers only.

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
