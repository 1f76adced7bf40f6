#include "agent/modules.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using kata::agent::parse_load_order;

TEST_CASE("load order keeps the file's order and skips blanks and comments") {
  auto names = parse_load_order("# built by guest/build_image.sh\nvirtio_ring.ko\n\nvirtio.ko\r\nvirtiofs.ko");
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"virtio_ring.ko", "virtio.ko", "virtiofs.ko"});
}

TEST_CASE("load order rejects paths and non-module names") {
  for (std::string text : {"../evil.ko\n", "virtio.ko.xz\n", "kernel/fs/fuse.ko\n", ".ko\n"}) {
    CAPTURE(text);
    auto names = parse_load_order(text);
    REQUIRE_FALSE(names);
    CHECK(names.error().kind == kata::ErrorKind::invalid_argument);
  }
}

TEST_CASE("an empty load order lists no modules") {
  auto names = parse_load_order("");
  REQUIRE(names);
  CHECK(names->empty());
}

namespace {

// A scratch directory removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("kata-modules-test-" + std::to_string(::getpid()));
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("an image without a load order loads nothing: the drivers are built in") {
  ScratchDir dir;
  auto load = kata::agent::load_modules(dir.path.string(), "/proc/self/status");
  REQUIRE(load);
  CHECK(load->built_in);
  CHECK(load->loaded == 0);
}

TEST_CASE("a kernel without module support loads nothing, even with a load order") {
  ScratchDir dir;
  std::ofstream(dir.path / "load-order") << "virtio.ko\n";
  auto load = kata::agent::load_modules(dir.path.string(), (dir.path / "no-proc-modules").string());
  REQUIRE(load);
  CHECK(load->built_in);
}

TEST_CASE("a listed module that is missing is an error when the kernel loads modules") {
  ScratchDir dir;
  std::ofstream(dir.path / "load-order") << "virtio.ko\n";
  auto load = kata::agent::load_modules(dir.path.string(), "/proc/self/status");
  REQUIRE_FALSE(load);
  CHECK(load.error().kind == kata::ErrorKind::not_found);
}
