#include "runtime/configuration.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/scope_exit.hpp"

using namespace kata;
using namespace kata::runtime;
namespace fs = std::filesystem;

namespace {

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "kata-config-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

fs::path write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::string fixture(const char* name) { return std::string(KATA_FIXTURES_DIR) + "/config/" + name; }

// The error message of parsing `text` as file "/etc/k.toml".
std::string parse_error(const std::string& text) {
  auto result = parse_configuration(text, "/etc/k.toml");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::invalid_argument);
  return result.error().message;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

TEST_CASE("no file anywhere gives the built-in defaults") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  ConfigSources sources{.candidates = {(dir / "etc.toml").string(), (dir / "share.toml").string()}};
  auto found = find_configuration_file(sources);
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());

  auto config = load_configuration(sources);
  REQUIRE(config.ok());
  CHECK(config->path.empty());
  CHECK(config->hypervisor.path == "/usr/bin/qemu-system-x86_64");
  CHECK(config->hypervisor.kernel == std::string(installed_guest_kernel));
  CHECK(config->hypervisor.initrd == std::string(installed_guest_initrd));
  CHECK(std::string(installed_guest_kernel).ends_with("/share/kata-containers/vmlinuz"));
  CHECK(config->hypervisor.machine_type == MachineType::q35);
  CHECK(config->hypervisor.default_vcpus == 1);
  CHECK(config->hypervisor.default_memory == 512);
  CHECK(config->hypervisor.shared_fs == "virtio-fs");
  CHECK(config->hypervisor.virtio_fs_daemon == "/usr/lib/qemu/virtiofsd");
  CHECK(config->hypervisor.accel == Accel::automatic);
  CHECK(config->runtime.internetworking_model == InterNetworkingModel::tcfilter);
  CHECK(config->agent.dial_timeout == 45);
  CHECK(config->ignored_keys.empty());

  // The file this build installs comes last, unless the prefix is /usr and
  // it is already the second.
  std::vector<std::string> expected{"/etc/kata-containers/configuration.toml",
                                    "/usr/share/defaults/kata-containers/configuration.toml"};
  if (expected.back() != installed_config_file) expected.emplace_back(installed_config_file);
  CHECK(default_config_candidates() == expected);
}

TEST_CASE("lookup order: explicit, then env, then /etc, then /usr/share") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto explicit_file = write(dir / "explicit.toml", "[hypervisor.qemu]\ndefault_vcpus = 1\n");
  auto env_file = write(dir / "env.toml", "[hypervisor.qemu]\ndefault_vcpus = 2\n");
  auto etc_file = write(dir / "etc.toml", "[hypervisor.qemu]\ndefault_vcpus = 3\n");
  auto share_file = write(dir / "share.toml", "[hypervisor.qemu]\ndefault_vcpus = 4\n");

  ConfigSources sources{.explicit_path = explicit_file.string(),
                        .env_path = env_file.string(),
                        .candidates = {etc_file.string(), share_file.string()}};
  auto vcpus = [&] {
    auto config = load_configuration(sources);
    REQUIRE(config.ok());
    return std::make_pair(config->path, config->hypervisor.default_vcpus);
  };
  CHECK(vcpus() == std::make_pair(explicit_file.string(), 1U));
  sources.explicit_path.clear();
  CHECK(vcpus() == std::make_pair(env_file.string(), 2U));
  sources.env_path.clear();
  CHECK(vcpus() == std::make_pair(etc_file.string(), 3U));
  fs::remove(etc_file);
  CHECK(vcpus() == std::make_pair(share_file.string(), 4U));
}

TEST_CASE("the installed file is looked up last: /etc and /usr/share/defaults win over it") {
  auto candidates = default_config_candidates();
  REQUIRE(candidates.size() >= 2);
  CHECK(candidates[0] == "/etc/kata-containers/configuration.toml");
  CHECK(candidates[1] == "/usr/share/defaults/kata-containers/configuration.toml");
  CHECK(candidates.back() == std::string(installed_config_file));
  CHECK(std::string(installed_config_file).ends_with("/share/defaults/kata-containers/configuration.toml"));

  // The same order with temp files standing in for /etc and /usr/share and
  // the real shipped file last.
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto etc = write(dir / "etc.toml", "[hypervisor.qemu]\ndefault_vcpus = 3\n");
  auto share = write(dir / "share.toml", "[hypervisor.qemu]\ndefault_vcpus = 4\n");
  // What cmake --install ships (runtime/configuration.toml.in, generated).
  const std::string shipped_path = std::string(KATA_BINARY_DIR) + "/runtime/configuration.toml";
  ConfigSources sources{.candidates = {etc.string(), share.string(), shipped_path}};

  auto from_etc = load_configuration(sources);
  REQUIRE(from_etc.ok());
  CHECK(from_etc->path == etc.string());
  CHECK(from_etc->hypervisor.default_vcpus == 3);

  fs::remove(etc);
  auto from_share = load_configuration(sources);
  REQUIRE(from_share.ok());
  CHECK(from_share->path == share.string());
  CHECK(from_share->hypervisor.default_vcpus == 4);

  fs::remove(share);
  auto from_installed = load_configuration(sources);
  REQUIRE(from_installed.ok());
  CHECK(from_installed->path == shipped_path);
  CHECK(from_installed->hypervisor == HypervisorConfig{});
  CHECK(from_installed->ignored_keys.empty());
}

