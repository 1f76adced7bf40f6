// The container lifecycle through the built `kata` binary, black-box (label
// `vm`): run in the foreground, create/state/start/delete, kill, delete of a
// created container, and the errors that must leave nothing behind. Each
// container boots its own VM (about 3 s under TCG); nine boots in all.
// Needs root (bind mounts, virtiofsd).

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

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

/// A console socket as an engine listens on it: receives one pty master.
class ConsoleSocket {
 public:
  explicit ConsoleSocket(const std::string& path) : path_(path) {
    listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof address.sun_path);
    std::copy(path.begin(), path.end(), address.sun_path);
    REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_.get(), 4) == 0);
  }

  /// The master the runtime sent (one message, one fd, name /dev/ptmx).
  UniqueFd receive_master() {
    pollfd pfd{listener_.get(), POLLIN, 0};
    REQUIRE(::poll(&pfd, 1, 5000) == 1);
    UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(connection);
    char name[4096];
    iovec iov{name, sizeof name};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t got = ::recvmsg(connection.get(), &message, MSG_CMSG_CLOEXEC);
    REQUIRE(got > 0);
    CHECK(std::string(name, static_cast<std::size_t>(got)) == "/dev/ptmx");
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    REQUIRE(header != nullptr);
    REQUIRE(header->cmsg_len == CMSG_LEN(sizeof(int)));
    int fd;
    std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return UniqueFd(fd);
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  UniqueFd listener_;
};

/// Reads from a pty master until `needle` shows up (or 30 s pass); all read.
std::string read_until(int master, const std::string& needle) {
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{master, POLLIN, 0};
    if (::poll(&pfd, 1, 200) != 1) continue;
    char buffer[1024];
    ssize_t got = ::read(master, buffer, sizeof buffer);
    if (got <= 0) break;
    seen.append(buffer, static_cast<std::size_t>(got));
  }
  return seen;
}

void type(int master, const std::string& text) { REQUIRE(::write(master, text.data(), text.size()) == static_cast<ssize_t>(text.size())); }

/// Waits (up to 60 s) for a child of this process (a subreaper) to exit; its status.
int wait_exit(pid_t pid) {
  for (int i = 0; i < 600; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(100ms);
  }
  return -1;
}

/// The shared fixture with lifecycle's two shorthands: a configuration with
/// another guest and a short dial timeout, and a bundle with a terminal flag.
class Lifecycle : public KataSandboxes {
 public:
  Lifecycle() : KataSandboxes({.name = "kata-lifecycle"}) {}

  /// A configuration file like the default one but with `kernel`, `initrd`
  /// and a short agent dial timeout.
  std::string broken_config(const std::string& name, const std::string& kernel, const std::string& initrd) {
    return write_config(name, {.kernel = kernel, .initrd = initrd, .dial_timeout = 5});
  }

  /// A bundle whose process runs `args`.
  std::string bundle(const std::string& name, const std::vector<std::string>& args, bool terminal = false) {
    return KataSandboxes::bundle(name, args, {.terminal = terminal});
  }
};

}  // namespace

TEST_CASE("run in the foreground prints the output and exits with the container's status") {
  Lifecycle lifecycle;
  auto hello = lifecycle.bundle("hello", {"/bin/echo", "hello"});
  auto result = lifecycle.kata({"run", "-b", hello, "hello"});
  CHECK_MESSAGE(result.status == 0, describe(result));
  CHECK(result.out == "hello\n");
  lifecycle.check_gone("hello");

  // An engine-style 64-character ID: <root>/<id>/virtiofsd.sock exceeds what
  // a unix socket path may hold, which must not matter.
  std::string long_id = "exit42" + std::string(58, 'f');
  auto exit42 = lifecycle.bundle("exit42", {"/bin/sh", "-c", "exit 42"});
  auto failed = lifecycle.kata({"run", "-b", exit42, long_id});
  CHECK_MESSAGE(failed.status == 42, describe(failed));
  lifecycle.check_gone(long_id);

  // stdin reaches the container, and its EOF too (cat ends).
  std::string input = lifecycle.work() + "/input";
  REQUIRE(write_file_atomic(input, "line one\nline two\n").ok());
  auto cat = lifecycle.bundle("cat", {"/bin/sh", "-c", "cat; echo done"});
  auto piped = lifecycle.kata({"run", "-b", cat, "cat"}, "", input);
  CHECK_MESSAGE(piped.status == 0, describe(piped));
  CHECK(piped.out == "line one\nline two\ndone\n");
  lifecycle.check_gone("cat");
}

