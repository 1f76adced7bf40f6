// Namespace paths: each must be a namespace of its entry's type; other kata
// containers' are refused outside a pod, matched by the namespace's identity
// against live containers' pid-file processes.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

#include "oci/spec.hpp"
#include "runtime/namespace_sharing.hpp"
#include "runtime/proc_stat.hpp"

using namespace kata;
using namespace kata::runtime;
namespace fs = std::filesystem;

namespace {

// A state root in a temp dir holding one container record for `pid`.
struct Store {
  fs::path dir;
  std::optional<StateStore> store;

  explicit Store(pid_t pid, std::optional<network::NamespaceId> netns = std::nullopt) {
    std::string pattern = (fs::temp_directory_path() / "kata-sharing-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    auto opened = StateStore::open((dir / "root").string());
    REQUIRE(opened.ok());
    store.emplace(std::move(opened).value());
    auto lock = store->reserve("other");
    REQUIRE(lock.ok());
    ContainerRecord record;
    record.oci_version = "1.0.2";
    record.id = "other";
    record.status = oci::Status::running;
    record.pid = pid;
    record.pid_start_time = process_start_time(pid);
    record.bundle = dir.string();
    record.netns_id = netns;
    REQUIRE(store->save(*lock, record).ok());
  }
  ~Store() { fs::remove_all(dir); }
};

oci::Spec spec_naming(const std::string& namespaces) {
  auto spec = oci::parse_spec(R"({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
                              R"("root":{"path":"rootfs"},"linux":{"namespaces":)" +
                              namespaces + "}}");
  REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
  return *spec;
}

// A pid that existed and has been reaped: no live process has it now.
pid_t dead_pid() {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  return pid;
}

}  // namespace

TEST_CASE("another kata container's PID or IPC namespace is refused, naming it; its UTS is let through") {
  Store live(::getpid());  // this process stands for the other container's pid-file process
  std::string self = "/proc/" + std::to_string(::getpid()) + "/ns/";
  for (std::string type : {"pid", "ipc"}) {
    CAPTURE(type);
    // Any path to the namespace matches, not only the one the record names.
    auto refused = refuse_other_containers_namespaces(
        *live.store, spec_naming(R"([{"type":"mount"},{"type":")" + type + R"(","path":"/proc/self/ns/)" + type + "\"}]"));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::unsupported);
    CHECK(refused.error().message ==
          "linux.namespaces[1].path /proc/self/ns/" + type + ": the " + type +
              " namespace is kata container other's, which runs in a VM of its own; only a member of its pod can "
              "share it");
  }
  CHECK(refuse_other_containers_namespaces(*live.store, spec_naming(R"([{"type":"uts","path":")" + self + "uts\"}]"))
            .ok());
  CHECK(refuse_other_containers_namespaces(*live.store, spec_naming(R"([{"type":"pid"},{"type":"ipc"}])")).ok());

  auto missing = refuse_other_containers_namespaces(
      *live.store, spec_naming(R"([{"type":"ipc","path":"/nonexistent/ns/ipc"}])"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("linux.namespaces[0]") == 0);
  CHECK(missing.error().message.find("/nonexistent/ns/ipc") != std::string::npos);
}

TEST_CASE("a stopped container's namespaces are nobody's: naming them is not refused") {
  Store stopped(dead_pid());
  CHECK(refuse_other_containers_namespaces(*stopped.store, spec_naming(R"([{"type":"pid","path":"/proc/self/ns/pid"}])"))
            .ok());
}

TEST_CASE("a live kata container's network namespace is refused; another one is not") {
  network::NamespaceId theirs{7, 42};
  Store live(::getpid(), theirs);
  auto refused = refuse_shared_netns(*live.store, theirs);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::unsupported);
  CHECK(refused.error().message.find("kata container other's") != std::string::npos);
  CHECK(refuse_shared_netns(*live.store, network::NamespaceId{7, 43}).ok());
  Store stopped(dead_pid(), theirs);
  CHECK(refuse_shared_netns(*stopped.store, theirs).ok());
}

