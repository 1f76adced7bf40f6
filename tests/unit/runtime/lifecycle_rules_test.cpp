// Pure pieces of the lifecycle: which verb may run in which status, the
// pid-file format, the guest spec rewrite, the monitor's control lines and
// mountinfo parsing.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/fs.hpp"
#include "oci/spec.hpp"
#include "runtime/bundle_rewrite.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/pid_file.hpp"
#include "runtime/sandbox_monitor.hpp"
#include "runtime/share_dir.hpp"
#include "runtime/verb_rules.hpp"

using namespace kata;
using namespace kata::runtime;
using oci::Status;

namespace {

oci::Spec spec_from(const std::string& json_text) {
  auto spec = oci::parse_spec(json_text);
  REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
  return *spec;
}

std::string spec_text(const std::string& namespaces, const std::string& mounts = "[]", bool terminal = false) {
  return R"({"ociVersion":"1.0.2","process":{"terminal":)" + std::string(terminal ? "true" : "false") +
         R"(,"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"mounts":)" + mounts +
         R"(,"linux":{"namespaces":)" + namespaces + R"(},"hooks":{"prestart":[{"path":"/bin/true"}]}})";
}

// What the agent's validation of a guest spec finds; empty when it accepts it.
std::string guest_problems(const nlohmann::json& guest_spec) {
  auto problems = oci::validate_spec(guest_spec);
  return problems.empty() ? std::string() : oci::format_problems("guest spec", problems);
}

}  // namespace

TEST_CASE("verb rules: start only from created, with runc's wording") {
  CHECK(check_verb_allowed(LifecycleVerb::start, Status::created, "c").ok());
  auto running = check_verb_allowed(LifecycleVerb::start, Status::running, "c");
  REQUIRE_FALSE(running.ok());
  CHECK(running.error().kind == ErrorKind::wrong_state);
  CHECK(running.error().message == "cannot start a container that has already started");
  auto stopped = check_verb_allowed(LifecycleVerb::start, Status::stopped, "c");
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().message == "cannot start a container that has stopped");
}

TEST_CASE("verb rules: kill needs a live container") {
  for (auto status : {Status::created, Status::running, Status::paused})
    CHECK(check_verb_allowed(LifecycleVerb::kill, status, "c").ok());
  auto stopped = check_verb_allowed(LifecycleVerb::kill, Status::stopped, "c");
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().message == "container not running");
}

TEST_CASE("verb rules: delete without --force takes stopped and created, refuses running") {
  CHECK(check_verb_allowed(LifecycleVerb::delete_plain, Status::stopped, "c").ok());
  CHECK(check_verb_allowed(LifecycleVerb::delete_plain, Status::created, "c").ok());
  auto running = check_verb_allowed(LifecycleVerb::delete_plain, Status::running, "abc");
  REQUIRE_FALSE(running.ok());
  CHECK(running.error().message == "cannot delete container abc that is not stopped: running");
  CHECK(check_verb_allowed(LifecycleVerb::delete_force, Status::running, "c").ok());
  CHECK(check_verb_allowed(LifecycleVerb::delete_force, Status::paused, "c").ok());
  CHECK(delete_action(Status::stopped) == DeleteAction::cleanup);
  CHECK(delete_action(Status::created) == DeleteAction::kill_then_cleanup);
  CHECK(delete_action(Status::running) == DeleteAction::kill_then_cleanup);
}

TEST_CASE("pid file: decimal digits without newline, written atomically") {
  CHECK(format_pid_file(12345) == "12345");
  CHECK(format_pid_file(1) == "1");
  std::string dir = (std::filesystem::temp_directory_path() / "kata-pidfile-XXXXXX").string();
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  std::string path = dir + "/pid";
  REQUIRE(write_pid_file(path, 4242).ok());
  auto text = read_file(path, 100);
  REQUIRE(text.ok());
  CHECK(*text == "4242");
  REQUIRE(write_pid_file(path, 7).ok());  // replaces
  CHECK(*read_file(path, 100) == "7");
  std::filesystem::remove_all(dir);
}

