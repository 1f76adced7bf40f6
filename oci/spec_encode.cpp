// Typed Spec → JSON. Each encoder starts from the object's `extra` (unknown
// keys, and nulls the decoder skipped) and writes the modelled fields over it,
// so nothing kata does not understand is lost on the way to the guest.

#include <nlohmann/json.hpp>

#include "oci/spec.hpp"

namespace kata::oci {

namespace {

nlohmann::json encode(const std::string& value) { return value; }
nlohmann::json encode(bool value) { return value; }
nlohmann::json encode(const nlohmann::json& value) { return value; }
template <typename T>
  requires std::is_integral_v<T>
nlohmann::json encode(T value) {
  return value;
}

nlohmann::json encode(const ConsoleSize& value);
nlohmann::json encode(const User& value);
nlohmann::json encode(const Capabilities& value);
nlohmann::json encode(const Rlimit& value);
nlohmann::json encode(const Process& value);
nlohmann::json encode(const Root& value);
nlohmann::json encode(const IdMapping& value);
nlohmann::json encode(const Mount& value);
nlohmann::json encode(const Hook& value);
nlohmann::json encode(const Hooks& value);
nlohmann::json encode(const Namespace& value);
nlohmann::json encode(const Device& value);
nlohmann::json encode(const DeviceRule& value);
nlohmann::json encode(const Memory& value);
nlohmann::json encode(const Cpu& value);
nlohmann::json encode(const Pids& value);
nlohmann::json encode(const HugepageLimit& value);
nlohmann::json encode(const Resources& value);
nlohmann::json encode(const SeccompArg& value);
nlohmann::json encode(const SeccompSyscall& value);
nlohmann::json encode(const Seccomp& value);
nlohmann::json encode(const Linux& value);

template <typename T>
nlohmann::json encode(const std::vector<T>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& value : values) array.push_back(encode(value));
  return array;
}

template <typename T>
nlohmann::json encode(const std::map<std::string, T>& values) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : values) object[key] = encode(value);
  return object;
}

// Builds one object: extra first, then modelled members.
class ObjectWriter {
 public:
  explicit ObjectWriter(const nlohmann::json& extra) : object_(extra.is_object() ? extra : nlohmann::json::object()) {}

  template <typename T>
  ObjectWriter& put(const char* key, const T& value) {
    object_[key] = encode(value);
    return *this;
  }

  template <typename T>
  ObjectWriter& put(const char* key, const std::optional<T>& value) {
    if (value) object_[key] = encode(*value);
    return *this;
  }

  /// Hands over the finished object; the writer is spent afterwards.
  nlohmann::json done() { return std::move(object_); }

 private:
  nlohmann::json object_;
};

nlohmann::json encode(const ConsoleSize& value) {
  return ObjectWriter(value.extra).put("height", value.height).put("width", value.width).done();
}

nlohmann::json encode(const User& value) {
  return ObjectWriter(value.extra)
      .put("uid", value.uid)
      .put("gid", value.gid)
      .put("umask", value.umask)
      .put("additionalGids", value.additional_gids)
      .put("username", value.username)
      .done();
}

nlohmann::json encode(const Capabilities& value) {
  return ObjectWriter(value.extra)
      .put("bounding", value.bounding)
      .put("effective", value.effective)
      .put("inheritable", value.inheritable)
      .put("permitted", value.permitted)
      .put("ambient", value.ambient)
      .done();
}

nlohmann::json encode(const Rlimit& value) {
  return ObjectWriter(value.extra).put("type", value.type).put("hard", value.hard).put("soft", value.soft).done();
}

nlohmann::json encode(const Process& value) {
  return ObjectWriter(value.extra)
      .put("terminal", value.terminal)
      .put("consoleSize", value.console_size)
      .put("user", value.user)
      .put("args", value.args)
      .put("env", value.env)
      .put("cwd", value.cwd)
      .put("capabilities", value.capabilities)
      .put("rlimits", value.rlimits)
      .put("noNewPrivileges", value.no_new_privileges)
      .put("apparmorProfile", value.apparmor_profile)
      .put("oomScoreAdj", value.oom_score_adj)
      .put("selinuxLabel", value.selinux_label)
      .done();
}

nlohmann::json encode(const Root& value) {
  return ObjectWriter(value.extra).put("path", value.path).put("readonly", value.readonly).done();
}

nlohmann::json encode(const IdMapping& value) {
  return ObjectWriter(value.extra)
      .put("containerID", value.container_id)
      .put("hostID", value.host_id)
      .put("size", value.size)
      .done();
}

nlohmann::json encode(const Mount& value) {
  return ObjectWriter(value.extra)
      .put("destination", value.destination)
      .put("type", value.type)
      .put("source", value.source)
      .put("options", value.options)
      .put("uidMappings", value.uid_mappings)
      .put("gidMappings", value.gid_mappings)
      .done();
}

nlohmann::json encode(const Hook& value) {
  return ObjectWriter(value.extra)
      .put("path", value.path)
      .put("args", value.args)
      .put("env", value.env)
      .put("timeout", value.timeout)
      .done();
}

