// `kata create`: boot the sandbox VM and create the container in it, stopped
// at its start barrier.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, CreateOptions& options) {
  declare_bundle_flags(app, options.bundle);
  declare_preserve_fds(app, options.preserve_fds);
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& /*global*/, const CreateOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
