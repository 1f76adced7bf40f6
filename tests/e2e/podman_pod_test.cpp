// podman pods through kata (label `e2e`): the pod is one VM. The infra
// container boots it; each member joins it, shares its localhost, hostname
// and IPC namespace, and keeps runc's contract (logs, exec, exit status);
// `podman pod rm` leaves nothing. Needs Debian's catatonit for the infra.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/engine_host.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::e2e;
using kata::test_support::read_or_empty;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// QEMU processes whose command line names kata's state root under podman.
int qemus_under(const std::string& root) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read_or_empty(entry.path().string() + "/cmdline");
    if (contains(cmdline, "qemu-system") && contains(cmdline, root + "/")) ++count;
  }
  return count;
}

std::string podman_out(const std::vector<std::string>& args) {
  auto result = EngineHost::get().podman(args);
  REQUIRE_MESSAGE(result.status == 0, describe(result));
  return trim(result.out);
}

}  // namespace

TEST_SUITE("podman pods") {

TEST_CASE("a podman pod is one VM: members share localhost, hostname and IPC; exec works; pod rm leaves nothing") {
  auto& host = EngineHost::get();
  const std::string pod = "kata-e2e-pod";
  podman_out({"pod", "create", "--name", pod, "--hostname", "kata-pod"});
  auto infra = podman_out({"pod", "inspect", "--format", "{{.InfraContainerID}}", pod});
  REQUIRE(infra.size() == 64);

  auto web = podman_out({"run", "-d", "--pod", pod, "--name", "kata-e2e-pod-web", EngineHost::kImage, "sh", "-c",
                         "mkdir -p /www && echo pod-page > /www/index.html && echo ready &&"
                         " exec httpd -f -p 127.0.0.1:8080 -h /www"});
  REQUIRE(web.size() == 64);
  std::string logs;
  for (auto deadline = std::chrono::steady_clock::now() + 120s; std::chrono::steady_clock::now() < deadline;) {
    logs = host.podman({"logs", "kata-e2e-pod-web"}).out;
    if (contains(logs, "ready")) break;
    std::this_thread::sleep_for(200ms);
  }
  REQUIRE_MESSAGE(contains(logs, "ready"), logs);
  // The infra's VM runs both: one QEMU for the pod.
  CHECK(qemus_under(host.podman_kata_root()) == 1);

  // A second member: over the pod's loopback to the first, with the pod's
  // hostname, in the same IPC and UTS namespaces (their identities in the
  // guest), and its own exit status back through podman.
  auto client = host.podman({"run", "--rm", "--pod", pod, EngineHost::kImage, "sh", "-c",
                             "hostname; wget -qO- http://127.0.0.1:8080/; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts;"
                             " exit 5"});
  CHECK_MESSAGE(client.status == 5, describe(client));
  auto in_web =
      host.podman({"exec", "kata-e2e-pod-web", "sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts"});
  CHECK_MESSAGE(in_web.status == 0, describe(in_web));
  CHECK(contains(in_web.out, "ipc:["));
  CHECK_MESSAGE(client.out == "kata-pod\npod-page\n" + in_web.out, describe(client) << " web: " << in_web.out);
  CHECK_MESSAGE(qemus_under(host.podman_kata_root()) == 1,
                "sandbox monitor.log:\n" << read_or_empty(host.podman_kata_root() + "/" + infra + "/monitor.log"));

  auto stopped = host.podman({"pod", "stop", "--time", "2", pod});
  CHECK_MESSAGE(stopped.status == 0, describe(stopped) << "sandbox monitor.log:\n"
                                     << read_or_empty(host.podman_kata_root() + "/" + infra + "/monitor.log"));
  auto removed = host.podman({"pod", "rm", pod});
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  for (const auto& id : {infra, web}) {
    auto gone = kata_leftovers(host.podman_kata_root(), id);
    CHECK_MESSAGE(gone.empty(), id << " left behind: " << (gone.empty() ? "" : gone.front()));
  }
  CHECK(qemus_under(host.podman_kata_root()) == 0);
}

}  // TEST_SUITE
