#include "agent/virtio_port.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

using kata::agent::find_virtio_port;

namespace {

// A stand-in for /sys/class/virtio-ports: vportNpM/name files.
struct FakeSysfs {
  FakeSysfs() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kata-vport.XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root = pattern;
  }
  ~FakeSysfs() { std::filesystem::remove_all(root); }
  void add_port(const std::string& entry, const std::string* name) {
    std::filesystem::create_directories(root + "/" + entry);
    if (name != nullptr) std::ofstream(root + "/" + entry + "/name") << *name << "\n";
  }
  std::string root;
};

}  // namespace

TEST_CASE("the agent port is found by its name, not its number") {
  FakeSysfs sysfs;
  std::string console = "org.qemu.console.0";
  std::string agent = "agent.channel.0";
  sysfs.add_port("vport0p1", &console);
  sysfs.add_port("vport0p2", nullptr);  // name not announced yet
  sysfs.add_port("vport1p3", &agent);

  auto path = find_virtio_port(sysfs.root, "agent.channel.0");
  REQUIRE(path);
  CHECK(*path == "/dev/vport1p3");

  auto other = find_virtio_port(sysfs.root, "org.qemu.console.0");
  REQUIRE(other);
  CHECK(*other == "/dev/vport0p1");
}

TEST_CASE("a missing port or class directory is not_found") {
  FakeSysfs sysfs;
  std::string console = "org.qemu.console.0";
  sysfs.add_port("vport0p1", &console);
  auto missing = find_virtio_port(sysfs.root, "agent.channel.0");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == kata::ErrorKind::not_found);

  auto no_dir = find_virtio_port(sysfs.root + "/absent", "agent.channel.0");
  REQUIRE_FALSE(no_dir);
  CHECK(no_dir.error().kind == kata::ErrorKind::not_found);
}
