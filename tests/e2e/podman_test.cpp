// podman 4.3 + conmon running containers through the built kata (label
// `e2e`): what an engine user sees, and that nothing of kata remains after
// `podman rm` or `run --rm`. Each container boots its own VM (about 3 s
// under TCG), so assertions share containers where that reads naturally.
// Needs root, podman, conmon and netavark.

#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <sstream>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"
#include "tests/e2e/engine_host.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::e2e;
using kata::test_support::read_or_empty;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// The container ID podman wrote to `cidfile` (kata's container ID too).
std::string read_cid(const std::string& cidfile) {
  auto text = read_file(cidfile, 4096);
  REQUIRE_MESSAGE(text.ok(), "no cid file " << cidfile);
  return trim(*text);
}

/// A --cidfile path in a fresh directory.
std::string new_cidfile() { return EngineHost::get().fresh_dir("cid") + "/cid"; }

/// Polls `podman logs NAME` until it contains `needle`; returns the last logs.
std::string wait_for_log(const std::string& name, const std::string& needle, std::chrono::seconds limit = 120s) {
  auto& host = EngineHost::get();
  std::string logs;
  for (auto deadline = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < deadline;) {
    auto result = host.podman({"logs", name});
    logs = result.out + result.err;
    if (contains(logs, needle)) break;
    std::this_thread::sleep_for(200ms);
  }
  return logs;
}

std::string inspect(const std::string& name, const std::string& format) {
  auto result = EngineHost::get().podman({"inspect", "--format", format, name});
  REQUIRE_MESSAGE(result.status == 0, describe(result));
  return trim(result.out);
}

