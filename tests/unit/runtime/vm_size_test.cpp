// VM sizing (runtime/vm_config.hpp): default_vcpus / default_memory, the
// annotations enable_annotations allows, and the spec's memory limit and CPU
// quota on top, capped at the maxima.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>

#include "runtime/configuration.hpp"
#include "runtime/vm_config.hpp"

using namespace kata;
using namespace kata::runtime;

namespace {

constexpr std::int64_t mib = 1024 * 1024;
const HostCapacity host{8, 16384};

oci::Spec spec_with(std::optional<std::int64_t> memory_limit, std::optional<std::int64_t> quota = std::nullopt,
                    std::optional<std::uint64_t> period = std::nullopt) {
  oci::Spec spec;
  oci::Resources resources;
  if (memory_limit) {
    resources.memory.emplace();
    resources.memory->limit = memory_limit;
  }
  if (quota || period) {
    resources.cpu.emplace();
    resources.cpu->quota = quota;
    resources.cpu->period = period;
  }
  spec.linux_config.emplace();
  spec.linux_config->resources = resources;
  return spec;
}

oci::Spec spec_annotated(std::map<std::string, std::string> annotations) {
  oci::Spec spec;
  spec.annotations = std::move(annotations);
  return spec;
}

HypervisorConfig qemu(unsigned vcpus = 1, unsigned memory = 512) {
  HypervisorConfig config;
  config.default_vcpus = vcpus;
  config.default_memory = memory;
  return config;
}

std::string size_error(const HypervisorConfig& config, const oci::Spec& spec) {
  auto size = vm_size_for(config, spec, host);
  REQUIRE_FALSE(size.ok());
  CHECK(size.error().kind == ErrorKind::invalid_argument);
  return size.error().message;
}

VmSize size_of(const HypervisorConfig& config, const oci::Spec& spec) {
  auto size = vm_size_for(config, spec, host);
  REQUIRE_MESSAGE(size.ok(), size.error().message);
  return *size;
}

}  // namespace

TEST_CASE("without resources or annotations the VM has the configured size") {
  CHECK(size_of(qemu(2, 768), oci::Spec{}) == VmSize{2, 768});
  CHECK(size_of(qemu(), spec_with(std::nullopt)) == VmSize{1, 512});
}

TEST_CASE("the memory limit adds its MiB, rounded up, to default_memory") {
  CHECK(size_of(qemu(), spec_with(256 * mib)).memory_mib == 768);
  CHECK(size_of(qemu(), spec_with(256 * mib + 1)).memory_mib == 769);
  CHECK(size_of(qemu(), spec_with(1)).memory_mib == 513);
  // -1 and 0 mean no limit: nothing is added.
  CHECK(size_of(qemu(), spec_with(-1)).memory_mib == 512);
  CHECK(size_of(qemu(), spec_with(0)).memory_mib == 512);
}

TEST_CASE("the memory limit is capped at default_maxmemory, else the host's memory; the base never shrinks") {
  auto config = qemu();
  config.default_maxmemory = 1024;
  CHECK(size_of(config, spec_with(4096 * mib)).memory_mib == 1024);
  // 0: the host's 16384 MiB; engines' "unlimited" (the largest page-aligned int64) stays bounded.
  CHECK(size_of(qemu(), spec_with(4096 * mib)).memory_mib == 4608);
  CHECK(size_of(qemu(), spec_with(INT64_MAX - 4095)).memory_mib == 16384);
  auto small_host = vm_size_for(qemu(1, 2048), spec_with(512 * mib), HostCapacity{1, 1024});
  REQUIRE(small_host.ok());
  CHECK(small_host->memory_mib == 2048);
}

TEST_CASE("the CPU quota adds ceil(quota/period) vCPUs, capped at default_maxvcpus, else the host's CPUs") {
  CHECK(size_of(qemu(), spec_with(std::nullopt, 200000, 100000)).vcpus == 3);
  CHECK(size_of(qemu(), spec_with(std::nullopt, 150000, 100000)).vcpus == 3);
  CHECK(size_of(qemu(), spec_with(std::nullopt, 50000, 100000)).vcpus == 2);
  CHECK(size_of(qemu(), spec_with(std::nullopt, -1, 100000)).vcpus == 1);
  CHECK(size_of(qemu(), spec_with(std::nullopt, 50000, std::nullopt)).vcpus == 1);  // no period: no quota
  CHECK(size_of(qemu(), spec_with(std::nullopt, 5000000, 100000)).vcpus == 8);      // the host's 8
  auto config = qemu(2);
  config.default_maxvcpus = 4;
  CHECK(size_of(config, spec_with(std::nullopt, 1000000, 100000)).vcpus == 4);
  CHECK(size_of(config, spec_with(512 * mib, 100000, 100000)) == VmSize{3, 1024});
}

