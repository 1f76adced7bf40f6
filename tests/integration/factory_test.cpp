// VM templating through the built `kata` binary (label `vm`, needs root):
// `kata factory init` saves a template under a test-owned template_path on
// /run (tmpfs); with enable_template, create clones it: the container runs
// with its rootfs (over 9p) and its network namespace's interface (a NIC
// plugged in after the restore), exits with its status, and two clones at
// once draw different random numbers and boot ids; `kata check` reports
// a missing, usable or stale template; a configuration whose VM differs
// boots cold and `status` calls the template stale; destroy under a running
// clone leaves the clone running; nothing is left at the end.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::test_support;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string template_dir = "/run/kata-factory-test-" + std::to_string(::getpid());

SandboxOptions templating() {
  SandboxOptions options{.name = "kata-factory"};
  options.config.extra = "[factory]\nenable_template = true\ntemplate_path = \"" + template_dir + "\"\n";
  return options;
}

// The phases `kata timings` reports for `id`, space-separated.
std::string phases_of(KataSandboxes& sandboxes, const std::string& id) {
  auto timings = sandboxes.kata({"timings", "--format", "json", id});
  std::string names;
  if (timings.status != 0) return "timings failed: " + timings.err;
  auto document = json::parse(timings.out, nullptr, false);
  if (!document.is_object() || !document["phases"].is_array()) return "timings printed: " + timings.out;
  for (const auto& phase : document["phases"]) names += phase["phase"].get<std::string>() + " ";
  return names;
}

int run_shell(const std::string& command) { return std::system(command.c_str()); }

// `kata check --json`'s factory.template entry ("status: fact"), or why none.
std::string template_check_of(KataSandboxes& sandboxes, const std::string& config = "") {
  auto checked = sandboxes.kata({"check", "--json"}, config);
  auto report = json::parse(checked.out, nullptr, false);
  if (!report.is_object() || !report["checks"].is_array()) return "check printed: " + checked.out + checked.err;
  for (const auto& check : report["checks"])
    if (check["id"] == "factory.template") return check["status"].get<std::string>() + ": " + check["fact"].get<std::string>();
  return "no factory.template check";
}

}  // namespace

