#include "runtime/check/check_inputs.hpp"

#include "agent-client/handshake.hpp"

namespace kata::runtime {

CheckInputs check_inputs_from(const Configuration& config, const std::string& config_error,
                              const std::string& state_root) {
  CheckInputs inputs;
  inputs.hypervisor_path = config.hypervisor.path;
  inputs.machine_type = std::string(to_string(config.hypervisor.machine_type));
  inputs.accel = std::string(to_string(config.hypervisor.accel));
  inputs.virtiofsd_path = config.hypervisor.virtio_fs_daemon;
  inputs.kernel_path = config.hypervisor.kernel;
  inputs.initrd_path = config.hypervisor.initrd;
  inputs.default_memory_mib = config.hypervisor.default_memory;
  inputs.state_root = state_root;
  inputs.config_source = config.path.empty() ? "built-in defaults" : config.path;
  inputs.config_error = config_error;
  inputs.agent_protocol_marker = agent_client::kProtocolMarker;
  return inputs;
}

}  // namespace kata::runtime
