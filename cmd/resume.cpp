// `kata resume`: thaw a paused container.
#include "cmd/cli11.hpp"

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"
#include "runtime/container_control.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, ResumeOptions& options) { declare_container_id(app, options.id); }

Result<int> run_verb(const GlobalOptions& global, const ResumeOptions& options) {
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  KATA_TRY(runtime::resume_container(store, options.id));
  return 0;
}

}  // namespace kata::cmd
