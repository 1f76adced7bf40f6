// Black-box tests of the verbs that work without a VM: spec, features,
// state, list, env, check. Each runs the built kata against a temp --root.
#include <doctest/doctest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "common/child_process.hpp"
#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "hypervisor/accel.hpp"
#include "oci/spec.hpp"
#include "run_kata.hpp"
#include "runtime/proc_stat.hpp"
#include "runtime/state_store.hpp"

using namespace kata;
using namespace kata::testing;

namespace {

// Writes a record for container `id` in `root` as `create` will: status
// created, pid of a live process we own.
void store_container(const std::string& root, const std::string& id, pid_t pid) {
  auto store = runtime::StateStore::open(root);
  REQUIRE(store.ok());
  auto lock = store->reserve(id);
  REQUIRE(lock.ok());
  runtime::ContainerRecord record;
  record.oci_version = "1.2.0";
  record.id = id;
  record.status = oci::Status::created;
  record.pid = pid;
  record.pid_start_time = runtime::process_start_time(pid);
  record.bundle = "/bundles/" + id;
  record.rootfs = "/bundles/" + id + "/rootfs";
  record.created = std::chrono::system_clock::now();
  REQUIRE(store->save(*lock, record).ok());
}

}  // namespace

TEST_CASE("spec writes a valid config.json and never replaces one") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto first = run_kata(dir, {"spec"});
  CHECK(first.exit_code == 0);
  CHECK(first.err.empty());
  auto spec = oci::load_bundle_spec(dir.string());
  REQUIRE_MESSAGE(spec.ok(), spec.error().message);
  CHECK(spec->process->args == std::vector<std::string>{"sh"});

  auto second = run_kata(dir, {"spec"});
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("config.json exists") != std::string::npos);

  fs::create_directories(dir / "bundle");
  CHECK(run_kata(dir, {"spec", "--rootless", "--bundle", (dir / "bundle").string()}).exit_code == 0);
  CHECK(oci::load_bundle_spec((dir / "bundle").string()).ok());
}

TEST_CASE("features prints the features document on stdout") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto outcome = run_kata(dir, {"features"});
  CHECK(outcome.exit_code == 0);
  auto features = nlohmann::json::parse(outcome.out);
  CHECK(features["ociVersionMin"] == "1.0.0");
  CHECK(features["linux"]["namespaces"].size() > 0);
}

TEST_CASE("state and list of an empty root") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string root = (dir / "root").string();
  auto state = run_kata(dir, {"--root", root, "state", "nope"});
  CHECK(state.exit_code == 1);
  CHECK(state.out.empty());
  CHECK(state.err.find("container does not exist") != std::string::npos);

  auto table = run_kata(dir, {"--root", root, "list"});
  CHECK(table.exit_code == 0);
  CHECK(lines_of(table.out) == std::vector<std::string>{"ID   PID   STATUS   BUNDLE   CREATED   OWNER"});
  CHECK(run_kata(dir, {"--root", root, "list", "-f", "json"}).out == "null\n");
  CHECK(run_kata(dir, {"--root", root, "list", "-q"}).out.empty());
}

TEST_CASE("state reports a live container and stopped with pid 0 once its process is gone") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string root = (dir / "root").string();
  auto sleeper = ChildProcess::spawn({.argv = {"/bin/sleep", "100"}});
  REQUIRE(sleeper.ok());
  store_container(root, "c1", sleeper->pid());

  auto live = run_kata(dir, {"--root", root, "state", "c1"});
  CHECK(live.exit_code == 0);
  CHECK(live.err.empty());
  auto state = nlohmann::json::parse(live.out);
  CHECK(state["id"] == "c1");
  CHECK(state["status"] == "created");
  CHECK(state["pid"] == sleeper->pid());
  CHECK(state["bundle"] == "/bundles/c1");

  auto listed = nlohmann::json::parse(run_kata(dir, {"--root", root, "list", "--format=json"}).out);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["id"] == "c1");
  CHECK(run_kata(dir, {"--root", root, "list", "-q"}).out == "c1\n");

  REQUIRE(sleeper->signal(SIGKILL).ok());
  REQUIRE(sleeper->wait().ok());
  auto stopped = nlohmann::json::parse(run_kata(dir, {"--root", root, "state", "c1"}).out);
  CHECK(stopped["status"] == "stopped");
  CHECK(stopped["pid"] == 0);
  auto table = lines_of(run_kata(dir, {"--root", root, "list"}).out);
  REQUIRE(table.size() == 2);
  CHECK(table[1].find("stopped") != std::string::npos);
}