TEST_CASE("a named file that does not exist is an error, a missing default is not") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto share_file = write(dir / "share.toml", "");
  std::string missing = (dir / "missing.toml").string();

  auto explicit_missing = load_configuration({.explicit_path = missing, .candidates = {share_file.string()}});
  REQUIRE_FALSE(explicit_missing.ok());
  CHECK(explicit_missing.error().kind == ErrorKind::not_found);
  CHECK(explicit_missing.error().message.find(missing) != std::string::npos);

  auto env_missing = load_configuration({.env_path = missing, .candidates = {share_file.string()}});
  REQUIRE_FALSE(env_missing.ok());
  CHECK(env_missing.error().message.find("KATA_CONF_FILE") != std::string::npos);
  CHECK(env_missing.error().message.find(missing) != std::string::npos);

  auto skipped = load_configuration({.candidates = {missing, share_file.string()}});
  REQUIRE(skipped.ok());
  CHECK(skipped->path == share_file.string());
}

TEST_CASE("config_sources_from_environment reads KATA_CONF_FILE") {
  const char* saved = std::getenv("KATA_CONF_FILE");
  std::string saved_value = saved != nullptr ? saved : "";
  ScopeExit restore([&] {
    if (saved != nullptr) {
      ::setenv("KATA_CONF_FILE", saved_value.c_str(), 1);
    } else {
      ::unsetenv("KATA_CONF_FILE");
    }
  });
  ::setenv("KATA_CONF_FILE", "/tmp/from-env.toml", 1);
  auto sources = config_sources_from_environment("/tmp/explicit.toml");
  CHECK(sources.explicit_path == "/tmp/explicit.toml");
  CHECK(sources.env_path == "/tmp/from-env.toml");
  CHECK(sources.candidates == default_config_candidates());
  ::unsetenv("KATA_CONF_FILE");
  CHECK(config_sources_from_environment("").env_path.empty());
}

TEST_CASE("every implemented key is parsed") {
  auto config = load_configuration_file(fixture("every-key.toml"));
  REQUIRE_MESSAGE(config.ok(), (config.ok() ? "" : config.error().message));
  const HypervisorConfig& qemu = config->hypervisor;
  CHECK(qemu.path == "/opt/qemu/bin/qemu-system-x86_64");
  CHECK(qemu.kernel == "/opt/kata/vmlinuz");
  CHECK(qemu.initrd == "/opt/kata/initramfs.img");
  CHECK(qemu.machine_type == MachineType::microvm);
  CHECK(qemu.kernel_params == "cryptomgr.notests quiet");
  CHECK(qemu.firmware == "/usr/share/qemu/qboot.rom");
  CHECK(qemu.default_vcpus == 2);
  CHECK(qemu.default_maxvcpus == 4);
  CHECK(qemu.default_memory == 1024);
  CHECK(qemu.memory_slots == 4);
  CHECK(qemu.shared_fs == "virtio-fs");
  CHECK(qemu.virtio_fs_daemon == "/opt/qemu/libexec/virtiofsd");
  CHECK(qemu.virtio_fs_cache == VirtioFsCache::never);
  CHECK(qemu.virtio_fs_extra_args == std::vector<std::string>{"-o", "xattr"});
  CHECK(qemu.enable_debug);
  CHECK(qemu.enable_annotations == std::vector<std::string>{"kernel_params", "default_memory"});
  CHECK(qemu.accel == Accel::tcg);
  CHECK(qemu.tcg_tb_size == 64);
  CHECK(config->agent.enable_debug);
  CHECK(config->agent.dial_timeout == 90);
  CHECK(config->runtime.enable_debug);
  CHECK(config->runtime.internetworking_model == InterNetworkingModel::none);
  CHECK(config->runtime.disable_new_netns);
  CHECK(config->runtime.sandbox_cgroup_only);
  CHECK(config->runtime.experimental == std::vector<std::string>{"newstore"});
  CHECK(config->factory.enable_template);
  CHECK(config->factory.template_path == "/var/run/kata-tmpl");
  CHECK(config->ignored_keys.empty());
  CHECK(config->path == fixture("every-key.toml"));
}