TEST_CASE("hypervisor annotations count only when enable_annotations allows them") {
  auto spec = spec_annotated({{"io.katacontainers.config.hypervisor.default_memory", "1024"},
                              {"io.katacontainers.config.hypervisor.default_vcpus", "2"},
                              {"io.kubernetes.cri.container-type", "sandbox"}});
  CHECK(size_error(qemu(), spec) ==
        "annotation io.katacontainers.config.hypervisor.default_memory is not enabled: [hypervisor.qemu] "
        "enable_annotations does not allow \"default_memory\"");
  auto config = qemu();
  config.enable_annotations = {"default_memory"};
  CHECK(size_error(config, spec).find("annotation io.katacontainers.config.hypervisor.default_vcpus is not enabled") == 0);
  config.enable_annotations = {"default_memory", "default_vcpus"};
  CHECK(size_of(config, spec) == VmSize{2, 1024});
  config.enable_annotations = {"default_.*"};
  CHECK(size_of(config, spec) == VmSize{2, 1024});
  // The whole key must match: "memory" does not allow default_memory.
  config.enable_annotations = {"memory", "vcpus"};
  CHECK(size_error(config, spec).find("is not enabled") != std::string::npos);
}

TEST_CASE("annotations set the base that the spec's resources add to") {
  auto config = qemu();
  config.enable_annotations = {"default_memory"};
  auto spec = spec_with(256 * mib);
  spec.annotations = std::map<std::string, std::string>{{"io.katacontainers.config.hypervisor.default_memory", "1024"}};
  CHECK(size_of(config, spec).memory_mib == 1280);
}

TEST_CASE("malformed, out-of-range and unimplemented annotations are errors naming the annotation") {
  auto config = qemu();
  config.enable_annotations = {".*"};
  const std::string memory = "io.katacontainers.config.hypervisor.default_memory";
  const std::string vcpus = "io.katacontainers.config.hypervisor.default_vcpus";
  CHECK(size_error(config, spec_annotated({{memory, "1G"}})) ==
        "annotation " + memory + ": \"1G\" is not a number of MiB");
  CHECK(size_error(config, spec_annotated({{memory, ""}})) == "annotation " + memory + ": \"\" is not a number of MiB");
  CHECK(size_error(config, spec_annotated({{memory, "-5"}})) ==
        "annotation " + memory + ": \"-5\" is not a number of MiB");
  CHECK(size_error(config, spec_annotated({{memory, "32"}})) ==
        "annotation " + memory + ": 32 MiB is out of range [64, 16384]");
  CHECK(size_error(config, spec_annotated({{vcpus, "0"}})) == "annotation " + vcpus + ": 0 vCPUs is out of range [1, 8]");
  CHECK(size_error(config, spec_annotated({{vcpus, "9"}})) == "annotation " + vcpus + ": 9 vCPUs is out of range [1, 8]");
  CHECK(size_error(config, spec_annotated({{vcpus, "1.5"}})) == "annotation " + vcpus + ": \"1.5\" is not a number of vCPUs");
  CHECK(size_error(config, spec_annotated({{"io.katacontainers.config.hypervisor.kernel_params", "quiet"}})) ==
        "annotation io.katacontainers.config.hypervisor.kernel_params: kata implements only default_vcpus and "
        "default_memory annotations");
}

TEST_CASE("configuration_sized_for puts the size where vm_configs_for reads it") {
  Configuration config;
  config.hypervisor.default_maxvcpus = 2;
  config.hypervisor.default_maxmemory = 4096;
  auto sized = configuration_sized_for(config, spec_with(100 * mib, 300000, 100000));
  REQUIRE_MESSAGE(sized.ok(), sized.error().message);
  CHECK(sized->hypervisor.default_memory == 612);
  CHECK(sized->hypervisor.default_vcpus == 2);
  CHECK(config.hypervisor.default_memory == 512);  // the input is untouched
}

TEST_CASE("configuration: default_maxmemory and enable_annotations patterns are checked") {
  auto parsed = parse_configuration("[hypervisor.qemu]\ndefault_maxmemory = 4096\n", "/etc/k.toml");
  REQUIRE(parsed.ok());
  CHECK(parsed->hypervisor.default_maxmemory == 4096);
  CHECK(parse_configuration("", "/etc/k.toml")->hypervisor.default_maxmemory == 0);
  auto small = parse_configuration("[hypervisor.qemu]\ndefault_memory = 1024\ndefault_maxmemory = 512\n", "/etc/k.toml");
  REQUIRE_FALSE(small.ok());
  CHECK(small.error().message == "/etc/k.toml: hypervisor.qemu.default_maxmemory: 512 is less than default_memory (1024)");
  auto bad = parse_configuration("[hypervisor.qemu]\nenable_annotations = [\"default_memory\", \"(\"]\n", "/etc/k.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "/etc/k.toml: hypervisor.qemu.enable_annotations[1]: not a regular expression: (");
}