TEST_CASE("kata factory: clones run containers with their files, network and status; stale boots cold; destroy") {
  KataSandboxes sandboxes(templating());
  ScopeExit gone([] { std::error_code ec; fs::remove_all(template_dir, ec); });

  auto none = sandboxes.kata({"factory", "status"});
  CHECK_MESSAGE(none.status == 0, describe(none));
  CHECK(none.out.find("no template") != std::string::npos);
  std::string unmade = template_check_of(sandboxes);
  CHECK_MESSAGE(unmade.starts_with("warn: templating is enabled but"), unmade);
  auto made = sandboxes.kata({"factory", "init"});
  if (test_guest_kernel_name() == "debian") {
    // Debian's cloud kernel has no virtio-9p: refused, nothing made.
    CHECK(made.status == 1);
    CHECK_MESSAGE(made.err.find("lacks CONFIG_9P_FS=y") != std::string::npos, describe(made));
    CHECK_FALSE(fs::exists(template_dir + "/" + "template.json"));
    return;
  }
  REQUIRE_MESSAGE(made.status == 0, describe(made));
  auto status = sandboxes.kata({"factory", "--json", "status"});
  REQUIRE_MESSAGE(status.status == 0, describe(status));
  auto report = json::parse(status.out);
  CHECK(report["present"] == true);
  CHECK(report["stale"] == "");
  CHECK(report["memory_bytes"].get<std::uint64_t>() > 0);
  CHECK(processes_naming(template_dir + "/").empty());  // the template VM is saved, not running
  std::string usable = template_check_of(sandboxes);
  CHECK_MESSAGE(usable.starts_with("pass: the template in " + template_dir + " matches"), usable);

  // A clone: the rootfs' own file, the exit status, the restore's phases.
  auto marked = sandboxes.bundle("marked", {"/bin/sh", "-c", "cat /marker; exit 7"});
  REQUIRE(write_file_atomic(sandboxes.work() + "/marked/rootfs/marker", "from the rootfs\n", 0644).ok());
  auto created = sandboxes.kata({"create", "-b", marked, "clone-1"});
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  std::string phases = phases_of(sandboxes, "clone-1");
  CHECK_MESSAGE(phases.find("vm_restored") != std::string::npos, phases);
  CHECK_MESSAGE(phases.find("clone_restored") != std::string::npos, phases);
  // The template was saved with its host connected and the clone's host
  // connected before the state loaded: the clone's agent takes the new
  // host's hello and never sees its port close (a stale close from the
  // template's host once dropped clones' hosts).
  std::string console = read_or_empty(sandboxes.root() + "/clone-1/console.log");
  CHECK_MESSAGE(console.find("host connected") != std::string::npos, console);
  CHECK_MESSAGE(console.find("host disconnected") == std::string::npos, console);
  REQUIRE(sandboxes.kata({"start", "clone-1"}).status == 0);
  (void)sandboxes.wait_stopped("clone-1");
  CHECK(sandboxes.record("clone-1")["kata"].value("exit_status", -1) == 7);
  CHECK(read_or_empty(created.out_path) == "from the rootfs\n");
  CHECK(sandboxes.kata({"delete", "clone-1"}).status == 0);
  sandboxes.check_gone("clone-1");

  // Two clones at once: their first random bytes differ (the template's
  // CRNG state was reseeded in each), and each has its network interface.
  const std::string netns = "kata-fa" + std::to_string(::getpid());
  const std::string peer_netns = "kata-fb" + std::to_string(::getpid());
  // eth0 (the container's, with its own MAC) in one namespace, its peer with
  // 10.201.0.1 in another, so that what answers is across the wire.
  REQUIRE(run_shell("ip netns add " + netns + " && ip netns add " + peer_netns + " && ip -n " + netns +
                    " link add eth0 type veth peer name peer0 netns " + peer_netns + " && ip -n " + netns +
                    " link set eth0 address 02:42:0a:c9:00:02 && ip -n " + netns +
                    " addr add 10.201.0.2/24 dev eth0 && ip -n " + netns + " link set eth0 up && ip -n " +
                    peer_netns + " addr add 10.201.0.1/24 dev peer0 && ip -n " + peer_netns +
                    " link set peer0 up") == 0);
  ScopeExit netns_gone([&] { (void)run_shell("ip netns del " + netns + "; ip netns del " + peer_netns); });
  auto random_bundle = [&](const std::string& name, bool with_net) {
    BundleOptions options{.extra_applets = {"md5sum", "ip", "nc"}};
    if (with_net) options.netns_path = "/run/netns/" + netns;
    // nc to a closed port: "Connection refused" is the peer's reset, which
    // only a working path both ways brings back.
    return sandboxes.bundle(name,
                            {"/bin/sh", "-c",
                             "head -c 32 /dev/urandom | md5sum; cat /proc/sys/kernel/random/boot_id; ip -o addr show; "
                             "cat /sys/class/net/eth0/address; nc -w 10 10.201.0.1 9 </dev/null 2>&1; echo done; "
                             "sleep 1000"},
                            options);
  };
  auto a = sandboxes.spawn({"run", "-d", "-b", random_bundle("rand-a", true), "clone-a"});
  auto b = sandboxes.spawn({"run", "-d", "-b", random_bundle("rand-b", false), "clone-b"});
  auto a_done = sandboxes.finish(a);
  auto b_done = sandboxes.finish(b);
  REQUIRE_MESSAGE(a_done.status == 0, describe(a_done));
  REQUIRE_MESSAGE(b_done.status == 0, describe(b_done));
  std::string out_a, out_b;
  for (int i = 0; i < 200 && (out_a.find("done\n") == std::string::npos || out_b.find("done\n") == std::string::npos);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out_a = read_or_empty(a_done.out_path);
    out_b = read_or_empty(b_done.out_path);
  }
  CAPTURE(out_a);
  CAPTURE(out_b);
  REQUIRE(out_a.size() >= 32);
  REQUIRE(out_b.size() >= 32);
  CHECK(out_a.substr(0, 32) != out_b.substr(0, 32));
  // The boot id is drawn on its first read, which no template makes: each
  // clone draws its own from its reseeded CRNG (line 2: 36 characters).
  auto boot_id = [](const std::string& out) {
    auto line = out.find('\n');
    return line == std::string::npos ? std::string() : out.substr(line + 1, 36);
  };
  CHECK(boot_id(out_a).size() == 36);
  CHECK(boot_id(out_a) != boot_id(out_b));
  CHECK(out_a.find("inet 10.201.0.2/24") != std::string::npos);
  CHECK(out_b.find("10.201.0.2") == std::string::npos);
  // The clone's first NIC is the template's standby NIC, readdressed to the
  // container's MAC and backed by its tap: traffic flows both ways.
  CHECK(out_a.find("02:42:0a:c9:00:02\n") != std::string::npos);
  CHECK(out_a.find("Connection refused") != std::string::npos);
  CHECK(out_b.find("Connection refused") == std::string::npos);

  // Destroyed under running clones: they go on.
  auto destroyed = sandboxes.kata({"factory", "destroy"});
  CHECK_MESSAGE(destroyed.status == 0, describe(destroyed));
  CHECK_FALSE(fs::exists(template_dir));
  auto alive = sandboxes.kata({"exec", "clone-a", "/bin/cat", "/proc/self/status"});
  CHECK_MESSAGE(alive.status == 0, describe(alive));
  for (const char* id : {"clone-a", "clone-b"}) CHECK(sandboxes.kata({"delete", "--force", id}).status == 0);
  for (const char* id : {"clone-a", "clone-b"}) sandboxes.check_gone(id);

  // A template the configuration no longer matches is stale: status says
  // why, and create boots cold.
  REQUIRE(sandboxes.kata({"factory", "init"}).status == 0);
  ConfigOptions bigger = templating().config;
  bigger.hypervisor_extra = "default_memory = 640\n";
  auto bigger_config = sandboxes.write_config("bigger", bigger);
  auto stale = sandboxes.kata({"factory", "status"}, bigger_config);
  CHECK(stale.out.find("stale: memory: template 512 MiB, this boot 640 MiB") != std::string::npos);
  std::string stale_check = template_check_of(sandboxes, bigger_config);
  CHECK_MESSAGE(stale_check.starts_with("warn: the template in " + template_dir + " is stale (memory: template 512 MiB"),
                stale_check);
  auto cold = sandboxes.kata({"create", "-b", sandboxes.bundle("cold", {"/bin/true"}), "cold"}, bigger_config);
  REQUIRE_MESSAGE(cold.status == 0, describe(cold));
  std::string cold_phases = phases_of(sandboxes, "cold");
  CHECK_MESSAGE(cold_phases.find("agent_ready") != std::string::npos, cold_phases);
  CHECK_MESSAGE(cold_phases.find("vm_restored") == std::string::npos, cold_phases);
  CHECK(sandboxes.kata({"delete", "--force", "cold"}, bigger_config).status == 0);
  sandboxes.check_gone("cold");
  CHECK(sandboxes.kata({"factory", "destroy"}).status == 0);
  CHECK_FALSE(fs::exists(template_dir));
}