TEST_CASE("VM compatibility: host network and preserved fds are refused, terminals follow runc's rules") {
  auto no_netns = spec_from(spec_text(R"([{"type":"pid"},{"type":"mount"}])"));
  auto refused = check_vm_compatible(no_netns, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message == "kata cannot share the host network namespace with a VM");

  auto with_netns = spec_from(spec_text(R"([{"type":"pid"},{"type":"network"}])"));
  CHECK(check_vm_compatible(with_netns, {}).ok());

  auto fds = check_vm_compatible(with_netns, {false, 2});
  REQUIRE_FALSE(fds.ok());
  CHECK(fds.error().kind == ErrorKind::unsupported);
  CHECK(fds.error().message.find("--preserve-fds") != std::string::npos);

  // runc's terminal rules: a console socket needs a terminal, a detached
  // terminal needs a console socket, a foreground terminal needs neither.
  auto console = check_vm_compatible(with_netns, {true, 0});
  REQUIRE_FALSE(console.ok());
  CHECK(console.error().message == "cannot use console socket if kata will not detach or allocate tty");
  auto tty_spec = spec_from(spec_text(R"([{"type":"network"}])", "[]", true));
  auto terminal = check_vm_compatible(tty_spec, {});
  REQUIRE_FALSE(terminal.ok());
  CHECK(terminal.error().message == "cannot allocate tty if kata will detach without setting console socket");
  CHECK(check_vm_compatible(tty_spec, {true, 0, true}).ok());
  CHECK(check_vm_compatible(tty_spec, {false, 0, false}).ok());
}

TEST_CASE("guest rewrite: root and bind sources move to the share layout, hooks stay on the host") {
  std::string mounts = R"([{"destination":"/proc","type":"proc","source":"proc"},
    {"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","ro"]},
    {"destination":"/etc/hosts","source":"hosts","options":["bind"]}])";
  auto spec = spec_from(spec_text(R"([{"type":"network"}])", mounts));
  auto guest = rewrite_for_guest(spec, "web", "/b", "host");
  REQUIRE(guest.ok());
  CHECK(guest->spec["root"]["path"] == "/run/kata-containers/shared/web/rootfs");
  CHECK(guest->spec["mounts"][0]["source"] == "proc");
  CHECK(guest->spec["mounts"][1]["source"] == "/run/kata-containers/shared/web/mounts/1");
  CHECK(guest->spec["mounts"][1]["options"] == nlohmann::json::array({"rbind", "ro"}));
  CHECK(guest->spec["mounts"][2]["source"] == "/run/kata-containers/shared/web/mounts/2");
  CHECK_FALSE(guest->spec.contains("hooks"));
  REQUIRE(guest->mounts.size() == 3);
  CHECK(guest->mounts[0] == ShareMount{"/b/rootfs", "web/rootfs"});
  CHECK(guest->mounts[1] == ShareMount{"/srv/data", "web/mounts/1"});
  CHECK(guest->mounts[2] == ShareMount{"/b/hosts", "web/mounts/2"});
  // The caller's spec is untouched.
  CHECK(spec.root->path == "rootfs");
}

TEST_CASE("guest rewrite: a network namespace path is carried into the guest's root namespace; none keeps a new one") {
  auto with_path = spec_from(spec_text(R"([{"type":"pid"},{"type":"network","path":"/run/netns/cni-1"},{"type":"mount"}])"));
  auto guest = rewrite_for_guest(with_path, "web", "/b", "host");
  REQUIRE(guest.ok());
  CHECK(guest->netns_path == "/run/netns/cni-1");
  const auto& namespaces = guest->spec["linux"]["namespaces"];
  REQUIRE(namespaces.size() == 4);  // and a uts one (the host's name)
  CHECK(namespaces[1] == nlohmann::json{{"type", "network"}, {"path", "/proc/1/ns/net"}});

  auto without_path = spec_from(spec_text(R"([{"type":"pid"},{"type":"network"},{"type":"uts"}])"));
  auto fresh = rewrite_for_guest(without_path, "web", "/b", "host");
  REQUIRE(fresh.ok());
  CHECK(fresh->netns_path.empty());
  REQUIRE(fresh->spec["linux"]["namespaces"].size() == 3);
  CHECK(fresh->spec["linux"]["namespaces"][1]["type"] == "network");
  CHECK_FALSE(fresh->spec["linux"]["namespaces"][1].contains("path"));
}

