// `kata start`: run the user process of a created container.
#include "cmd/cli11.hpp"

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "runtime/lifecycle.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, StartOptions& options) { declare_container_id(app, options.id); }

Result<int> run_verb(const GlobalOptions& global, const StartOptions& options) {
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  KATA_TRY(runtime::start_container(store, options.id));
  return 0;
}

}  // namespace kata::cmd
