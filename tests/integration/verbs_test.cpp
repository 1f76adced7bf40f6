// ps, pause, resume, update and events through the built `kata` binary on a
// real VM (label `vm`, needs root): one busybox container that prints a line
// every 0.2 s. Pausing must stop its output and resuming restart it; ps lists
// guest pids; update changes the guest cgroup limits that events --stats
// then reports; the events stream ends when the container is killed. One
// VM boot (about 3 s under TCG). The suite checks at the end that no
// process, mount or state dir of its root is left.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "tests/support/kata_cli.hpp"

using namespace kata;
using namespace kata::test_support;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// The shared fixture with the verbs' own shorthands.
class Verbs : public KataSandboxes {
 public:
  Verbs() : KataSandboxes({.name = "kata-verbs"}) {}

  std::string status(const std::string& id) {
    auto result = kata({"state", id});
    REQUIRE_MESSAGE(result.status == 0, describe(result));
    return json::parse(result.out)["status"].get<std::string>();
  }

  /// events --stats of `id`, parsed (one line expected).
  json stats(const std::string& id) {
    auto result = kata({"events", "--stats", id});
    REQUIRE_MESSAGE(result.status == 0, describe(result));
    REQUIRE_MESSAGE(std::count(result.out.begin(), result.out.end(), '\n') == 1, describe(result));
    return json::parse(result.out);
  }
};

/// Waits up to `limit` for `path` to grow beyond `size` bytes.
bool grows_beyond(const std::string& path, std::size_t size, std::chrono::seconds limit) {
  for (auto deadline = Clock::now() + limit; Clock::now() < deadline; std::this_thread::sleep_for(100ms))
    if (read_or_empty(path).size() > size) return true;
  return false;
}

}  // namespace

