// Networking through the built `kata` binary (label `vm`), the way an
// engine sets it up: the test makes a network namespace with one end of a
// veth pair in it (address, MTU 1400, default route via the host end) and
// points the bundle's network namespace at it. kata carries the interface
// into the VM (tcfilter: tap + tc mirred); the container reaches a TCP
// server on the host end and serves one back, sees the MTU and routes, and
// after delete no tap or filter is left in the namespace. A bundle without
// a namespace path gets loopback only. Needs root and the `ip`/`tc` tools
// (iproute2) for the test's own setup and checks; two VM boots.

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
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

/// Output and status of a shell command (the test's own setup and checks).
struct Shell {
  int status = -1;
  std::string out;
};

Shell shell(const std::string& command) {
  Shell result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// A network namespace `kata-nt<pid>` holding eth0 (10.200.N.2/24, MTU
/// 1400, default route via 10.200.N.1 and a route to 192.168.213.0/24),
/// the peer of a veth whose host end has 10.200.N.1/24. Removed (with the
/// veth pair) on destruction.
class TestNetns {
 public:
  TestNetns() {
    int n = 20 + static_cast<int>(::getpid() % 200);
    name_ = "kata-nt" + std::to_string(::getpid());
    host_if_ = "kvh" + std::to_string(::getpid() % 100000);
    subnet_ = "10.200." + std::to_string(n);
    std::string peer = "kvc" + std::to_string(::getpid() % 100000);
    std::vector<std::string> steps = {
        "ip netns add " + name_,
        "ip link add " + host_if_ + " type veth peer name " + peer,
        "ip link set " + peer + " netns " + name_,
        "ip -n " + name_ + " link set " + peer + " name eth0",
        "ip -n " + name_ + " link set eth0 mtu 1400 up",
        "ip -n " + name_ + " link set lo up",
        "ip -n " + name_ + " addr add " + subnet_ + ".2/24 dev eth0",
        "ip -n " + name_ + " route add default via " + subnet_ + ".1",
        "ip -n " + name_ + " route add 192.168.213.0/24 via " + subnet_ + ".1",
        "ip link set " + host_if_ + " mtu 1400 up",
        "ip addr add " + subnet_ + ".1/24 dev " + host_if_,
    };
    for (const auto& step : steps) {
      auto done = shell(step);
      REQUIRE_MESSAGE(done.status == 0, step << ": " << done.out);
    }
  }
  ~TestNetns() {
    (void)shell("ip link del " + host_if_);
    (void)shell("ip netns del " + name_);
  }
  std::string path() const { return "/run/netns/" + name_; }
  /// Runs `command` inside the namespace.
  Shell in(const std::string& command) const { return shell("ip netns exec " + name_ + " " + command); }
  const std::string& subnet() const { return subnet_; }

 private:
  std::string name_;
  std::string host_if_;
  std::string subnet_;
};

UniqueFd listen_tcp(const std::string& address, int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) == 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd.get(), 4) == 0);
  return fd;
}

/// Reads from `fd` until EOF, a newline or `limit`.
std::string read_line_from(int fd, std::chrono::seconds limit) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buffer[512];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

/// Accepts one connection on `listener` within `limit`; its first line.
std::string accept_line(int listener, std::chrono::seconds limit) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(limit).count())) <= 0) return "(no connection)";
  UniqueFd connection(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!connection) return "(accept failed)";
  return read_line_from(connection.get(), 30s);
}

/// Connects to `address`:`port`, retrying until `limit` (the container may
/// not listen yet); the first line it sends.
std::string fetch_line(const std::string& address, int port, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      auto line = read_line_from(fd.get(), 30s);
      if (!line.empty()) return line;
    }
    std::this_thread::sleep_for(300ms);
  }
  return "(no answer)";
}

