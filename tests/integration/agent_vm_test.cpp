// The guest agent through the host's AgentClient, in real VMs (label `vm`):
// boot and clean power-off, containers from a busybox rootfs shared over
// virtio-fs with their output and exit status, and the process and
// container setup a spec asks for, checked from inside the container.
// One boot per test case (about 4 s each under TCG). Needs root (virtiofsd).

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent-client/client.hpp"
#include "oci/spec.hpp"
#include "seccomp/precompiled.hpp"
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/kata_cli.hpp"
#include "tests/support/test_vm.hpp"

using namespace kata;
using namespace kata::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr auto rpc_timeout = 60s;

std::unique_ptr<TestVm> boot_vm() {
  TestVmOptions options;
  options.qemu = KATA_QEMU;
  options.virtiofsd = KATA_VIRTIOFSD;
  options.kernel = test_guest_kernel();
  options.initrd = test_guest_initrd();
  auto vm = TestVm::boot(options);
  if (!vm) FAIL(vm.error().message);
  MESSAGE("booted under " << (*vm)->accel() << " in " << (*vm)->boot_seconds() << " s");
  return std::move(*vm);
}

/// A runtime spec for container `id` running `args`, rewritten to the guest
/// paths of the share layout, with the usual runc-template mounts.
json base_spec(const std::string& id, std::vector<std::string> args) {
  return {
      {"ociVersion", "1.1.0"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/bin"}},
        {"cwd", "/"},
        {"noNewPrivileges", false}}},
      {"root", {{"path", "/run/kata-containers/shared/" + id + "/rootfs"}, {"readonly", false}}},
      {"hostname", "kata"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "nodev"}}}}},
      {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}}}}}},
  };
}

struct RunOutput {
  int status = -1;
  std::string out;
  std::string err;
};

std::string read_all(int fd) {
  std::string all;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0) all.append(buffer, static_cast<std::size_t>(got));
  return all;
}

/// Creates container `id` from a fresh busybox rootfs, starts it, relays its
/// output until it exits, removes it.
Result<RunOutput> run_container(TestVm& vm, const std::string& id, const json& spec,
                                const std::function<Result<void>()>& after_start = {}) {
  KATA_TRY(make_busybox_rootfs(vm.share_dir() + "/" + id + "/rootfs"));
  auto& agent = vm.agent();
  auto stdio = KATA_TRY(agent.allocate_stdio(false, false));
  KATA_TRY(agent.create_container(id, spec, stdio, false, rpc_timeout));
  KATA_TRY(agent.start_container(id, rpc_timeout));
  if (after_start) KATA_TRY(after_start());
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd out_read(out[0]), out_write(out[1]), err_read(err[0]), err_write(err[1]);
  RunOutput output;
  output.status = KATA_TRY(agent.run_until_exit(id, "", stdio, {-1, out_write.get(), err_write.get()}, rpc_timeout));
  out_write.reset();
  err_write.reset();
  output.out = read_all(out_read.get());
  output.err = read_all(err_read.get());
  KATA_TRY(agent.remove_container(id, rpc_timeout).wrap("remove"));
  return output;
}

/// Runs a container and reports a failure with the guest console attached.
RunOutput run_checked(TestVm& vm, const std::string& id, const json& spec,
                      const std::function<Result<void>()>& after_start = {}) {
  auto output = run_container(vm, id, spec, after_start);
  if (!output) {
    FAIL_CHECK(id << ": " << output.error().message << "\nconsole:\n" << vm.console_tail(20));
    return {};
  }
  return *output;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

/// The options field of the /proc/self/mounts line for `destination`.
std::vector<std::string> mount_options(const std::string& mounts, const std::string& destination) {
  for (const auto& line : lines_of(mounts)) {
    auto fields = split(line, ' ');
    if (fields.size() >= 4 && fields[1] == destination) return split(fields[3], ',');
  }
  return {};
}

}  // namespace

