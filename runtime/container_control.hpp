#pragma once
// The verbs that act on a live container through its monitor besides start
// and kill: ps, pause, resume, update, events. Each takes the state store and
// does the whole verb; cmd/ only parses flags and prints.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent-client/messages.hpp"
#include "common/error.hpp"
#include "runtime/state_store.hpp"

namespace kata::runtime {

/// Guest pids of the container's processes (they live in the VM: no host
/// process has them). "container not running" unless created, running or
/// paused.
Result<std::vector<std::int64_t>> list_container_processes(StateStore& store, std::string_view id);

/// Freezes a running container's processes; state.json then says paused.
/// "container not running" otherwise.
Result<void> pause_container(StateStore& store, std::string_view id);

/// Thaws a paused container; state.json then says running. "container not
/// paused" otherwise.
Result<void> resume_container(StateStore& store, std::string_view id);

/// Applies `resources` (an OCI linux.resources object, checked with
/// validate_resources) to the container's cgroup in the guest. "container not
/// running" when stopped.
Result<void> update_container(StateStore& store, std::string_view id, const nlohmann::json& resources);

/// The container's cgroup counters, read in the guest. "container with id
/// ID is not running" when stopped.
Result<agent_client::ContainerStats> container_stats(StateStore& store, std::string_view id);

/// Streams the container's events as runc's `events` objects (stats_event,
/// oom_event) to `emit`: stats every `interval` (the first after one
/// interval, as runc), oom as soon as the monitor reports it, until the
/// container stops (then ok). `interval` must be positive.
Result<void> stream_container_events(StateStore& store, std::string_view id, std::chrono::nanoseconds interval,
                                     const std::function<void(const nlohmann::json&)>& emit);

/// runc's stats event: {"type":"stats","id":ID,"data":{cpu,memory,pids,...}}
/// in the layout of runc's types/events.go. Counters the agent does not read
/// (per-cpu usage, max usage, failcnt, throttling, blkio) are left out, not
/// made up; an unlimited memory limit is 2^64-1 as runc reports "max".
nlohmann::json stats_event(std::string_view id, const agent_client::ContainerStats& stats);

/// runc's oom event: {"type":"oom","id":ID}.
nlohmann::json oom_event(std::string_view id);

/// ok when `resources` is a JSON object whose known runtime-spec members
/// (memory, cpu, pids, blockIO, hugepageLimits, unified, devices, network,
/// rdma) have the spec's types; invalid_argument naming the member
/// ("memory.limit: expected an integer") otherwise. Unknown members pass
/// (newer spec versions), as the spec parser lets them.
Result<void> validate_resources(const nlohmann::json& resources);

}  // namespace kata::runtime
