// `kata env` (alias kata-env): the effective configuration and host facts,
// TOML by default, JSON with --json.
#include "cmd/cli11.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cmd/config_loading.hpp"
#include "cmd/verbs.hpp"
#include "cmd/version.hpp"
#include "runtime/check/check_inputs.hpp"
#include "runtime/check/host_facts.hpp"
#include "runtime/env_report.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, EnvOptions& options) {
  app.add_flag("--json", options.json, "format output as JSON");
}

Result<int> run_verb(const GlobalOptions& global, const EnvOptions& options) {
  auto config = KATA_TRY(load_configuration(global));
  // The host facts come from the same probes `kata check` uses.
  runtime::SystemHostProbe probe;
  auto report = runtime::run_host_checks(runtime::check_inputs_from(config, "", state_root(global)), probe);

  runtime::EnvInputs inputs;
  inputs.version = std::string(kVersion);
  inputs.commit = std::string(kGitCommit);
  inputs.oci_version = std::string(kSpecVersion);
  std::error_code error;
  inputs.runtime_path = std::filesystem::read_symlink("/proc/self/exe", error).string();
  inputs.host = runtime::host_facts(probe, report);
  auto document = runtime::build_env_document(config, inputs);
  std::string text = options.json ? runtime::render_env_json(document) : runtime::render_env_toml(document);
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace kata::cmd
