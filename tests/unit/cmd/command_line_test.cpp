#include "cmd/command_line.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace kata::cmd;

namespace {

HostIdentity root_identity() { return HostIdentity{.euid = 0, .xdg_runtime_dir = "", .in_user_namespace = false, .user = "root"}; }

Invocation parse(std::vector<std::string> args) { return parse_command_line(args, root_identity()); }

// The options of the verb `invocation` parsed to; fails the test if it parsed
// to anything else (help, a usage error, another verb). Returned by value so
// `const auto& x = verb_of<T>(parse(...))` does not dangle.
template <typename Options>
Options verb_of(const Invocation& invocation) {
  if (const auto* error = std::get_if<UsageError>(&invocation.command)) FAIL("usage error: " << error->message);
  const auto* verb = std::get_if<VerbOptions>(&invocation.command);
  REQUIRE(verb != nullptr);
  const auto* options = std::get_if<Options>(verb);
  REQUIRE(options != nullptr);
  return *options;
}

UsageError usage_error_of(const Invocation& invocation) {
  const auto* error = std::get_if<UsageError>(&invocation.command);
  REQUIRE(error != nullptr);
  return *error;
}

}  // namespace

// ---- conmon (podman and CRI-O) ---------------------------------------------

TEST_CASE("conmon create line from podman: runtime args, JSON log, console socket") {
  auto invocation = parse({"--root=/run/user/1000/kata", "--systemd-cgroup", "--log-format=json", "--log",
                           "/run/libpod/oci-log", "create", "--bundle", "/b", "--pid-file", "/run/libpod/pidfile",
                           "--no-pivot", "--no-new-keyring", "--preserve-fds", "2", "--console-socket",
                           "/tmp/conmon-term.AbC123", "ctr1"});
  CHECK(invocation.global.root == "/run/user/1000/kata");
  CHECK(invocation.global.systemd_cgroup);
  CHECK(invocation.global.log_format == LogFormat::json);
  CHECK(invocation.global.log_path == "/run/libpod/oci-log");
  const auto& create = verb_of<CreateOptions>(invocation);
  CHECK(create.bundle.bundle == "/b");
  CHECK(create.bundle.pid_file == "/run/libpod/pidfile");
  CHECK(create.bundle.console_socket == "/tmp/conmon-term.AbC123");
  CHECK(create.bundle.no_pivot);
  CHECK(create.bundle.no_new_keyring);
  CHECK(create.preserve_fds == 2);
  CHECK(create.id == "ctr1");
}

TEST_CASE("conmon exec line, old (-d) and new (--detach) forms, with --tty") {
  for (std::string detach : {"-d", "--detach"}) {
    auto invocation = parse({"--root=/r", "exec", "--pid-file", "/p/exec.pid", "--process", "/p/process.json",
                             detach, "--tty", "--console-socket", "/tmp/conmon-term.x", "ctr1"});
    const auto& exec = verb_of<ExecOptions>(invocation);
    CHECK(exec.pid_file == "/p/exec.pid");
    CHECK(exec.process_file == "/p/process.json");
    CHECK(exec.detach);
    CHECK(exec.tty);
    CHECK(exec.console_socket == "/tmp/conmon-term.x");
    CHECK(exec.id == "ctr1");
    CHECK(exec.command.empty());
  }
}

TEST_CASE("conmon restore line") {
  auto invocation = parse({"restore", "--bundle", "/b", "--pid-file", "/p", "--detach", "--image-path", "/c",
                           "--work-path", "/b", "--console-socket", "/s", "ctr1"});
  const auto& restore = verb_of<RestoreOptions>(invocation);
  CHECK(restore.bundle.bundle == "/b");
  CHECK(restore.bundle.pid_file == "/p");
  CHECK(restore.detach);
  CHECK(restore.criu.image_path == "/c");
  CHECK(restore.criu.work_path == "/b");
  CHECK(restore.bundle.console_socket == "/s");
  CHECK(restore.id == "ctr1");
}