TEST_CASE("a shared UTS namespace's name: the host's without an entry, the named one's with a path") {
  utsname host{};
  REQUIRE(::uname(&host) == 0);
  auto host_uts = shared_uts_hostname(spec_naming(R"([{"type":"mount"}])"));
  REQUIRE(host_uts.ok());
  CHECK(*host_uts == host.nodename);
  // A new namespace, or a hostname of the spec's own: nothing is shared.
  CHECK(shared_uts_hostname(spec_naming(R"([{"type":"uts"}])")).value() == "");
  auto named = oci::parse_spec(R"({"ociVersion":"1.0.2","hostname":"web","process":{"user":{"uid":0,"gid":0},)"
                               R"("args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},)"
                               R"("linux":{"namespaces":[{"type":"uts","path":"/proc/self/ns/uts"}]}})");
  REQUIRE(named.ok());
  CHECK(shared_uts_hostname(*named).value() == "");

  auto missing = shared_uts_hostname(spec_naming(R"([{"type":"uts","path":"/nonexistent/ns/uts"}])"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("/nonexistent/ns/uts") != std::string::npos);
  // A path to something else than a UTS namespace.
  auto wrong = shared_uts_hostname(spec_naming(R"([{"type":"uts","path":"/proc/self/ns/ipc"}])"));
  CHECK_FALSE(wrong.ok());

  if (::geteuid() != 0) return;  // another UTS namespace takes root
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t other = ::fork();
  REQUIRE(other >= 0);
  if (other == 0) {
    const char name[] = "kata-uts-test";
    bool made = ::unshare(CLONE_NEWUTS) == 0 && ::sethostname(name, sizeof name - 1) == 0;
    (void)::write(ready[1], made ? "1" : "0", 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char made = '0';
  REQUIRE(::read(ready[0], &made, 1) == 1);
  ::close(ready[0]);
  auto theirs = shared_uts_hostname(
      spec_naming(R"([{"type":"uts","path":"/proc/)" + std::to_string(other) + R"(/ns/uts"}])"));
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
  REQUIRE(made == '1');
  REQUIRE(theirs.ok());
  CHECK(*theirs == "kata-uts-test");
}

TEST_CASE("every namespace path must be a namespace of its entry's type") {
  // The proc file of each type is this process's namespace of that type.
  for (auto [type, file] : {std::pair{"pid", "pid"}, {"network", "net"}, {"mount", "mnt"}, {"ipc", "ipc"},
                            {"uts", "uts"}, {"user", "user"}, {"cgroup", "cgroup"}}) {
    CAPTURE(type);
    CHECK(check_namespace_paths(spec_naming(std::string(R"([{"type":")") + type + R"(","path":"/proc/self/ns/)" +
                                            file + "\"}]"))
              .ok());
  }
  CHECK(check_namespace_paths(spec_naming(R"([{"type":"mount"},{"type":"cgroup"}])")).ok());

  auto wrong = check_namespace_paths(spec_naming(R"([{"type":"pid"},{"type":"mount","path":"/proc/self/ns/net"}])"));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().kind == ErrorKind::invalid_argument);
  CHECK(wrong.error().message == "linux.namespaces[1].path /proc/self/ns/net: a namespace of type network, not mount");

  auto not_namespace = check_namespace_paths(spec_naming(R"([{"type":"ipc","path":"/proc/self/status"}])"));
  REQUIRE_FALSE(not_namespace.ok());
  CHECK(not_namespace.error().message == "linux.namespaces[0].path /proc/self/status: not a namespace");

  auto missing = check_namespace_paths(spec_naming(R"([{"type":"cgroup","path":"/nonexistent/ns/cgroup"}])"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("linux.namespaces[0].path /nonexistent/ns/cgroup") == 0);
}
