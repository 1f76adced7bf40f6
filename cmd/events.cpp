// `kata events`: stream stats and OOM events of a container as JSON lines.
#include "cmd/cli11.hpp"

#include <cstdio>

#include "cmd/config_loading.hpp"
#include "cmd/duration.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"
#include "runtime/container_control.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, EventsOptions& options) {
  app.add_option_function<std::string>(
      "--interval",
      [&options](const std::string& text) {
        auto interval = parse_duration(text);
        if (!interval) throw CLI::ValidationError("--interval: " + interval.error().message);
        options.interval = *interval;
      },
      "set the stats collection interval (default: 5s)");
  app.add_flag("--stats", options.stats, "display the container's stats then exit");
  declare_container_id(app, options.id);
}

namespace {

// One compact JSON object per line, flushed at once so a reader of a pipe
// sees each event when it happens (runc uses a json.Encoder on stdout).
void print_event(const nlohmann::json& event) {
  std::string line = event.dump() + "\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

Result<int> run_verb(const GlobalOptions& global, const EventsOptions& options) {
  if (options.interval <= std::chrono::nanoseconds::zero())
    return make_error(ErrorKind::invalid_argument, "--interval must be greater than 0");
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  if (options.stats) {
    auto stats = KATA_TRY(runtime::container_stats(store, options.id));
    print_event(runtime::stats_event(options.id, stats));
    return 0;
  }
  KATA_TRY(runtime::stream_container_events(store, options.id, options.interval, print_event));
  return 0;
}

}  // namespace kata::cmd
