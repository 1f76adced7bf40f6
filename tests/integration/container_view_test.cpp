// The container's pid seen from the host (label `vm`): engines enter the
// namespaces of the pid-file process (`podman cp` its mount namespace,
// `podman top` its /proc, `nsenter -t PID`), so they must hold the
// container's files and nothing of the host, and files must flow between
// that view and the guest. One VM.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::test_support;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string ns_link(const std::string& pid, const char* type) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + pid + "/ns/" + type, ec).string();
}

// The hostname in the UTS namespace of `pid`, read by a child that enters it.
std::string hostname_of(const std::string& pid) {
  UniqueFd uts(::open(("/proc/" + pid + "/ns/uts").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(uts);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    char name[256] = {};
    if (::setns(uts.get(), CLONE_NEWUTS) < 0 || ::gethostname(name, sizeof name - 1) < 0) ::_exit(1);
    (void)!::write(pipe_fds[1], name, std::strlen(name));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string name;
  char buffer[256];
  ssize_t got;
  while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) name.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return name;
}

}  // namespace

TEST_CASE("the pid-file process stands for the container: its files, its binds, its namespaces, nothing of the host") {
  KataSandboxes sandboxes({.name = "kata-view"});
  std::string work = sandboxes.work();
  fs::create_directories(work + "/data");
  fs::create_directories(work + "/rw");
  REQUIRE(write_file_atomic(work + "/data/f", "hostdata\n").ok());
  REQUIRE(write_file_atomic(work + "/host-only", "secret\n").ok());
  auto bundle = sandboxes.bundle("view", {"/bin/sleep", "100"}, {.edit = [&](json& config) {
    config["hostname"] = "view-test";
    config["root"]["readonly"] = false;
    config["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", work + "/data"},
                                {"options", {"rbind", "ro"}}});
    config["mounts"].push_back({{"destination", "/rw"}, {"type", "bind"}, {"source", work + "/rw"},
                                {"options", {"rbind", "rw"}}});
  }});
  std::string pid_file = work + "/view.pid";
  auto created = sandboxes.kata({"create", "-b", bundle, "--pid-file", pid_file, "view"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  std::string pid = read_or_empty(pid_file);
  REQUIRE(all_digits(pid));
  std::string root = "/proc/" + pid + "/root";

  // Its root is the container's rootfs, with the binds where the spec puts them.
  CHECK(fs::exists(root + "/bin/busybox"));
  CHECK(read_or_empty(root + "/data/f") == "hostdata\n");
  CHECK(!fs::exists(root + work + "/host-only"));
  CHECK(!fs::exists(root + sandboxes.dir_of("view")));
  {
    UniqueFd readonly(::open((root + "/data/new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    CHECK(!readonly);
    CHECK(errno == EROFS);
  }
  // Its own namespaces, not this process's (the host's).
  for (const char* type : {"mnt", "pid", "uts", "ipc", "net"}) {
    CHECK_MESSAGE(ns_link(pid, type) != ns_link("self", type), type);
  }
  CHECK(hostname_of(pid) == "view-test");
  // Its /proc lists its pid namespace, which holds it alone: no VM process
  // whose root or fds would lead back to the host.
  std::set<std::string> pids;
  for (const auto& entry : fs::directory_iterator(root + "/proc")) {
    auto name = entry.path().filename().string();
    if (all_digits(name)) pids.insert(name);
  }
  CHECK(pids == std::set<std::string>{"1"});

  // Files flow both ways between the view and the guest, at once.
  auto started = sandboxes.kata({"start", "view"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  REQUIRE(write_file_atomic(root + "/tmp/in", "from the host\n").ok());
  auto seen = sandboxes.kata({"exec", "view", "/bin/cat", "/tmp/in"});
  CHECK_MESSAGE(seen.out == "from the host\n", describe(seen));
  auto wrote = sandboxes.kata({"exec", "view", "/bin/sh", "-c", "echo from the guest > /tmp/out; echo rw > /rw/x"});
  CHECK_MESSAGE(wrote.status == 0, describe(wrote));
  CHECK(read_or_empty(root + "/tmp/out") == "from the guest\n");
  CHECK(read_or_empty(work + "/rw/x") == "rw\n");
  CHECK(!fs::exists("/tmp/in"));  // nothing landed in the host's own /tmp

  // A container named into this one's network namespace (a pod member,
  // `--network container:X`) is refused before anything is made for it.
  auto member = sandboxes.bundle("member", {"/bin/true"}, {.netns_path = "/proc/" + pid + "/ns/net"});
  auto refused = sandboxes.kata({"create", "-b", member, "member"});
  CHECK(refused.status == 1);
  CHECK_MESSAGE(refused.err.find("kata container view's") != std::string::npos, describe(refused));
  CHECK(!fs::exists(sandboxes.dir_of("member")));

  // SIGKILL of the pid-file process kills the container and ends the VM.
  auto monitor = sandboxes.record("view")["kata"]["monitor_pid"].get<long>();
  REQUIRE(::kill(std::stoi(pid), SIGKILL) == 0);
  auto stopped = sandboxes.wait_stopped("view", 30s);
  CHECK(stopped["status"] == "stopped");
  for (int i = 0; i < 100 && (::kill(static_cast<pid_t>(monitor), 0) == 0); ++i) std::this_thread::sleep_for(100ms);
  CHECK(processes_naming(sandboxes.dir_of("view") + "/", "").empty());
  auto deleted = sandboxes.kata({"delete", "view"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  sandboxes.check_gone("view");
}
