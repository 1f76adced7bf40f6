// `kata features`: the runtime-spec features document, claiming only what kata supports.
#include "cmd/cli11.hpp"

#include <cstdio>

#include "cmd/verbs.hpp"
#include "oci/features.hpp"

namespace kata::cmd {

void declare_options(CLI::App& /*app*/, FeaturesOptions& /*options*/) {}

Result<int> run_verb(const GlobalOptions& /*global*/, const FeaturesOptions& /*options*/) {
  std::string document = oci::features_document().dump(4) + "\n";
  std::fputs(document.c_str(), stdout);
  return 0;
}

}  // namespace kata::cmd