TEST_CASE("the guest spec keeps namespace entries but not their host paths") {
  // podman passes its network namespace as /run/netns/NAME; containerd's CRI
  // joins a pause container's /proc/PID/ns/ipc. Neither exists in the guest.
  auto spec = spec_from(spec_text(
      R"([{"type":"network","path":"/run/netns/netns-1"},{"type":"ipc","path":"/proc/42/ns/ipc"},{"type":"mount"},)"
      R"({"type":"uts","path":"/proc/42/ns/uts"}])",
      "[]"));
  auto guest = rewrite_for_guest(spec, "web", "/b", "host");
  REQUIRE(guest.ok());
  const auto& namespaces = guest->spec["linux"]["namespaces"];
  // The network namespace is carried by tcfilter (netns_path) into the
  // guest's root one, the others become the container's own in the VM.
  CHECK(guest->netns_path == "/run/netns/netns-1");
  REQUIRE(namespaces.size() == 4);
  CHECK(namespaces[0] == nlohmann::json{{"type", "network"}, {"path", "/proc/1/ns/net"}});
  CHECK(namespaces[1] == nlohmann::json{{"type", "ipc"}});
  CHECK(namespaces[2] == nlohmann::json{{"type", "mount"}});
  CHECK(namespaces[3] == nlohmann::json{{"type", "uts"}});
  // The host keeps the paths (networking plugs the VM into that namespace).
  CHECK(spec.linux_config->namespaces->at(0).path == "/run/netns/netns-1");
}

TEST_CASE("the guest spec passes the guest's own checks: what was rewritten keeps its meaning") {
  // Engines' defaults: podman puts containers.conf's default_sysctls
  // (net.ipv4.ping_group_range) in every spec with a network namespace path,
  // and an ipc sysctl needs the ipc namespace whose path the guest drops.
  std::string mounts = R"([{"destination":"/etc/hosts","type":"bind","source":"/h","options":["bind"]}])";
  auto text = spec_text(R"([{"type":"network","path":"/run/netns/n"},{"type":"ipc","path":"/proc/42/ns/ipc"},)"
                        R"({"type":"uts","path":"/proc/42/ns/uts"},{"type":"mount"}])",
                        mounts);
  auto document = nlohmann::json::parse(text);
  document["hostname"] = "web";
  document["linux"]["sysctl"] = {{"net.ipv4.ping_group_range", "0 0"}, {"kernel.shmmax", "65536"}};
  auto spec = spec_from(document.dump());
  auto guest = rewrite_for_guest(spec, "web", "/b", "host");
  REQUIRE(guest.ok());
  CHECK(guest_problems(guest->spec) == "");

  // The same for podman 4.3's real config.json on its default network.
  auto podman_text = read_file(std::string(KATA_FIXTURES_DIR) + "/oci/valid/podman-4.3.1.json", 1 << 20);
  REQUIRE(podman_text.ok());
  auto podman = rewrite_for_guest(spec_from(*podman_text), "web", "/b", "host");
  REQUIRE(podman.ok());
  CHECK(podman->spec["linux"]["sysctl"]["net.ipv4.ping_group_range"] == "0 0");
  CHECK(guest_problems(podman->spec) == "");
}

