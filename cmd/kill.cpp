// `kata kill ID [SIGNAL]`: send a signal to the container's init process (or,
// with --all, to every process in it).
#include "cmd/cli11.hpp"

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "runtime/lifecycle.hpp"
#include "cmd/signal_name.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, KillOptions& options) {
  app.add_flag("-a,--all", options.all, "send the specified signal to all processes inside the container");
  declare_container_id(app, options.id);
  app.add_option_function<std::string>(
      "signal",
      [&options](const std::string& text) {
        auto signal = parse_signal(text);
        if (!signal) throw CLI::ValidationError(signal.error().message);
        options.signal = *signal;
      },
      "the signal to send, by name (KILL, SIGTERM) or number (default: SIGTERM)");
}

Result<int> run_verb(const GlobalOptions& global, const KillOptions& options) {
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  KATA_TRY(runtime::kill_container(store, options.id, options.signal, options.all));
  return 0;
}

}  // namespace kata::cmd
