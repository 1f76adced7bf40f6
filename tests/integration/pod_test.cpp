// Pods through the built kata binary, replaying what CRI-O sends (it is not
// installable here): a sandbox (pause) container whose spec names the
// pod's pinned namespace files (network under /run/netns, IPC and UTS bind
// mounts of nsfs files, as CRI-O's pinns makes them) with
// io.kubernetes.cri-o.ContainerType=sandbox, then members with
// ContainerType=container and SandboxID naming the same files. Members run
// in the sandbox's VM with the pod's hostname; a member whose sandbox is
// unknown, or which names another network namespace, is refused leaving
// nothing. Needs root.

#include <doctest/doctest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/kata_cli.hpp"

using namespace kata::test_support;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A network namespace pinned under /run/netns, deleted on destruction.
struct PinnedNetns {
  std::string name;
  std::string path = "/run/netns/" + name;
  explicit PinnedNetns(std::string netns_name) : name(std::move(netns_name)) {
    REQUIRE(std::system(("ip netns add " + name).c_str()) == 0);
  }
  ~PinnedNetns() { (void)std::system(("ip netns del " + name).c_str()); }
};

// The pod's namespaces, pinned as files the way CRI-O pins them.
struct PinnedPod {
  PinnedNetns network{"kata-pod" + std::to_string(::getpid())};
  std::string netns = network.path;
  std::string ipc;
  std::string uts;
  explicit PinnedPod(const std::string& dir) : ipc(dir + "/ipcns"), uts(dir + "/utsns") {
    REQUIRE(std::system(("touch " + ipc + " " + uts + " && unshare --ipc=" + ipc + " --uts=" + uts + " true").c_str()) ==
            0);
  }
  ~PinnedPod() {
    ::umount2(ipc.c_str(), MNT_DETACH);
    ::umount2(uts.c_str(), MNT_DETACH);
  }
};

// The spec edit for a CRI-O container of `type` in sandbox `sandbox_id`.
std::function<void(json&)> crio(const PinnedPod& pod, const std::string& type, const std::string& sandbox_id,
                                 const std::string& netns = "") {
  return [=, &pod](json& spec) {
    spec["annotations"] = {{"io.kubernetes.cri-o.ContainerType", type},
                           {"io.kubernetes.cri-o.SandboxID", sandbox_id}};
    spec["hostname"] = "cri-pod";
    for (auto& entry : spec["linux"]["namespaces"]) {
      if (entry["type"] == "network") entry["path"] = netns.empty() ? pod.netns : netns;
      if (entry["type"] == "ipc") entry["path"] = pod.ipc;
      if (entry["type"] == "uts") entry["path"] = pod.uts;
    }
  };
}

// A member is gone while its sandbox runs: its state dir, its entries in
// the sandbox's share and every mount of them.
void check_member_gone(KataSandboxes& sandboxes, const std::string& sandbox, const std::string& id) {
  CHECK(!fs::exists(sandboxes.dir_of(id)));
  std::string entry = sandboxes.dir_of(sandbox) + "/share/" + id;
  CHECK(!fs::exists(entry));
  CHECK(read_or_empty("/proc/self/mountinfo").find(entry) == std::string::npos);
}

// The guest's MemTotal in KiB as container `id` sees it (0: unreadable).
long guest_memory_kib(KataSandboxes& sandboxes, const std::string& id) {
  auto meminfo = sandboxes.kata({"exec", id, "/bin/cat", "/proc/meminfo"});
  auto at = meminfo.out.find("MemTotal:");
  return meminfo.status == 0 && at != std::string::npos ? std::atol(meminfo.out.c_str() + at + 9) : 0;
}

int qemus_naming(const std::string& dir) { return static_cast<int>(processes_naming(dir + "/", "qemu-system").size()); }

}  // namespace