TEST_CASE("a spec with an AppArmor profile and SELinux labels runs: the guest kernel has neither") {
  // What podman puts in specs on an AppArmor (Debian's default) or SELinux
  // host. The VM is the boundary; `kata features` says both are off.
  Lifecycle lifecycle;
  BundleOptions labelled;
  labelled.edit = [](nlohmann::json& config) {
    config["process"]["apparmorProfile"] = "containers-default-0.50.0";
    config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2";
    config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2";
  };
  auto confined = lifecycle.KataSandboxes::bundle("confined", {"/bin/echo", "confined"}, labelled);
  auto ran = lifecycle.kata({"run", "-b", confined, "confined"});
  CHECK_MESSAGE(ran.status == 0, describe(ran));
  CHECK(ran.out == "confined\n");
  lifecycle.check_gone("confined");
}

TEST_CASE("bind mounts whose options mix tmpfs data and propagation are mounted, as runc mounts them") {
  // The shape of runtime-tools' mount cases: tmpfs data options (mode=,
  // size=) that a bind ignores, next to a propagation option.
  Lifecycle lifecycle;
  std::string source = lifecycle.work() + "/bind-source";
  std::filesystem::create_directories(source);
  REQUIRE(write_file_atomic(source + "/marker", "from-the-host\n", 0644).ok());
  auto bundle = lifecycle.KataSandboxes::bundle(
      "mixed", {"/bin/sh", "-c", "cat /mnt/shared/marker /mnt/slave/marker; grep ' /mnt/' /proc/self/mountinfo"},
      {.edit = [&](nlohmann::json& config) {
        for (const auto& [where, options] :
             {std::pair{"/mnt/shared", std::vector<std::string>{"nosuid", "strictatime", "mode=755", "size=1k", "bind", "shared"}},
              std::pair{"/mnt/slave", std::vector<std::string>{"nosuid", "strictatime", "mode=755", "size=1k", "rbind", "rslave"}}})
          config["mounts"].push_back({{"destination", where}, {"type", "bind"}, {"source", source}, {"options", options}});
      }});
  auto result = lifecycle.kata({"run", "-b", bundle, "mixed"});
  CHECK_MESSAGE(result.status == 0, describe(result));
  CHECK(result.out.find("from-the-host\nfrom-the-host\n") == 0);
  // Both are mount points; the shared one is a peer group's member.
  auto shared = result.out.find(" /mnt/shared ");
  REQUIRE_MESSAGE(shared != std::string::npos, result.out);
  CHECK(result.out.find(" /mnt/slave ") != std::string::npos);
  auto shared_line = result.out.substr(shared, result.out.find('\n', shared) - shared);
  CHECK_MESSAGE(shared_line.find("shared:") != std::string::npos, shared_line);
  CHECK(shared_line.find("nosuid") != std::string::npos);
  lifecycle.check_gone("mixed");
}

