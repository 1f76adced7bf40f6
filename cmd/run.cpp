// `kata run`: create + start; in the foreground it waits and exits with the
// container's status.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, RunOptions& options) {
  declare_bundle_flags(app, options.bundle);
  declare_preserve_fds(app, options.preserve_fds);
  app.add_flag("-d,--detach", options.detach, "detach from the container's process");
  app.add_flag("--keep", options.keep, "do not delete the container after it exits");
  app.add_flag("--no-subreaper", options.no_subreaper,
               "disable the use of the subreaper used to reap reparented processes");
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& /*global*/, const RunOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