TEST_CASE("CRI-O through conmon: --root=R in runtime args, no log") {
  auto invocation = parse({"--root=/run/crun", "--systemd-cgroup", "create", "--bundle", "/bundle", "--pid-file",
                           "/bundle/pidfile", "ctr2"});
  CHECK(invocation.global.root == "/run/crun");
  CHECK(invocation.global.log_path.empty());
  CHECK(invocation.global.log_format == LogFormat::text);
  CHECK(verb_of<CreateOptions>(invocation).bundle.pid_file == "/bundle/pidfile");
}

// ---- podman direct calls ---------------------------------------------------

TEST_CASE("podman start, pause, resume, state") {
  CHECK(verb_of<StartOptions>(parse({"start", "c"})).id == "c");
  CHECK(verb_of<PauseOptions>(parse({"pause", "c"})).id == "c");
  CHECK(verb_of<ResumeOptions>(parse({"resume", "c"})).id == "c");
  CHECK(verb_of<StateOptions>(parse({"state", "c"})).id == "c");
}

TEST_CASE("podman kill --all ID 9 and kill ID 15") {
  const auto& all = verb_of<KillOptions>(parse({"kill", "--all", "c", "9"}));
  CHECK(all.all);
  CHECK(all.id == "c");
  CHECK(all.signal == 9);
  const auto& one = verb_of<KillOptions>(parse({"kill", "c", "15"}));
  CHECK_FALSE(one.all);
  CHECK(one.signal == 15);
}

TEST_CASE("kill without a signal sends SIGTERM; -a is --all") {
  const auto& kill = verb_of<KillOptions>(parse({"kill", "-a", "c"}));
  CHECK(kill.all);
  CHECK(kill.signal == 15);
}

TEST_CASE("podman delete --force ID") {
  const auto& force = verb_of<DeleteOptions>(parse({"delete", "--force", "c"}));
  CHECK(force.force);
  CHECK(force.id == "c");
  CHECK(verb_of<DeleteOptions>(parse({"delete", "-f", "c"})).force);
}

TEST_CASE("podman update --resources=FILE ID") {
  const auto& update = verb_of<UpdateOptions>(parse({"update", "--resources=/tmp/x", "c"}));
  CHECK(update.resources == "/tmp/x");
  CHECK(update.id == "c");
  CHECK_FALSE(update.memory.has_value());
}

TEST_CASE("podman checkpoint line") {
  const auto& checkpoint = verb_of<CheckpointOptions>(
      parse({"checkpoint", "--image-path", "/i", "--work-path", "/w", "--leave-running", "--tcp-established",
             "--file-locks", "--pre-dump", "--parent-path", "/parent", "c"}));
  CHECK(checkpoint.criu.image_path == "/i");
  CHECK(checkpoint.criu.work_path == "/w");
  CHECK(checkpoint.leave_running);
  CHECK(checkpoint.criu.tcp_established);
  CHECK(checkpoint.criu.file_locks);
  CHECK(checkpoint.pre_dump);
  CHECK(checkpoint.parent_path == "/parent");
  CHECK(checkpoint.id == "c");
}

TEST_CASE("checkpoint --help is help with a non-zero exit code; other help exits 0") {
  auto checkpoint = parse({"checkpoint", "--help"});
  const auto* help = std::get_if<HelpRequest>(&checkpoint.command);
  REQUIRE(help != nullptr);
  CHECK(help->exit_code != 0);
  CHECK(help->text.find("--image-path") != std::string::npos);

  auto create = parse({"create", "--help"});
  const auto* create_help = std::get_if<HelpRequest>(&create.command);
  REQUIRE(create_help != nullptr);
  CHECK(create_help->exit_code == 0);
  CHECK(create_help->text.find("--console-socket") != std::string::npos);
}

TEST_CASE("podman's --version") { CHECK(std::holds_alternative<VersionRequest>(parse({"--version"}).command)); }

// ---- CRI-O direct calls ----------------------------------------------------

TEST_CASE("CRI-O --root R --systemd-cgroup kill ID KILL") {
  auto invocation = parse({"--root", "/run/crun", "--systemd-cgroup", "kill", "c", "KILL"});
  CHECK(invocation.global.root == "/run/crun");
  CHECK(invocation.global.systemd_cgroup);
  CHECK(verb_of<KillOptions>(invocation).signal == 9);
}

