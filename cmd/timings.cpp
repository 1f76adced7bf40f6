// `kata timings [-f table|json] ID`: the boot phases create recorded
// (runtime/boot_timings.hpp), as a table or JSON on stdout.
#include "cmd/cli11.hpp"

#include <cstdio>

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"
#include "runtime/boot_timings.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, TimingsOptions& options) {
  declare_table_format(app, options.format);
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& global, const TimingsOptions& options) {
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto phases = KATA_TRY(runtime::container_boot_timings(store, options.id));
  std::string output = options.format == TableFormat::json
                           ? runtime::boot_timings_json(options.id, phases).dump(2) + "\n"
                           : runtime::boot_timings_table(phases);
  std::fputs(output.c_str(), stdout);
  return 0;
}

}  // namespace kata::cmd
