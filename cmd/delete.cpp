// `kata delete`: destroy a container and its VM; a created container is
// killed first even without --force (containerd relies on that).
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, DeleteOptions& options) {
  app.add_flag("-f,--force", options.force,
               "forcibly deletes the container if it is still running (uses SIGKILL)");
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& /*global*/, const DeleteOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