TEST_CASE("the agent answers the handshake and destroy_sandbox powers the guest off") {
  auto vm = boot_vm();
  CHECK_FALSE(vm->agent().session().peer_build_version.empty());
  CHECK(vm->agent().session().peer_version.major == agent_client::kProtocolVersion.major);
  auto destroyed = vm->agent().destroy_sandbox(30s);
  CHECK_MESSAGE(destroyed.ok(), (destroyed.ok() ? "" : destroyed.error().message));
  std::optional<int> status;
  for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
    auto polled = vm->poll_exit();
    REQUIRE(polled.ok());
    if ((status = *polled)) break;
    std::this_thread::sleep_for(50ms);
  }
  INFO("console:\n" << vm->console_tail(20));
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("containers run from a busybox rootfs: output and exact exit statuses") {
  auto vm = boot_vm();

  auto echo = run_checked(*vm, "echo", base_spec("echo", {"/bin/echo", "hello"}));
  CHECK(echo.out == "hello\n");
  CHECK(echo.err.empty());
  CHECK(echo.status == 0);

  for (int code : {0, 1, 42}) {
    std::string id = "exit" + std::to_string(code);
    auto exited = run_checked(*vm, id, base_spec(id, {"/bin/sh", "-c", "exit " + std::to_string(code)}));
    CHECK_MESSAGE(exited.status == code, id);
  }

  // Without a pid namespace: the init of a pid namespace cannot kill itself
  // (the kernel drops signals to it that it has no handler for).
  auto spec = base_spec("kill9", {"/bin/sh", "-c", "echo before; kill -9 $$; echo after"});
  spec["linux"]["namespaces"] = json::array({{{"type", "mount"}}, {{"type", "ipc"}}, {{"type", "uts"}}});
  auto killed = run_checked(*vm, "kill9", spec);
  CHECK(killed.out == "before\n");
  CHECK(killed.status == 128 + 9);  // the protocol's wait status: 128 + signal

  // SIGKILL from the host through signal_process reaches a pid namespace's init.
  auto sleeper = run_checked(*vm, "sigkill", base_spec("sigkill", {"/bin/sleep", "600"}),
                             [&] { return vm->agent().signal_process("sigkill", "", SIGKILL, false, rpc_timeout); });
  CHECK(sleeper.status == 128 + 9);
}