TEST_CASE("a shared UTS namespace becomes one of the container's own with the shared one's name") {
  // podman --uts host: no uts entry and no hostname. In the VM the guest
  // kernel's name would show, "(none)".
  auto host_uts = spec_from(spec_text(R"([{"type":"network"},{"type":"mount"}])"));
  auto guest = rewrite_for_guest(host_uts, "web", "/b", "build-host");
  REQUIRE(guest.ok());
  const auto& namespaces = guest->spec["linux"]["namespaces"];
  REQUIRE(namespaces.size() == 3);
  CHECK(namespaces[2] == nlohmann::json{{"type", "uts"}});
  CHECK(guest->spec["hostname"] == "build-host");
  CHECK(guest_problems(guest->spec) == "");
  CHECK_FALSE(host_uts.hostname.has_value());  // the caller's spec is untouched

  // An empty hostname is none.
  auto unnamed_document = nlohmann::json::parse(spec_text(R"([{"type":"network"}])"));
  unnamed_document["hostname"] = "";
  auto unnamed = rewrite_for_guest(spec_from(unnamed_document.dump()), "web", "/b", "build-host");
  REQUIRE(unnamed.ok());
  CHECK(unnamed->spec["hostname"] == "build-host");
  CHECK(unnamed->spec["linux"]["namespaces"].size() == 2);

  // Another container's (`--uts container:X`): the path goes, the name stays.
  auto joined = rewrite_for_guest(spec_from(spec_text(R"([{"type":"network"},{"type":"uts","path":"/proc/42/ns/uts"}])")),
                                  "web", "/b", "x-name");
  REQUIRE(joined.ok());
  CHECK(joined->spec["hostname"] == "x-name");
  CHECK(joined->spec["linux"]["namespaces"][1] == nlohmann::json{{"type", "uts"}});
  CHECK(guest_problems(joined->spec) == "");

  // A uts entry of the spec's own keeps its name (a hostname without one is
  // refused when config.json is read, as runc refuses it), and a new one
  // without a name gets none (the caller passes no shared name for it).
  auto document = nlohmann::json::parse(spec_text(R"([{"type":"network"},{"type":"uts"}])"));
  document["hostname"] = "web";
  auto own = rewrite_for_guest(spec_from(document.dump()), "web", "/b", "");
  REQUIRE(own.ok());
  CHECK(own->spec["hostname"] == "web");
  CHECK(own->spec["linux"]["namespaces"].size() == 2);
  auto fresh = rewrite_for_guest(spec_from(spec_text(R"([{"type":"network"},{"type":"uts"}])")), "web", "/b", "");
  REQUIRE(fresh.ok());
  CHECK_FALSE(fresh->spec.contains("hostname"));
}

TEST_CASE("VM compatibility: a host user namespace is joined only through mappings the guest can recreate") {
  auto joined = spec_from(spec_text(R"([{"type":"network"},{"type":"user","path":"/proc/42/ns/user"},{"type":"mount"}])"));
  auto refused = check_vm_compatible(joined, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::unsupported);
  CHECK(refused.error().message.find("linux.namespaces[1].path") != std::string::npos);
  CHECK(refused.error().message.find("/proc/42/ns/user") != std::string::npos);

  auto document = nlohmann::json::parse(spec_text(R"([{"type":"network"},{"type":"user","path":"/proc/42/ns/user"},{"type":"mount"}])"));
  document["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  document["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  auto mapped = spec_from(document.dump());
  CHECK(check_vm_compatible(mapped, {}).ok());
  auto guest = rewrite_for_guest(mapped, "web", "/b", "host");
  REQUIRE(guest.ok());
  CHECK(guest->spec["linux"]["namespaces"][1] == nlohmann::json{{"type", "user"}});
  CHECK(guest_problems(guest->spec) == "");
}

TEST_CASE("monitor control lines round-trip, bad ones are refused") {
  auto start = decode_command(encode_command(StartCommand{}));
  REQUIRE(start.ok());
  CHECK(std::holds_alternative<StartCommand>(*start));
  auto kill = decode_command(encode_command(KillCommand{9, true}));
  REQUIRE(kill.ok());
  REQUIRE(std::holds_alternative<KillCommand>(*kill));
  CHECK(std::get<KillCommand>(*kill) == KillCommand{9, true});
  CHECK_FALSE(decode_command(R"({"op":"kill","signal":0})").ok());
  CHECK_FALSE(decode_command(R"({"op":"kill","signal":"9"})").ok());
  CHECK_FALSE(decode_command(R"({"op":"reboot"})").ok());
  CHECK_FALSE(decode_command("garbage").ok());

  CHECK(decode_reply(encode_reply(ok())).ok());
  auto failed = decode_reply(encode_reply(make_error(ErrorKind::wrong_state, "nope")));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::wrong_state);
  CHECK(failed.error().message == "nope");
  CHECK_FALSE(decode_reply("{}").ok());
}

