// `kata check` (alias kata-check): can this host run kata containers?
#include "cmd/cli11.hpp"

#include <cstdio>

#include "cmd/config_loading.hpp"
#include "cmd/verbs.hpp"
#include "runtime/check/boot_check.hpp"
#include "runtime/check/check_inputs.hpp"
#include "runtime/check/host_checks.hpp"
#include "runtime/check/template_check.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, CheckOptions& options) {
  app.add_flag("-v,--verbose", options.verbose, "display the result of every check");
  app.add_flag("--json", options.json, "print the results as JSON");
  app.add_flag("-s,--strict", options.strict, "fail on warnings as well as errors");
  app.add_flag("-n,--no-network-checks", options.no_network_checks,
               "do not contact the network (kata never does; accepted for Kata compatibility)");
  app.add_flag("--boot", options.boot, "also boot a VM to its agent and back");
}

Result<int> run_verb(const GlobalOptions& global, const CheckOptions& options) {
  // A configuration that does not load is itself a finding: check the
  // rest against the built-in defaults and report it.
  runtime::Configuration config;
  std::string config_error;
  std::string failed_file;
  auto sources = config_sources(global);
  if (auto loaded = runtime::load_configuration(sources)) {
    config = std::move(loaded).value();
  } else {
    config_error = loaded.error().message;
    // The report names the file that failed, not the defaults used instead.
    if (auto found = runtime::find_configuration_file(sources); found && *found) failed_file = **found;
  }
  auto inputs = runtime::check_inputs_from(config, config_error, state_root(global));
  if (!failed_file.empty()) inputs.config_source = failed_file;
  runtime::SystemHostProbe probe;
  auto report = runtime::run_host_checks(inputs, probe);
  // A missing or stale template only slows create down (it boots cold).
  if (config.factory.enable_template) report.checks.push_back(runtime::template_check(config));
  if (options.boot) {
    // The proof that the checks were right: a real sandbox, booted and shut down.
    auto boot = runtime::boot_check(config, state_root(global));
    if (boot.status == runtime::CheckStatus::fail) report.verdict.can_create = false;
    report.checks.push_back(std::move(boot));
  }
  std::string text = options.json ? runtime::to_json(report).dump(2) + "\n" : runtime::render_text(report, options.verbose);
  std::fputs(text.c_str(), stdout);
  return report.exit_code(options.strict);
}

}  // namespace kata::cmd