/// The shared fixture with a tcfilter configuration, bundles that run a
/// shell script in a given network namespace with the network applets, and
/// the network cases' stricter stop and leftover checks.
class NetworkFixture : public KataSandboxes {
 public:
  NetworkFixture()
      : KataSandboxes({.name = "kata-network",
                       .config = {.extra = "[runtime]\ninternetworking_model = \"tcfilter\"\n"},
                       .timeout = 240s}) {}

  /// A bundle running `script` with /bin/sh; network namespace at
  /// `netns_path` (empty: a new one).
  std::string bundle(const std::string& name, const std::string& script, const std::string& netns_path) {
    return KataSandboxes::bundle(name, {"/bin/sh", "-c", script},
                                 {.netns_path = netns_path, .extra_applets = {"ip", "nc", "ifconfig", "wget", "dd"}});
  }

  void wait_stopped(const std::string& id, std::chrono::seconds limit = 120s) {
    if (KataSandboxes::wait_stopped(id, limit)["status"] == "stopped") return;
    FAIL("container " << id << " did not stop");
  }

  /// Nothing of `id` is left: state dir, QEMU/virtiofsd naming it, and no
  /// mountinfo line names the root at all.
  void check_gone(const std::string& id) {
    KataSandboxes::check_gone(id);
    CHECK(shell("grep -c '" + root() + "' /proc/self/mountinfo").out == "0\n");
  }
};

/// kata's taps and tc state left in the namespace ("" when none).
std::string kata_leftovers(const TestNetns& netns) {
  std::string left;
  auto links = netns.in("ip -o link show");
  if (links.out.find("_kata") != std::string::npos) left += "links: " + links.out;
  auto qdiscs = netns.in("tc qdisc show dev eth0");
  if (qdiscs.out.find("ingress") != std::string::npos) left += "qdiscs: " + qdiscs.out;
  auto filters = netns.in("tc filter show dev eth0 ingress");
  if (!filters.out.empty()) left += "filters: " + filters.out;
  return left;
}

}  // namespace

TEST_CASE("a half-done network setup fails create with a clear error and leaves no tap or filter") {
  TestNetns netns;
  NetworkFixture fixture;
  // Someone else's ingress qdisc on eth0: kata must not take it over.
  REQUIRE(netns.in("tc qdisc add dev eth0 ingress").status == 0);
  auto bundle = fixture.bundle("busy", "true", netns.path());
  auto created = fixture.kata({"create", "-b", bundle, "busy"});
  CHECK(created.status == 1);
  CHECK_MESSAGE(created.err.find("ingress qdisc on eth0") != std::string::npos, describe(created));
  CHECK(netns.in("ip -o link show").out.find("_kata") == std::string::npos);
  CHECK(netns.in("tc filter show dev eth0 ingress").out.empty());
  fixture.check_gone("busy");

  auto missing = fixture.bundle("missing", "true", "/run/netns/kata-does-not-exist");
  auto refused = fixture.kata({"create", "-b", missing, "missing"});
  CHECK(refused.status == 1);
  CHECK_MESSAGE(refused.err.find("/run/netns/kata-does-not-exist") != std::string::npos, describe(refused));
  fixture.check_gone("missing");
}

