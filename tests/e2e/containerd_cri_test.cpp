// containerd's CRI plugin running a pod through kata, called as a kubelet
// calls it (label `e2e`): RunPodSandbox with runtime_handler "kata" boots
// one VM in the pod's host cgroup; CreateContainer/StartContainer put
// containers in it that share its localhost, hostname and /dev/shm, each
// with its pid in its own host cgroup (what ContainerStats reads);
// ExecSync (exit codes, stderr, a timeout that ends the process),
// ContainerStatus's exit codes, UpdateContainerResources, a tty, the CRI
// log; a CNI bridge in the suite's network namespace only; StopPodSandbox
// and RemovePodSandbox leave nothing of kata, the shim or the pod's
// network; under kubelet's systemd cgroup driver (the shim's
// SystemdCgroup) the pod's slice and scopes are kata's to make and remove.
// The private containerd and the CRI client are EngineHost's.

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/containerd_config.hpp"
#include "tests/e2e/cri_client.hpp"
#include "tests/e2e/engine_host.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata::e2e;
using kata::test_support::processes_naming;
using kata::test_support::read_or_empty;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// kubelet's namespace options for a pod without shareProcessNamespace:
/// the pod's network and IPC, a pid namespace per container.
const json kPodNamespaces{{"network", "POD"}, {"pid", "CONTAINER"}, {"ipc", "POD"}};

/// A CRI container config: busybox running `script` with `sh -c`, its log
/// in the pod's log directory, namespaces as kubelet asks.
json container_config(const std::string& name, const std::string& script) {
  return {{"metadata", {{"name", name}}},
          {"image", {{"image", EngineHost::kImage}}},
          {"command", {"sh", "-c", script}},
          {"log_path", name + ".log"},
          {"linux", {{"security_context", {{"namespace_options", kPodNamespaces}}}}}};
}

/// CreateContainer then StartContainer in `pod`: the container's id.
std::string run_container(CriClient& cri, const std::string& pod, const json& pod_config, const json& config) {
  auto created = cri.must("CreateContainer", {{"pod_sandbox_id", pod}, {"config", config}, {"sandbox_config", pod_config}});
  std::string id = created.value("container_id", "");
  REQUIRE(id.size() == 64);
  cri.must("StartContainer", {{"container_id", id}});
  return id;
}

/// ContainerStatus's status of `id`.
json container_status(CriClient& cri, const std::string& id) {
  return cri.must("ContainerStatus", {{"container_id", id}})["status"];
}

/// ContainerStatus of `id` once it has exited (or the last one after `limit`).
json wait_exited(CriClient& cri, const std::string& id, std::chrono::seconds limit = 60s) {
  json status;
  for (auto deadline = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < deadline;) {
    status = container_status(cri, id);
    if (status.value("state", "") == "CONTAINER_EXITED") break;
    std::this_thread::sleep_for(200ms);
  }
  return status;
}

/// The contents of `path` once it contains `needle` (or after `limit`).
std::string wait_for_text(const std::string& path, const std::string& needle, std::chrono::seconds limit = 60s) {
  std::string text;
  for (auto deadline = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < deadline;) {
    text = read_or_empty(path);
    if (contains(text, needle)) break;
    std::this_thread::sleep_for(200ms);
  }
  return text;
}

/// The pod's runtime spec (PodSandboxStatus verbose info), null when missing.
json pod_runtime_spec(const json& verbose_status) {
  auto info = json::parse(verbose_status["info"].value("info", "{}"), nullptr, false);
  if (info.is_discarded() || !info.contains("runtimeSpec")) return nullptr;
  return info["runtimeSpec"];
}

/// The path of namespace `type` in a runtime spec ("" when it has none).
std::string namespace_path(const json& spec, const std::string& type) {
  if (!spec.is_object()) return "";
  for (const auto& ns : spec["linux"].value("namespaces", json::array())) {
    if (ns.value("type", "") == type) return ns.value("path", "");
  }
  return "";
}