TEST_CASE("CRI-O update --resources - ID (JSON on stdin)") {
  const auto& update = verb_of<UpdateOptions>(parse({"--root", "/r", "update", "--resources", "-", "c"}));
  CHECK(update.resources == "-");
  CHECK(update.id == "c");
}

TEST_CASE("CRI-O foreground exec --process F ID") {
  const auto& exec = verb_of<ExecOptions>(parse({"--root", "/r", "exec", "--process", "/tmp/p.json", "c"}));
  CHECK(exec.process_file == "/tmp/p.json");
  CHECK_FALSE(exec.detach);
  CHECK(exec.id == "c");
}

TEST_CASE("CRI-O checkpoint and features") {
  const auto& checkpoint = verb_of<CheckpointOptions>(
      parse({"--root", "/r", "checkpoint", "--file-locks", "--image-path", "/i", "--work-path", "/w", "c"}));
  CHECK(checkpoint.criu.file_locks);
  CHECK_FALSE(checkpoint.leave_running);
  verb_of<FeaturesOptions>(parse({"--root", "/r", "features"}));
}

// ---- containerd's runc shim ------------------------------------------------

namespace {
std::vector<std::string> containerd(std::vector<std::string> rest, bool systemd = false) {
  std::vector<std::string> args{"--root", "/run/containerd/runc/default", "--log", "/b/log.json", "--log-format",
                                "json"};
  if (systemd) args.push_back("--systemd-cgroup");
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}
}  // namespace

TEST_CASE("containerd create") {
  for (bool systemd : {false, true}) {
    auto invocation = parse(containerd(
        {"create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket", "/tmp/pty123/pty.sock", "c"},
        systemd));
    CHECK(invocation.global.root == "/run/containerd/runc/default");
    CHECK(invocation.global.log_path == "/b/log.json");
    CHECK(invocation.global.log_format == LogFormat::json);
    CHECK(invocation.global.systemd_cgroup == systemd);
    const auto& create = verb_of<CreateOptions>(invocation);
    CHECK(create.bundle.bundle == "/b");
    CHECK(create.bundle.pid_file == "/b/init.pid");
    CHECK(create.bundle.console_socket == "/tmp/pty123/pty.sock");
    CHECK(create.id == "c");
  }
}

TEST_CASE("containerd delete without --force, start, kill") {
  CHECK_FALSE(verb_of<DeleteOptions>(parse(containerd({"delete", "c"}))).force);
  CHECK(verb_of<StartOptions>(parse(containerd({"start", "c"}))).id == "c");
  const auto& kill = verb_of<KillOptions>(parse(containerd({"kill", "--all", "c", "9"})));
  CHECK(kill.all);
  CHECK(kill.signal == 9);
}

TEST_CASE("containerd exec --process P --console-socket S --detach --pid-file B/x.pid ID") {
  const auto& exec = verb_of<ExecOptions>(parse(containerd(
      {"exec", "--process", "/tmp/runc-process1", "--console-socket", "/s", "--detach", "--pid-file", "/b/x.pid", "c"})));
  CHECK(exec.process_file == "/tmp/runc-process1");
  CHECK(exec.console_socket == "/s");
  CHECK(exec.detach);
  CHECK(exec.pid_file == "/b/x.pid");
  CHECK(exec.id == "c");
}

TEST_CASE("containerd ps --format json ID") {
  const auto& ps = verb_of<PsOptions>(parse(containerd({"ps", "--format", "json", "c"})));
  CHECK(ps.format == TableFormat::json);
  CHECK(ps.id == "c");
  CHECK(ps.ps_args.empty());
}

TEST_CASE("containerd restore with go-runc's single-dash -no-subreaper") {
  auto invocation = parse(containerd({"restore", "--detach", "--pid-file", "/b/init.pid", "-no-subreaper",
                                      "--bundle", "/b", "--image-path", "/i", "--work-path", "/w", "c"}));
  const auto& restore = verb_of<RestoreOptions>(invocation);
  CHECK(restore.no_subreaper);
  CHECK(restore.detach);
  CHECK(restore.bundle.bundle == "/b");
  CHECK(restore.bundle.pid_file == "/b/init.pid");
  CHECK(restore.criu.image_path == "/i");
  CHECK(restore.id == "c");
}

