// `kata events`: stats read by the agent in the guest and OOM notices the
// monitor relays, printed in runc's event layout (types/events.go).
#include <algorithm>
#include <limits>
#include <thread>

#include "runtime/container_control.hpp"
#include "runtime/container_id.hpp"
#include "runtime/container_state.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/verb_rules.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct LiveContainer {
  ContainerRecord record;
  std::string socket;
};

Result<LiveContainer> load_live(StateStore& store, std::string_view id) {
  KATA_TRY(validate_container_id(id));
  auto record = KATA_TRY(store.load(id));
  KATA_TRY(check_verb_allowed(LifecycleVerb::events, refresh_status(record).status, id));
  std::string socket = record.monitor_socket.value_or(store.container_dir(id) + "/" + monitor_socket_name);
  return LiveContainer{std::move(record), std::move(socket)};
}

Error not_running(std::string_view id) {
  return make_error(ErrorKind::wrong_state, "container with id {} is not running", id);
}

// Whether the monitor (and with it the container) exits within a few
// seconds: it closes its connections a moment before its process is gone.
bool monitor_exits_soon(const ContainerRecord& record) {
  for (auto deadline = Clock::now() + 5s; Clock::now() < deadline; std::this_thread::sleep_for(50ms))
    if (!process_alive(record)) return true;
  return false;
}

Result<agent_client::ContainerStats> request_stats(const LiveContainer& live, std::string_view id) {
  auto reply = send_monitor_request(live.socket, StatsCommand{}, 30s);
  if (!reply) {
    if (!process_alive(live.record)) return not_running(id);
    return std::move(reply).error().wrap("stats");
  }
  return stats_from_reply(*reply);
}

}  // namespace

json stats_event(std::string_view id, const agent_client::ContainerStats& stats) {
  // The guest reports 0 for "max"; runc reports cgroup v2's "max" memory
  // limit as 2^64-1 and an unlimited pids limit as an absent one.
  std::uint64_t memory_limit =
      stats.memory.limit_bytes == 0 ? std::numeric_limits<std::uint64_t>::max() : stats.memory.limit_bytes;
  json cpu_usage = {{"kernel", stats.cpu.system_ns}, {"user", stats.cpu.user_ns}};
  if (stats.cpu.usage_ns != 0) cpu_usage["total"] = stats.cpu.usage_ns;
  json memory_usage = {{"limit", memory_limit}};
  if (stats.memory.usage_bytes != 0) memory_usage["usage"] = stats.memory.usage_bytes;
  json pids = json::object();
  if (stats.pids.current != 0) pids["current"] = stats.pids.current;
  if (stats.pids.limit != 0) pids["limit"] = stats.pids.limit;
  json data = {
      {"cpu", {{"usage", cpu_usage}, {"throttling", json::object()}}},
      {"memory", {{"usage", memory_usage}}},
      {"pids", pids},
      {"blkio", json::object()},
  };
  return json{{"type", "stats"}, {"id", id}, {"data", data}};
}

json oom_event(std::string_view id) { return json{{"type", "oom"}, {"id", id}}; }

Result<agent_client::ContainerStats> container_stats(StateStore& store, std::string_view id) {
  auto live = KATA_TRY(load_live(store, id));
  return request_stats(live, id);
}

Result<void> stream_container_events(StateStore& store, std::string_view id, std::chrono::nanoseconds interval,
                                     const std::function<void(const json&)>& emit) {
  if (interval <= std::chrono::nanoseconds::zero())
    return make_error(ErrorKind::invalid_argument, "interval must be greater than 0");
  auto live = KATA_TRY(load_live(store, id));
  auto subscribed = MonitorSubscription::open(live.socket, 30s);
  if (!subscribed) {
    if (!process_alive(live.record)) return not_running(id);
    return std::move(subscribed).error().wrap("subscribe to events");
  }
  auto subscription = std::move(subscribed).value();
  auto step = std::chrono::duration_cast<Clock::duration>(interval);
  auto next_stats = Clock::now() + step;
  while (true) {
    // Events first: an exit already reported must end the stream before
    // another stats request goes to a monitor that is shutting down.
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_stats - Clock::now());
    auto event = subscription.next(std::max(wait, std::chrono::milliseconds::zero()));
    if (event) {
      if (std::holds_alternative<ExitEvent>(*event)) return ok();
      emit(oom_event(id));
      continue;
    }
    if (event.error().kind != ErrorKind::timeout) {
      // The monitor closed the stream without an exit event: it died, and
      // with it the container.
      if (monitor_exits_soon(live.record)) return ok();
      return std::move(event).error();
    }
    auto stats = request_stats(live, id);
    if (!stats) {
      // The container stopping between two stats ends the stream quietly:
      // the monitor refuses or drops the request as it shuts down, then
      // reports the exit (or just closes the stream).
      auto after = subscription.next(5s);
      if (after && std::holds_alternative<ExitEvent>(*after)) return ok();
      if (!after && after.error().kind != ErrorKind::timeout && monitor_exits_soon(live.record)) return ok();
      if (after) emit(oom_event(id));
      return std::move(stats).error();
    }
    emit(stats_event(id, *stats));
    next_stats += step;
    if (next_stats < Clock::now()) next_stats = Clock::now() + step;  // fell behind: no burst
  }
}

}  // namespace kata::runtime
