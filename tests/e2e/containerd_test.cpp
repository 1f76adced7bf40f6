// containerd 1.6's runc v2 shim running containers through the built kata
// (ctr --runc-binary, label `e2e`): output and exit status, task kill, the
// error containerd shows (the last JSON line of kata's log.json), and that
// nothing of kata remains after delete. A private containerd serves the
// tests (EngineHost). Needs root and containerd.

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/engine_host.hpp"

using namespace kata::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// `ctr run <kata flags> extra... IMAGE id command...`.
ProgramResult ctr_run(const std::vector<std::string>& extra, const std::string& id,
                      const std::vector<std::string>& command) {
  auto& host = EngineHost::get();
  std::vector<std::string> args{"run"};
  for (const auto& flag : host.ctr_runtime_flags()) args.push_back(flag);
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(EngineHost::kImage);
  args.push_back(id);
  args.insert(args.end(), command.begin(), command.end());
  return host.ctr(args);
}

/// The STATUS column of `ctr task ls` for `id` ("" when there is no task).
std::string task_status(const std::string& id) {
  auto listed = EngineHost::get().ctr({"task", "ls"});
  std::size_t at = listed.out.find("\n" + id + " ");
  if (at == std::string::npos) return "";
  auto end = listed.out.find('\n', at + 1);
  auto line = listed.out.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
  auto last = line.find_last_not_of(' ');
  auto first = line.find_last_of(' ', last);
  return line.substr(first + 1, last - first);
}

std::string wait_task_status(const std::string& id, const std::string& wanted, std::chrono::seconds limit = 120s) {
  std::string status;
  for (auto deadline = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < deadline;) {
    status = task_status(id);
    if (status == wanted) break;
    std::this_thread::sleep_for(200ms);
  }
  return status;
}

/// Nothing of `id` in containerd's task list, its container list, or kata.
void check_gone(const std::string& id) {
  auto& host = EngineHost::get();
  CHECK(task_status(id).empty());
  auto containers = host.ctr({"container", "ls", "--quiet"});
  CHECK_FALSE(contains("\n" + containers.out, "\n" + id + "\n"));
  auto left = kata_leftovers(host.containerd_kata_root(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
  // The shim's bundle and its rootfs mount go too.
  left = kata_leftovers(host.containerd_bundles(), id);
  CHECK_MESSAGE(left.empty(), "left behind: " << (left.empty() ? "" : left.front()));
}

}  // namespace

TEST_SUITE("containerd") {

TEST_CASE("ctr run --rm prints the output and returns the exit status") {
  auto result = ctr_run({"--rm"}, "kata-e2e-hi", {"sh", "-c", "echo hi; exit 42"});
  CHECK_MESSAGE(result.status == 42, describe(result));
  CHECK(result.out == "hi\n");
  check_gone("kata-e2e-hi");
}

TEST_CASE("ctr task kill stops a detached task (with a bind mount); delete leaves nothing") {
  auto& host = EngineHost::get();
  const std::string id = "kata-e2e-kill";
  // The shell marks, through a bind mount, when its trap is set: a SIGTERM
  // before that would be ignored (an init process without a handler).
  std::string shared = host.fresh_dir("ctr-shared");
  auto started = ctr_run({"-d", "--mount", "type=bind,src=" + shared + ",dst=/shared,options=rbind:rw"}, id,
                         {"sh", "-c", "trap 'exit 5' TERM; echo ready > /shared/ready; while true; do sleep 0.2; done"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  CHECK(wait_task_status(id, "RUNNING") == "RUNNING");
  for (auto deadline = std::chrono::steady_clock::now() + 120s;
       !fs::exists(shared + "/ready") && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE_MESSAGE(fs::exists(shared + "/ready"), "the container never wrote /shared/ready");
  // While it runs, kata's state and the shim's bundle are where check_gone looks.
  CHECK_FALSE(kata_leftovers(host.containerd_kata_root(), id, 0ms).empty());
  CHECK_FALSE(kata_leftovers(host.containerd_bundles(), id, 0ms).empty());
  auto killed = host.ctr({"task", "kill", id});  // SIGTERM by default
  CHECK_MESSAGE(killed.status == 0, describe(killed));
  CHECK(wait_task_status(id, "STOPPED", 60s) == "STOPPED");
  auto deleted = host.ctr({"task", "delete", id});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  CHECK_MESSAGE(contains(deleted.err, "exit code 5"), describe(deleted));
  auto removed = host.ctr({"container", "delete", id});
  CHECK_MESSAGE(removed.status == 0, describe(removed));
  check_gone(id);
}

TEST_CASE("containerd shows kata's error message for a command missing from the image") {
  auto result = ctr_run({"--rm"}, "kata-e2e-missing", {"no-such-command"});
  CHECK_MESSAGE(result.status != 0, describe(result));
  CHECK_MESSAGE(contains(result.err, "no-such-command"), describe(result));
  CHECK_MESSAGE(contains(result.err, "executable file not found in $PATH"), describe(result));
  // The shim puts the last error line of log.json after this prefix; without
  // one it would show only "exit status 1".
  CHECK_MESSAGE(contains(result.err, "OCI runtime create failed: kata create: "), describe(result));
  check_gone("kata-e2e-missing");
}

TEST_CASE("ctr task exec returns the process's status; ctr task ps lists host pids") {
  auto& host = EngineHost::get();
  const std::string id = "kata-e2e-exec";
  auto started = ctr_run({"-d"}, id, {"sh", "-c", "echo ready; while true; do sleep 0.2; done"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  CHECK(wait_task_status(id, "RUNNING") == "RUNNING");
  auto exec = host.ctr({"task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo in-exec; exit 7"});
  CHECK_MESSAGE(exec.status == 7, describe(exec));
  CHECK(exec.out == "in-exec\n");
  auto ps = host.ctr({"task", "ps", id});
  CHECK_MESSAGE(ps.status == 0, describe(ps));
  CHECK(contains(ps.out, "PID"));
  auto killed = host.ctr({"task", "kill", "--signal", "SIGKILL", id});
  CHECK_MESSAGE(killed.status == 0, describe(killed));
  CHECK(wait_task_status(id, "STOPPED", 60s) == "STOPPED");
  CHECK(host.ctr({"task", "delete", id}).status == 0);
  CHECK(host.ctr({"container", "delete", id}).status == 0);
  check_gone(id);
}

}  // TEST_SUITE