TEST_CASE("containerd --criu is accepted") {
  auto invocation = parse({"--root", "/r", "--log", "/l", "--log-format", "json", "--criu", "/usr/sbin/criu",
                           "delete", "--force", "c"});
  CHECK(invocation.global.criu_path == "/usr/sbin/criu");
  CHECK(verb_of<DeleteOptions>(invocation).force);
}

// ---- forms -----------------------------------------------------------------

TEST_CASE("--opt value and --opt=value parse to the same options") {
  auto spaced = parse({"--root", "/r", "--log", "/l", "--log-format", "json", "--rootless", "true", "create",
                       "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "--preserve-fds", "3", "c"});
  auto joined = parse({"--root=/r", "--log=/l", "--log-format=json", "--rootless=true", "create", "--bundle=/b",
                       "--pid-file=/p", "--console-socket=/s", "--preserve-fds=3", "c"});
  for (const auto* invocation : {&spaced, &joined}) {
    CHECK(invocation->global.root == "/r");
    CHECK(invocation->global.log_path == "/l");
    CHECK(invocation->global.log_format == LogFormat::json);
    CHECK(invocation->global.rootless == Rootless::enabled);
    const auto& create = verb_of<CreateOptions>(*invocation);
    CHECK(create.bundle.bundle == "/b");
    CHECK(create.bundle.pid_file == "/p");
    CHECK(create.bundle.console_socket == "/s");
    CHECK(create.preserve_fds == 3);
  }
}

TEST_CASE("Go-style single-dash long options before the ID") {
  const auto& run = verb_of<RunOptions>(parse({"run", "-bundle=/b", "-pid-file", "/p", "-detach", "-no-subreaper", "c"}));
  CHECK(run.bundle.bundle == "/b");
  CHECK(run.bundle.pid_file == "/p");
  CHECK(run.detach);
  CHECK(run.no_subreaper);
  CHECK(run.id == "c");
  auto global = parse({"-root", "/r", "-log-format=json", "state", "c"});
  CHECK(global.global.root == "/r");
  CHECK(global.global.log_format == LogFormat::json);
}

TEST_CASE("short forms") {
  const auto& run = verb_of<RunOptions>(parse({"run", "-b", "/b", "-d", "c"}));
  CHECK(run.bundle.bundle == "/b");
  CHECK(run.detach);
  const auto& list = verb_of<ListOptions>(parse({"list", "-f", "json", "-q"}));
  CHECK(list.format == TableFormat::json);
  CHECK(list.quiet);
  const auto& update = verb_of<UpdateOptions>(parse({"update", "-r", "/res.json", "c"}));
  CHECK(update.resources == "/res.json");
  const auto& spec = verb_of<SpecOptions>(parse({"spec", "-b", "/bundle", "--rootless"}));
  CHECK(spec.bundle == "/bundle");
  CHECK(spec.rootless);
}

TEST_CASE("exec: every flag, repeatable ones as lists, command after the ID kept verbatim") {
  const auto& exec = verb_of<ExecOptions>(parse(
      {"exec", "-t", "-e", "A=1", "--env=B=2", "-e", "C=3", "-u", "1000:1000", "-g", "10", "-g", "20", "--cwd", "/w",
       "-c", "CAP_NET_ADMIN", "--cap", "CAP_SYS_TIME", "--no-new-privs", "--process-label", "system_u:system_r:x",
       "--apparmor", "prof", "--cgroup", "memory:sub", "--cgroup", "sub2", "--ignore-paused", "--preserve-fds", "1",
       "c", "ls", "-la", "--color", "/"}));
  CHECK(exec.tty);
  CHECK(exec.env == std::vector<std::string>{"A=1", "B=2", "C=3"});
  CHECK(exec.user == "1000:1000");
  CHECK(exec.additional_gids == std::vector<std::uint32_t>{10, 20});
  CHECK(exec.cwd == "/w");
  CHECK(exec.caps == std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_TIME"});
  CHECK(exec.no_new_privs);
  CHECK(exec.process_label == "system_u:system_r:x");
  CHECK(exec.apparmor == "prof");
  CHECK(exec.cgroups == std::vector<std::string>{"memory:sub", "sub2"});
  CHECK(exec.ignore_paused);
  CHECK(exec.preserve_fds == 1);
  CHECK(exec.id == "c");
  CHECK(exec.command == std::vector<std::string>{"ls", "-la", "--color", "/"});
}

TEST_CASE("ps passes the arguments after the ID to ps(1)") {
  const auto& ps = verb_of<PsOptions>(parse({"ps", "c", "-ef", "-o", "pid"}));
  CHECK(ps.id == "c");
  CHECK(ps.format == TableFormat::table);
  CHECK(ps.ps_args == std::vector<std::string>{"-ef", "-o", "pid"});
}

TEST_CASE("update resource flags") {
  const auto& update = verb_of<UpdateOptions>(parse(
      {"update", "--memory", "512m", "--memory-reservation=256m", "--memory-swap", "-1", "--kernel-memory", "0",
       "--cpu-period", "100000", "--cpu-quota", "-1", "--cpu-rt-period", "1000", "--cpu-rt-runtime", "500",
       "--cpu-share", "512", "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--pids-limit", "100", "--blkio-weight",
       "500", "--l3-cache-schema", "L3:0=f", "--mem-bw-schema", "MB:0=50", "c"}));
  CHECK(update.memory == "512m");
  CHECK(update.memory_reservation == "256m");
  CHECK(update.memory_swap == "-1");
  CHECK(update.kernel_memory == "0");
  CHECK(update.cpu_period == 100000u);
  CHECK(update.cpu_quota == -1);
  CHECK(update.cpu_rt_period == 1000u);
  CHECK(update.cpu_rt_runtime == 500);
  CHECK(update.cpu_share == 512u);
  CHECK(update.cpuset_cpus == "0-1");
  CHECK(update.cpuset_mems == "0");
  CHECK(update.pids_limit == 100);
  CHECK(update.blkio_weight == std::uint16_t{500});
  CHECK(update.l3_cache_schema == "L3:0=f");
  CHECK(update.mem_bw_schema == "MB:0=50");
  CHECK(update.id == "c");
}

TEST_CASE("events --interval takes a Go duration") {
  const auto& events = verb_of<EventsOptions>(parse({"events", "--interval", "1m30s", "--stats", "c"}));
  CHECK(events.interval == std::chrono::seconds(90));
  CHECK(events.stats);
  CHECK(verb_of<EventsOptions>(parse({"events", "c"})).interval == std::chrono::seconds(5));
  CHECK(usage_error_of(parse({"events", "--interval", "soon", "c"})).exit_code == 1);
}

TEST_CASE("check and env, with Kata's kata-check and kata-env aliases") {
  const auto& check = verb_of<CheckOptions>(parse({"kata-check", "-v", "-s", "-n", "--json", "--boot"}));
  CHECK(check.verbose);
  CHECK(check.strict);
  CHECK(check.no_network_checks);
  CHECK(check.json);
  CHECK(check.boot);
  CHECK_FALSE(verb_of<CheckOptions>(parse({"check"})).verbose);
  CHECK(verb_of<EnvOptions>(parse({"kata-env", "--json"})).json);
  CHECK_FALSE(verb_of<EnvOptions>(parse({"env"})).json);
}

TEST_CASE("--config and Kata's --kata-config name the configuration file") {
  CHECK(parse({"--config", "/etc/k.toml", "env"}).global.config_path == "/etc/k.toml");
  CHECK(parse({"--kata-config=/etc/k2.toml", "env"}).global.config_path == "/etc/k2.toml");
  CHECK(parse({"--debug", "env"}).global.debug);
}

// ---- errors ----------------------------------------------------------------

TEST_CASE("an unknown flag is a usage error naming it, exit 1, global options kept") {
  auto invocation = parse({"--log", "/l", "--log-format", "json", "create", "--bogus", "c"});
  const auto& error = usage_error_of(invocation);
  CHECK(error.exit_code == 1);
  CHECK(error.verb == "create");
  CHECK(error.message.find("--bogus") != std::string::npos);
  CHECK(invocation.global.log_path == "/l");
  CHECK(invocation.global.log_format == LogFormat::json);

  const auto& global = usage_error_of(parse({"--bogus", "state", "c"}));
  CHECK(global.exit_code == 1);
  CHECK(global.message.find("--bogus") != std::string::npos);
}

TEST_CASE("a flag only another verb has is rejected") {
  CHECK(usage_error_of(parse({"create", "--detach", "c"})).message.find("--detach") != std::string::npos);
  CHECK(usage_error_of(parse({"create", "-no-subreaper", "c"})).exit_code == 1);
}

TEST_CASE("an unknown verb exits 3 with runc's message") {
  const auto& error = usage_error_of(parse({"--root", "/r", "foo", "x"}));
  CHECK(error.exit_code == 3);
  CHECK(error.message == "No help topic for 'foo'");
}

TEST_CASE("a missing container ID, an extra argument and a bad value are usage errors") {
  CHECK(usage_error_of(parse({"start"})).exit_code == 1);
  CHECK(usage_error_of(parse({"start", "a", "b"})).exit_code == 1);
  CHECK(usage_error_of(parse({"create", "--preserve-fds", "many", "c"})).exit_code == 1);
  CHECK(usage_error_of(parse({"--log-format", "xml", "state", "c"})).message.find("--log-format") !=
        std::string::npos);
  CHECK(usage_error_of(parse({"--rootless", "maybe", "state", "c"})).exit_code == 1);
  CHECK(usage_error_of(parse({"ps", "-f", "yaml", "c"})).message.find("yaml") != std::string::npos);
}

TEST_CASE("kill with an unknown signal name is a usage error") {
  const auto& error = usage_error_of(parse({"kill", "c", "FOO"}));
  CHECK(error.verb == "kill");
  CHECK(error.message.find("FOO") != std::string::npos);
}

TEST_CASE("no arguments, --help and help VERB give help") {
  for (const auto& args : std::vector<std::vector<std::string>>{{}, {"--help"}, {"-h"}, {"help"}}) {
    auto invocation = parse(args);
    const auto* help = std::get_if<HelpRequest>(&invocation.command);
    REQUIRE(help != nullptr);
    CHECK(help->exit_code == 0);
    CHECK(help->text.find("kata-check") != std::string::npos);
  }
  auto kill = parse({"help", "kill"});
  const auto* kill_help = std::get_if<HelpRequest>(&kill.command);
  REQUIRE(kill_help != nullptr);
  CHECK(kill_help->text.find("--all") != std::string::npos);
  CHECK(std::holds_alternative<VersionRequest>(parse({"-v"}).command));
}

TEST_CASE("the default root comes from the identity; --root overrides it") {
  HostIdentity user{.euid = 1000, .xdg_runtime_dir = "/run/user/1000", .in_user_namespace = false, .user = "me"};
  CHECK(parse_command_line({"state", "c"}, user).global.root == "/run/user/1000/kata");
  CHECK(parse_command_line({"--root", "/x", "state", "c"}, user).global.root == "/x");
  CHECK(parse({"state", "c"}).global.root == "/run/kata");
}

TEST_CASE("verb_name names the parsed verb") {
  auto invocation = parse({"kata-check"});
  const auto* verb = std::get_if<VerbOptions>(&invocation.command);
  REQUIRE(verb != nullptr);
  CHECK(verb_name(*verb) == "check");
}

TEST_CASE("exec: the command's own flags after the ID are not kata's, even when they look like them") {
  const auto& exec = verb_of<ExecOptions>(parse({"exec", "c", "env", "-e", "--tty", "-u"}));
  CHECK(exec.env.empty());
  CHECK_FALSE(exec.tty);
  CHECK(exec.user.empty());
  CHECK(exec.command == std::vector<std::string>{"env", "-e", "--tty", "-u"});
  const auto& separated = verb_of<ExecOptions>(parse({"exec", "-t", "c", "--", "sh", "-c", "true"}));
  CHECK(separated.tty);
  CHECK(separated.command == std::vector<std::string>{"sh", "-c", "true"});
}