TEST_CASE("container setup seen from inside: hostname, ids, caps, rlimits, seccomp, paths, mounts, nnp, cwd, env") {
  auto vm = boot_vm();

  {
    auto spec = base_spec("host", {"/bin/hostname"});
    spec["hostname"] = "kata-box";
    auto run = run_checked(*vm, "host", spec);
    CHECK(run.status == 0);
    CHECK(run.out == "kata-box\n");
  }
  {
    auto spec = base_spec("ids", {"/bin/id"});
    spec["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {1002, 1003}}};
    auto run = run_checked(*vm, "ids", spec);
    CHECK(run.status == 0);
    INFO("id printed: " << run.out);
    CHECK(run.out.rfind("uid=1000 gid=1001 ", 0) == 0);
    auto groups_at = run.out.find("groups=");
    CHECK(groups_at != std::string::npos);
    std::vector<std::string> groups;
    if (groups_at != std::string::npos) {
      groups = split(run.out.substr(groups_at + 7, run.out.find('\n', groups_at) - groups_at - 7), ',');
    }
    CHECK(contains(groups, "1002"));
    CHECK(contains(groups, "1003"));
    CHECK_FALSE(contains(groups, "0"));
  }
  {
    auto spec = base_spec("caps", {"/bin/grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"});
    json caps = {"CAP_CHOWN", "CAP_KILL"};  // bits 0 and 5
    spec["process"]["capabilities"] = {
        {"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"inheritable", json::array()},
        {"ambient", json::array()}};
    auto run = run_checked(*vm, "caps", spec);
    CHECK(run.status == 0);
    auto lines = lines_of(run.out);
    CHECK(contains(lines, "CapInh:\t0000000000000000"));
    CHECK(contains(lines, "CapPrm:\t0000000000000021"));
    CHECK(contains(lines, "CapEff:\t0000000000000021"));
    CHECK(contains(lines, "CapBnd:\t0000000000000021"));
    CHECK(contains(lines, "CapAmb:\t0000000000000000"));
    CHECK(contains(lines, "NoNewPrivs:\t0"));
  }
  {
    auto spec = base_spec("nnp", {"/bin/grep", "NoNewPrivs", "/proc/self/status"});
    spec["process"]["noNewPrivileges"] = true;
    auto run = run_checked(*vm, "nnp", spec);
    CHECK(run.status == 0);
    CHECK(run.out == "NoNewPrivs:\t1\n");
  }
  {
    auto spec = base_spec("rlimits", {"/bin/sh", "-c", "ulimit -n; ulimit -Hn"});
    spec["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 512}}};
    auto run = run_checked(*vm, "rlimits", spec);
    CHECK(run.status == 0);
    CHECK(run.out == "512\n1024\n");
  }
  {
    auto spec = base_spec("seccomp", {"/bin/sh", "-c", "mkdir /tmp/x; echo rc=$?; echo still running"});
    spec["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64"}},
        {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
    auto run = run_checked(*vm, "seccomp", spec);
    CHECK(run.status == 0);
    CHECK(run.out == "rc=1\nstill running\n");
    CHECK(run.err.find("Operation not permitted") != std::string::npos);
  }
  {
    auto spec = base_spec("paths", {"/bin/sh", "-c",
                                    "wc -c < /proc/kcore; ls -A /sys/firmware | wc -l; "
                                    "echo kata > /proc/sys/kernel/domainname && echo wrote || echo refused"});
    spec["linux"]["maskedPaths"] = {"/proc/kcore", "/sys/firmware"};
    spec["linux"]["readonlyPaths"] = {"/proc/sys"};
    auto run = run_checked(*vm, "paths", spec);
    auto lines = lines_of(run.out);
    INFO("stdout: " << run.out << "stderr: " << run.err);
    CHECK(run.status == 0);
    // /proc/kcore is /dev/null now, /sys/firmware an empty read-only tmpfs,
    // /proc/sys read-only.
    CHECK(lines == std::vector<std::string>{"0", "0", "refused"});
    CHECK(run.err.find("Read-only file system") != std::string::npos);
  }
  {
    auto spec = base_spec("mounts", {"/bin/cat", "/proc/self/mounts"});
    spec["mounts"].push_back({{"destination", "/data"},
                              {"type", "tmpfs"},
                              {"source", "tmpfs"},
                              {"options", {"nosuid", "nodev", "noexec", "size=1m"}}});
    spec["mounts"].push_back(
        {{"destination", "/ro"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"ro", "nosuid"}}});
    auto run = run_checked(*vm, "mounts", spec);
    CHECK(run.status == 0);
    INFO("mounts:\n" << run.out);
    auto data = mount_options(run.out, "/data");
    CHECK(contains(data, "rw"));
    CHECK(contains(data, "nosuid"));
    CHECK(contains(data, "nodev"));
    CHECK(contains(data, "noexec"));
    CHECK(contains(data, "size=1024k"));
    auto ro = mount_options(run.out, "/ro");
    CHECK(contains(ro, "ro"));
    CHECK(contains(ro, "nosuid"));
    CHECK(contains(mount_options(run.out, "/sys"), "ro"));
  }
  {
    auto spec = base_spec("cwdenv", {"/bin/sh", "-c", "pwd; echo \"$KATA_TEST\"; echo \"$PATH\""});
    spec["process"]["cwd"] = "/tmp";
    spec["process"]["env"] = {"PATH=/bin", "KATA_TEST=hello world"};
    auto run = run_checked(*vm, "cwdenv", spec);
    CHECK(run.status == 0);
    CHECK(run.out == "/tmp\nhello world\n/bin\n");
  }
}

TEST_CASE("seccomp is the last step: profiles without close_range run; newer syscalls get ENOSYS") {
  auto vm = boot_vm();
  {
    auto spec = base_spec("closerange", {"/bin/echo", "hello"});
    spec["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64"}},
        {"syscalls", {{{"names", {"close_range"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
    auto run = run_checked(*vm, "closerange", spec);
    CHECK(run.status == 0);
    CHECK(run.out == "hello\n");
  }
  {
    // Allowed: only syscalls older than set_robust_list (273); clone3 (435),
    // close_range (436) and utimensat (280) are newer.
    auto spec = base_spec("errno", {"/bin/sh", "-c", "echo hi; touch /tmp/f; echo touch=$?; mkdir /tmp/d; echo mkdir=$?"});
    spec["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                                {"architectures", {"SCMP_ARCH_X86_64"}},
                                {"syscalls", {{{"names", busybox_old_syscalls()}, {"action", "SCMP_ACT_ALLOW"}}}}};
    auto run = run_checked(*vm, "errno", spec);
    INFO("stdout: " << run.out << "stderr: " << run.err);
    CHECK(run.status == 0);
    CHECK(run.out == "hi\ntouch=1\nmkdir=1\n");
    // ENOSYS for the newer utimensat, the profile's EPERM for the older mkdir.
    CHECK(run.err.find("touch: /tmp/f: Function not implemented") != std::string::npos);
    CHECK(run.err.find("mkdir: can't create directory '/tmp/d': Operation not permitted") != std::string::npos);

    // The same profile compiled on the host, as `kata create` sends it: the
    // agent loads that program, and the container sees the same filter.
    auto host_profile = base_spec("hostbpf", spec["process"]["args"].get<std::vector<std::string>>());
    host_profile["linux"]["seccomp"] = spec["linux"]["seccomp"];
    auto parsed = oci::parse_spec(host_profile.dump());
    REQUIRE(parsed.ok());
    auto precompiled = seccomp::precompile(*parsed->linux_config->seccomp);
    REQUIRE(precompiled.ok());
    parsed->linux_config->seccomp = *precompiled;
    auto host_spec = oci::to_json(*parsed);
    REQUIRE_FALSE(host_spec["linux"]["seccomp"].contains("syscalls"));
    auto host_run = run_checked(*vm, "hostbpf", host_spec);
    CHECK(host_run.out == run.out);
    CHECK(host_run.err == run.err);
  }
  {
    // A program that is not whole instructions fails the create, by name.
    auto spec = base_spec("badbpf", {"/bin/echo", "hello"});
    spec["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"kata.bpf", "0600010200"}};
    auto run = run_container(*vm, "badbpf", spec);
    REQUIRE_FALSE(run.ok());
    CHECK(run.error().message.find("kata.bpf") != std::string::npos);
  }
}

TEST_CASE("linux.resources limit the container's cgroup; an OOM kill sends an Oom event before the exit") {
  auto vm = boot_vm();
  auto with_applets = [&](const std::string& id) {
    auto applets = default_busybox_applets();
    applets.push_back("tr");
    auto made = make_busybox_rootfs(vm->share_dir() + "/" + id + "/rootfs", applets);
    REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().message));
  };

  {
    // The limits from the spec, read from the container's own cgroup files
    // (cgroup2 mounted without a cgroup namespace: the full tree, so the
    // path comes from /proc/self/cgroup) and through StatsContainer.
    auto spec = base_spec("limits", {"/bin/sh", "-c",
                                     "read l < /proc/self/cgroup; d=/sys/fs/cgroup${l#0::}; "
                                     "cat $d/pids.max $d/memory.max $d/cpu.max"});
    spec["mounts"].push_back({{"destination", "/sys/fs/cgroup"}, {"type", "cgroup2"}, {"source", "cgroup2"}});
    spec["linux"]["resources"] = {{"memory", {{"limit", 64 * 1024 * 1024}}},
                                  {"cpu", {{"quota", 50000}, {"period", 100000}}},
                                  {"pids", {{"limit", 42}}}};
    std::optional<agent_client::ContainerStats> stats;
    auto run = run_checked(*vm, "limits", spec, [&]() -> Result<void> {
      stats = KATA_TRY(vm->agent().stats_container("limits", rpc_timeout));
      return ok();
    });
    INFO("stdout: " << run.out << "stderr: " << run.err);
    CHECK(run.status == 0);
    CHECK(run.out == "42\n67108864\n50000 100000\n");
    REQUIRE(stats.has_value());
    CHECK(stats->pids.limit == 42);
    CHECK(stats->memory.limit_bytes == 64u * 1024 * 1024);
  }
  {
    // The shell keeps the command substitution's output in memory: far
    // beyond 32 MiB, so the OOM killer takes it (the largest process).
    with_applets("oom");
    auto spec = base_spec("oom", {"/bin/sh", "-c",
                                  "x=$(head -c 200000000 /dev/zero | tr '\\000' a); echo survived"});
    spec["linux"]["resources"] = {{"memory", {{"limit", 32 * 1024 * 1024}}}};
    auto run = run_checked(*vm, "oom", spec);
    INFO("stdout: " << run.out << "stderr: " << run.err << "console:\n" << vm->console_tail(20));
    CHECK(run.status == 128 + SIGKILL);
    CHECK(run.out.find("survived") == std::string::npos);
    // run_until_exit returned at the ProcessExited event and left other
    // events queued: an Oom sent before it is there without waiting.
    auto event = vm->agent().next_event(std::chrono::milliseconds(0));
    REQUIRE(event.ok());
    REQUIRE_MESSAGE(event->has_value(), "no Oom event had arrived by the exit");
    auto* oom = std::get_if<agent_client::Oom>(&**event);
    REQUIRE(oom != nullptr);
    CHECK(oom->container_id == "oom");
  }
}
