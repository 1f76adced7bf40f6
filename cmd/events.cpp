// `kata events`: stream stats and OOM events of a container as JSON lines.
#include "cmd/cli11.hpp"

#include "cmd/duration.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

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

Result<int> run_verb(const GlobalOptions& /*global*/, const EventsOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
