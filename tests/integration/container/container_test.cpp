// Runs agent/container on the host as root: each test builds a busybox
// rootfs in a temp dir, creates a container from a parsed config.json, starts
// it and reads its output through a pipe. Every mount happens in the
// container's own mount namespace; each test checks that nothing of its temp
// dir is mounted on the host afterwards.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>

#include "agent/container/container.hpp"
#include "common/fs.hpp"
#include "common/unique_fd.hpp"
#include "oci/spec.hpp"
#include "tests/integration/container/busybox_rootfs.hpp"
#include "tests/support/busybox_rootfs.hpp"

namespace kata::agent {
namespace {

using nlohmann::json;

const std::vector<std::string> kApplets = {"sh", "echo", "cat", "id", "hostname", "sleep", "ls",
                                           "mkdir", "grep", "touch", "pwd", "true", "tty", "test"};

// A runc-like default spec for `rootfs` running `args`.
json base_spec(const std::string& rootfs, const std::vector<std::string>& args) {
  return json{
      {"ociVersion", "1.0.2"},
      {"root", {{"path", rootfs}}},
      {"hostname", "kata-test"},
      {"process",
       {{"args", args},
        {"cwd", "/"},
        {"env", {"PATH=/bin"}},
        {"user", {{"uid", 0}, {"gid", 0}}}}},
      {"mounts",
       json::array({
           {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
           {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
            {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
           {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
            {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
           {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
            {"options", {"nosuid", "noexec", "nodev"}}},
           {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
            {"options", {"nosuid", "noexec", "nodev", "ro"}}},
           {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid"}}},
       })},
      {"linux",
       {{"namespaces", json::array({{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "uts"}},
                                    {{"type", "ipc"}}, {{"type", "network"}}})}}},
  };
}

oci::Spec parse(const json& document) {
  auto spec = oci::parse_spec(document.dump());
  REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
  return std::move(spec).value();
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

bool host_mounts_under(const std::string& dir) {
  auto mounts = read_file("/proc/self/mountinfo", 16 << 20);
  REQUIRE(mounts.ok());
  return mounts->find(dir) != std::string::npos;
}

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Creates, starts and waits for the container; fails the test if create fails.
RunResult run(const std::string& id, const oci::Spec& spec) {
  auto out = make_pipe();
  ProcessStdio stdio{-1, out.write.get(), out.write.get()};
  auto init = create_container_init(id, spec, stdio, false);
  REQUIRE_MESSAGE(init.ok(), (init.ok() ? "" : init.error().message));
  out.write.reset();
  REQUIRE(::write(init->start_barrier.get(), "s", 1) == 1);
  init->start_barrier.reset();
  RunResult result;
  result.output = read_all(out.read.get());
  result.exit_code = wait_exit_code(init->pid);
  return result;
}

// One test's rootfs plus the end-of-test check that nothing stayed mounted.
struct Fixture {
  test::BusyboxRootfs box;
  ~Fixture() { CHECK_FALSE(host_mounts_under(box.dir())); }
};

Fixture make_fixture() {
  auto box = test::BusyboxRootfs::create(kApplets);
  REQUIRE_MESSAGE(box.ok(), (box.ok() ? "" : box.error().message));
  return Fixture{std::move(box).value()};
}

std::string hex_mask(std::initializer_list<int> caps) {
  std::uint64_t mask = 0;
  for (int cap : caps) mask |= std::uint64_t{1} << cap;
  return fmt::format("{:016x}", mask);
}

bool is_root() { return ::geteuid() == 0; }

// Creates `spec`'s init and lets it start; the guard kills and reaps it.
struct RunningInit {
  pid_t pid = -1;
  ~RunningInit() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

void start_init(const std::string& id, const oci::Spec& spec, RunningInit& running) {
  auto init = create_container_init(id, spec, ProcessStdio{}, false);
  REQUIRE_MESSAGE(init.ok(), (init.ok() ? "" : init.error().message));
  running.pid = init->pid;
  REQUIRE(::write(init->start_barrier.get(), "s", 1) == 1);
}

}  // namespace

TEST_CASE("container init: hostname, user, groups, cwd, env and exit code" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto document = base_spec(fixture.box.rootfs(), {"sh", "-c", "hostname; id; pwd; echo \"$FOO\"; exit 7"});
  document["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 20}}};
  document["process"]["cwd"] = "/tmp/work";
  document["process"]["env"] = {"PATH=/bin", "FOO=bar baz"};
  auto result = run("basic", parse(document));
  CHECK(result.exit_code == 7);
  CHECK(result.output == "kata-test\nuid=1000 gid=1001 groups=10,20\n/tmp/work\nbar baz\n");
}

TEST_CASE("container init: capability sets and ambient caps for a non-root user" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto document = base_spec(fixture.box.rootfs(), {"grep", "^Cap", "/proc/self/status"});
  document["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  json two = {"CAP_CHOWN", "CAP_KILL"};
  document["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
                                         {"effective", two}, {"permitted", two},
                                         {"inheritable", two}, {"ambient", two}};
  auto result = run("caps", parse(document));
  CHECK(result.exit_code == 0);
  // CAP_CHOWN = 0, CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10.
  auto set = hex_mask({0, 5});
  CHECK(result.output.find("CapInh:\t" + set) != std::string::npos);
  CHECK(result.output.find("CapPrm:\t" + set) != std::string::npos);
  CHECK(result.output.find("CapEff:\t" + set) != std::string::npos);
  CHECK(result.output.find("CapBnd:\t" + hex_mask({0, 5, 10})) != std::string::npos);
  CHECK(result.output.find("CapAmb:\t" + set) != std::string::npos);
}

TEST_CASE("container init: rlimits, no_new_privs and a seccomp rule denying mkdir" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto document = base_spec(fixture.box.rootfs(),
                            {"sh", "-c", "ulimit -n; grep NoNewPrivs /proc/self/status; mkdir /tmp/x; echo rc=$?"});
  document["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 123}, {"soft", 123}}};
  document["process"]["noNewPrivileges"] = true;
  document["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  auto result = run("limits", parse(document));
  CHECK(result.exit_code == 0);
  CHECK(result.output.rfind("123\n", 0) == 0);
  CHECK(result.output.find("NoNewPrivs:\t1") != std::string::npos);
  CHECK(result.output.find("Operation not permitted") != std::string::npos);
  CHECK(result.output.find("rc=1") != std::string::npos);
}

json errno_profile(const std::vector<std::string>& allowed) {
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", 1},
          {"architectures", {"SCMP_ARCH_X86_64"}},
          {"syscalls", {{{"names", allowed}, {"action", "SCMP_ACT_ALLOW"}}}}};
}

json deny_close_range_profile() {
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", {"SCMP_ARCH_X86_64"}},
          {"syscalls", {{{"names", {"close_range"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
}

TEST_CASE("container init: a profile denying close_range still runs the process" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  for (bool nnp : {false, true}) {
    CAPTURE(nnp);
    auto document = base_spec(fixture.box.rootfs(), {"echo", "hello"});
    document["process"]["noNewPrivileges"] = nnp;
    document["linux"]["seccomp"] = deny_close_range_profile();
    auto result = run(nnp ? "closerange-nnp" : "closerange", parse(document));
    CHECK(result.exit_code == 0);
    CHECK(result.output == "hello\n");
  }
}

TEST_CASE("container init: an errno-default profile gives syscalls newer than its newest ENOSYS" *
          doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  for (bool nnp : {false, true}) {
    CAPTURE(nnp);
    // touch is utimensat (280, newer than set_robust_list): ENOSYS; mkdir
    // (83) is older and not allowed: the profile's EPERM.
    auto document = base_spec(fixture.box.rootfs(),
                              {"sh", "-c", "echo hi; touch /tmp/f; echo touch=$?; mkdir /tmp/d; echo mkdir=$?"});
    document["process"]["noNewPrivileges"] = nnp;
    document["linux"]["seccomp"] = errno_profile(test_support::busybox_old_syscalls());
    auto result = run(nnp ? "errno-nnp" : "errno", parse(document));
    CAPTURE(result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("hi\n") == 0);
    CHECK(result.output.find("touch: /tmp/f: Function not implemented\ntouch=1\n") != std::string::npos);
    CHECK(result.output.find("Operation not permitted\nmkdir=1\n") != std::string::npos);
  }
}

TEST_CASE("container init: maskedPaths, readonlyPaths and a read-only root" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto root = fixture.box.rootfs();
  REQUIRE(write_file_atomic(root + "/etc/secret", "top secret\n", 0644).ok());
  REQUIRE(::mkdir((root + "/etc/hidden").c_str(), 0755) == 0);
  REQUIRE(write_file_atomic(root + "/etc/hidden/file", "hidden\n", 0644).ok());
  REQUIRE(::mkdir((root + "/etc/ro").c_str(), 0755) == 0);
  auto document = base_spec(root, {"sh", "-c",
                                   "echo [$(cat /etc/secret)]; echo [$(ls /etc/hidden)]; "
                                   "touch /etc/ro/x || echo ro-denied; touch /etc/y || echo root-denied; "
                                   "touch /tmp/z && echo tmp-ok"});
  document["linux"]["maskedPaths"] = {"/etc/secret", "/etc/hidden", "/does/not/exist"};
  document["linux"]["readonlyPaths"] = {"/etc/ro", "/also/missing"};
  document["root"]["readonly"] = true;
  auto result = run("paths", parse(document));
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("[]\n[]\n") == 0);
  CHECK(result.output.find("ro-denied") != std::string::npos);
  CHECK(result.output.find("root-denied") != std::string::npos);
  CHECK(result.output.find("Read-only file system") != std::string::npos);
  CHECK(result.output.find("tmp-ok") != std::string::npos);
  // The masks lived in the container's mount namespace only.
  auto secret = read_file(root + "/etc/secret", 100);
  REQUIRE(secret.ok());
  CHECK(*secret == "top secret\n");
}

TEST_CASE("container init: a missing executable fails create with ENOENT" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  for (std::string name : {"/bin/nonexistent", "nonexistent"}) {
    CAPTURE(name);
    auto spec = parse(base_spec(fixture.box.rootfs(), {name}));
    auto init = create_container_init("missing", spec, ProcessStdio{}, false);
    REQUIRE_FALSE(init.ok());
    CHECK(init.error().errno_value == ENOENT);
    CHECK(init.error().kind == ErrorKind::not_found);
    CHECK(init.error().message.find("create container missing: exec \"" + name + "\"") == 0);
  }
}

TEST_CASE("container init: a failing mount names the step and leaves nothing behind" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto document = base_spec(fixture.box.rootfs(), {"true"});
  document["mounts"].push_back({{"destination", "/mnt"}, {"type", "nosuchfs"}, {"source", "none"}});
  auto init = create_container_init("badmount", parse(document), ProcessStdio{}, false);
  REQUIRE_FALSE(init.ok());
  CHECK(init.error().errno_value == ENODEV);
  CHECK(init.error().message.find("mount nosuchfs on /mnt") != std::string::npos);
  // The failed init has been reaped: no child is left.
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

TEST_CASE("container init: closing the barrier without a byte never runs the process" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto out = make_pipe();
  auto spec = parse(base_spec(fixture.box.rootfs(), {"echo", "ran"}));
  auto init = create_container_init("unstarted", spec, ProcessStdio{-1, out.write.get(), out.write.get()}, false);
  REQUIRE(init.ok());
  out.write.reset();
  init->start_barrier.reset();
  CHECK(read_all(out.read.get()).empty());
  CHECK(wait_exit_code(init->pid) == 0);
}

namespace {

// A pty made by the caller, as the agent makes one for a terminal.
struct HostPty {
  UniqueFd master;
  UniqueFd slave;
};

HostPty make_host_pty() {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  REQUIRE(master >= 0);
  HostPty pty{UniqueFd(master), {}};
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  pty.slave.reset(::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC));
  REQUIRE(pty.slave);
  return pty;
}

// Starts the terminal init and reads what it printed on `master` (EIO once
// the last slave fd, the container's, closes).
std::string run_terminal(CreatedInit& init, int master) {
  REQUIRE(::write(init.start_barrier.get(), "s", 1) == 1);
  init.start_barrier.reset();
  auto output = read_all(master);
  CHECK(wait_exit_code(init.pid) == 0);
  return output;
}

}  // namespace

TEST_CASE("container init: a terminal from the container's devpts, bound on /dev/console, controlling" *
          doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto pty = make_host_pty();
  auto document = base_spec(fixture.box.rootfs(),
                            {"sh", "-c", "tty; test -c /dev/console && echo console-ok; ls -l /dev/ptmx; "
                                         "test -t 0 && echo stdin-tty; ls /dev/pts"});
  document["process"]["terminal"] = true;
  auto init = create_container_init("tty", parse(document), ProcessStdio{pty.slave.get(), pty.slave.get(),
                                                                          pty.slave.get()}, true);
  REQUIRE_MESSAGE(init.ok(), (init.ok() ? "" : init.error().message));
  pty.slave.reset();
  // The init's own pty replaced the one it was given.
  REQUIRE(init->console_master);
  auto output = run_terminal(*init, init->console_master.get());
  CAPTURE(output);
  CHECK(output.find("/dev/pts/0\r\n") == 0);
  CHECK(output.find("console-ok") != std::string::npos);
  CHECK(output.find("ptmx -> pts/ptmx") != std::string::npos);
  CHECK(output.find("stdin-tty") != std::string::npos);
  // The caller's pty saw nothing: its slave is not the container's stdio.
  int flags = ::fcntl(pty.master.get(), F_GETFL);
  REQUIRE(::fcntl(pty.master.get(), F_SETFL, flags | O_NONBLOCK) == 0);
  char byte;
  CHECK(::read(pty.master.get(), &byte, 1) < 0);
}

TEST_CASE("container init: without a devpts of its own the terminal is the caller's pty on /dev/console" *
          doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto pty = make_host_pty();
  auto document = base_spec(fixture.box.rootfs(), {"sh", "-c", "tty; test -c /dev/console && echo console-ok"});
  document["process"]["terminal"] = true;
  auto& mounts = document["mounts"];
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    if (mounts[i]["destination"] == "/dev/pts") mounts.erase(i);
  }
  auto init = create_container_init("tty-nodevpts", parse(document),
                                    ProcessStdio{pty.slave.get(), pty.slave.get(), pty.slave.get()}, true);
  REQUIRE_MESSAGE(init.ok(), (init.ok() ? "" : init.error().message));
  pty.slave.reset();
  CHECK_FALSE(init->console_master);
  auto output = run_terminal(*init, pty.master.get());
  CAPTURE(output);
  CHECK(output.find("/dev/console") == 0);
  CHECK(output.find("console-ok") != std::string::npos);
}

TEST_CASE("container init: after the barrier, wait_for_init_exec returns once the process runs" *
          doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto spec = parse(base_spec(fixture.box.rootfs(), {"sleep", "100"}));
  auto init = create_container_init("execed", spec, ProcessStdio{}, false);
  REQUIRE(init.ok());
  RunningInit running{init->pid};
  REQUIRE(::write(init->start_barrier.get(), "s", 1) == 1);
  auto execed = wait_for_init_exec(init->exec_report.get());
  REQUIRE_MESSAGE(execed.ok(), (execed.ok() ? "" : execed.error().message));
  // No polling: the init is sleep already.
  CHECK(read_file(fmt::format("/proc/{}/cmdline", init->pid), 4096).value() ==
        std::string("sleep") + '\0' + "100" + '\0');
}

TEST_CASE("container init: an execve failing after the barrier comes back from wait_for_init_exec" *
          doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  // Executable, so create accepts it, but no binary format: ENOEXEC.
  REQUIRE(write_file_atomic(fixture.box.rootfs() + "/bin/not-a-binary", "no shebang\n", 0755).ok());
  auto spec = parse(base_spec(fixture.box.rootfs(), {"/bin/not-a-binary"}));
  auto init = create_container_init("enoexec", spec, ProcessStdio{}, false);
  REQUIRE_MESSAGE(init.ok(), (init.ok() ? "" : init.error().message));
  REQUIRE(::write(init->start_barrier.get(), "s", 1) == 1);
  auto execed = wait_for_init_exec(init->exec_report.get());
  REQUIRE_FALSE(execed.ok());
  CHECK(execed.error().errno_value == ENOEXEC);
  CHECK(execed.error().message.find("exec \"/bin/not-a-binary\"") == 0);
  CHECK(wait_exit_code(init->pid) == 127);
}

TEST_CASE("container init: a user namespace with id mappings" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto document = base_spec(fixture.box.rootfs(), {"sh", "-c", "id -u; cat /proc/self/uid_map"});
  document["linux"]["namespaces"].push_back({{"type", "user"}});
  document["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  document["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  auto result = run("userns", parse(document));
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("0\n") == 0);
  CHECK(result.output.find("100000") != std::string::npos);
}

namespace {

// Gives every file under `root` (itself included) to uid:gid without
// following symlinks, as podman's chown of an image for --uidmap does.
void chown_tree(const std::string& root, uid_t uid, gid_t gid) {
  REQUIRE(::lchown(root.c_str(), uid, gid) == 0);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    REQUIRE(::lchown(entry.path().c_str(), uid, gid) == 0);
  }
}

// Whether the caller's effective set holds `cap` (from /proc/self/status).
bool has_capability(int cap) {
  auto status = read_file("/proc/self/status", 1 << 16);
  REQUIRE(status.ok());
  auto at = status->find("CapEff:\t");
  REQUIRE(at != std::string::npos);
  auto mask = std::stoull(status->substr(at + 8, 16), nullptr, 16);
  return (mask >> cap) & 1;
}

uid_t owner_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_uid;
}

}  // namespace

TEST_CASE("container init: a user namespace on an r-x rootfs of its root, without mount points, raising a limit" *
          doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto root = fixture.box.rootfs();
  for (const char* dir : {"/proc", "/sys", "/tmp", "/dev"}) std::filesystem::remove_all(root + dir);
  chown_tree(root, 100000, 100000);
  REQUIRE(::chmod(root.c_str(), 0555) == 0);
  rlimit current{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &current) == 0);
  // Above the hard limit takes CAP_SYS_RESOURCE in the initial user
  // namespace, which the init has left (the guest's agent has it; a
  // container host may not: then the limit stays the hard one).
  rlim_t raised = current.rlim_max + (has_capability(CAP_SYS_RESOURCE) ? 1000 : 0);
  if (raised == current.rlim_max) MESSAGE("no CAP_SYS_RESOURCE here: the raise above the hard limit is not tried");
  auto document = base_spec(root, {"sh", "-c", "id -u; ulimit -n; ls -d /proc /sys /tmp; touch /tmp/ok && echo tmp-ok"});
  document["linux"]["namespaces"].push_back({{"type", "user"}});
  document["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  document["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  document["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", raised}, {"soft", raised}}};
  document["process"]["cwd"] = "/srv/work";
  auto result = run("userns-rx", parse(document));
  CAPTURE(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output == fmt::format("0\n{}\n/proc\n/sys\n/tmp\ntmp-ok\n", raised));
  // The mount points and the cwd belong to the container's root, as if it
  // had made them itself.
  for (const char* made : {"/proc", "/sys", "/tmp", "/dev", "/srv", "/srv/work"}) {
    CAPTURE(made);
    CHECK(owner_of(root + made) == 100000);
  }
  REQUIRE(::chmod(root.c_str(), 0755) == 0);  // so that the fixture can remove it
}

namespace {

// The cgroup2 mount point of the host ("/sys/fs/cgroup/unified" on a hybrid
// host); empty without one.
std::string cgroup2_mount() {
  auto mounts = read_file("/proc/self/mountinfo", 16 << 20);
  REQUIRE(mounts.ok());
  std::istringstream lines(*mounts);
  std::string line;
  while (std::getline(lines, line)) {
    auto separator = line.find(" - ");
    if (separator == std::string::npos || line.compare(separator + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    if (root == "/") return point;
  }
  return {};
}

// A fresh cgroup under the host's cgroup2 root, removed at the end.
struct TestCgroup {
  std::string path;
  ~TestCgroup() {
    if (!path.empty()) ::rmdir(path.c_str());
  }
};

}  // namespace

TEST_CASE("container init and exec: born in the given cgroup, which is the root of their cgroup2 view" *
          doctest::skip(!is_root())) {
  auto unified = cgroup2_mount();
  if (unified.empty()) {
    MESSAGE("no cgroup2 mount on this host");
    return;
  }
  auto fixture = make_fixture();
  TestCgroup cgroup{fmt::format("{}/kata-container-test-{}", unified, ::getpid())};
  REQUIRE(::mkdir(cgroup.path.c_str(), 0755) == 0);
  std::string name = cgroup.path.substr(cgroup.path.rfind('/') + 1);
  // podman's mount on a cgroup v1 host, and no cgroup namespace entry.
  auto document = base_spec(fixture.box.rootfs(), {"sleep", "100"});
  document["mounts"].push_back({{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"},
                                {"options", {"rprivate", "nosuid", "noexec", "nodev", "relatime", "ro"}}});
  auto spec = parse(document);
  auto init = create_container_init("cgroup-view", spec, ProcessStdio{}, false, cgroup.path);
  REQUIRE_MESSAGE(init.ok(), (init.ok() ? "" : init.error().message));
  RunningInit running{init->pid};
  // A member before it starts: nothing it forks can escape the cgroup.
  CHECK(read_file(cgroup.path + "/cgroup.procs", 4096).value() == fmt::format("{}\n", init->pid));
  REQUIRE(::write(init->start_barrier.get(), "s", 1) == 1);
  REQUIRE(wait_for_init_exec(init->exec_report.get()).ok());

  auto process = *spec.process;
  process.args = std::vector<std::string>{
      "sh", "-c", "grep '^0::' /proc/self/cgroup; ls /sys/fs/cgroup | grep -c kata-container-test; "
                  "grep -c . /sys/fs/cgroup/cgroup.procs; true"};
  auto out = make_pipe();
  auto pid = exec_in_container(init->pid, spec, process, ProcessStdio{-1, out.write.get(), out.write.get()}, false,
                               cgroup.path);
  REQUIRE_MESSAGE(pid.ok(), (pid.ok() ? "" : pid.error().message));
  out.write.reset();
  auto output = read_all(out.read.get());
  CHECK(wait_exit_code(*pid) == 0);
  CAPTURE(output);
  // The exec'd shell is in the cgroup that roots its namespace ("/"), its
  // /sys/fs/cgroup is that cgroup (no child named like it, as the parent
  // would show), holding the init, the shell and grep.
  CHECK(output == "0::/\n0\n3\n");
  CHECK(read_file(fmt::format("/proc/{}/cgroup", init->pid), 4096).value().find("0::/" + name + "\n") !=
        std::string::npos);
}

TEST_CASE("exec_in_container: joins the init's namespaces, reports exec errors" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto spec = parse(base_spec(fixture.box.rootfs(), {"sleep", "100"}));
  RunningInit running;
  start_init("exec", spec, running);
  pid_t init_pid = running.pid;
  // The init execs after the barrier, asynchronously; wait until it has.
  auto cmdline_path = fmt::format("/proc/{}/cmdline", init_pid);
  for (int i = 0; i < 500 && read_file(cmdline_path, 4096).value().rfind("sleep", 0) != 0; ++i) ::usleep(10000);

  auto process = *spec.process;
  process.args = std::vector<std::string>{"sh", "-c", "hostname; echo pid=$$; cat /proc/1/cmdline; echo; pwd; id -u"};
  process.cwd = "/tmp";
  process.user->uid = 500;
  auto out = make_pipe();
  auto pid = exec_in_container(init_pid, spec, process, ProcessStdio{-1, out.write.get(), out.write.get()}, false);
  REQUIRE_MESSAGE(pid.ok(), (pid.ok() ? "" : pid.error().message));
  out.write.reset();
  auto output = read_all(out.read.get());
  CHECK(wait_exit_code(*pid) == 0);
  CAPTURE(output);
  // pid 1 of the container's pid namespace is the sleeping init.
  CHECK(output.find("kata-test\n") == 0);
  CHECK(output.find(std::string("sleep") + '\0' + "100") != std::string::npos);
  CHECK(output.find("pid=1\n") == std::string::npos);
  CHECK(output.find("/tmp\n500\n") != std::string::npos);

  process.args = std::vector<std::string>{"missing-binary"};
  auto failed = exec_in_container(init_pid, spec, process, ProcessStdio{}, false);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().errno_value == ENOENT);
  CHECK(failed.error().message.find("missing-binary") != std::string::npos);
}

TEST_CASE("exec_in_container: a profile denying close_range still runs the process" * doctest::skip(!is_root())) {
  auto fixture = make_fixture();
  auto document = base_spec(fixture.box.rootfs(), {"sleep", "100"});
  document["linux"]["seccomp"] = deny_close_range_profile();
  auto spec = parse(document);
  RunningInit running;
  start_init("exec-seccomp", spec, running);
  auto process = *spec.process;
  process.args = std::vector<std::string>{"echo", "from exec"};
  auto out = make_pipe();
  auto pid = exec_in_container(running.pid, spec, process, ProcessStdio{-1, out.write.get(), out.write.get()}, false);
  REQUIRE_MESSAGE(pid.ok(), (pid.ok() ? "" : pid.error().message));
  out.write.reset();
  CHECK(read_all(out.read.get()) == "from exec\n");
  CHECK(wait_exit_code(*pid) == 0);
}

}  // namespace kata::agent
