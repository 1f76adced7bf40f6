// `kata create`: boot the sandbox VM and create the container in it, stopped
// at its start barrier.
#include "cmd/cli11.hpp"

#include "cmd/config_loading.hpp"
#include "cmd/create_params.hpp"
#include "cmd/shared_flags.hpp"
#include "runtime/lifecycle.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, CreateOptions& options) {
  declare_bundle_flags(app, options.bundle);
  declare_preserve_fds(app, options.preserve_fds);
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& global, const CreateOptions& options) {
  auto params = KATA_TRY(create_params(global, options.bundle, options.preserve_fds, options.id));
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto monitor = KATA_TRY(runtime::create_container(store, params));
  // The monitor outlives create: it is the container's process now.
  monitor.release();
  return 0;
}

}  // namespace kata::cmd