TEST_CASE("a real Kata configuration-qemu.toml loads, unknown keys recorded") {
  auto config = load_configuration_file(fixture("kata-configuration-qemu.toml"));
  REQUIRE_MESSAGE(config.ok(), (config.ok() ? "" : config.error().message));
  CHECK(config->hypervisor.kernel == "/usr/share/kata-containers/vmlinux.container");
  CHECK(config->hypervisor.default_memory == 2048);
  CHECK(config->hypervisor.virtio_fs_daemon == "/usr/libexec/virtiofsd");
  CHECK(config->hypervisor.virtio_fs_extra_args.size() == 2);
  CHECK(config->hypervisor.enable_annotations.size() == 3);
  CHECK(config->hypervisor.initrd == HypervisorConfig{}.initrd);  // Kata's file uses image=
  CHECK(config->agent.dial_timeout == 45);
  CHECK(contains(config->ignored_keys, "hypervisor.qemu.image"));
  CHECK(contains(config->ignored_keys, "hypervisor.qemu.enable_iothreads"));
  CHECK(config->factory.template_path == "/run/vc/vm/template");
  CHECK_FALSE(config->factory.enable_template);
  CHECK(contains(config->ignored_keys, "factory.vm_cache_number"));
  CHECK(contains(config->ignored_keys, "agent.kata.kernel_modules"));
  CHECK(contains(config->ignored_keys, "runtime.disable_guest_seccomp"));
  CHECK_FALSE(contains(config->ignored_keys, "hypervisor.qemu.default_memory"));
  CHECK_FALSE(contains(config->ignored_keys, "runtime.enable_debug"));
}

TEST_CASE("other hypervisors' sections and unknown sections are recorded, not read") {
  auto config = parse_configuration(
      "[hypervisor.clh]\npath = 3\n[hypervisor.qemu]\ndefault_vcpus = 2\n[netmon]\n[proxy.kata]\npath = \"/x\"\n",
      "f.toml");
  REQUIRE(config.ok());
  CHECK(config->hypervisor.default_vcpus == 2);
  CHECK(config->ignored_keys == std::vector<std::string>{"hypervisor.clh.path", "netmon", "proxy.kata.path"});
}

TEST_CASE("type errors name the file and the key") {
  CHECK(parse_error("[hypervisor.qemu]\ndefault_vcpus = \"2\"\n") ==
        "/etc/k.toml: hypervisor.qemu.default_vcpus: expected an integer, got string");
  CHECK(parse_error("[hypervisor.qemu]\ndefault_memory = 512.0\n") ==
        "/etc/k.toml: hypervisor.qemu.default_memory: expected an integer, got float");
  CHECK(parse_error("[hypervisor.qemu]\nenable_debug = \"yes\"\n") ==
        "/etc/k.toml: hypervisor.qemu.enable_debug: expected a boolean, got string");
  CHECK(parse_error("[hypervisor.qemu]\npath = 1\n") == "/etc/k.toml: hypervisor.qemu.path: expected a string, got integer");
  CHECK(parse_error("[hypervisor.qemu]\nvirtio_fs_extra_args = \"-o x\"\n") ==
        "/etc/k.toml: hypervisor.qemu.virtio_fs_extra_args: expected an array of strings, got string");
  CHECK(parse_error("[hypervisor.qemu]\nenable_annotations = [\"a\", 2]\n") ==
        "/etc/k.toml: hypervisor.qemu.enable_annotations[1]: expected a string, got integer");
  CHECK(parse_error("[agent.kata]\ndial_timeout = true\n") ==
        "/etc/k.toml: agent.kata.dial_timeout: expected an integer, got boolean");
  CHECK(parse_error("[runtime]\nsandbox_cgroup_only = 1\n") ==
        "/etc/k.toml: runtime.sandbox_cgroup_only: expected a boolean, got integer");
  CHECK(parse_error("hypervisor = 3\n") == "/etc/k.toml: hypervisor: expected a table, got integer");
  CHECK(parse_error("[hypervisor]\nqemu = \"x\"\n") == "/etc/k.toml: hypervisor.qemu: expected a table, got string");
  CHECK(parse_error("runtime = []\n") == "/etc/k.toml: runtime: expected a table, got array");
}

