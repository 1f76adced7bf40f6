#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/container/rootfs_path.hpp"

namespace kata::agent {

TEST_CASE("resolve_in_root: symlinks cannot leave the root") {
  char pattern[] = "/tmp/kata-rootfs-path-XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  std::string root = pattern;
  REQUIRE(::mkdir((root + "/etc").c_str(), 0755) == 0);
  REQUIRE(::symlink("/etc", (root + "/abs").c_str()) == 0);
  REQUIRE(::symlink("../../../../etc", (root + "/up").c_str()) == 0);
  REQUIRE(::symlink("etc/../etc", (root + "/rel").c_str()) == 0);
  REQUIRE(::symlink("loop", (root + "/loop").c_str()) == 0);

  CHECK(resolve_in_root(root, "/abs/passwd").value() == root + "/etc/passwd");
  CHECK(resolve_in_root(root, "/up/shadow").value() == root + "/etc/shadow");
  CHECK(resolve_in_root(root, "/rel").value() == root + "/etc");
  CHECK(resolve_in_root(root, "/../../x/./y").value() == root + "/x/y");
  CHECK(resolve_in_root(root, "/").value() == root);
  auto loop = resolve_in_root(root, "/loop/x");
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.error().errno_value == ELOOP);

  REQUIRE(make_directories(root + "/a/b/c").ok());
  struct stat st {};
  CHECK(::stat((root + "/a/b/c").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  std::filesystem::remove_all(root);
}

}  // namespace kata::agent
