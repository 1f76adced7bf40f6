// `kata delete`: destroy a container and its VM; a created container is
// killed first even without --force (containerd relies on that).
#include "cmd/cli11.hpp"

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "runtime/lifecycle.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, DeleteOptions& options) {
  app.add_flag("-f,--force", options.force,
               "forcibly deletes the container if it is still running (uses SIGKILL)");
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& global, const DeleteOptions& options) {
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto deleted = runtime::delete_container(store, options.id, options.force);
  // runc: deleting a missing container with --force succeeds silently.
  if (!deleted && deleted.error().kind == ErrorKind::not_found && options.force) return 0;
  KATA_TRY(std::move(deleted));
  return 0;
}

}  // namespace kata::cmd