TEST_CASE("CRI-O's calls replayed: members run in the sandbox's VM, in the pod's namespaces; bad members leave nothing") {
  KataSandboxes sandboxes;
  PinnedPod pod(sandboxes.work());
  const std::string sandbox = "crio-pause";
  auto pause = sandboxes.bundle(sandbox, {"/bin/sleep", "1000"}, {.edit = crio(pod, "sandbox", sandbox)});
  auto created = sandboxes.kata({"create", "-b", pause, sandbox});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  REQUIRE(sandboxes.kata({"start", sandbox}).status == 0);

  // A member: the pod's hostname, its IPC namespace shared with the
  // sandbox's container in the guest, its status back; no second VM.
  auto app = sandboxes.bundle("crio-app", {"/bin/sh", "-c", "hostname; readlink /proc/self/ns/ipc; exit 3"},
                              {.extra_applets = {"readlink"}, .edit = crio(pod, "container", sandbox)});
  auto ran = sandboxes.kata({"run", "-b", app, "crio-app"});
  CHECK_MESSAGE(ran.status == 3, describe(ran));
  CHECK(ran.out.rfind("cri-pod\nipc:[", 0) == 0);
  CHECK(qemus_naming(sandboxes.dir_of(sandbox)) == 1);
  check_member_gone(sandboxes, sandbox, "crio-app");

  // Two members created at once are both created, and both run.
  auto first = sandboxes.bundle("crio-a", {"/bin/sleep", "1000"}, {.edit = crio(pod, "container", sandbox)});
  auto second = sandboxes.bundle("crio-b", {"/bin/sleep", "1000"}, {.edit = crio(pod, "container", sandbox)});
  auto a = sandboxes.spawn({"create", "-b", first, "crio-a"});
  auto b = sandboxes.spawn({"create", "-b", second, "crio-b"});
  auto a_done = sandboxes.finish(a);
  auto b_done = sandboxes.finish(b);
  CHECK_MESSAGE(a_done.status == 0, describe(a_done));
  CHECK_MESSAGE(b_done.status == 0, describe(b_done));
  CHECK(sandboxes.kata({"start", "crio-a"}).status == 0);
  CHECK(sandboxes.kata({"start", "crio-b"}).status == 0);
  CHECK(sandboxes.state("crio-a")["status"] == "running");
  CHECK(sandboxes.state("crio-b")["status"] == "running");
  // Deleting one leaves the other and the sandbox running.
  CHECK(sandboxes.kata({"delete", "--force", "crio-a"}).status == 0);
  check_member_gone(sandboxes, sandbox, "crio-a");
  CHECK(sandboxes.state("crio-b")["status"] == "running");
  CHECK(sandboxes.state(sandbox)["status"] == "running");

  // A member with a memory limit grows the pod's VM by it (a hot-added
  // pc-dimm, onlined by the guest kernel), as a sandbox's VM is sized for
  // its own container's limit.
  long before = guest_memory_kib(sandboxes, sandbox);
  REQUIRE(before > 0);
  auto big = sandboxes.bundle("crio-big", {"/bin/sleep", "1000"}, {.edit = [&](json& spec) {
                                crio(pod, "container", sandbox)(spec);
                                spec["linux"]["resources"]["memory"] = {{"limit", 200 << 20}};
                              }});
  auto grown = sandboxes.kata({"run", "-d", "-b", big, "crio-big"});
  REQUIRE_MESSAGE(grown.status == 0, describe(grown));
  long after = before;
  for (int attempt = 0; attempt < 50 && after < before + (200 << 10); ++attempt) {
    std::this_thread::sleep_for(200ms);
    after = guest_memory_kib(sandboxes, "crio-big");
  }
  // 200 MiB rounds up to one 128 MiB-aligned block of 256 MiB.
  CHECK_MESSAGE(after >= before + (200 << 10), "MemTotal " << before << " KiB -> " << after << " KiB");
  CHECK(after <= before + (256 << 10));
  CHECK(sandboxes.kata({"delete", "--force", "crio-big"}).status == 0);
  check_member_gone(sandboxes, sandbox, "crio-big");

  // Refused before anything is made: an unknown sandbox, another network.
  auto orphan = sandboxes.bundle("crio-orphan", {"/bin/true"}, {.edit = crio(pod, "container", "no-such-pod")});
  auto refused = sandboxes.kata({"create", "-b", orphan, "crio-orphan"});
  CHECK(refused.status == 1);
  CHECK_MESSAGE(refused.err.find("pod sandbox no-such-pod is not a kata container") != std::string::npos,
                describe(refused));
  CHECK(!fs::exists(sandboxes.dir_of("crio-orphan")));
  PinnedNetns other("kata-pod-other" + std::to_string(::getpid()));
  auto stranger =
      sandboxes.bundle("crio-stranger", {"/bin/true"}, {.edit = crio(pod, "container", sandbox, other.path)});
  refused = sandboxes.kata({"create", "-b", stranger, "crio-stranger"});
  CHECK(refused.status == 1);
  CHECK_MESSAGE(refused.err.find("not the network namespace of pod sandbox") != std::string::npos, describe(refused));
  CHECK(!fs::exists(sandboxes.dir_of("crio-stranger")));
  CHECK(!fs::exists(sandboxes.dir_of(sandbox) + "/share/crio-stranger"));

  // The sandbox's end ends the pod: the running member stops too.
  CHECK(sandboxes.kata({"kill", sandbox, "KILL"}).status == 0);
  CHECK(sandboxes.wait_stopped(sandbox, 60s)["status"] == "stopped");
  CHECK(sandboxes.wait_stopped("crio-b", 60s)["status"] == "stopped");
  CHECK(sandboxes.kata({"delete", "crio-b"}).status == 0);
  CHECK(sandboxes.kata({"delete", sandbox}).status == 0);
  sandboxes.check_gone("crio-b");
  sandboxes.check_gone(sandbox);
}
