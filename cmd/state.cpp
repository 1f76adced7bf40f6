// `kata state`: print the container's OCI state JSON on stdout (and nothing on stderr).
#include "cmd/cli11.hpp"

#include <cstdio>

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"
#include "runtime/container_state.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, StateOptions& options) { declare_container_id(app, options.id); }

Result<int> run_verb(const GlobalOptions& global, const StateOptions& options) {
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto state = KATA_TRY(runtime::container_state(store, options.id));
  std::string document = oci::to_json(state).dump(2) + "\n";
  std::fputs(document.c_str(), stdout);
  return 0;
}

}  // namespace kata::cmd
