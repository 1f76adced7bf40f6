// `kata factory init | status | destroy`: the VM template (runtime/factory.hpp).
// init boots and saves it, status says what it was made from, how big it is
// and whether this configuration's boots can use it, destroy removes it.
#include "cmd/cli11.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "cmd/config_loading.hpp"
#include "cmd/verbs.hpp"
#include "runtime/factory.hpp"

namespace kata::cmd {

namespace {

std::string mib(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

std::string status_text(const runtime::TemplateStatus& status) {
  if (!status.record) return fmt::format("no template in {}\n", status.dir);
  const auto& print = status.record->fingerprint;
  std::string text = fmt::format("template in {}, made {}\n", status.dir, status.record->created);
  text += fmt::format("  kernel   {}\n  initrd   {}\n  qemu     {}\n", print.kernel.path, print.initrd.path, print.qemu.path);
  text += fmt::format("  vm       {} MiB, {} vCPU(s), {} under {}\n", print.memory_mib, print.vcpus, print.machine,
                      print.accel);
  text += fmt::format("  size     memory {} touched, device state {}\n", mib(status.memory_bytes),
                      mib(status.record->state_bytes));
  text += status.stale.empty() ? "  usable   yes: creates clone it when [factory] enable_template = true\n"
                               : fmt::format("  usable   no, stale: {} (kata factory init remakes it)\n", status.stale);
  return text;
}

nlohmann::json status_json(const runtime::TemplateStatus& status) {
  nlohmann::json out = {{"dir", status.dir}, {"present", status.record.has_value()}};
  if (status.record) {
    out["template"] = runtime::template_record_to_json(*status.record);
    out["memory_bytes"] = status.memory_bytes;
    out["stale"] = status.stale;
  }
  return out;
}

}  // namespace

void declare_options(CLI::App& app, FactoryOptions& options) {
  app.add_option("action", options.action, "init, status or destroy")
      ->required()
      ->check(CLI::IsMember({"init", "status", "destroy"}));
  app.add_flag("--json", options.json, "status as JSON");
}

Result<int> run_verb(const GlobalOptions& global, const FactoryOptions& options) {
  auto config = KATA_TRY(load_configuration(global));
  if (options.action == "init") {
    auto record = KATA_TRY(runtime::init_template(config));
    std::fputs(fmt::format("template saved in {} ({} MiB, {} vCPU(s))\n", config.factory.template_path,
                           record.fingerprint.memory_mib, record.fingerprint.vcpus)
                   .c_str(),
               stdout);
    return 0;
  }
  if (options.action == "destroy") {
    KATA_TRY(runtime::destroy_template(config));
    return 0;
  }
  auto status = KATA_TRY(runtime::template_status(config));
  std::string text = options.json ? status_json(status).dump(2) + "\n" : status_text(status);
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace kata::cmd