TEST_CASE("timings shows the phases create recorded, as a table or JSON") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string root = (dir / "root").string();
  {
    auto store = runtime::StateStore::open(root);
    REQUIRE(store.ok());
    auto lock = store->reserve("timed");
    REQUIRE(lock.ok());
    runtime::ContainerRecord record;
    record.oci_version = "1.2.0";
    record.id = "timed";
    record.status = oci::Status::created;
    record.bundle = "/bundles/timed";
    record.rootfs = "/bundles/timed/rootfs";
    record.created = std::chrono::system_clock::now();
    record.boot_timings = {{"vm_spawned", 40.3}, {"agent_ready", 3012.5}, {"container_created", 3050}};
    REQUIRE(store->save(*lock, record).ok());
  }
  auto table = run_kata(dir, {"--root", root, "timings", "timed"});
  CHECK(table.exit_code == 0);
  CHECK(table.err.empty());
  CHECK(lines_of(table.out) == std::vector<std::string>{"PHASE                   MS    DELTA",
                                                        "vm_spawned            40.3     40.3",
                                                        "agent_ready         3012.5   2972.2",
                                                        "container_created   3050.0     37.5"});
  auto json = run_kata(dir, {"--root", root, "timings", "--format", "json", "timed"});
  CHECK(json.exit_code == 0);
  auto document = nlohmann::json::parse(json.out);
  CHECK(document["id"] == "timed");
  REQUIRE(document["phases"].size() == 3);
  CHECK(document["phases"][1]["phase"] == "agent_ready");
  CHECK(document["phases"][1]["ms"] == 3012.5);
  CHECK(document["phases"][1]["delta_ms"].get<double>() == doctest::Approx(2972.2));

  auto missing = run_kata(dir, {"--root", root, "timings", "nope"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.empty());
  CHECK(missing.err.find("container does not exist") != std::string::npos);
  auto bad_format = run_kata(dir, {"--root", root, "timings", "-f", "yaml", "timed"});
  CHECK(bad_format.exit_code != 0);
  CHECK(bad_format.out.empty());
}

TEST_CASE("env shows the configuration file it read and fails naming a bad key") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string config = (dir / "configuration.toml").string();
  REQUIRE(write_file_atomic(config, "[hypervisor.qemu]\ndefault_memory = 768\n").ok());
  auto outcome = run_kata(dir, {"--config", config, "env", "--json"});
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.out.find(config) != std::string::npos);
  CHECK(outcome.out.find("768") != std::string::npos);
  CHECK(outcome.out.find("\"Host\"") != std::string::npos);
  auto toml = run_kata(dir, {"--config", config, "env"});
  CHECK(toml.out.find("[Hypervisor]") != std::string::npos);

  REQUIRE(write_file_atomic(config, "[hypervisor.qemu]\ndefault_vcpus = \"two\"\n").ok());
  auto bad = run_kata(dir, {"--config", config, "env"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("hypervisor.qemu.default_vcpus") != std::string::npos);
}

TEST_CASE("check fails, with a fix, when the guest image is missing") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string config = (dir / "configuration.toml").string();
  REQUIRE(write_file_atomic(config, "[hypervisor.qemu]\nkernel = \"" + (dir / "no-vmlinuz").string() +
                                        "\"\ninitrd = \"" + (dir / "no-initrd").string() + "\"\n")
              .ok());
  auto outcome = run_kata(dir, {"--root", (dir / "root").string(), "--config", config, "check", "--json"});
  CHECK(outcome.exit_code == 1);
  auto report = nlohmann::json::parse(outcome.out);
  bool kernel_failed = false;
  for (const auto& check : report["checks"]) {
    if (check["id"] == "guest.kernel") kernel_failed = check["status"] == "fail" && check.contains("fix");
  }
  CHECK(kernel_failed);
  CHECK(report["verdict"].contains("capable"));
}

TEST_CASE("check names the configuration file it used, also when that file is bad") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  std::string root = (dir / "root").string();
  std::string config = (dir / "configuration.toml").string();
  REQUIRE(write_file_atomic(config, "[hypervisor.qemu]\ndefault_memory = 768\n").ok());
  auto json = run_kata(dir, {"--root", root, "--config", config, "check", "--json"});
  CHECK(nlohmann::json::parse(json.out)["configuration"]["path"] == config);
  auto text = run_kata(dir, {"--root", root, "--config", config, "check"});
  CHECK(text.out.find("Configuration: " + config + "\n") != std::string::npos);

  REQUIRE(write_file_atomic(config, "[hypervisor.qemu]\ndefault_memory = \"lots\"\n").ok());
  auto bad = run_kata(dir, {"--root", root, "--config", config, "check", "--json"});
  CHECK(bad.exit_code == 1);
  auto report = nlohmann::json::parse(bad.out);
  CHECK(report["configuration"]["path"] == config);
  bool config_failed = false;
  for (const auto& check : report["checks"]) {
    if (check["id"] == "config") config_failed = check["status"] == "fail";
  }
  CHECK(config_failed);
}

TEST_CASE("check on this machine tells the real verdict: KVM if usable, else TCG with a warning that --strict fails") {
  auto dir = make_temp_dir();
  ScopeExit cleanup([&] { fs::remove_all(dir); });
  auto accel = hypervisor::resolve_accel(hypervisor::AccelSetting::automatic);
  REQUIRE(accel.ok());
  bool kvm = accel->accel == hypervisor::qemu::Accel::kvm;

  auto outcome = run_kata(dir, {"--root", (dir / "root").string(), "check", "--json"});
  auto report = nlohmann::json::parse(outcome.out);
  CHECK(report["verdict"]["capable"] == true);
  CHECK(report["verdict"]["accelerator"] == (kvm ? "kvm" : "tcg"));
  auto text = run_kata(dir, {"--root", (dir / "root").string(), "check"});
  CHECK(text.out.find(kvm ? "System is capable of running kata containers (with KVM)"
                          : "System is capable of running kata containers (with TCG software emulation, much slower)") !=
        std::string::npos);
  if (!kvm) {
    auto strict = run_kata(dir, {"--root", (dir / "root").string(), "check", "--strict"});
    CHECK(strict.exit_code == 1);
    CHECK(strict.out.find("WARN") != std::string::npos);
  }
}