TEST_CASE("range and choice errors name the file and the key") {
  auto starts_with = [](const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; };
  CHECK(starts_with(parse_error("[hypervisor.qemu]\ndefault_vcpus = 0\n"),
                    "/etc/k.toml: hypervisor.qemu.default_vcpus: 0 is out of range"));
  CHECK(starts_with(parse_error("[hypervisor.qemu]\ndefault_memory = 32\n"),
                    "/etc/k.toml: hypervisor.qemu.default_memory: 32 is out of range [64,"));
  CHECK(starts_with(parse_error("[hypervisor.qemu]\ndefault_memory = -5\n"),
                    "/etc/k.toml: hypervisor.qemu.default_memory: -5 is out of range"));
  CHECK(starts_with(parse_error("[hypervisor.qemu]\ndefault_vcpus = 4\ndefault_maxvcpus = 2\n"),
                    "/etc/k.toml: hypervisor.qemu.default_maxvcpus: 2 is less than default_vcpus"));
  CHECK(parse_error("[hypervisor.qemu]\nmachine_type = \"pc\"\n") ==
        "/etc/k.toml: hypervisor.qemu.machine_type: unknown value \"pc\" (expected one of: q35, microvm)");
  CHECK(starts_with(parse_error("[hypervisor.qemu]\naccel = \"hvf\"\n"),
                    "/etc/k.toml: hypervisor.qemu.accel: unknown value \"hvf\""));
  CHECK(starts_with(parse_error("[hypervisor.qemu]\nshared_fs = \"virtio-9p\"\n"),
                    "/etc/k.toml: hypervisor.qemu.shared_fs: unknown value \"virtio-9p\""));
  CHECK(starts_with(parse_error("[hypervisor.qemu]\nvirtio_fs_cache = \"metadata\"\n"),
                    "/etc/k.toml: hypervisor.qemu.virtio_fs_cache: unknown value"));
  CHECK(starts_with(parse_error("[runtime]\ninternetworking_model = \"macvtap\"\n"),
                    "/etc/k.toml: runtime.internetworking_model: unknown value \"macvtap\""));
  CHECK(starts_with(parse_error("[agent.kata]\ndial_timeout = 0\n"),
                    "/etc/k.toml: agent.kata.dial_timeout: 0 is out of range"));
  CHECK(parse_error("[hypervisor.qemu]\nkernel = \"vmlinuz\"\n") ==
        "/etc/k.toml: hypervisor.qemu.kernel: \"vmlinuz\" is not an absolute path");
  CHECK(parse_error("[hypervisor.qemu]\ninitrd = \"\"\n") ==
        "/etc/k.toml: hypervisor.qemu.initrd: \"\" is not an absolute path");
  CHECK(parse_error("[hypervisor.qemu]\nfirmware = \"qboot.rom\"\n") ==
        "/etc/k.toml: hypervisor.qemu.firmware: \"qboot.rom\" is not an absolute path");
}

TEST_CASE("TOML syntax errors give file:line:column") {
  std::string message = parse_error("[runtime]\nenable_debug = true\n\n[hypervisor.qemu\npath = \"/x\"\n");
  CHECK(message.rfind("/etc/k.toml:4:", 0) == 0);
  std::string duplicate = parse_error("[runtime]\nenable_debug = true\nenable_debug = false\n");
  CHECK(duplicate.rfind("/etc/k.toml:3:", 0) == 0);
}

TEST_CASE("load_configuration_file names the path on read errors") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto missing = load_configuration_file((dir / "nope.toml").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message.find((dir / "nope.toml").string()) != std::string::npos);

  auto bad = write(dir / "bad.toml", "[hypervisor.qemu]\ndefault_vcpus = \"many\"\n");
  auto result = load_configuration_file(bad.string());
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message == bad.string() + ": hypervisor.qemu.default_vcpus: expected an integer, got string");
}

TEST_CASE("naming an installed kernel picks the initramfs built for it") {
  fs::path dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  write(dir / "vmlinuz-debian", "kernel");
  write(dir / "kata-initramfs-debian.img", "cpio");
  auto config = parse_configuration("[hypervisor.qemu]\nkernel = \"" + (dir / "vmlinuz-debian").string() + "\"\n",
                                    "/etc/k.toml");
  REQUIRE(config.ok());
  CHECK(config->hypervisor.initrd == (dir / "kata-initramfs-debian.img").string());

  SUBCASE("an initrd set in the file wins") {
    auto explicit_initrd = parse_configuration("[hypervisor.qemu]\nkernel = \"" + (dir / "vmlinuz-debian").string() +
                                                   "\"\ninitrd = \"/opt/kata/other.img\"\n",
                                               "/etc/k.toml");
    REQUIRE(explicit_initrd.ok());
    CHECK(explicit_initrd->hypervisor.initrd == "/opt/kata/other.img");
  }
  SUBCASE("no such initramfs: the default stays") {
    auto other = parse_configuration("[hypervisor.qemu]\nkernel = \"" + (dir / "vmlinuz-6.1").string() + "\"\n",
                                     "/etc/k.toml");
    REQUIRE(other.ok());
    CHECK(other->hypervisor.initrd == installed_guest_initrd);
  }
}
