#pragma once
// `kata factory init | status | destroy` (Kata's names) and the question
// create asks: may this boot be a clone of the template? What a template is
// made of is factory_template.hpp; the clone's boot is the monitor's.

#include <optional>
#include <string>

#include "common/error.hpp"
#include "hypervisor/qemu/qemu_config.hpp"
#include "runtime/configuration.hpp"
#include "runtime/factory_template.hpp"

namespace kata::runtime {

/// Boots a template VM to the agent's hello with `config`'s kernel,
/// initramfs, memory and vCPUs, pauses it and saves it under
/// [factory] template_path, replacing a template that was there. A failure
/// leaves no template (and no VM) behind.
Result<TemplateRecord> init_template(const Configuration& config);

/// What `kata factory status` reports about the template.
struct TemplateStatus {
  std::string dir;
  std::optional<TemplateRecord> record;  ///< nullopt: no template
  std::uint64_t memory_bytes = 0;        ///< the memory file's allocated size (what the template touched)
  std::string stale;                     ///< why this configuration's boots cannot use it; empty: they can
};

/// The template under `config`'s template_path and whether it matches `config`.
Result<TemplateStatus> template_status(const Configuration& config);

/// Removes the template (record first, so no new clone starts from it);
/// clones already running keep their mapping of its memory. Fine when
/// there is none.
Result<void> destroy_template(const Configuration& config);

/// Whether a boot with `qemu` (a cold boot's configuration, sized for the
/// container) may clone the template: the template directory when it may,
/// else the reason it may not ("no template in DIR", a mismatch).
struct CloneSource {
  std::string template_dir;  ///< empty: boot cold
  std::string why_not;
};
CloneSource clone_source(const Configuration& config, const hypervisor::qemu::QemuConfig& qemu);

}  // namespace kata::runtime
