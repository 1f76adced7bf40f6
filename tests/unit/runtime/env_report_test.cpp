#include "runtime/env_report.hpp"

#include <doctest/doctest.h>

#include <string>
#include <toml++/toml.h>

using namespace kata::runtime;

namespace {

EnvInputs inputs() {
  return EnvInputs{.version = "0.1.0", .commit = "abc123", .oci_version = "1.1.0", .runtime_path = "/usr/bin/kata"};
}

Configuration sample_config() {
  Configuration config;
  config.path = "/etc/kata-containers/configuration.toml";
  config.hypervisor.machine_type = MachineType::microvm;
  config.hypervisor.default_memory = 768;
  config.hypervisor.kernel_params = "quiet";
  config.hypervisor.accel = Accel::tcg;
  config.hypervisor.enable_debug = true;
  config.agent.dial_timeout = 12;
  config.ignored_keys = {"factory.enable_template"};
  return config;
}

}  // namespace

TEST_CASE("the env document carries the configuration and the versions") {
  auto document = build_env_document(sample_config(), inputs());
  CHECK(document["Meta"]["Version"] == env_format_version);
  CHECK(document["Runtime"]["Version"]["Semver"] == "0.1.0");
  CHECK(document["Runtime"]["Version"]["OCI"] == "1.1.0");
  CHECK(document["Runtime"]["Config"]["Path"] == "/etc/kata-containers/configuration.toml");
  CHECK(document["Runtime"]["Config"]["IgnoredKeys"][0] == "factory.enable_template");
  CHECK(document["Hypervisor"]["MachineType"] == "microvm");
  CHECK(document["Hypervisor"]["Accel"] == "tcg");
  CHECK(document["Hypervisor"]["DefaultMemory"] == 768);
  CHECK(document["Hypervisor"]["Debug"] == true);
  CHECK(document["Kernel"]["Parameters"] == "quiet");
  CHECK(document["Initrd"]["Path"] == sample_config().hypervisor.initrd);
  CHECK(document["Agent"]["DialTimeout"] == 12);
  CHECK_FALSE(document.contains("Host"));

  auto defaults = build_env_document(Configuration{}, inputs());
  CHECK(defaults["Runtime"]["Config"]["Path"] == "built-in defaults");

  EnvInputs with_host = inputs();
  with_host.host = {{"Architecture", "x86_64"}, {"VMContainerCapable", true}};
  CHECK(build_env_document(Configuration{}, with_host)["Host"]["Architecture"] == "x86_64");
}

TEST_CASE("the TOML rendering parses back to the same values") {
  EnvInputs with_host = inputs();
  with_host.host = {{"Kernel", "6.1.0"}, {"Unknown", nullptr}};
  auto document = build_env_document(sample_config(), with_host);
  std::string text = render_env_toml(document);
  CHECK(text.find("[Hypervisor]") != std::string::npos);
  CHECK(text.find("[Runtime.Config]") != std::string::npos);

  toml::table parsed = toml::parse(text);
  CHECK(parsed["Meta"]["Version"].value<std::string>() == std::string(env_format_version));
  CHECK(parsed["Runtime"]["Config"]["Path"].value<std::string>() == "/etc/kata-containers/configuration.toml");
  CHECK(parsed["Runtime"]["Debug"].value<bool>() == false);
  CHECK(parsed["Hypervisor"]["MachineType"].value<std::string>() == "microvm");
  CHECK(parsed["Hypervisor"]["DefaultMemory"].value<std::int64_t>() == 768);
  CHECK(parsed["Hypervisor"]["VirtioFSDaemon"].value<std::string>() == "/usr/lib/qemu/virtiofsd");
  CHECK(parsed["Kernel"]["Parameters"].value<std::string>() == "quiet");
  CHECK(parsed["Agent"]["DialTimeout"].value<std::int64_t>() == 12);
  CHECK(parsed["Runtime"]["Config"]["IgnoredKeys"][0].value<std::string>() == "factory.enable_template");
  CHECK(parsed["Host"]["Kernel"].value<std::string>() == "6.1.0");
  CHECK_FALSE(parsed["Host"]["Unknown"]);  // null is left out
}

TEST_CASE("the JSON rendering is the same document") {
  auto document = build_env_document(sample_config(), inputs());
  std::string text = render_env_json(document);
  CHECK(text.back() == '\n');
  auto parsed = nlohmann::ordered_json::parse(text);
  CHECK(parsed == document);
  CHECK(parsed["Hypervisor"]["SharedFS"] == "virtio-fs");
  // Sections keep their order: Meta first, as `kata env --json` readers expect.
  CHECK(parsed.begin().key() == "Meta");
}
