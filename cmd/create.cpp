// `kata create`: boot the sandbox VM and create the container in it, stopped
// at its start barrier.
#include "cmd/cli11.hpp"

#include "cmd/config_loading.hpp"
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
  runtime::CreateParams params;
  params.id = options.id;
  params.bundle = options.bundle.bundle;
  params.pid_file = options.bundle.pid_file;
  params.console_socket_given = !options.bundle.console_socket.empty();
  params.preserve_fds = options.preserve_fds;
  params.config = KATA_TRY(load_configuration(global));
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto monitor = KATA_TRY(runtime::create_container(store, params));
  // The monitor outlives create: it is the container's process now.
  monitor.release();
  return 0;
}

}  // namespace kata::cmd