TEST_CASE("ps, pause/resume, update and events on a running container") {
  Verbs verbs;
  auto bundle = verbs.bundle("ticker", {"/bin/sh", "-c", "while :; do echo x; sleep 0.2; done"});
  // Whatever fails below, the VM goes (delete --force of a missing container is fine).
  ScopeExit cleanup([&] { (void)verbs.kata({"delete", "--force", "ticker"}); });

  // create's stdout is the container's: the monitor relays into that file.
  auto create = verbs.spawn({"create", "-b", bundle, "ticker"});
  auto created = verbs.finish(create);
  REQUIRE_MESSAGE(created.status == 0, describe(created));
  auto started = verbs.kata({"start", "ticker"});
  REQUIRE_MESSAGE(started.status == 0, describe(started));
  const std::string& output = create.out_path;
  REQUIRE_MESSAGE(grows_beyond(output, 2, 30s), "the container printed nothing");

  // ps: guest pids from the container's cgroup, in the guest's root pid
  // namespace: the shell (and perhaps its sleep), never the agent (PID 1).
  auto ps_json = verbs.kata({"ps", "--format", "json", "ticker"});
  REQUIRE_MESSAGE(ps_json.status == 0, describe(ps_json));
  json pids = json::parse(ps_json.out);
  REQUIRE(pids.is_array());
  CHECK_FALSE(pids.empty());
  CHECK(pids.size() <= 3);
  for (const auto& pid : pids) CHECK(pid.get<long long>() > 1);
  auto ps_table = verbs.kata({"ps", "ticker"});
  CHECK_MESSAGE(ps_table.status == 0, describe(ps_table));
  CHECK(ps_table.out.rfind("PID\n", 0) == 0);

  // pause: the output stops and the state says paused.
  auto paused = verbs.kata({"pause", "ticker"});
  REQUIRE_MESSAGE(paused.status == 0, describe(paused));
  CHECK(verbs.status("ticker") == "paused");
  std::this_thread::sleep_for(500ms);  // a line already on its way to the host
  auto frozen_size = read_or_empty(output).size();
  std::this_thread::sleep_for(1500ms);
  CHECK_MESSAGE(read_or_empty(output).size() == frozen_size, "output kept coming while paused");
  auto twice = verbs.kata({"pause", "ticker"});
  CHECK(twice.status == 1);
  CHECK(twice.err.find("container not running") != std::string::npos);
  // A paused container still answers ps and stats.
  CHECK(verbs.kata({"ps", "--format", "json", "ticker"}).status == 0);

  // resume: the output comes back.
  auto resumed = verbs.kata({"resume", "ticker"});
  REQUIRE_MESSAGE(resumed.status == 0, describe(resumed));
  CHECK(verbs.status("ticker") == "running");
  CHECK_MESSAGE(grows_beyond(output, frozen_size, 10s), "no output after resume");
  auto not_paused = verbs.kata({"resume", "ticker"});
  CHECK(not_paused.status == 1);
  CHECK(not_paused.err.find("container not paused") != std::string::npos);

  // events --stats: one runc stats object for this container.
  json before = verbs.stats("ticker");
  CHECK(before["type"] == "stats");
  CHECK(before["id"] == "ticker");
  CHECK(before["data"]["memory"]["usage"]["usage"].get<unsigned long long>() > 0);
  CHECK(before["data"]["pids"]["current"].get<unsigned long long>() >= 1);

  // update: a memory limit by flag, a pids limit by JSON on stdin; stats
  // then report both.
  auto memory = verbs.kata({"update", "--memory", "48m", "ticker"});
  REQUIRE_MESSAGE(memory.status == 0, describe(memory));
  std::string resources = verbs.work() + "/resources.json";
  REQUIRE(write_file_atomic(resources, R"({"pids":{"limit":40}})").ok());
  auto pids_limit = verbs.kata({"update", "--resources", "-", "ticker"}, "", resources);
  REQUIRE_MESSAGE(pids_limit.status == 0, describe(pids_limit));
  json after = verbs.stats("ticker");
  CHECK(after["data"]["memory"]["usage"]["limit"] == 48ULL << 20);
  CHECK(after["data"]["pids"]["limit"] == 40);
  auto bad = verbs.kata({"update", "--memory", "lots", "ticker"});
  CHECK(bad.status == 1);
  CHECK(bad.err.find("invalid memory size") != std::string::npos);

  // events: a stats line per interval until the container is killed, then
  // the stream ends by itself.
  auto stream = verbs.spawn({"events", "--interval", "300ms", "ticker"});
  std::this_thread::sleep_for(2s);
  auto killed = verbs.kata({"kill", "ticker", "KILL"});
  CHECK_MESSAGE(killed.status == 0, describe(killed));
  auto streamed = verbs.finish(stream, 60s);
  CHECK_MESSAGE(streamed.status == 0, describe(streamed));
  std::size_t stats_lines = 0;
  for (std::size_t start = 0; start < streamed.out.size();) {
    auto end = streamed.out.find('\n', start);
    if (end == std::string::npos) break;
    json event = json::parse(streamed.out.substr(start, end - start));
    CHECK(event["id"] == "ticker");
    if (event["type"] == "stats") ++stats_lines;
    start = end + 1;
  }
  CHECK_MESSAGE(stats_lines >= 2, describe(streamed));

  // Stopped: the verbs refuse with runc's words.
  for (auto deadline = Clock::now() + 60s; Clock::now() < deadline && verbs.status("ticker") != "stopped";)
    std::this_thread::sleep_for(200ms);
  REQUIRE(verbs.status("ticker") == "stopped");
  auto ps_stopped = verbs.kata({"ps", "ticker"});
  CHECK(ps_stopped.status == 1);
  CHECK(ps_stopped.err.find("container not running") != std::string::npos);
  auto stats_stopped = verbs.kata({"events", "--stats", "ticker"});
  CHECK(stats_stopped.status == 1);
  CHECK(stats_stopped.err.find("container with id ticker is not running") != std::string::npos);

  auto deleted = verbs.kata({"delete", "ticker"});
  CHECK_MESSAGE(deleted.status == 0, describe(deleted));
  verbs.check_gone("ticker");
}
