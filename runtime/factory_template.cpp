#include "runtime/factory_template.hpp"

#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "agent-client/handshake.hpp"
#include "common/fs.hpp"
#include "hypervisor/qemu/qemu_cmdline.hpp"

namespace kata::runtime {

namespace {

using hypervisor::qemu::QemuConfig;
using nlohmann::json;

Result<FileIdentity> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return sys_error(errno, "stat {}", path);
  return FileIdentity{path, static_cast<std::uint64_t>(st.st_size),
                      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string file_mismatch(const char* what, const FileIdentity& saved, const FileIdentity& wanted) {
  if (saved.path != wanted.path) return fmt::format("{}: template {}, this boot {}", what, saved.path, wanted.path);
  if (saved.size != wanted.size || saved.mtime_ns != wanted.mtime_ns)
    return fmt::format("{}: {} changed since the template was made", what, saved.path);
  return "";
}

json identity_json(const FileIdentity& file) {
  return {{"path", file.path}, {"size", file.size}, {"mtime_ns", file.mtime_ns}};
}

Error bad(std::string_view key) {
  return make_error(ErrorKind::invalid_argument, "template record: missing or bad \"{}\"", key);
}

Result<FileIdentity> identity_from(const json& value, std::string_view key) {
  auto found = value.find(key);
  if (found == value.end() || !found->is_object()) return bad(key);
  FileIdentity file;
  auto path = found->find("path");
  auto size = found->find("size");
  auto mtime = found->find("mtime_ns");
  if (path == found->end() || !path->is_string() || size == found->end() || !size->is_number_unsigned() ||
      mtime == found->end() || !mtime->is_number_integer())
    return bad(key);
  file.path = path->get<std::string>();
  file.size = size->get<std::uint64_t>();
  file.mtime_ns = mtime->get<std::int64_t>();
  return file;
}

// The member `key` of `value` as T, or a named error.
template <typename T>
Result<T> field(const json& value, std::string_view key) {
  auto found = value.find(key);
  if (found == value.end()) return bad(key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!found->is_string()) return bad(key);
  } else {
    if (!found->is_number_unsigned()) return bad(key);
  }
  return found->get<T>();
}

std::string protocol_version() {
  return fmt::format("{}.{}", agent_client::kProtocolVersion.major, agent_client::kProtocolVersion.minor);
}

}  // namespace

Result<TemplateFingerprint> fingerprint_of(const QemuConfig& qemu, const std::string& kernel_params) {
  TemplateFingerprint print;
  print.kernel = KATA_TRY(identity_of(qemu.kernel).wrap("guest kernel"));
  print.initrd = KATA_TRY(identity_of(qemu.initrd).wrap("guest initramfs"));
  print.qemu = KATA_TRY(identity_of(qemu.binary).wrap("QEMU"));
  print.memory_mib = qemu.memory_mib;
  print.vcpus = qemu.vcpus;
  print.machine = qemu.machine == hypervisor::qemu::Machine::microvm ? "microvm" : "q35";
  print.accel = qemu.accel == hypervisor::qemu::Accel::kvm ? "kvm" : "tcg";
  print.kernel_params = kernel_params;
  print.memory_slots = qemu.memory_slots;
  print.max_memory_mib = qemu.max_memory_mib;
  print.agent_protocol = protocol_version();
  // The same placeholders wherever it is computed: only the machine counts
  // (not this sandbox's taps).
  auto shape = clone_qemu_config(qemu, "/template", "/share");
  shape.net_devices.clear();
  shape.name = "clone";
  shape.console_log = "/console";
  shape.qmp_socket = "/qmp";
  shape.agent_socket = "/agent";
  std::string argv;
  for (const auto& arg : hypervisor::qemu::build_argv(shape)) argv += arg + '\n';
  print.machine_digest = fmt::format("{:016x}", std::hash<std::string>{}(argv));
  return print;
}

std::string template_mismatch(const TemplateFingerprint& saved, const TemplateFingerprint& wanted) {
  for (const auto& [what, a, b] : {std::tuple{"kernel", &saved.kernel, &wanted.kernel},
                                   std::tuple{"initrd", &saved.initrd, &wanted.initrd},
                                   std::tuple{"QEMU", &saved.qemu, &wanted.qemu}}) {
    if (auto why = file_mismatch(what, *a, *b); !why.empty()) return why;
  }
  auto differs = [](const char* what, const auto& a, const auto& b, const char* unit) {
    return fmt::format("{}: template {}{}, this boot {}{}", what, a, unit, b, unit);
  };
  if (saved.memory_mib != wanted.memory_mib) return differs("memory", saved.memory_mib, wanted.memory_mib, " MiB");
  if (saved.vcpus != wanted.vcpus) return differs("vCPUs", saved.vcpus, wanted.vcpus, "");
  if (saved.machine != wanted.machine) return differs("machine", saved.machine, wanted.machine, "");
  if (saved.accel != wanted.accel) return differs("accelerator", saved.accel, wanted.accel, "");
  if (saved.kernel_params != wanted.kernel_params)
    return differs("kernel_params", "'" + saved.kernel_params + "'", "'" + wanted.kernel_params + "'", "");
  if (saved.memory_slots != wanted.memory_slots)
    return differs("memory_slots", saved.memory_slots, wanted.memory_slots, "");
  if (saved.max_memory_mib != wanted.max_memory_mib)
    return differs("maximum memory", saved.max_memory_mib, wanted.max_memory_mib, " MiB");
  if (saved.agent_protocol != wanted.agent_protocol)
    return differs("agent protocol", saved.agent_protocol, wanted.agent_protocol, "");
  if (saved.machine_digest != wanted.machine_digest)
    return "the QEMU machine kata builds changed since the template was made";
  return "";
}

json template_record_to_json(const TemplateRecord& record) {
  const auto& print = record.fingerprint;
  return {{"kernel", identity_json(print.kernel)},
          {"initrd", identity_json(print.initrd)},
          {"qemu", identity_json(print.qemu)},
          {"memory_mib", print.memory_mib},
          {"vcpus", print.vcpus},
          {"machine", print.machine},
          {"accel", print.accel},
          {"kernel_params", print.kernel_params},
          {"memory_slots", print.memory_slots},
          {"max_memory_mib", print.max_memory_mib},
          {"agent_protocol", print.agent_protocol},
          {"machine_digest", print.machine_digest},
          {"created", record.created},
          {"state_bytes", record.state_bytes}};
}

Result<TemplateRecord> template_record_from_json(const json& value) {
  if (!value.is_object()) return make_error(ErrorKind::invalid_argument, "template record: not a JSON object");
  TemplateRecord record;
  auto& print = record.fingerprint;
  print.kernel = KATA_TRY(identity_from(value, "kernel"));
  print.initrd = KATA_TRY(identity_from(value, "initrd"));
  print.qemu = KATA_TRY(identity_from(value, "qemu"));
  print.memory_mib = KATA_TRY(field<unsigned>(value, "memory_mib"));
  print.vcpus = KATA_TRY(field<unsigned>(value, "vcpus"));
  print.machine = KATA_TRY(field<std::string>(value, "machine"));
  print.accel = KATA_TRY(field<std::string>(value, "accel"));
  print.kernel_params = KATA_TRY(field<std::string>(value, "kernel_params"));
  print.memory_slots = KATA_TRY(field<unsigned>(value, "memory_slots"));
  print.max_memory_mib = KATA_TRY(field<unsigned>(value, "max_memory_mib"));
  print.agent_protocol = KATA_TRY(field<std::string>(value, "agent_protocol"));
  print.machine_digest = KATA_TRY(field<std::string>(value, "machine_digest"));
  record.created = KATA_TRY(field<std::string>(value, "created"));
  record.state_bytes = KATA_TRY(field<std::uint64_t>(value, "state_bytes"));
  return record;
}

QemuConfig template_qemu_config(QemuConfig qemu, const std::string& dir) {
  qemu.memory_file = hypervisor::qemu::MemoryFile{dir + "/" + template_memory_name, true};
  qemu.virtiofs_socket.clear();
  qemu.share_9p_dir = dir + "/" + template_share_name;
  qemu.hotplug_ports = template_nic_ports;
  qemu.standby_nic = true;
  qemu.net_devices.clear();
  qemu.kernel_params = qemu.kernel_params.empty() ? "kata.template" : qemu.kernel_params + " kata.template";
  return qemu;
}

QemuConfig clone_qemu_config(QemuConfig qemu, const std::string& template_dir, const std::string& share_dir) {
  auto nets = std::move(qemu.net_devices);
  qemu = template_qemu_config(std::move(qemu), template_dir);
  if (!nets.empty()) qemu.net_devices = {nets.front()};  // the standby NIC's backend
  qemu.memory_file->shared = false;
  qemu.share_9p_dir = share_dir;
  qemu.incoming = true;
  return qemu;
}

Result<std::optional<TemplateRecord>> load_template_record(const std::string& dir) {
  std::string path = dir + "/" + template_record_name;
  auto text = read_file(path, 1 << 20);
  if (!text) {
    if (text.error().errno_value == ENOENT) return std::optional<TemplateRecord>();
    return std::move(text).error();
  }
  auto value = json::parse(*text, nullptr, false);
  auto record = KATA_TRY(template_record_from_json(value).wrap(path));
  return std::optional<TemplateRecord>(std::move(record));
}

}  // namespace kata::runtime
