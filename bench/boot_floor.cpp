// The cold-start floor of bench/startup.sh: boots kata's guest with the
// configured QEMU, kernel and initramfs to the agent's hello (then powers it
// off), RUNS times, printing for each run the milliseconds from spawning
// QEMU to the agent's hello, one per line. No container, no state store;
// the guest's clean power-off is not counted (kata run kills the VM instead).
//
// Usage: kata-bench-boot-floor [--config FILE] [RUNS]
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "runtime/check/boot_check.hpp"
#include "runtime/configuration.hpp"

int main(int argc, char** argv) {
  std::string config_path;
  int runs = 10;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      runs = std::atoi(arg.c_str());
    }
  }
  auto config = kata::runtime::load_configuration(kata::runtime::config_sources_from_environment(config_path));
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  for (int run = 0; run < runs; ++run) {
    char dir[] = "/tmp/kata-boot-floor.XXXXXX";
    if (::mkdtemp(dir) == nullptr) return 1;
    std::string accel;
    auto booted = kata::runtime::boot_to_agent(*config, dir, accel);
    std::filesystem::remove_all(dir);
    if (!booted) {
      std::fprintf(stderr, "boot %d failed: %s\n", run, booted.error().message.c_str());
      return 1;
    }
    std::printf("%.0f\n", *booted * 1000);
  }
  return 0;
}