/// Processes of `program` whose command line names something under `dir`.
std::vector<std::string> processes_under(const std::string& dir, const std::string& program) {
  return processes_naming(dir + "/", program);
}

/// Host cgroup directories of `cgroups_path` (absolute) in the mounted hierarchies.
std::vector<std::string> host_cgroup_dirs(const std::string& cgroups_path) {
  std::vector<std::string> found;
  std::error_code error;
  if (fs::exists("/sys/fs/cgroup" + cgroups_path, error)) found.push_back("/sys/fs/cgroup" + cgroups_path);
  for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup", error)) {
    if (fs::exists(entry.path().string() + cgroups_path, error)) found.push_back(entry.path().string() + cgroups_path);
  }
  return found;
}

/// Whether the host cgroup `cgroups_path` has the kernel's default CPU weight
/// (cgroup v1 cpu.shares 1024, v2 cpu.weight 100).
bool cpu_weight_is_default(const std::string& cgroups_path) {
  std::string v1 = read_or_empty("/sys/fs/cgroup/cpu" + cgroups_path + "/cpu.shares");
  if (!v1.empty()) return trim(v1) == "1024";
  return trim(read_or_empty("/sys/fs/cgroup" + cgroups_path + "/cpu.weight")) == "100";
}

/// Files of libcni's result cache (the host's /var/lib/cni) for `pod` on kCniNetwork.
std::vector<std::string> cni_cache_entries(const std::string& pod) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/var/lib/cni/results", error)) {
    auto name = entry.path().filename().string();
    if (name.rfind(std::string(EngineHost::kCniNetwork) + "-" + pod, 0) == 0) found.push_back(name);
  }
  return found;
}

std::string first_or_none(const std::vector<std::string>& items) { return items.empty() ? "none" : items.front(); }

/// Stops and removes the pod at scope exit unless the test did (a failed
/// REQUIRE must not leave a VM running under the next tests).
struct PodGuard {
  CriClient& cri;
  std::string id;
  ~PodGuard() {
    if (id.empty()) return;
    cri.call("StopPodSandbox", {{"pod_sandbox_id", id}});
    cri.call("RemovePodSandbox", {{"pod_sandbox_id", id}});
  }
};

}  // namespace

