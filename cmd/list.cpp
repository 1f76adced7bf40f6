// `kata list`: the containers under --root.
#include "cmd/cli11.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"
#include "runtime/container_state.hpp"

namespace kata::cmd {

namespace {

// runc's table: columns padded to their widest cell plus three spaces
// (Go's tabwriter with padding 3), created time in RFC 3339.
std::string render_table(const std::vector<oci::State>& states) {
  std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& state : states) {
    rows.push_back({state.id, std::to_string(state.pid), std::string(oci::to_string(state.status)), state.bundle,
                    oci::format_rfc3339(state.created), state.owner});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t column = 0; column < row.size(); ++column) widths[column] = std::max(widths[column], row[column].size());
  }
  std::string text;
  for (const auto& row : rows) {
    for (std::size_t column = 0; column + 1 < row.size(); ++column) {
      text += fmt::format("{:<{}}", row[column], widths[column] + 3);
    }
    text += row.back() + "\n";
  }
  return text;
}

}  // namespace

void declare_options(CLI::App& app, ListOptions& options) {
  declare_table_format(app, options.format);
  app.add_flag("-q,--quiet", options.quiet, "display only container IDs");
}

Result<int> run_verb(const GlobalOptions& global, const ListOptions& options) {
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  auto states = KATA_TRY(runtime::list_containers(store));
  std::string output;
  if (options.quiet) {
    for (const auto& state : states) output += state.id + "\n";
  } else if (options.format == TableFormat::json) {
    // runc prints `null`, not `[]`, when there are no containers.
    nlohmann::json array = nullptr;
    for (const auto& state : states) array.push_back(oci::to_json(state));
    output = array.dump() + "\n";
  } else {
    output = render_table(states);
  }
  std::fputs(output.c_str(), stdout);
  return 0;
}

}  // namespace kata::cmd
