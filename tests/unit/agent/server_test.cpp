// The agent's protocol server against an in-memory host: a socketpair as the
// port, a signalfd for SIGCHLD, and a launcher that runs plain /bin/sh
// children (no container setup, no root).
#include "agent/server.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/fs.hpp"

using namespace kata;
using namespace kata::agent;
using namespace kata::agent_client;

namespace {

// Runs process.args directly (cwd /, the spec's env), barrier honoured.
class ShellLauncher final : public Launcher {
 public:
  Result<CreatedInit> create_init(const std::string&, const oci::Spec& spec, const ProcessStdio& stdio, bool,
                                  const std::string& cgroup_dir) override {
    cgroup_dirs.push_back(cgroup_dir);
    int barrier[2];
    if (::pipe2(barrier, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
    pid_t pid = spawn(*spec.process, stdio, barrier[0]);
    ::close(barrier[0]);
    CreatedInit init{pid, UniqueFd(barrier[1])};
    return init;
  }
  Result<pid_t> exec(pid_t, const oci::Spec&, const oci::Process& process, const ProcessStdio& stdio, bool,
                     const std::string& cgroup_dir) override {
    cgroup_dirs.push_back(cgroup_dir);
    return spawn(process, stdio, -1);
  }

  /// The cgroup each process was to be born in, in launch order.
  std::vector<std::string> cgroup_dirs;

 private:
  static pid_t spawn(const oci::Process& process, const ProcessStdio& stdio, int barrier_fd) {
    pid_t pid = ::fork();
    if (pid != 0) return pid;
    // doctest's crash handlers must not run in a child signalled before it execs.
    for (int signal = 1; signal < NSIG; ++signal) ::signal(signal, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(stdio.stdin_fd, 0);
    ::dup2(stdio.stdout_fd, 1);
    ::dup2(stdio.stderr_fd, 2);
    if (barrier_fd >= 0) {
      char byte;
      if (::read(barrier_fd, &byte, 1) != 1) ::_exit(126);
    }
    std::vector<char*> argv;
    for (const auto& arg : *process.args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
};

// A host at the other end of the port, driving the server one round at a time.
struct Harness {
  UniqueFd host;
  UniqueFd port;
  UniqueFd signals;
  ShellLauncher launcher;
  std::optional<Server> server;
  FrameDecoder decoder;
  std::vector<Frame> frames;  // everything the agent sent, in order

  explicit Harness(std::uint32_t window = kDefaultStreamWindow, const std::string& cgroup_root = "") {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    host.reset(fds[0]);
    port.reset(fds[1]);
    REQUIRE(::fcntl(port.get(), F_SETFL, O_NONBLOCK) == 0);
    REQUIRE(::fcntl(host.get(), F_SETFL, O_NONBLOCK) == 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    REQUIRE(::sigprocmask(SIG_BLOCK, &set, nullptr) == 0);
    signals.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    REQUIRE(signals.valid());
    server.emplace(port.get(), signals.get(), launcher, ServerOptions{"test-agent", cgroup_root});
    Hello hello;
    hello.role = Role::host;
    hello.build_version = "test-host";
    hello.stream_window = window;
    send(encode_hello(hello));
  }

  void send(const Result<std::string>& bytes) {
    REQUIRE(bytes.ok());
    std::size_t done = 0;
    while (done < bytes->size()) {
      ssize_t wrote = ::write(host.get(), bytes->data() + done, bytes->size() - done);
      if (wrote < 0 && errno == EAGAIN) {
        round();
        continue;
      }
      REQUIRE(wrote > 0);
      done += static_cast<std::size_t>(wrote);
    }
  }

  // One server round, then whatever the agent sent is collected.
  void round() {
    auto action = server->run_once(5);
    REQUIRE(action.ok());
    while (true) {
      auto frame = decoder.next();
      REQUIRE(frame.ok());
      if (frame->has_value()) {
        frames.push_back(std::move(**frame));
        continue;
      }
      auto filled = decoder.fill_from(host.get());
      REQUIRE(filled.ok());
      if (filled->would_block || filled->eof) break;
    }
  }

  // Rounds until `done` holds (or fails after 10 s).
  void until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      round();
    }
  }

  std::optional<IncomingResponse> response(std::uint32_t id) const {
    for (const auto& frame : frames) {
      if (frame.type != FrameType::response || frame.id != id) continue;
      auto decoded = decode_response(frame);
      REQUIRE(decoded.ok());
      return *decoded;
    }
    return std::nullopt;
  }
  IncomingResponse wait_response(std::uint32_t id) {
    until([&] { return response(id).has_value(); });
    return *response(id);
  }

  std::string stream_bytes(std::uint32_t id) const {
    std::string bytes;
    for (const auto& frame : frames) {
      if (frame.type == FrameType::stream_data && frame.id == id) bytes += frame.payload;
    }
    return bytes;
  }
  // Index of the first frame matching, or -1.
  long index_of(const std::function<bool(const Frame&)>& match) const {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (match(frames[i])) return static_cast<long>(i);
    }
    return -1;
  }
  long close_index(std::uint32_t id) const {
    return index_of([&](const Frame& f) { return f.type == FrameType::stream_close && f.id == id; });
  }
  long exit_index() const {
    return index_of([](const Frame& f) { return f.type == FrameType::event; });
  }
};

nlohmann::json spec_running(const std::string& script) {
  return {{"ociVersion", "1.0.2"},
          {"root", {{"path", "/"}}},
          {"process", {{"args", {"/bin/sh", "-c", script}}, {"cwd", "/"}, {"env", {"PATH=/bin:/usr/bin"}}}}};
}

CreateContainer create_request(const std::string& id, const std::string& script) {
  CreateContainer create;
  create.container_id = id;
  create.spec = spec_running(script);
  create.stdio = {1, 2, 3};
  return create;
}

}  // namespace

TEST_CASE("the agent answers the host's hello with its own") {
  Harness h;
  h.until([&] { return !h.frames.empty(); });
  REQUIRE(h.frames[0].type == FrameType::hello);
  auto hello = decode_hello(h.frames[0]);
  REQUIRE(hello.ok());
  CHECK(hello->role == Role::agent);
  CHECK(hello->build_version == "test-agent");
}

TEST_CASE("output, then stdout/stderr EOF, then the exit event and the pending wait") {
  Harness h;
  h.send(encode_request(1, create_request("c1", "echo hello; echo oops >&2; exit 3")));
  auto created = h.wait_response(1);
  REQUIRE(created.outcome.ok());
  auto started = ProcessStarted::from_json(*created.outcome);
  REQUIRE(started.ok());
  CHECK(started->pid > 0);

  // Waiting before the start stays pending instead of blocking the loop.
  h.send(encode_request(2, WaitProcess{"c1", ""}));
  for (int i = 0; i < 20; ++i) h.round();
  CHECK_FALSE(h.response(2).has_value());
  CHECK(h.stream_bytes(2).empty());

  h.send(encode_request(3, StartContainer{"c1"}));
  CHECK(h.wait_response(3).outcome.ok());
  h.until([&] { return h.exit_index() >= 0; });

  CHECK(h.stream_bytes(2) == "hello\n");
  CHECK(h.stream_bytes(3) == "oops\n");
  REQUIRE(h.close_index(2) >= 0);
  REQUIRE(h.close_index(3) >= 0);
  CHECK(h.close_index(2) < h.exit_index());
  CHECK(h.close_index(3) < h.exit_index());
  auto event = decode_event(h.frames[static_cast<std::size_t>(h.exit_index())]);
  REQUIRE(event.ok());
  auto* exited = std::get_if<ProcessExited>(&*event);
  REQUIRE(exited != nullptr);
  CHECK(exited->container_id == "c1");
  CHECK(exited->exec_id.empty());
  CHECK(exited->status == 3);

  auto waited = h.wait_response(2);
  auto status = response_body<ProcessStatus>(waited);
  REQUIRE(status.ok());
  CHECK(status->status == 3);

  // A second start is refused; a wait after the exit answers at once.
  h.send(encode_request(4, StartContainer{"c1"}));
  CHECK(h.wait_response(4).outcome.error().kind == ErrorKind::wrong_state);
  h.send(encode_request(5, WaitProcess{"c1", ""}));
  CHECK(response_body<ProcessStatus>(h.wait_response(5))->status == 3);

  h.send(encode_request(6, RemoveContainer{"c1"}));
  CHECK(h.wait_response(6).outcome.ok());
  CHECK(h.server->container_count() == 0);
}

TEST_CASE("stdin stream reaches the process and its EOF closes the pipe") {
  Harness h;
  h.send(encode_request(1, create_request("c2", "cat")));
  REQUIRE(h.wait_response(1).outcome.ok());
  h.send(encode_request(2, StartContainer{"c2"}));
  REQUIRE(h.wait_response(2).outcome.ok());
  h.send(encode_stream_data(1, "ping\n"));
  h.until([&] { return h.stream_bytes(2) == "ping\n"; });
  CHECK(h.exit_index() < 0);  // cat still waits for more input
  h.send(encode_stream_close(1));
  h.until([&] { return h.exit_index() >= 0; });
  auto event = decode_event(h.frames[static_cast<std::size_t>(h.exit_index())]);
  CHECK(std::get<ProcessExited>(*event).status == 0);
}

TEST_CASE("output stops at the host's window and resumes with credit") {
  constexpr std::uint32_t window = 4096;
  Harness h(window);
  // 20000 bytes: five windows' worth.
  h.send(encode_request(1, create_request("c3", "i=0; while [ $i -lt 400 ]; do "
                                                "echo 0123456789012345678901234567890123456789012345678; "
                                                "i=$((i+1)); done")));
  REQUIRE(h.wait_response(1).outcome.ok());
  h.send(encode_request(2, StartContainer{"c3"}));
  REQUIRE(h.wait_response(2).outcome.ok());
  h.until([&] { return h.stream_bytes(2).size() >= window; });
  for (int i = 0; i < 50; ++i) h.round();
  // Without credit, nothing beyond the window and the writer stays blocked.
  CHECK(h.stream_bytes(2).size() == window);
  CHECK(h.exit_index() < 0);

  std::size_t granted = window;
  h.until([&] {
    if (h.exit_index() >= 0) return true;
    if (h.stream_bytes(2).size() == granted) {
      h.send(encode_stream_credit(2, window));
      granted += window;
    }
    return false;
  });
  CHECK(h.stream_bytes(2).size() == 20000);
  CHECK(h.close_index(2) < h.exit_index());
}

namespace {

// Creates and starts `id` running `sleep 30` (requests 1 and 2).
void start_sleeping(Harness& h, const std::string& id) {
  h.send(encode_request(1, create_request(id, "sleep 30")));
  REQUIRE(h.wait_response(1).outcome.ok());
  h.send(encode_request(2, StartContainer{id}));
  REQUIRE(h.wait_response(2).outcome.ok());
}

// exec "e1" in `id`, printing from-exec on stream 10.
ExecProcess echo_exec(const std::string& id) {
  ExecProcess exec;
  exec.container_id = id;
  exec.exec_id = "e1";
  exec.process = {{"args", {"/bin/sh", "-c", "echo from-exec"}}, {"cwd", "/"}};
  exec.stdio = {0, 10, 11};
  return exec;
}

}  // namespace

TEST_CASE("exec runs a second process; signal and errors name the step") {
  Harness h;
  start_sleeping(h, "c4");
  h.send(encode_request(3, echo_exec("c4")));
  REQUIRE(h.wait_response(3).outcome.ok());
  h.send(encode_request(4, WaitProcess{"c4", "e1"}));
  CHECK(response_body<ProcessStatus>(h.wait_response(4))->status == 0);
  CHECK(h.stream_bytes(10) == "from-exec\n");

  h.send(encode_request(5, ListProcesses{"c4"}));
  auto list = response_body<ProcessList>(h.wait_response(5));
  REQUIRE(list.ok());
  CHECK(list->pids.size() == 1);  // the init; the exec has exited

  h.send(encode_request(6, SignalProcess{"c4", "", SIGTERM, false}));
  REQUIRE(h.wait_response(6).outcome.ok());
  h.send(encode_request(7, WaitProcess{"c4", ""}));
  CHECK(response_body<ProcessStatus>(h.wait_response(7))->status == 128 + SIGTERM);

  h.send(encode_request(8, StartContainer{"nope"}));
  auto missing = h.wait_response(8);
  REQUIRE_FALSE(missing.outcome.ok());
  CHECK(missing.outcome.error().kind == ErrorKind::not_found);
  CHECK(missing.outcome.error().message.find("start container: container nope not found") != std::string::npos);

  h.send(encode_request(9, PauseContainer{"c4"}));
  CHECK(h.wait_response(9).outcome.error().kind == ErrorKind::unsupported);
}

TEST_CASE("remove kills a running container and answers once it is gone") {
  Harness h;
  h.send(encode_request(1, create_request("c5", "sleep 30")));
  REQUIRE(h.wait_response(1).outcome.ok());
  h.send(encode_request(2, StartContainer{"c5"}));
  REQUIRE(h.wait_response(2).outcome.ok());
  h.send(encode_request(3, RemoveContainer{"c5"}));
  CHECK(h.wait_response(3).outcome.ok());
  CHECK(h.server->container_count() == 0);
  auto event = decode_event(h.frames[static_cast<std::size_t>(h.exit_index())]);
  CHECK(std::get<ProcessExited>(*event).status == 128 + SIGKILL);
}

namespace {

// Writes a stand-in cgroup file in place (the server keeps memory.events open).
void write_in_place(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
  REQUIRE(file.good());
}

std::string read_text(const std::string& path) {
  auto text = read_file(path, 4096);
  REQUIRE(text.ok());
  return *text;
}

}  // namespace

TEST_CASE("create applies linux.resources; an OOM kill is reported before the exit it caused") {
  // A directory stands in for the cgroup root, with the files the kernel
  // would create in the container's cgroup.
  char root_template[] = "/tmp/kata-server-cgroup-XXXXXX";
  REQUIRE(::mkdtemp(root_template) != nullptr);
  std::string root = root_template;
  std::string dir = root + "/c6";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  for (const char* file : {"memory.max", "pids.max", "cgroup.procs"}) write_in_place(dir + "/" + file, "max\n");
  write_in_place(dir + "/cpu.max", "max 100000\n");
  write_in_place(dir + "/memory.events", "oom 0\noom_kill 0\n");

  Harness h(kDefaultStreamWindow, root);
  auto create = create_request("c6", "kill -9 $$");
  create.spec["linux"] = {{"resources",
                           {{"memory", {{"limit", 32 * 1024 * 1024}}},
                            {"cpu", {{"quota", 50000}, {"period", 200000}}},
                            {"pids", {{"limit", 20}}}}}};
  h.send(encode_request(1, create));
  auto created = h.wait_response(1);
  REQUIRE(created.outcome.ok());
  CHECK(read_text(dir + "/memory.max") == "33554432");
  CHECK(read_text(dir + "/cpu.max") == "50000 200000");
  CHECK(read_text(dir + "/pids.max") == "20");
  // The launcher starts the init in the container's cgroup.
  CHECK(h.launcher.cgroup_dirs == std::vector<std::string>{dir});

  // The kernel counts an OOM kill as it sends the SIGKILL; here the count
  // is in place before the process kills itself the same way.
  write_in_place(dir + "/memory.events", "oom 1\noom_kill 1\n");
  h.send(encode_request(2, StartContainer{"c6"}));
  REQUIRE(h.wait_response(2).outcome.ok());
  auto exited_at = [&] {
    return h.index_of([](const Frame& f) {
      auto event = f.type == FrameType::event ? decode_event(f) : Result<Event>(make_error(ErrorKind::protocol, "-"));
      return event.ok() && std::holds_alternative<ProcessExited>(*event);
    });
  };
  h.until([&] { return exited_at() >= 0; });
  long oom_at = h.index_of([](const Frame& f) {
    auto event = f.type == FrameType::event ? decode_event(f) : Result<Event>(make_error(ErrorKind::protocol, "-"));
    return event.ok() && std::holds_alternative<Oom>(*event);
  });
  REQUIRE(oom_at >= 0);
  CHECK(oom_at < exited_at());
  CHECK(std::get<Oom>(*decode_event(h.frames[static_cast<std::size_t>(oom_at)])).container_id == "c6");
  CHECK(std::get<ProcessExited>(*decode_event(h.frames[static_cast<std::size_t>(exited_at())])).status ==
        128 + SIGKILL);

  // Only one kill was counted: one event, however often the file is read.
  for (int i = 0; i < 5; ++i) h.round();
  long ooms = 0;
  for (const auto& frame : h.frames) {
    if (frame.type != FrameType::event) continue;
    auto event = decode_event(frame);
    if (event.ok() && std::holds_alternative<Oom>(*event)) ++ooms;
  }
  CHECK(ooms == 1);
  std::filesystem::remove_all(root);
}

TEST_CASE("exec is born in the container's cgroup, and refused while the cgroup is frozen") {
  char root_template[] = "/tmp/kata-server-cgroup-XXXXXX";
  REQUIRE(::mkdtemp(root_template) != nullptr);
  std::string root = root_template;
  std::string dir = root + "/c7";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  for (const char* file : {"cgroup.freeze", "cgroup.procs", "memory.events"}) write_in_place(dir + "/" + file, "");

  Harness h(kDefaultStreamWindow, root);
  start_sleeping(h, "c7");
  auto exec = echo_exec("c7");
  h.send(encode_request(3, PauseContainer{"c7"}));
  REQUIRE(h.wait_response(3).outcome.ok());
  CHECK(read_text(dir + "/cgroup.freeze") == "1");
  // A process cloned into a frozen cgroup would never report its exec.
  h.send(encode_request(4, exec));
  auto refused = h.wait_response(4);
  REQUIRE_FALSE(refused.outcome.ok());
  CHECK(refused.outcome.error().kind == ErrorKind::wrong_state);
  CHECK(refused.outcome.error().message.find("container c7 is paused: resume it before exec") != std::string::npos);

  h.send(encode_request(5, ResumeContainer{"c7"}));
  REQUIRE(h.wait_response(5).outcome.ok());
  h.send(encode_request(6, exec));
  REQUIRE(h.wait_response(6).outcome.ok());
  h.send(encode_request(7, WaitProcess{"c7", "e1"}));
  CHECK(response_body<ProcessStatus>(h.wait_response(7))->status == 0);
  CHECK(h.stream_bytes(10) == "from-exec\n");
  // The init and the exec'd process were both launched into the cgroup.
  CHECK(h.launcher.cgroup_dirs == std::vector<std::string>{dir, dir});

  h.send(encode_request(8, SignalProcess{"c7", "", SIGKILL, false}));
  REQUIRE(h.wait_response(8).outcome.ok());
  h.send(encode_request(9, WaitProcess{"c7", ""}));
  CHECK(response_body<ProcessStatus>(h.wait_response(9))->status == 128 + SIGKILL);
  std::filesystem::remove_all(root);
}