TEST_SUITE("containerd CRI") {

TEST_CASE("a CRI pod is one kata VM: its containers share localhost, hostname and /dev/shm; exit codes; removal leaves nothing") {
  auto& host = EngineHost::get();
  auto& cri = host.cri();
  for (const char* image : {EngineHost::kImage, EngineHost::kPauseImage}) {
    auto known = cri.must("ImageStatus", {{"image", {{"image", image}}}});
    REQUIRE_MESSAGE(known.contains("image"), image << " is not in the CRI's image store");
  }

  // RunPodSandbox as kubelet sends it for a RuntimeClass whose handler is kata.
  const std::string hostname = "kata-cri-pod";
  std::string logs = host.fresh_dir("cri-logs");
  json pod_config{{"metadata", {{"name", "kata-e2e-cri"}, {"uid", "kata-e2e-cri-uid"}, {"namespace", "default"}}},
                  {"hostname", hostname},
                  {"log_directory", logs},
                  {"linux", {{"security_context", {{"namespace_options", kPodNamespaces}}}}}};
  auto ran = cri.must("RunPodSandbox", {{"config", pod_config}, {"runtime_handler", kCriRuntime}});
  std::string pod = ran.value("pod_sandbox_id", "");
  REQUIRE(pod.size() == 64);
  PodGuard guard{cri, pod};
  std::string sandbox_dir = host.cri_kata_root() + "/" + pod;
  REQUIRE_MESSAGE(fs::exists(sandbox_dir), "kata has no state for the pod's sandbox under " << host.cri_kata_root());

  auto status = cri.must("PodSandboxStatus", {{"pod_sandbox_id", pod}, {"verbose", true}});
  CHECK(status["status"].value("state", "") == "SANDBOX_READY");
  std::string pod_ip = status["status"]["network"].value("ip", "");
  CHECK_MESSAGE(pod_ip.rfind(EngineHost::kCniSubnetPrefix, 0) == 0, "pod ip " << pod_ip);
  auto spec = pod_runtime_spec(status);
  REQUIRE_MESSAGE(spec.is_object(), "no runtimeSpec in the verbose PodSandboxStatus: " << status.dump());
  std::string netns = namespace_path(spec, "network");
  CHECK_MESSAGE(netns.rfind("/var/run/netns/cni-", 0) == 0, "pod netns " << netns);

  // The CNI bridge is in the suite's network namespace, not the one the
  // tests were started in (nsenter itself works there: it finds lo).
  auto bridge_here = run_program({"ip", "link", "show", EngineHost::kCniBridge});
  CHECK_MESSAGE(bridge_here.status == 0, describe(bridge_here));
  auto outer_lo = run_program({"nsenter", "--net=" + host.outer_netns(), "ip", "link", "show", "lo"});
  REQUIRE_MESSAGE(outer_lo.status == 0, describe(outer_lo));
  auto bridge_outside =
      run_program({"nsenter", "--net=" + host.outer_netns(), "ip", "link", "show", EngineHost::kCniBridge});
  CHECK_MESSAGE(bridge_outside.status != 0, "the CNI bridge is in the outer namespace: " << describe(bridge_outside));

  // The sandbox's host cgroup is the spec's cgroupsPath (containerd's
  // /k8s.io/<id> without a cgroup_parent), and the VM runs in it.
  std::string cgroups_path = spec["linux"].value("cgroupsPath", "");
  CHECK(cgroups_path == "/k8s.io/" + pod);
  auto qemus = processes_under(sandbox_dir, "qemu-system");
  REQUIRE_MESSAGE(qemus.size() == 1, "QEMU processes of the sandbox: " << qemus.size());
  auto qemu_cgroups = read_or_empty("/proc/" + qemus.front() + "/cgroup");
  CHECK_MESSAGE(contains(qemu_cgroups, ":" + cgroups_path + "\n"), "QEMU's cgroups:\n" << qemu_cgroups);

  // containerd gives the pause container 2 CPU shares; the cgroup holds the whole pod's VM, so kata writes none.
  CHECK(spec["linux"]["resources"]["cpu"].value("shares", 0) == 2);
  CHECK_MESSAGE(cpu_weight_is_default(cgroups_path), "the pod VM's host cgroup took the pause container's CPU shares");
  auto web = run_container(cri, pod, pod_config,
                           container_config("web", "mkdir -p /www && echo cri-page > /www/index.html &&"
                                                   " echo from-web > /dev/shm/note && echo web-ready &&"
                                                   " exec httpd -f -p 127.0.0.1:8080 -h /www"));
  auto client = run_container(cri, pod, pod_config, container_config("client", "exec sleep 100000"));
  for (const auto& id : {web, client}) {
    CHECK(container_status(cri, id).value("state", "") == "CONTAINER_RUNNING");
    // Each is a kata container (a member of the sandbox), not a runc one.
    CHECK_FALSE(kata_leftovers(host.cri_kata_root(), id, 0ms).empty());
  }
  // The container's stdout reaches the CRI log (containerd's fifos through the shim and kata's relay).
  auto web_log = wait_for_text(logs + "/web.log", "web-ready");
  CHECK_MESSAGE(contains(web_log, " stdout F web-ready\n"), "web.log: " << web_log);
  // With tty, the shim hands kata a console socket; the terminal's output reaches the log too.
  auto term_config = container_config("term", "tty; echo term-ready; exec sleep 100000");
  term_config["tty"] = true;
  term_config["stdin"] = true;
  auto term = run_container(cri, pod, pod_config, term_config);
  auto term_log = wait_for_text(logs + "/term.log", "term-ready");
  CHECK_MESSAGE(contains(term_log, " stdout F /dev/pts/"), "term.log: " << term_log);
  CHECK_MESSAGE(contains(term_log, " stdout F term-ready"), "term.log: " << term_log);

  // Over the pod's loopback to the other container (httpd may still be
  // starting), the pod's hostname (kernel and /etc/hostname), the pod's
  // /dev/shm, the pod's address in the guest, stderr apart from stdout.
  auto exec = cri.must("ExecSync", {{"container_id", client},
                                    {"cmd",
                                     {"sh", "-c",
                                      "for i in $(seq 100); do wget -qO- http://127.0.0.1:8080/ 2>/dev/null && break;"
                                      " sleep 0.2; done; hostname; cat /etc/hostname /dev/shm/note;"
                                      " echo to-stderr >&2; ip -o -4 addr show"}},
                                    {"timeout", 60}});
  CHECK(exec.value("exit_code", -1) == 0);
  std::string out = exec.value("stdout", "");
  CHECK_MESSAGE(out.rfind("cri-page\n" + hostname + "\n" + hostname + "\nfrom-web\n", 0) == 0,
                "ExecSync stdout: " << out << "stderr: " << exec.value("stderr", ""));
  CHECK_MESSAGE(contains(out, " inet " + pod_ip + "/"), "the pod's address " << pod_ip << " in the guest: " << out);
  CHECK(exec.value("stderr", "") == "to-stderr\n");
  auto failing = cri.must("ExecSync", {{"container_id", client}, {"cmd", {"sh", "-c", "exit 3"}}, {"timeout", 60}});
  CHECK(failing.value("exit_code", -1) == 3);
  // An exec past its timeout (a kubelet exec probe's): containerd SIGKILLs
  // the exec's pid, and the process in the guest ends with it, so the call
  // returns at its deadline and nothing of it stays in the container.
  auto slow = cri.call("ExecSync", {{"container_id", client}, {"cmd", {"sleep", "37"}}, {"timeout", 2}});
  CHECK_MESSAGE(contains(slow.program.err, "DEADLINE_EXCEEDED"), describe(slow.program));
  CHECK_MESSAGE(slow.program.seconds < 20, describe(slow.program));
  auto ps = cri.must("ExecSync", {{"container_id", client}, {"cmd", {"ps"}}, {"timeout", 20}});
  CHECK_MESSAGE(!contains(ps.value("stdout", ""), "sleep 37"), ps.dump());

  // kubelet's resize path: UpdateContainerResources (the shim's `kata
  // update`) reaches the member's cgroup in the guest.
  cri.must("UpdateContainerResources",
           {{"container_id", web},
            {"linux", {{"cpu_period", 100000}, {"cpu_quota", 50000}, {"memory_limit_in_bytes", 128 << 20}}}});
  auto limits = cri.must("ExecSync", {{"container_id", web},
                                      {"cmd",
                                       {"sh", "-c",
                                        "d=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup);"
                                        " cat $d/memory.max $d/cpu.max"}},
                                      {"timeout", 60}});
  CHECK_MESSAGE(limits.value("stdout", "") == "134217728\n50000 100000\n", limits.dump());

  // Each member's pid (kata's stand-in) is in the member's own cgroupsPath,
  // so the usage containerd's shim reads there (kubelet's stats, its
  // evictions) is the member's, not that of the cgroup the shim runs in.
  for (const auto& id : {web, client}) {
    auto verbose = cri.must("ContainerStatus", {{"container_id", id}, {"verbose", true}});
    auto info = json::parse(verbose["info"].value("info", "{}"), nullptr, false);
    REQUIRE_MESSAGE(info.is_object(), verbose.dump());
    std::string path = info["runtimeSpec"]["linux"].value("cgroupsPath", "");
    CHECK(path == "/k8s.io/" + id);
    auto pid_cgroups = read_or_empty("/proc/" + std::to_string(info.value("pid", 0)) + "/cgroup");
    CHECK_MESSAGE(contains(pid_cgroups, ":" + path + "\n"), id << "'s pid is in:\n" << pid_cgroups);
    auto memory = cri.must("ContainerStats", {{"container_id", id}})["stats"]["memory"]["usage_bytes"];
    CHECK_MESSAGE(std::stoull(memory.value("value", "0")) < (64ULL << 20), id << "'s memory use: " << memory.dump());
  }
  // One VM for the pod: the sandbox's QEMU, and no other under kata's root.
  CHECK(processes_under(sandbox_dir, "qemu-system").size() == 1);
  CHECK(processes_under(host.cri_kata_root(), "qemu-system").size() == 1);

  // A container that exits: its code reaches ContainerStatus; kubelet then
  // removes it while the pod runs on.
  auto exiter = run_container(cri, pod, pod_config, container_config("exiter", "exit 7"));
  auto exited = wait_exited(cri, exiter);
  CHECK_MESSAGE(exited.value("state", "") == "CONTAINER_EXITED", exited.dump());
  CHECK_MESSAGE(exited.value("exit_code", -1) == 7, exited.dump());
  cri.must("RemoveContainer", {{"container_id", exiter}});
  auto left = kata_leftovers(host.cri_kata_root(), exiter);
  CHECK_MESSAGE(left.empty(), "removed container left behind: " << first_or_none(left));
  // A container stopped by the CRI: sleep as PID 1 ignores SIGTERM, so it ends with SIGKILL.
  cri.must("StopContainer", {{"container_id", client}, {"timeout", 1}});
  auto stopped = container_status(cri, client);
  CHECK_MESSAGE(stopped.value("state", "") == "CONTAINER_EXITED", stopped.dump());
  CHECK_MESSAGE(stopped.value("exit_code", -1) == 137, stopped.dump());
  CHECK(container_status(cri, web).value("state", "") == "CONTAINER_RUNNING");
  CHECK(processes_under(sandbox_dir, "qemu-system").size() == 1);

  cri.must("StopPodSandbox", {{"pod_sandbox_id", pod}});
  CHECK(container_status(cri, web).value("state", "") == "CONTAINER_EXITED");
  cri.must("RemovePodSandbox", {{"pod_sandbox_id", pod}});
  guard.id.clear();

  auto gone = cri.call("PodSandboxStatus", {{"pod_sandbox_id", pod}});
  CHECK_MESSAGE(contains(gone.program.err, "NOT_FOUND"), describe(gone.program));
  for (const auto& id : {pod, web, client, exiter, term}) {
    left = kata_leftovers(host.cri_kata_root(), id);
    CHECK_MESSAGE(left.empty(), id << " left behind: " << first_or_none(left));
    left = kata_leftovers(host.cri_bundles(), id);
    CHECK_MESSAGE(left.empty(), id << "'s bundle left behind: " << first_or_none(left));
  }
  CHECK(processes_under(host.cri_kata_root(), "qemu-system").empty());
  CHECK(processes_under(host.cri_kata_root(), "virtiofsd").empty());
  auto mounts = kata::test_support::mounts_under(host.cri_kata_root());
  CHECK_MESSAGE(mounts.empty(), "mount left: " << first_or_none(mounts));
  for (const auto& id : {pod, web, client, exiter, term}) {
    auto cgroups = host_cgroup_dirs("/k8s.io/" + id);
    CHECK_MESSAGE(cgroups.empty(), "host cgroup left: " << first_or_none(cgroups));
  }
  // The pod's network: its namespace file, its address lease, libcni's cache.
  std::error_code error;
  CHECK_MESSAGE(!fs::exists(netns, error), netns << " is left");
  CHECK_MESSAGE(!fs::exists(host.cni_ipam_dir() + "/" + EngineHost::kCniNetwork + "/" + pod_ip, error),
                "the lease of " << pod_ip << " is left");
  CHECK(cni_cache_entries(pod).empty());
}

TEST_CASE("a CRI pod under kubelet's systemd cgroup driver: kata makes the pod's slice and scopes and removes them") {
  auto& host = EngineHost::get();
  auto& cri = host.cri();
  // kubelet's pod slice for a BestEffort pod (dashes nest; the uid's are
  // underscores), one of this run's own: kata makes it and must remove it.
  const std::string uid = "kata_e2e_" + std::to_string(::getpid());
  const std::string slice = "kubepods-besteffort-pod" + uid + ".slice";
  const std::string slice_dir = "/kubepods.slice/kubepods-besteffort.slice/" + slice;
  REQUIRE(host_cgroup_dirs(slice_dir).empty());
  json pod_config{{"metadata", {{"name", "kata-e2e-cri-sd"}, {"uid", uid}, {"namespace", "default"}}},
                  {"hostname", "kata-cri-sd"},
                  {"log_directory", host.fresh_dir("cri-logs")},
                  {"linux", {{"cgroup_parent", slice}, {"security_context", {{"namespace_options", kPodNamespaces}}}}}};
  auto ran = cri.must("RunPodSandbox", {{"config", pod_config}, {"runtime_handler", kCriSystemdRuntime}});
  std::string pod = ran.value("pod_sandbox_id", "");
  REQUIRE(pod.size() == 64);
  PodGuard guard{cri, pod};
  std::string sandbox_dir = host.cri_kata_root() + "/" + pod;

  auto spec = pod_runtime_spec(cri.must("PodSandboxStatus", {{"pod_sandbox_id", pod}, {"verbose", true}}));
  REQUIRE(spec.is_object());
  CHECK(spec["linux"].value("cgroupsPath", "") == slice + ":cri-containerd:" + pod);
  auto qemus = processes_under(sandbox_dir, "qemu-system");
  REQUIRE_MESSAGE(qemus.size() == 1, "QEMU processes of the sandbox: " << qemus.size());
  auto qemu_cgroups = read_or_empty("/proc/" + qemus.front() + "/cgroup");
  CHECK_MESSAGE(contains(qemu_cgroups, ":" + slice_dir + "/cri-containerd-" + pod + ".scope\n"),
                "QEMU's cgroups:\n" << qemu_cgroups);

  auto member = run_container(cri, pod, pod_config, container_config("member", "exec sleep 100000"));
  auto verbose = cri.must("ContainerStatus", {{"container_id", member}, {"verbose", true}});
  auto info = json::parse(verbose["info"].value("info", "{}"), nullptr, false);
  REQUIRE_MESSAGE(info.is_object(), verbose.dump());
  auto pid_cgroups = read_or_empty("/proc/" + std::to_string(info.value("pid", 0)) + "/cgroup");
  CHECK_MESSAGE(contains(pid_cgroups, ":" + slice_dir + "/cri-containerd-" + member + ".scope\n"),
                "the member's pid is in:\n" << pid_cgroups);
  auto exec = cri.must("ExecSync", {{"container_id", member}, {"cmd", {"hostname"}}, {"timeout", 60}});
  CHECK(exec.value("stdout", "") == "kata-cri-sd\n");

  cri.must("StopPodSandbox", {{"pod_sandbox_id", pod}});
  cri.must("RemovePodSandbox", {{"pod_sandbox_id", pod}});
  guard.id.clear();
  for (const auto& id : {pod, member}) {
    auto leftovers = kata_leftovers(host.cri_kata_root(), id);
    CHECK_MESSAGE(leftovers.empty(), id << " left behind: " << first_or_none(leftovers));
  }
  auto left = host_cgroup_dirs(slice_dir);
  CHECK_MESSAGE(left.empty(), "left: " << first_or_none(left));
}

}  // TEST_SUITE