/// Removes NAME with `podman rm` and checks that podman and kata forgot it.
void remove_and_check_gone(const std::string& name, const std::string& id) {
  auto& host = EngineHost::get();
  auto removed = host.podman({"rm", name});
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  auto listed = host.podman({"ps", "--all", "--format", "{{.Names}}"});
  CHECK_FALSE(contains(listed.out, name));
  auto left = kata_leftovers(host.podman_kata_root(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

/// A detached container running a shell loop that prints `ready` first.
std::string run_detached(const std::string& name, const std::string& script) {
  auto& host = EngineHost::get();
  auto started = host.podman({"run", "-d", "--name", name, EngineHost::kImage, "sh", "-c", script});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  std::string id = trim(started.out);
  REQUIRE(id.size() == 64);
  auto logs = wait_for_log(name, "ready");
  REQUIRE_MESSAGE(contains(logs, "ready"), "logs: " << logs);
  return id;
}

/// busybox httpd serving `probe` ("from-the-host") on the bridge's host
/// address (10.88.0.1) of the suite's network namespace, until destroyed.
class HostWebServer {
 public:
  HostWebServer() : port_(std::to_string(20000 + ::getpid() % 20000)) {
    std::string site = EngineHost::get().fresh_dir("site");
    REQUIRE(write_file_atomic(site + "/probe", "from-the-host\n", 0644).ok());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {  // fork-safe from here to exec
      ::execlp("busybox", "busybox", "httpd", "-f", "-p", port_.c_str(), "-h", site.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~HostWebServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  HostWebServer(const HostWebServer&) = delete;
  HostWebServer& operator=(const HostWebServer&) = delete;
  /// The container's command that fetches the probe.
  std::string fetch() const { return "wget -q -O - http://10.88.0.1:" + port_ + "/probe"; }

 private:
  std::string port_;
  pid_t pid_ = -1;
};

/// The whole answer to `GET /` over HTTP/1.0 at address:port; empty if the
/// connection fails. (The host's busybox wget is not used: Debian's static
/// busybox crashes in it.)
std::string http_get(const std::string& address, int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &peer.sin_addr) != 1) return {};
  // SO_SNDTIMEO bounds connect() too: a dropped SYN must not hang the test.
  timeval limit{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) return {};
  std::string request = "GET / HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return {};
  std::string answer;
  char buffer[4096];
  ssize_t got;
  while ((got = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<std::size_t>(got));
  return answer;
}

}  // namespace

TEST_SUITE("podman") {

TEST_CASE("podman run --rm prints the container's output and leaves nothing of kata behind") {
  auto& host = EngineHost::get();
  auto cidfile = new_cidfile();
  // The default bridge network: kata gets a network namespace path.
  auto result = host.podman({"run", "--rm", "--cidfile", cidfile, EngineHost::kImage, "echo", "hi"});
  CHECK_MESSAGE(result.status == 0, describe(result));
  CHECK(result.out == "hi\n");
  auto id = read_cid(cidfile);
  auto left = kata_leftovers(host.podman_kata_root(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

TEST_CASE("the system's containers.conf defaults work: its default sysctl is set in the container's namespace") {
  // Debian's /usr/share/containers/containers.conf sets default_sysctls =
  // ["net.ipv4.ping_group_range=0 0"], so every spec on the default network
  // carries it next to a network namespace path.
  auto& host = EngineHost::get();
  auto result = host.podman({"run", "--rm", EngineHost::kImage, "cat", "/proc/sys/net/ipv4/ping_group_range"});
  CHECK_MESSAGE(result.status == 0, describe(result));
  CHECK(result.out == "0\t0\n");
}

TEST_CASE("podman run options reach the container, stdin too, and its exit status comes back") {
  auto& host = EngineHost::get();
  auto volume = host.fresh_dir("volume");
  fs::permissions(volume, fs::perms::all);  // written by uid 1000 in the container
  auto cidfile = new_cidfile();
  std::string script =
      "echo env=$E2E_VAR; echo pwd=$(pwd); echo id=$(id -u):$(id -g); echo hostname=$(hostname);"
      " echo nofile=$(ulimit -S -n):$(ulimit -H -n);"
      " echo scratch=$(grep ' /scratch ' /proc/mounts | cut -d' ' -f3);"
      " touch /scratch/f && echo scratch-writable;"
      " d=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup); echo memory=$(cat $d/memory.max) pids=$(cat $d/pids.max);"
      " read line; echo stdin=$line;"
      " echo from-container > /data/written; exit 42";
  std::string input = host.fresh_dir("stdin") + "/input";
  REQUIRE(write_file_atomic(input, "piped-in\n").ok());
  RunOptions with_stdin;
  with_stdin.stdin_path = input;
  auto result = host.podman({"run", "--rm", "-i", "--cidfile", cidfile, "--network", "none", "-e",
                             "E2E_VAR=hello-env", "-w", "/tmp", "-u", "1000:1000", "--hostname", "e2e-host",
                             "--ulimit", "nofile=512:1024", "--tmpfs", "/scratch:size=8m,mode=1777", "-v",
                             volume + ":/data", "--memory", "64m", "--pids-limit", "50", EngineHost::kImage, "sh",
                             "-c", script},
                            with_stdin);
  CHECK_MESSAGE(result.status == 42, describe(result));
  CHECK(contains(result.out, "env=hello-env\n"));
  CHECK(contains(result.out, "pwd=/tmp\n"));
  CHECK(contains(result.out, "id=1000:1000\n"));
  CHECK(contains(result.out, "hostname=e2e-host\n"));
  CHECK(contains(result.out, "nofile=512:1024\n"));
  CHECK(contains(result.out, "scratch=tmpfs\n"));
  CHECK(contains(result.out, "scratch-writable\n"));
  // Resource limits apply to the container's cgroup in the guest.
  CHECK(contains(result.out, "memory=67108864 pids=50\n"));
  CHECK(contains(result.out, "stdin=piped-in\n"));
  // The volume: written in the VM, read on the host, owned by the container's user.
  auto written = read_file(volume + "/written", 4096);
  CHECK_MESSAGE(written.ok(), "no file written through the volume; " << describe(result));
  if (written) CHECK(*written == "from-container\n");
  struct stat info {};
  if (::stat((volume + "/written").c_str(), &info) == 0) CHECK(info.st_uid == 1000);
  auto left = kata_leftovers(host.podman_kata_root(), read_cid(cidfile));
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

TEST_CASE("podman run --read-only, --cap-drop/--cap-add and --uts host") {
  auto& host = EngineHost::get();
  std::string script =
      "grep CapEff /proc/self/status;"
      " if touch /rootfile 2>/dev/null; then echo root-writable; else echo root-readonly; fi;"
      " touch /tmp/x && echo tmp-writable; echo hostname=$(hostname)";
  auto result = host.podman({"run", "--rm", "--read-only", "--cap-drop", "ALL", "--cap-add", "CHOWN", "--cap-add",
                             "NET_BIND_SERVICE", "--uts", "host", EngineHost::kImage, "sh", "-c", script});
  CHECK_MESSAGE(result.status == 0, describe(result));
  // CAP_CHOWN is bit 0, CAP_NET_BIND_SERVICE bit 10.
  CHECK(contains(result.out, "CapEff:\t0000000000000401\n"));
  CHECK(contains(result.out, "root-readonly\n"));
  CHECK(contains(result.out, "tmp-writable\n"));  // podman mounts a tmpfs on /tmp with --read-only
  // The host's name, as under runc, not the guest kernel's "(none)".
  utsname names{};
  REQUIRE(::uname(&names) == 0);
  CHECK_MESSAGE(contains(result.out, std::string("hostname=") + names.nodename + "\n"), describe(result));
}

TEST_CASE("a command missing from the image exits 127 with podman's message, leaving nothing") {
  auto& host = EngineHost::get();
  auto cidfile = new_cidfile();
  auto result =
      host.podman({"run", "--rm", "--cidfile", cidfile, EngineHost::kImage, "no-such-command", "--flag"});
  CHECK_MESSAGE(result.status == 127, describe(result));
  CHECK_MESSAGE(contains(result.err, "no-such-command"), describe(result));
  CHECK_MESSAGE(contains(result.err, "executable file not found in $PATH"), describe(result));
  auto left = kata_leftovers(host.podman_kata_root(), read_cid(cidfile));
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

TEST_CASE("an option a VM cannot honour fails with kata's reason, leaving nothing") {
  auto& host = EngineHost::get();
  auto cidfile = new_cidfile();
  auto result = host.podman({"run", "--rm", "--cidfile", cidfile, "--network", "host", EngineHost::kImage, "true"});
  CHECK_MESSAGE(result.status != 0, describe(result));
  CHECK_MESSAGE(contains(result.err, "host network"), describe(result));
  auto left = kata_leftovers(host.podman_kata_root(), read_cid(cidfile));
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

TEST_CASE("podman run -d, logs, ps, inspect, kill with a signal, stop with SIGTERM, rm") {
  auto& host = EngineHost::get();
  const std::string name = "kata-e2e-detached";
  auto id = run_detached(name,
                         "trap 'echo got-usr1' USR1; trap 'echo got-term; exit 3' TERM; echo ready;"
                         " while true; do sleep 0.2; done");

  auto listed = host.podman({"ps", "--format", "{{.Names}} {{.Status}}"});
  CHECK_MESSAGE(contains(listed.out, name + " Up"), describe(listed));
  CHECK(inspect(name, "{{.State.Status}}") == "running");
  // The pid podman holds is kata's pid-file process: alive on the host.
  auto pid = std::stoi(inspect(name, "{{.State.Pid}}"));
  CHECK(pid > 0);
  CHECK(::kill(pid, 0) == 0);
  CHECK(fs::exists(host.podman_kata_root() + "/" + id + "/state.json"));
  // While it runs, kata_leftovers sees its VM (so its empty answer later means something).
  auto running = kata_leftovers(host.podman_kata_root(), id, 0ms);
  std::string seen;
  for (const auto& item : running) seen += item + "\n";
  CHECK_MESSAGE(contains(seen, "state directory"), seen);
  CHECK_MESSAGE(contains(seen, "qemu-system"), seen);
  CHECK_MESSAGE(contains(seen, "mount "), seen);

  // Its UTS namespace named by a container outside a pod: that one runs in
  // a VM of its own, in a UTS namespace of its own with this one's name.
  auto same_name = host.podman({"run", "--rm", "--uts", "container:" + name, EngineHost::kImage, "hostname"});
  CHECK_MESSAGE(same_name.status == 0, describe(same_name));
  CHECK_MESSAGE(same_name.out == id.substr(0, 12) + "\n", describe(same_name));
  // Its PID or IPC namespace named so: kata refuses it, leaving nothing.
  for (std::string option : {"--pid", "--ipc"}) {
    auto joiner_cid = new_cidfile();
    auto joined = host.podman({"run", "--rm", "--cidfile", joiner_cid, option, "container:" + name,
                               EngineHost::kImage, "true"});
    CHECK_MESSAGE(joined.status != 0, describe(joined));
    CHECK_MESSAGE(contains(joined.err, "namespace is kata container " + id + "'s"), describe(joined));
    auto joiner_left = kata_leftovers(host.podman_kata_root(), read_cid(joiner_cid));
    CHECK_MESSAGE(joiner_left.empty(), "left behind: " << (joiner_left.empty() ? "" : joiner_left.front()));
  }

  auto signalled = host.podman({"kill", "--signal", "USR1", name});
  CHECK_MESSAGE(signalled.status == 0, describe(signalled));
  auto logs = wait_for_log(name, "got-usr1", 30s);
  CHECK_MESSAGE(contains(logs, "got-usr1"), "logs: " << logs);
  CHECK(inspect(name, "{{.State.Status}}") == "running");

  // The container handles SIGTERM, so stop returns well before its timeout.
  auto stopped = host.podman({"stop", "--time", "60", name});
  CHECK_MESSAGE(stopped.status == 0, describe(stopped));
  CHECK(stopped.seconds < 50);
  CHECK(inspect(name, "{{.State.Status}}") == "exited");
  CHECK(inspect(name, "{{.State.ExitCode}}") == "3");
  logs = wait_for_log(name, "got-term", 10s);
  CHECK_MESSAGE(contains(logs, "got-term"), "logs: " << logs);
  CHECK(::kill(pid, 0) != 0);

  remove_and_check_gone(name, id);
}

TEST_CASE("podman cp in and out of a running container reaches the container, never the host; top lists no host process") {
  auto& host = EngineHost::get();
  const std::string name = "kata-e2e-cp";
  auto id = run_detached(name, "echo made-inside > /tmp/inside; echo ready; while true; do sleep 0.2; done");
  std::string dir = host.fresh_dir("cp");
  std::string marker = "kata-e2e-copied-" + std::to_string(::getpid());
  REQUIRE(write_file_atomic(dir + "/in", marker + "\n").ok());

  // podman enters the mount namespace of the container's pid to copy.
  auto copied_in = host.podman({"cp", dir + "/in", name + ":/tmp/" + marker});
  CHECK_MESSAGE(copied_in.status == 0, describe(copied_in));
  CHECK_FALSE(fs::exists("/tmp/" + marker));  // not on the host
  auto seen = host.podman({"exec", name, "cat", "/tmp/" + marker});
  CHECK_MESSAGE(trim(seen.out) == marker, describe(seen));

  auto copied_out = host.podman({"cp", name + ":/tmp/inside", dir + "/out"});
  CHECK_MESSAGE(copied_out.status == 0, describe(copied_out));
  CHECK(read_or_empty(dir + "/out") == "made-inside\n");
  // A file the host has and the image does not: never the host's.
  auto shadow = host.podman({"cp", name + ":/etc/shadow", dir + "/shadow"});
  if (shadow.status == 0) CHECK(read_or_empty(dir + "/shadow") != read_or_empty("/etc/shadow"));

  // podman top reads the /proc of the container's pid namespace: the
  // stand-in alone, none of the host's processes.
  auto top = host.podman({"top", name, "pid", "comm"});
  CHECK_MESSAGE(top.status == 0, describe(top));
  std::istringstream lines(top.out);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) {
    if (!trim(line).empty()) rows.push_back(line);
  }
  CHECK_MESSAGE(rows.size() == 2, top.out);  // the header and the stand-in
  CHECK_FALSE(contains(top.out, "kthreadd"));

  auto removed = host.podman({"rm", "--force", "--time", "0", name});
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  auto left = kata_leftovers(host.podman_kata_root(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

TEST_CASE("podman stop of a container ignoring SIGTERM kills it after the timeout; podman kill") {
  auto& host = EngineHost::get();
  const std::string deaf = "kata-e2e-deaf";
  auto deaf_id = run_detached(deaf, "trap '' TERM; echo ready; while true; do sleep 0.2; done");
  auto stopped = host.podman({"stop", "--time", "2", deaf});
  CHECK_MESSAGE(stopped.status == 0, describe(stopped));
  CHECK(stopped.seconds >= 2.0);
  CHECK(inspect(deaf, "{{.State.ExitCode}}") == "137");
  remove_and_check_gone(deaf, deaf_id);

  const std::string killed = "kata-e2e-killed";
  auto killed_id = run_detached(killed, "echo ready; exec sleep 1000");
  auto kill = host.podman({"kill", killed});  // SIGKILL by default
  CHECK_MESSAGE(kill.status == 0, describe(kill));
  auto waited = host.podman({"wait", killed});
  CHECK_MESSAGE(waited.status == 0, describe(waited));
  CHECK(trim(waited.out) == "137");
  remove_and_check_gone(killed, killed_id);
}

TEST_CASE("podman exec with and without -t returns the process's status") {
  auto& host = EngineHost::get();
  const std::string name = "kata-e2e-exec";
  auto id = run_detached(name, "echo ready; while true; do sleep 0.2; done");
  auto plain = host.podman({"exec", name, "sh", "-c", "echo in-exec $(id -u); exit 7"});
  CHECK_MESSAGE(plain.status == 7, describe(plain));
  CHECK(plain.out == "in-exec 0\n");
  auto with_env = host.podman({"exec", "-e", "X=y", "-w", "/tmp", "-u", "1000", name, "sh", "-c", "echo $X $(pwd) $(id -u)"});
  CHECK_MESSAGE(with_env.status == 0, describe(with_env));
  CHECK(with_env.out == "y /tmp 1000\n");
  auto tty = host.podman({"exec", "-t", name, "tty"});
  CHECK_MESSAGE(tty.status == 0, describe(tty));
  CHECK(contains(tty.out, "/dev/pts/"));
  auto missing = host.podman({"exec", name, "no-such-command"});
  CHECK_MESSAGE(missing.status == 127, describe(missing));
  auto stopped = host.podman({"stop", "--time", "1", name});
  CHECK_MESSAGE(stopped.status == 0, describe(stopped));
  remove_and_check_gone(name, id);
}

TEST_CASE("podman pause freezes the container and unpause lets it go on") {
  auto& host = EngineHost::get();
  const std::string name = "kata-e2e-pause";
  auto id = run_detached(name, "echo ready; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done");
  auto paused = host.podman({"pause", name});
  CHECK_MESSAGE(paused.status == 0, describe(paused));
  CHECK(inspect(name, "{{.State.Status}}") == "paused");
  // Lines already on their way to conmon's log may land just after the pause.
  std::this_thread::sleep_for(1s);
  auto before = host.podman({"logs", name}).out;
  std::this_thread::sleep_for(2s);
  auto during = host.podman({"logs", name}).out;
  CHECK(before == during);
  auto resumed = host.podman({"unpause", name});
  CHECK_MESSAGE(resumed.status == 0, describe(resumed));
  CHECK(inspect(name, "{{.State.Status}}") == "running");
  std::this_thread::sleep_for(2s);
  CHECK(host.podman({"logs", name}).out.size() > during.size());
  auto stopped = host.podman({"stop", "--time", "1", name});
  CHECK_MESSAGE(stopped.status == 0, describe(stopped));
  remove_and_check_gone(name, id);
}

TEST_CASE("podman run -it gives a shell on a real terminal with the window size") {
  auto& host = EngineHost::get();
  // tmux owns a real pty of a known size (120x40) in which podman runs, as a
  // user's terminal would be; its own socket keeps it apart from other tmux servers.
  std::string socket = host.fresh_dir("tmux") + "/socket";
  std::string cidfile = new_cidfile();
  std::string command;
  for (const auto& word : host.podman_argv()) command += word + " ";
  command += "run -it --rm --cidfile " + cidfile + " " + EngineHost::kImage + " sh; echo podman-exit=$?; sleep 600";
  auto started = run_program({"tmux", "-S", socket, "new-session", "-d", "-x", "120", "-y", "40", command});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  // The tmux server (and podman in it) goes even when an assertion below fails.
  struct TmuxServer {
    std::string socket;
    ~TmuxServer() { run_program({"tmux", "-S", socket, "kill-server"}); }
  } server{socket};
  auto pane = [&] { return run_program({"tmux", "-S", socket, "capture-pane", "-p", "-J"}).out; };
  auto wait_pane = [&](const std::string& needle) {
    std::string text;
    for (auto deadline = std::chrono::steady_clock::now() + 120s; std::chrono::steady_clock::now() < deadline;) {
      text = pane();
      if (contains(text, needle)) break;
      std::this_thread::sleep_for(200ms);
    }
    return text;
  };
  // Wait for a marker printed after everything checked, not for the first
  // line: the pane is read while the shell may still be writing.
  run_program({"tmux", "-S", socket, "send-keys", "echo answer=$((6*7)); stty size; tty; echo end=$((2+3))", "Enter"});
  auto text = wait_pane("end=5");
  CHECK_MESSAGE(contains(text, "answer=42"), text);
  CHECK_MESSAGE(contains(text, "40 120"), text);
  // The init's terminal comes from the container's own devpts, as runc's.
  CHECK_MESSAGE(contains(text, "/dev/pts/0"), text);
  CHECK_MESSAGE(!contains(text, "not a tty"), text);
  run_program({"tmux", "-S", socket, "send-keys", "exit 5", "Enter"});
  text = wait_pane("podman-exit=");
  CHECK_MESSAGE(contains(text, "podman-exit=5"), text);
  auto left = kata_leftovers(host.podman_kata_root(), read_cid(cidfile));
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

TEST_CASE("podman run --network none gives the container only a loopback interface") {
  auto& host = EngineHost::get();
  auto result = host.podman({"run", "--rm", "--network", "none", EngineHost::kImage, "sh", "-c",
                             "ip -o link | cut -d: -f2 | tr -d ' '"});
  CHECK_MESSAGE(result.status == 0, describe(result));
  CHECK(result.out == "lo\n");
}

TEST_CASE("podman's default bridge: the container has its address and reaches the host") {
  auto& host = EngineHost::get();
  auto links_before = run_program({"ip", "-o", "link"}).out;
  auto cidfile = new_cidfile();
  ProgramResult result;
  {
    HostWebServer server;
    result = host.podman({"run", "--rm", "--cidfile", cidfile, EngineHost::kImage, "sh", "-c",
                          "ip -4 -o addr show eth0; " + server.fetch()});
  }
  CHECK_MESSAGE(result.status == 0, describe(result));
  CHECK(contains(result.out, "inet 10.88."));
  CHECK(contains(result.out, "from-the-host\n"));
  auto left = kata_leftovers(host.podman_kata_root(), read_cid(cidfile));
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
  // No tap or other interface of the container stays on the host (the bridge may).
  auto names = [](const std::string& links) {
    std::set<std::string> found;
    std::istringstream lines(links);
    std::string line;
    while (std::getline(lines, line)) {
      auto colon = line.find(": ");
      if (colon == std::string::npos) continue;
      auto name = line.substr(colon + 2, line.find_first_of(":@", colon + 2) - colon - 2);
      found.insert(name);
    }
    return found;
  };
  auto before = names(links_before);
  for (const auto& name : names(run_program({"ip", "-o", "link"}).out)) {
    if (name != "podman0") CHECK_MESSAGE(before.count(name) == 1, "new host interface " << name);
  }
}

TEST_CASE("podman run -p: the published port reaches a server in the VM, on localhost and the bridge") {
  // netavark's DNAT lands on the container's veth in its namespace; tc
  // carries what arrives there into the VM. The suite's own network
  // namespace keeps netavark's rules off the host's.
  auto& host = EngineHost::get();
  std::string site = host.fresh_dir("published-site");
  REQUIRE(write_file_atomic(site + "/index.html", "served-from-the-vm\n", 0644).ok());
  const std::string name = "kata-e2e-published";
  auto started = host.podman({"run", "-d", "--name", name, "-p", "18080:80", "-v", site + ":/www:ro",
                              EngineHost::kImage, "sh", "-c", "echo ready; exec httpd -f -p 80 -h /www"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  std::string id = trim(started.out);
  bool removed_already = false;
  ScopeExit remove([&] {
    if (!removed_already) (void)host.podman({"rm", "--force", "--time", "0", name});
  });
  auto logs = wait_for_log(name, "ready");
  REQUIRE_MESSAGE(contains(logs, "ready"), "logs: " << logs);
  for (std::string address : {"127.0.0.1", "10.88.0.1"}) {
    // httpd listens a moment after "ready" (seconds, under emulation).
    auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string answer = http_get(address, 18080);
    while (!contains(answer, "\r\n\r\n") && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(250ms);
      answer = http_get(address, 18080);
    }
    CHECK_MESSAGE(contains(answer, "200 OK"), address << ": " << answer);
    CHECK_MESSAGE(contains(answer, "\r\n\r\nserved-from-the-vm\n"), address << ": " << answer);
  }
  auto removed = host.podman({"rm", "--force", "--time", "0", name});
  removed_already = true;
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  auto left = kata_leftovers(host.podman_kata_root(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

TEST_CASE("with VM templates, a clone on podman's bridge has the container's MAC and address and reaches the host") {
  if (test_support::test_guest_kernel_name() != "kata") {
    MESSAGE("skipped: templates need kata's kernel (virtio-9p)");
    return;
  }
  auto& host = EngineHost::get();
  // The suite's configuration with templating on, behind a wrapper of its
  // own (named kata, as podman wants), on the suite's kata root.
  std::string dir = host.fresh_dir("templating");
  std::string template_dir = "/run/kata-e2e-template-" + std::to_string(::getpid());
  auto base = read_file(host.kata_config(), 1 << 20);
  REQUIRE(base.ok());
  std::string config = dir + "/configuration.toml";
  REQUIRE(write_file_atomic(config, *base + "[factory]\nenable_template = true\ntemplate_path = \"" + template_dir +
                                        "\"\n")
              .ok());
  fs::create_directories(dir + "/bin");
  std::string wrapper = dir + "/bin/kata";
  REQUIRE(write_file_atomic(wrapper,
                            "#!/bin/sh\nexec " + shell_quote(KATA_BINARY) + " --root " +
                                shell_quote(host.podman_kata_root()) + " --config " + shell_quote(config) + " \"$@\"\n",
                            0755)
              .ok());
  auto made = run_program({wrapper, "factory", "init"});
  REQUIRE_MESSAGE(made.status == 0, describe(made));
  ScopeExit destroy([&] { (void)run_program({wrapper, "factory", "destroy"}); });

  std::string name = "kata-e2e-clone-net";
  std::string logs;
  std::string id;
  {
    HostWebServer server;
    auto started = host.podman({"--runtime", wrapper, "run", "-d", "--name", name, EngineHost::kImage, "sh", "-c",
                                "cat /sys/class/net/eth0/address; ip -4 -o addr show eth0; " + server.fetch() +
                                    "; echo ready; sleep 1000"});
    REQUIRE_MESSAGE(started.status == 0, describe(started));
    id = trim(started.out);
    logs = wait_for_log(name, "ready");
  }
  ScopeExit removed([&] { (void)host.podman({"--runtime", wrapper, "rm", "--force", "--time", "0", name}); });
  CHECK_MESSAGE(contains(logs, "ready"), "logs: " << logs);
  // The clone's first NIC is the template's standby NIC, readdressed.
  std::string mac = inspect(name, "{{.NetworkSettings.MacAddress}}");
  CHECK(mac.size() == 17);
  CHECK_MESSAGE(contains(logs, mac + "\n"), logs);
  CHECK_MESSAGE(contains(logs, "inet " + inspect(name, "{{.NetworkSettings.IPAddress}}") + "/"), logs);
  CHECK_MESSAGE(contains(logs, "from-the-host\n"), logs);
  auto log = read_or_empty(host.podman_kata_root() + "/" + id + "/monitor.log");
  CHECK_MESSAGE(contains(log, "templating: cloned " + template_dir), log);
  auto gone = host.podman({"--runtime", wrapper, "rm", "--force", "--time", "0", name});
  CHECK_MESSAGE(gone.status == 0, describe(gone));
  auto left = kata_leftovers(host.podman_kata_root(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

}  // TEST_SUITE