TEST_CASE("monitor report carries boot timings or the failing step") {
  std::vector<BootPhase> phases{{"vm_spawned", 12.5}, {"agent_ready", 3000}};
  auto decoded = decode_monitor_report(encode_monitor_report(phases));
  REQUIRE(decoded.ok());
  CHECK(*decoded == phases);
  auto failed = decode_monitor_report(encode_monitor_report(make_error(ErrorKind::timeout, "connect to the agent: x")));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::timeout);
  CHECK(failed.error().message == "connect to the agent: x");
}

TEST_CASE("mountinfo: mount points below a dir, deepest first, escapes decoded") {
  std::string mountinfo =
      "22 1 0:21 / /run rw - tmpfs tmpfs rw\n"
      "30 22 8:1 /b/rootfs /run/kata/c1/share/c1/rootfs rw - ext4 /dev/sda1 rw\n"
      "31 30 0:5 / /run/kata/c1/share/c1/rootfs/proc rw - proc proc rw\n"
      "32 22 8:1 /x /run/kata/c10/share rw - ext4 /dev/sda1 rw\n"
      "33 22 8:1 /y /run/kata/c1/share/c1/mounts/my\\040dir rw - ext4 /dev/sda1 rw\n";
  auto points = mount_points_below(mountinfo, "/run/kata/c1");
  REQUIRE(points.size() == 3);
  auto at = [&](const std::string& point) {
    return std::find(points.begin(), points.end(), point) - points.begin();
  };
  CHECK(at("/run/kata/c1/share/c1/mounts/my dir") < 3);
  // A mount nested in another comes off first.
  CHECK(at("/run/kata/c1/share/c1/rootfs/proc") < at("/run/kata/c1/share/c1/rootfs"));
  CHECK(at("/run/kata/c1/share/c1/rootfs") < 3);
}

TEST_CASE("verb rules: pause only a running container, resume only a paused one, runc's wording") {
  CHECK(check_verb_allowed(LifecycleVerb::pause, Status::running, "c").ok());
  for (auto status : {Status::created, Status::paused, Status::stopped}) {
    auto refused = check_verb_allowed(LifecycleVerb::pause, status, "c");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::wrong_state);
    CHECK(refused.error().message == "container not running");
  }
  CHECK(check_verb_allowed(LifecycleVerb::resume, Status::paused, "c").ok());
  for (auto status : {Status::created, Status::running, Status::stopped}) {
    auto refused = check_verb_allowed(LifecycleVerb::resume, status, "c");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message == "container not paused");
  }
}

TEST_CASE("verb rules: ps, update and events need a live container") {
  for (auto verb : {LifecycleVerb::ps, LifecycleVerb::update, LifecycleVerb::events})
    for (auto status : {Status::created, Status::running, Status::paused})
      CHECK(check_verb_allowed(verb, status, "c").ok());
  CHECK(check_verb_allowed(LifecycleVerb::ps, Status::stopped, "c").error().message == "container not running");
  CHECK(check_verb_allowed(LifecycleVerb::update, Status::stopped, "c").error().message == "container not running");
  CHECK(check_verb_allowed(LifecycleVerb::events, Status::stopped, "web").error().message ==
        "container with id web is not running");
}

TEST_CASE("a new network namespace in a new user namespace is a late network; a named one is not") {
  // A user namespace needs its mappings to be a valid spec.
  auto with_user = [](const std::string& network) {
    auto document = nlohmann::json::parse(spec_text(R"([{"type":"user"},)" + network + "]"));
    nlohmann::json mapping = nlohmann::json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
    document["linux"]["uidMappings"] = mapping;
    document["linux"]["gidMappings"] = mapping;
    return spec_from(document.dump());
  };
  auto late = rewrite_for_guest(with_user(R"({"type":"network"})"), "u", "/b", "");
  REQUIRE(late.ok());
  CHECK(late->late_network);
  CHECK(late->netns_path.empty());
  auto named = rewrite_for_guest(with_user(R"({"type":"network","path":"/run/netns/x"})"), "u", "/b", "");
  REQUIRE(named.ok());
  CHECK_FALSE(named->late_network);
  auto no_user = rewrite_for_guest(spec_from(spec_text(R"([{"type":"network"}])")), "u", "/b", "");
  REQUIRE(no_user.ok());
  CHECK_FALSE(no_user->late_network);
}
