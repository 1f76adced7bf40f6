// create_mount_targets on a plain directory: what it creates, what it leaves
// to the init (destinations inside earlier mounts), and that image symlinks
// keep it inside the rootfs. The owner is the test's own ids, so no root is
// needed to chown.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "agent/container/mount_targets.hpp"
#include "common/fs.hpp"
#include "tests/support/temp_dir.hpp"

namespace kata::agent {
namespace {

using nlohmann::json;

oci::Spec parse(const json& document) {
  auto spec = oci::parse_spec(document.dump());
  REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
  return std::move(spec).value();
}

json spec_with(const std::string& rootfs, const json& mounts, const std::string& cwd = "/") {
  return json{{"ociVersion", "1.0.2"},
              {"root", {{"path", rootfs}}},
              {"process", {{"args", {"sh"}}, {"cwd", cwd}}},
              {"mounts", mounts}};
}

mode_t type_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & S_IFMT;
}

}  // namespace

TEST_CASE("create_mount_targets: destinations on the rootfs, not those inside earlier mounts") {
  test_support::TempDir work("kata-mount-targets");
  std::string rootfs = work.path() + "/rootfs";
  std::filesystem::create_directories(rootfs + "/etc");
  std::string file_source = work.path() + "/hostname";
  std::string dir_source = work.path() + "/data";
  REQUIRE(write_file_atomic(file_source, "box\n").ok());
  std::filesystem::create_directories(dir_source);
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"}},
      {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"}},
      {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"}},
      {{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"}},
      {{"destination", "/etc/hostname"}, {"type", "bind"}, {"source", file_source}, {"options", {"rbind"}}},
      {{"destination", "/run/.containerenv"}, {"type", "bind"}, {"source", file_source}, {"options", {"bind"}}},
      {{"destination", "/var/lib/data"}, {"source", dir_source}, {"options", {"rbind", "ro"}}},
  });
  auto spec = parse(spec_with(rootfs, mounts, "/work/here"));
  MappedRoot self{::getuid(), ::getgid()};
  auto made = create_mount_targets(spec, self);
  REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().message));

  for (const char* dir : {"/proc", "/dev", "/sys", "/run", "/var/lib/data", "/work/here"}) {
    CAPTURE(dir);
    CHECK(type_of(rootfs + dir) == S_IFDIR);
  }
  CHECK(type_of(rootfs + "/etc/hostname") == S_IFREG);
  CHECK(type_of(rootfs + "/run/.containerenv") == S_IFREG);
  // Made by the init inside the tmpfs and sysfs mounted there, not in the image.
  CHECK(type_of(rootfs + "/dev/pts") == 0);
  CHECK(type_of(rootfs + "/sys/fs") == 0);

  // A second run finds everything in place.
  CHECK(create_mount_targets(spec, self).ok());
}

TEST_CASE("create_mount_targets: an image symlink pointing out of the rootfs resolves inside it") {
  test_support::TempDir work("kata-mount-targets");
  std::string rootfs = work.path() + "/rootfs";
  std::string outside = work.path() + "/outside";
  std::filesystem::create_directories(rootfs);
  std::filesystem::create_directories(outside);
  // An absolute link, as a hostile image could ship it: /run -> <outside>.
  REQUIRE(::symlink(outside.c_str(), (rootfs + "/run").c_str()) == 0);
  json mounts = json::array({{{"destination", "/run/secrets"}, {"type", "tmpfs"}, {"source", "tmpfs"}}});
  auto made = create_mount_targets(parse(spec_with(rootfs, mounts)), std::nullopt);
  REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().message));
  CHECK(type_of(rootfs + outside + "/secrets") == S_IFDIR);
  CHECK(std::filesystem::is_empty(outside));
}

TEST_CASE("mapped_root: the host ids of container uid 0 and gid 0") {
  std::vector<oci::IdMapping> uids{{1, 200001, 10, json::object()}, {0, 100000, 1, json::object()}};
  std::vector<oci::IdMapping> gids{{0, 300000, 65536, json::object()}};
  auto root = mapped_root(uids, gids);
  REQUIRE(root);
  CHECK(root->uid == 100000);
  CHECK(root->gid == 300000);
  // Container uid 0 unmapped: the targets stay the agent's.
  std::vector<oci::IdMapping> no_zero{{1000, 100000, 10, json::object()}};
  CHECK_FALSE(mapped_root(no_zero, gids));
  CHECK_FALSE(mapped_root(uids, {}));
}

}  // namespace kata::agent