TEST_CASE("create, state, start, state, delete") {
  Lifecycle lifecycle;
  auto bundle = lifecycle.bundle("steps", {"/bin/echo", "hello"});
  // Host hooks that save the state they are given.
  {
    auto text = read_file(bundle + "/config.json", 1U << 20);
    REQUIRE(text.ok());
    json config = json::parse(*text);
    for (const char* kind : {"prestart", "poststart", "poststop"}) {
      std::string script = "cat > " + lifecycle.work() + "/hook-" + kind;
      config["hooks"][kind] = json::array({{{"path", "/bin/sh"}, {"args", {"sh", "-c", script}}}});
    }
    REQUIRE(write_file_atomic(bundle + "/config.json", config.dump()).ok());
  }
  auto hook_state = [&](const std::string& kind) {
    auto text = read_file(lifecycle.work() + "/hook-" + kind, 1U << 20);
    return text ? json::parse(*text, nullptr, false) : json();
  };
  std::string pid_file = lifecycle.work() + "/steps.pid";
  auto created = lifecycle.kata({"create", "-b", bundle, "--pid-file", pid_file, "steps"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  CHECK(created.out.empty());  // the container has not run yet

  auto pid_text = read_file(pid_file, 100);
  REQUIRE(pid_text.ok());
  CHECK(all_digits(*pid_text));  // digits, no newline
  auto state = lifecycle.state("steps");
  CHECK(state["status"] == "created");
  CHECK(std::to_string(state["pid"].get<long long>()) == *pid_text);
  CHECK(state["bundle"] == bundle);
  CHECK(lifecycle.record("steps")["kata"]["boot_timings"].size() == 3);
  CHECK(hook_state("prestart")["status"] == "creating");
  CHECK(hook_state("prestart")["id"] == "steps");
  CHECK(hook_state("prestart")["pid"] == state["pid"]);

  auto again = lifecycle.kata({"create", "-b", bundle, "steps"});
  CHECK(again.status == 1);
  CHECK(again.err.find("exists") != std::string::npos);

  auto started = lifecycle.kata({"start", "steps"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  CHECK(hook_state("poststart")["status"] == "running");
  auto stopped = lifecycle.wait_stopped("steps");
  CHECK(stopped["status"] == "stopped");
  CHECK(stopped["pid"] == 0);
  CHECK(lifecycle.record("steps")["kata"]["exit_status"] == 0);
  // The monitor relayed the output to the stdout create was given.
  bool saw_hello = false;
  for (const auto& entry : fs::directory_iterator(lifecycle.work())) {
    if (entry.path().filename().string().rfind("out.", 0) == 0 && read_or_empty(entry.path().string()) == "hello\n")
      saw_hello = true;
  }
  CHECK(saw_hello);

  auto restart = lifecycle.kata({"start", "steps"});
  CHECK(restart.status == 1);
  CHECK(restart.err.find("cannot start a container that has stopped") != std::string::npos);
  auto kill_stopped = lifecycle.kata({"kill", "steps", "9"});
  CHECK(kill_stopped.status == 1);
  CHECK(kill_stopped.err.find("container not running") != std::string::npos);

  auto deleted = lifecycle.kata({"delete", "steps"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  CHECK(hook_state("poststop")["status"] == "stopped");
  lifecycle.check_gone("steps");
}

TEST_CASE("kill of a running container stops it and records 128+signal; running refuses delete") {
  Lifecycle lifecycle;
  auto bundle = lifecycle.bundle("sleeper", {"/bin/sleep", "100"});
  auto created = lifecycle.kata({"create", "-b", bundle, "sleeper"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  auto started = lifecycle.kata({"start", "sleeper"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  CHECK(lifecycle.state("sleeper")["status"] == "running");

  auto refused = lifecycle.kata({"delete", "sleeper"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("cannot delete container sleeper that is not stopped: running") != std::string::npos);

  auto killed = lifecycle.kata({"kill", "sleeper", "9"});
  CHECK_MESSAGE(killed.status == 0, describe(killed));
  auto stopped = lifecycle.wait_stopped("sleeper");
  CHECK(stopped["status"] == "stopped");
  CHECK(lifecycle.record("sleeper")["kata"]["exit_status"] == 137);

  auto deleted = lifecycle.kata({"delete", "sleeper"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  lifecycle.check_gone("sleeper");
}

TEST_CASE("delete of a created container works without --force") {
  Lifecycle lifecycle;
  auto bundle = lifecycle.bundle("waiting", {"/bin/echo", "never"});
  auto created = lifecycle.kata({"create", "-b", bundle, "waiting"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  REQUIRE(lifecycle.state("waiting")["status"] == "created");
  auto deleted = lifecycle.kata({"delete", "waiting"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  lifecycle.check_gone("waiting");
}

TEST_CASE("errors: missing containers and bad bundles leave nothing behind") {
  Lifecycle lifecycle;
  auto missing = lifecycle.kata({"delete", "nosuch"});
  CHECK(missing.status == 1);
  CHECK(missing.err.find("does not exist") != std::string::npos);
  auto forced = lifecycle.kata({"delete", "--force", "nosuch"});
  CHECK_MESSAGE(forced.status == 0, describe(forced));

  std::string empty = lifecycle.work() + "/empty-bundle";
  fs::create_directories(empty);
  auto no_config = lifecycle.kata({"create", "-b", empty, "noconfig"});
  CHECK(no_config.status == 1);
  CHECK(no_config.err.find("config.json") != std::string::npos);
  CHECK_FALSE(fs::exists(lifecycle.root() + "/noconfig"));

  std::string invalid = lifecycle.bundle("invalid", {"/bin/true"});
  REQUIRE(write_file_atomic(invalid + "/config.json", R"({"ociVersion":"1.0.2","process":{"cwd":"relative"}})").ok());
  auto bad_spec = lifecycle.kata({"create", "-b", invalid, "invalid"});
  CHECK(bad_spec.status == 1);
  CHECK(bad_spec.err.find("config.json") != std::string::npos);
  CHECK_FALSE(fs::exists(lifecycle.root() + "/invalid"));

  std::string host_net = lifecycle.bundle("hostnet", {"/bin/true"});
  auto text = read_file(host_net + "/config.json", 1U << 20);
  REQUIRE(text.ok());
  json config = json::parse(*text);
  json namespaces = json::array();
  for (const auto& ns : config["linux"]["namespaces"])
    if (ns["type"] != "network") namespaces.push_back(ns);
  config["linux"]["namespaces"] = namespaces;
  REQUIRE(write_file_atomic(host_net + "/config.json", config.dump()).ok());
  auto refused = lifecycle.kata({"create", "-b", host_net, "hostnet"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("kata cannot share the host network namespace with a VM") != std::string::npos);
  CHECK_FALSE(fs::exists(lifecycle.root() + "/hostnet"));

  // A namespace path of another type is named, whatever the type means in the VM.
  std::string wrong_ns = lifecycle.bundle("wrongns", {"/bin/true"});
  text = read_file(wrong_ns + "/config.json", 1U << 20);
  REQUIRE(text.ok());
  config = json::parse(*text);
  config["linux"]["namespaces"].push_back({{"type", "cgroup"}, {"path", "/proc/self/ns/ipc"}});
  REQUIRE(write_file_atomic(wrong_ns + "/config.json", config.dump()).ok());
  auto wrong = lifecycle.kata({"create", "-b", wrong_ns, "wrongns"});
  CHECK(wrong.status == 1);
  CHECK_MESSAGE(wrong.err.find("/proc/self/ns/ipc: a namespace of type ipc, not cgroup") != std::string::npos, describe(wrong));
  CHECK_FALSE(fs::exists(lifecycle.root() + "/wrongns"));
}

TEST_CASE("run -d, signals sent to the pid-file process reach the container, delete --force") {
  Lifecycle lifecycle;
  // A pid namespace's init ignores SIGTERM without a handler, hence the trap.
  auto trapper = lifecycle.bundle("trapper", {"/bin/sh", "-c", "trap 'exit 3' TERM; sleep 100 & wait"});
  std::string pid_file = lifecycle.work() + "/trapper.pid";
  auto detached = lifecycle.kata({"run", "-d", "-b", trapper, "--pid-file", pid_file, "trapper"});
  REQUIRE_MESSAGE(detached.status == 0, describe(detached));
  CHECK(lifecycle.state("trapper")["status"] == "running");
  auto pid_text = read_file(pid_file, 100);
  REQUIRE(pid_text.ok());
  REQUIRE(all_digits(*pid_text));
  // conmon and engines signal the pid-file process; the monitor forwards it.
  // Until the shell has installed its trap, SIGTERM to a pid namespace's
  // init is ignored: repeat it until the container stops.
  json stopped;
  for (int attempt = 0; attempt < 30; ++attempt) {
    REQUIRE(::kill(static_cast<pid_t>(std::stol(*pid_text)), SIGTERM) == 0);
    stopped = lifecycle.wait_stopped("trapper", 2s);
    if (stopped["status"] == "stopped") break;
  }
  CHECK(stopped["status"] == "stopped");
  CHECK(lifecycle.record("trapper")["kata"]["exit_status"] == 3);
  auto deleted = lifecycle.kata({"delete", "trapper"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  lifecycle.check_gone("trapper");

  auto sleeper = lifecycle.bundle("forced", {"/bin/sleep", "100"});
  auto running = lifecycle.kata({"run", "--detach", "-b", sleeper, "forced"});
  REQUIRE_MESSAGE(running.status == 0, describe(running));
  auto forced = lifecycle.kata({"delete", "--force", "forced"});
  CHECK_MESSAGE(forced.status == 0, describe(forced));
  lifecycle.check_gone("forced");
}

TEST_CASE("a VM that cannot start or whose agent never answers fails create and leaves nothing") {
  Lifecycle lifecycle;
  auto bundle = lifecycle.bundle("doomed", {"/bin/true"});

  auto no_kernel = lifecycle.broken_config("nokernel", lifecycle.work() + "/no-such-vmlinuz", test_guest_initrd());
  auto missing = lifecycle.kata({"create", "-b", bundle, "doomed"}, no_kernel);
  CHECK(missing.status == 1);
  CHECK_MESSAGE(missing.err.find("start the VM") != std::string::npos, describe(missing));
  CHECK_FALSE(fs::exists(lifecycle.root() + "/doomed"));
  CHECK(mounts_under(lifecycle.root()).empty());

  // A kernel without its initramfs boots and panics: no agent ever answers.
  std::string garbage = lifecycle.work() + "/garbage.img";
  REQUIRE(write_file_atomic(garbage, std::string(4096, 'x')).ok());
  auto no_agent = lifecycle.broken_config("noagent", test_guest_kernel(), garbage);
  auto silent = lifecycle.kata({"create", "-b", bundle, "doomed"}, no_agent);
  CHECK(silent.status == 1);
  CHECK_MESSAGE(silent.err.find("connect to the agent") != std::string::npos, describe(silent));
  CHECK_MESSAGE(silent.err.find("console.log") != std::string::npos, describe(silent));
  lifecycle.check_gone("doomed");
}

TEST_CASE("check --boot boots a throwaway sandbox, reports the time, and fails with the console when the guest is broken") {
  Lifecycle lifecycle;
  auto good = lifecycle.kata({"check", "--boot", "--json"});
  auto report = json::parse(good.out);
  json boot;
  for (const auto& check : report["checks"]) {
    if (check["id"] == "boot") boot = check;
  }
  REQUIRE_MESSAGE(boot.is_object(), describe(good));
  CHECK_MESSAGE(boot["status"] == "pass", describe(good));
  CHECK(boot["fact"].get<std::string>().find("booted to its agent in") != std::string::npos);
  CHECK(report["verdict"]["can_create"] == true);

  std::string garbage = lifecycle.work() + "/garbage.img";
  REQUIRE(write_file_atomic(garbage, std::string(4096, 'x')).ok());
  auto broken = lifecycle.kata({"check", "--boot", "--json"}, lifecycle.broken_config("noagent", test_guest_kernel(), garbage));
  CHECK(broken.status == 1);
  auto failed = json::parse(broken.out);
  bool boot_failed = false;
  for (const auto& check : failed["checks"]) {
    if (check["id"] == "boot") boot_failed = check["status"] == "fail" && check["fact"].get<std::string>().find("console.log") != std::string::npos;
  }
  CHECK_MESSAGE(boot_failed, describe(broken));
  CHECK(failed["verdict"]["can_create"] == false);
  // Nothing of the throwaway sandboxes stays behind.
  CHECK(mounts_under(lifecycle.root()).empty());
  CHECK(processes_naming(lifecycle.root() + "/check-boot-").empty());
  if (fs::exists(lifecycle.root())) CHECK(fs::is_empty(lifecycle.root()));
}

TEST_CASE("exec runs processes beside the container's, in the foreground and detached") {
  Lifecycle lifecycle;
  // Detached exec stand-ins are reparented to us, so their status can be read.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  auto bundle = lifecycle.bundle("execs", {"/bin/sleep", "600"});
  auto started = lifecycle.kata({"run", "-d", "-b", bundle, "execs"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));

  auto status = lifecycle.kata({"exec", "execs", "/bin/sh", "-c", "echo out; echo err >&2; exit 7"});
  CHECK_MESSAGE(status.status == 7, describe(status));
  CHECK(status.out == "out\n");
  CHECK(status.err == "err\n");

  auto flags = lifecycle.kata({"exec", "-e", "FOO=bar", "--cwd", "/tmp", "-u", "1000:1001", "execs", "--", "/bin/sh",
                               "-c", "echo $FOO $(pwd) $(id -u):$(id -g)"});
  CHECK_MESSAGE(flags.status == 0, describe(flags));
  CHECK(flags.out == "bar /tmp 1000:1001\n");

  std::string process = lifecycle.work() + "/process.json";
  REQUIRE(write_file_atomic(process, R"({"args":["/bin/echo","from-p"],"cwd":"/","user":{"uid":0,"gid":0}})").ok());
  auto from_file = lifecycle.kata({"exec", "-p", process, "execs"});
  CHECK_MESSAGE(from_file.status == 0, describe(from_file));
  CHECK(from_file.out == "from-p\n");

  // stdin and its EOF reach an exec'd process too.
  std::string input = lifecycle.work() + "/exec-input";
  REQUIRE(write_file_atomic(input, "abc\n").ok());
  auto piped = lifecycle.kata({"exec", "execs", "/bin/cat"}, "", input);
  CHECK(piped.out == "abc\n");

  auto missing = lifecycle.kata({"exec", "execs", "/no/such/binary"});
  CHECK_MESSAGE(missing.status == 255, describe(missing));
  CHECK_FALSE(missing.err.empty());

  // Detached: the pid file names a host process that lives as long as the
  // guest process and exits with its status.
  std::string pid_file = lifecycle.work() + "/exec.pid";
  auto detached = lifecycle.kata({"exec", "-d", "--pid-file", pid_file, "execs", "/bin/sh", "-c", "sleep 2; exit 5"});
  REQUIRE_MESSAGE(detached.status == 0, describe(detached));
  auto pid_text = read_or_empty(pid_file);
  REQUIRE(all_digits(pid_text));
  pid_t stand_in = std::stoi(pid_text);
  CHECK(::kill(stand_in, 0) == 0);
  CHECK(wait_exit(stand_in) == 5);

  // SIGKILL of that pid, the one signal it cannot forward (containerd's
  // shim sends it at an ExecSync timeout), ends the guest process too. The
  // pattern 60[1] finds sleep's "601" but not the grep's own command line.
  auto doomed = lifecycle.kata({"exec", "-d", "--pid-file", pid_file, "execs", "/bin/sleep", "601"});
  REQUIRE_MESSAGE(doomed.status == 0, describe(doomed));
  pid_text = read_or_empty(pid_file);
  REQUIRE(all_digits(pid_text));
  pid_t doomed_pid = std::stoi(pid_text);
  REQUIRE(::kill(doomed_pid, SIGKILL) == 0);
  CHECK(wait_exit(doomed_pid) == 128 + SIGKILL);
  KataResult still_there;
  for (int attempt = 0; attempt < 50; ++attempt) {
    still_there = lifecycle.kata({"exec", "execs", "/bin/sh", "-c", "grep -l '60[1]' /proc/[0-9]*/cmdline"});
    if (still_there.status == 1) break;  // grep found nothing
    std::this_thread::sleep_for(100ms);
  }
  CHECK_MESSAGE(still_there.status == 1, "the guest process outlived its pid: " << describe(still_there));

  auto stopped = lifecycle.kata({"exec", "nosuch", "/bin/true"});
  CHECK(stopped.status == 255);
  CHECK(stopped.err.find("does not exist") != std::string::npos);

  auto removed = lifecycle.kata({"delete", "--force", "execs"});
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  auto after = lifecycle.kata({"exec", "execs", "/bin/true"});
  CHECK(after.status == 255);
  lifecycle.check_gone("execs");
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("a terminal through a console socket: the shell answers, follows the window size and exits") {
  Lifecycle lifecycle;
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  auto bundle = lifecycle.bundle("tty", {"/bin/sh"}, true);
  auto refused = lifecycle.kata({"create", "-b", bundle, "tty"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("console socket") != std::string::npos);

  ConsoleSocket console(lifecycle.work() + "/console.sock");
  auto created = lifecycle.kata({"create", "--console-socket", console.path(), "-b", bundle, "tty"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  UniqueFd master = console.receive_master();
  auto started = lifecycle.kata({"start", "tty"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));

  type(master.get(), "echo hi-$((6*7))\n");
  CHECK(read_until(master.get(), "hi-42").find("hi-42") != std::string::npos);
  winsize size{40, 120, 0, 0};
  REQUIRE(::ioctl(master.get(), TIOCSWINSZ, &size) == 0);
  std::this_thread::sleep_for(1s);  // the monitor looks at window sizes every 250 ms
  type(master.get(), "stty size\n");
  CHECK(read_until(master.get(), "40 120").find("40 120") != std::string::npos);
  // A pty of the container's own devpts (/dev/console is a bind of it), as
  // under runc, which the host relays like any other.
  type(master.get(), "tty\n");
  CHECK(read_until(master.get(), "/dev/pts/0").find("/dev/pts/0") != std::string::npos);

  // An exec'd shell with its own terminal.
  ConsoleSocket exec_console(lifecycle.work() + "/exec-console.sock");
  std::string pid_file = lifecycle.work() + "/tty-exec.pid";
  auto exec = lifecycle.kata({"exec", "-t", "-d", "--console-socket", exec_console.path(), "--pid-file", pid_file,
                              "tty", "/bin/sh"});
  REQUIRE_MESSAGE(exec.status == 0, describe(exec));
  UniqueFd exec_master = exec_console.receive_master();
  type(exec_master.get(), "echo $((2+3))x\n");
  CHECK(read_until(exec_master.get(), "5x").find("5x") != std::string::npos);
  type(exec_master.get(), "exit 4\n");
  CHECK(wait_exit(std::stoi(read_or_empty(pid_file))) == 4);

  type(master.get(), "exit 3\n");
  auto state = lifecycle.wait_stopped("tty");
  CHECK(state["status"] == "stopped");
  CHECK(lifecycle.record("tty")["kata"]["exit_status"] == 3);
  auto removed = lifecycle.kata({"delete", "tty"});
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  lifecycle.check_gone("tty");
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("a test that stops half way leaks no VM: the fixture deletes what it left") {
  std::string work;
  {
    KataSandboxes abandoned;
    work = abandoned.work();
    auto bundle = abandoned.bundle("abandoned", {"/bin/sleep", "1000"});
    auto created = abandoned.kata({"create", "-b", bundle, "abandoned"});
    REQUIRE_MESSAGE(created.status == 0, describe(created));
    REQUIRE_FALSE(processes_naming(work + "/", "qemu-system").empty());
    // No delete: the test "fails" here and the fixture goes out of scope.
  }
  CHECK(processes_naming(work + "/").empty());
  CHECK(mounts_under(work).empty());
  CHECK_FALSE(fs::exists(work));
}