TEST_CASE("a namespace path naming kata's own namespace is the host's network: refused, nothing changed there") {
  // kata runs inside the throwaway namespace, never the real host's: this
  // thread enters it, and kata inherits it. Its eth0 has an address, which
  // tcfilter would carry (tap, qdisc, filters) if it accepted the path.
  TestNetns netns;
  NetworkFixture fixture;
  UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  UniqueFd target(::open(netns.path().c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(own);
  REQUIRE(target);
  std::vector<std::string> paths = {"/proc/self/ns/net", netns.path(),
                                    "/proc/" + std::to_string(::getpid()) + "/ns/net"};
  std::vector<KataResult> results;
  REQUIRE(::setns(target.get(), CLONE_NEWNET) == 0);
  for (std::size_t n = 0; n < paths.size(); ++n) {
    std::string id = "own" + std::to_string(n);
    auto bundle = fixture.bundle(id, "true", paths[n]);
    results.push_back(fixture.kata({"create", "-b", bundle, id}));
  }
  REQUIRE(::setns(own.get(), CLONE_NEWNET) == 0);
  for (std::size_t n = 0; n < paths.size(); ++n) {
    CAPTURE(paths[n]);
    CHECK(results[n].status == 1);
    CHECK_MESSAGE(results[n].err.find("kata cannot share the host network namespace with a VM") != std::string::npos,
                  describe(results[n]));
    fixture.check_gone("own" + std::to_string(n));
  }
  CHECK(kata_leftovers(netns) == "");
}

TEST_CASE("the container's namespace reaches the VM: TCP both ways, MTU and routes; delete leaves nothing") {
  TestNetns netns;
  NetworkFixture fixture;
  const std::string host = netns.subnet() + ".1";
  const std::string guest = netns.subnet() + ".2";
  auto listener = listen_tcp(host, 18080);
  std::string script =
      "ip -o link show eth0; ip -o addr show dev eth0; ip route; ip -o link show lo;"
      "echo from-container | nc -w 10 " + host + " 18080;"
      "echo from-server-in-container | nc -l -p 18081; echo done";
  auto bundle = fixture.bundle("net", script, netns.path());
  auto created = fixture.kata({"create", "-b", bundle, "net"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  // While it exists, its tap and both filters are in the namespace.
  CHECK(netns.in("ip -o link show").out.find("tap0_kata") != std::string::npos);
  CHECK(netns.in("tc filter show dev eth0 ingress").out.find("tap0_kata") != std::string::npos);
  // The container's pid is in the engine's namespace, as a runc container's
  // would be: what `nsenter -t PID -n` and pod members' paths name.
  {
    struct stat named {}, of_pid {};
    std::string pid = std::to_string(fixture.state("net")["pid"].get<long long>());
    REQUIRE(::stat(netns.path().c_str(), &named) == 0);
    REQUIRE(::stat(("/proc/" + pid + "/ns/net").c_str(), &of_pid) == 0);
    CHECK(named.st_ino == of_pid.st_ino);
    CHECK(named.st_dev == of_pid.st_dev);
  }
  auto started = fixture.kata({"start", "net"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));

  CHECK(accept_line(listener.get(), 120s) == "from-container\n");
  CHECK(fetch_line(guest, 18081, 120s) == "from-server-in-container\n");
  fixture.wait_stopped("net");

  std::string output = read_or_empty(created.out_path);
  CAPTURE(output);
  CHECK(output.find("mtu 1400") != std::string::npos);
  CHECK(output.find("inet " + guest + "/24") != std::string::npos);
  CHECK(output.find("default via " + host + " dev eth0") != std::string::npos);
  CHECK(output.find("192.168.213.0/24 via " + host + " dev eth0") != std::string::npos);
  CHECK(output.find("LOOPBACK,UP") != std::string::npos);
  CHECK(output.find("done") != std::string::npos);

  auto deleted = fixture.kata({"delete", "net"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  CHECK(kata_leftovers(netns) == "");
  fixture.check_gone("net");
  // The engine's interface is untouched.
  auto eth0 = netns.in("ip -o addr show dev eth0");
  CHECK(eth0.out.find("inet " + guest + "/24") != std::string::npos);
}

TEST_CASE("without a namespace path the container gets loopback only, and up") {
  NetworkFixture fixture;
  auto bundle = fixture.bundle("lo", "ip -o link show; echo end", "");
  auto run = fixture.kata({"run", "-b", bundle, "lo"});
  CHECK_MESSAGE(run.status == 0, describe(run));
  CHECK(run.out.find("lo: <LOOPBACK,UP") != std::string::npos);
  CHECK(run.out.find("eth0") == std::string::npos);
  CHECK(run.out.find("end") != std::string::npos);
  fixture.check_gone("lo");
}