nlohmann::json encode(const Hooks& value) {
  return ObjectWriter(value.extra)
      .put("prestart", value.prestart)
      .put("createRuntime", value.create_runtime)
      .put("createContainer", value.create_container)
      .put("startContainer", value.start_container)
      .put("poststart", value.poststart)
      .put("poststop", value.poststop)
      .done();
}

nlohmann::json encode(const Namespace& value) {
  return ObjectWriter(value.extra).put("type", value.type).put("path", value.path).done();
}

nlohmann::json encode(const Device& value) {
  return ObjectWriter(value.extra)
      .put("path", value.path)
      .put("type", value.type)
      .put("major", value.major)
      .put("minor", value.minor)
      .put("fileMode", value.file_mode)
      .put("uid", value.uid)
      .put("gid", value.gid)
      .done();
}

nlohmann::json encode(const DeviceRule& value) {
  return ObjectWriter(value.extra)
      .put("allow", value.allow)
      .put("type", value.type)
      .put("major", value.major)
      .put("minor", value.minor)
      .put("access", value.access)
      .done();
}

nlohmann::json encode(const Memory& value) {
  return ObjectWriter(value.extra)
      .put("limit", value.limit)
      .put("reservation", value.reservation)
      .put("swap", value.swap)
      .put("kernel", value.kernel)
      .put("kernelTCP", value.kernel_tcp)
      .put("swappiness", value.swappiness)
      .put("disableOOMKiller", value.disable_oom_killer)
      .put("useHierarchy", value.use_hierarchy)
      .put("checkBeforeUpdate", value.check_before_update)
      .done();
}

nlohmann::json encode(const Cpu& value) {
  return ObjectWriter(value.extra)
      .put("shares", value.shares)
      .put("quota", value.quota)
      .put("burst", value.burst)
      .put("period", value.period)
      .put("realtimeRuntime", value.realtime_runtime)
      .put("realtimePeriod", value.realtime_period)
      .put("cpus", value.cpus)
      .put("mems", value.mems)
      .put("idle", value.idle)
      .done();
}

nlohmann::json encode(const Pids& value) { return ObjectWriter(value.extra).put("limit", value.limit).done(); }

nlohmann::json encode(const HugepageLimit& value) {
  return ObjectWriter(value.extra).put("pageSize", value.page_size).put("limit", value.limit).done();
}

nlohmann::json encode(const Resources& value) {
  return ObjectWriter(value.extra)
      .put("devices", value.devices)
      .put("memory", value.memory)
      .put("cpu", value.cpu)
      .put("pids", value.pids)
      .put("blockIO", value.block_io)
      .put("hugepageLimits", value.hugepage_limits)
      .put("network", value.network)
      .put("rdma", value.rdma)
      .put("unified", value.unified)
      .done();
}

nlohmann::json encode(const SeccompArg& value) {
  return ObjectWriter(value.extra)
      .put("index", value.index)
      .put("value", value.value)
      .put("valueTwo", value.value_two)
      .put("op", value.op)
      .done();
}

nlohmann::json encode(const SeccompSyscall& value) {
  return ObjectWriter(value.extra)
      .put("names", value.names)
      .put("action", value.action)
      .put("errnoRet", value.errno_ret)
      .put("args", value.args)
      .done();
}

nlohmann::json encode(const Seccomp& value) {
  return ObjectWriter(value.extra)
      .put("defaultAction", value.default_action)
      .put("defaultErrnoRet", value.default_errno_ret)
      .put("architectures", value.architectures)
      .put("flags", value.flags)
      .put("listenerPath", value.listener_path)
      .put("listenerMetadata", value.listener_metadata)
      .put("syscalls", value.syscalls)
      .done();
}

nlohmann::json encode(const Linux& value) {
  return ObjectWriter(value.extra)
      .put("uidMappings", value.uid_mappings)
      .put("gidMappings", value.gid_mappings)
      .put("sysctl", value.sysctl)
      .put("resources", value.resources)
      .put("cgroupsPath", value.cgroups_path)
      .put("namespaces", value.namespaces)
      .put("devices", value.devices)
      .put("seccomp", value.seccomp)
      .put("rootfsPropagation", value.rootfs_propagation)
      .put("maskedPaths", value.masked_paths)
      .put("readonlyPaths", value.readonly_paths)
      .put("mountLabel", value.mount_label)
      .put("intelRdt", value.intel_rdt)
      .put("personality", value.personality)
      .done();
}

}  // namespace

nlohmann::json to_json(const Process& process) { return encode(process); }

nlohmann::json to_json(const Spec& spec) {
  return ObjectWriter(spec.extra)
      .put("ociVersion", spec.oci_version)
      .put("process", spec.process)
      .put("root", spec.root)
      .put("hostname", spec.hostname)
      .put("domainname", spec.domainname)
      .put("mounts", spec.mounts)
      .put("hooks", spec.hooks)
      .put("annotations", spec.annotations)
      .put("linux", spec.linux_config)
      .done();
}

}  // namespace kata::oci
