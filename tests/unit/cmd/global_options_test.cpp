#include "cmd/global_options.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

using namespace kata::cmd;

TEST_CASE("root uses /run/kata") {
  CHECK(default_root({.euid = 0, .xdg_runtime_dir = "", .in_user_namespace = false, .user = "root"}) == "/run/kata");
  // XDG_RUNTIME_DIR alone does not move real root's state.
  CHECK(default_root({.euid = 0, .xdg_runtime_dir = "/run/user/0", .in_user_namespace = false, .user = "root"}) ==
        "/run/kata");
}

TEST_CASE("an unprivileged user uses $XDG_RUNTIME_DIR/kata when it is set") {
  CHECK(default_root({.euid = 1000, .xdg_runtime_dir = "/run/user/1000", .in_user_namespace = false, .user = "me"}) ==
        "/run/user/1000/kata");
  CHECK(default_root({.euid = 1000, .xdg_runtime_dir = "", .in_user_namespace = false, .user = "me"}) == "/run/kata");
}

TEST_CASE("root in a user namespace uses XDG unless $USER is root") {
  CHECK(default_root({.euid = 0, .xdg_runtime_dir = "/run/user/1000", .in_user_namespace = true, .user = "me"}) ==
        "/run/user/1000/kata");
  CHECK(default_root({.euid = 0, .xdg_runtime_dir = "/run/user/1000", .in_user_namespace = true, .user = "root"}) ==
        "/run/kata");
}

TEST_CASE("current_host_identity reports this process") {
  CHECK(current_host_identity().euid == ::geteuid());
}
