// Which network namespace paths kata accepts as a container's: never its
// own (the host's network), whatever path names it, and nothing that is not
// a network namespace. Runs unprivileged: opening one's own namespace files
// needs no rights.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/fs.hpp"
#include "runtime/network/netns.hpp"

using namespace kata;
using namespace kata::runtime::network;

TEST_CASE("kata's own network namespace is the host's network, by identity not by path text") {
  for (std::string path : {std::string("/proc/self/ns/net"), std::string("/proc/thread-self/ns/net"),
                           "/proc/" + std::to_string(::getpid()) + "/ns/net", std::string("/proc/self/../self/ns/net")}) {
    CAPTURE(path);
    auto opened = open_container_netns(path);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().kind == ErrorKind::unsupported);
    CHECK(opened.error().message ==
          "network namespace " + path + ": kata cannot share the host network namespace with a VM");
  }
}

TEST_CASE("the parent's namespace, when it is kata's, is refused too") {
  // The engine (here: whoever started the test) in the same namespace.
  auto path = "/proc/" + std::to_string(::getppid()) + "/ns/net";
  auto opened = open_container_netns(path);
  REQUIRE_FALSE(opened.ok());
  // Unreadable (another user's process) is a system error, never acceptance.
  CHECK((opened.error().kind == ErrorKind::unsupported || opened.error().kind == ErrorKind::system));
}

TEST_CASE("a path that is not a network namespace is refused with its name") {
  std::string dir = (std::filesystem::temp_directory_path() / "kata-netns-test-XXXXXX").string();
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  std::string file = dir + "/netns";
  REQUIRE(write_file_atomic(file, "not a namespace", 0600).ok());
  for (const std::string& path : {file, dir, std::string("/proc/self/ns/ipc")}) {
    CAPTURE(path);
    auto opened = open_container_netns(path);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().kind == ErrorKind::invalid_argument);
    CHECK(opened.error().message == path + ": not a network namespace");
  }
  auto missing = open_container_netns(dir + "/none");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().message.find(dir + "/none") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a namespace's identity is the same through every path that names it") {
  auto self = open_netns("/proc/self/ns/net");
  auto by_pid = open_netns("/proc/" + std::to_string(::getpid()) + "/ns/net");
  REQUIRE(self.ok());
  REQUIRE(by_pid.ok());
  REQUIRE(*self);
  REQUIRE(*by_pid);
  auto a = namespace_id((*self)->get(), "self");
  auto b = namespace_id((*by_pid)->get(), "by pid");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  auto ipc = open_netns("/proc/self/ns/ipc");
  REQUIRE(ipc.ok());
  CHECK_FALSE(*namespace_id((*ipc)->get(), "ipc") == *a);
}
