#include "oci/spec_decode.hpp"

#include "oci/json_reader.hpp"

namespace kata::oci {

// One decoder per object type, found by the ObjectReader templates through
// argument-dependent lookup. Each reads its modelled members by their JSON
// names and keeps the rest in `extra`; it returns false when the value was not
// an object at all (the problem is already recorded).

using Problems = std::vector<Problem>;

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, ConsoleSize& out) {
  ObjectReader reader(value, path, problems);
  reader.required("height", out.height);
  reader.required("width", out.width);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, User& out) {
  ObjectReader reader(value, path, problems);
  reader.required("uid", out.uid);
  reader.required("gid", out.gid);
  reader.optional("umask", out.umask);
  reader.optional("additionalGids", out.additional_gids);
  reader.optional("username", out.username);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Capabilities& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("bounding", out.bounding);
  reader.optional("effective", out.effective);
  reader.optional("inheritable", out.inheritable);
  reader.optional("permitted", out.permitted);
  reader.optional("ambient", out.ambient);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Rlimit& out) {
  ObjectReader reader(value, path, problems);
  reader.required("type", out.type);
  reader.required("hard", out.hard);
  reader.required("soft", out.soft);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Process& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("terminal", out.terminal);
  reader.optional("consoleSize", out.console_size);
  reader.optional("user", out.user);
  reader.optional("args", out.args);
  reader.optional("env", out.env);
  reader.required("cwd", out.cwd);
  reader.optional("capabilities", out.capabilities);
  reader.optional("rlimits", out.rlimits);
  reader.optional("noNewPrivileges", out.no_new_privileges);
  reader.optional("apparmorProfile", out.apparmor_profile);
  reader.optional("oomScoreAdj", out.oom_score_adj);
  reader.optional("selinuxLabel", out.selinux_label);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Root& out) {
  ObjectReader reader(value, path, problems);
  reader.required("path", out.path);
  reader.optional("readonly", out.readonly);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, IdMapping& out) {
  ObjectReader reader(value, path, problems);
  reader.required("containerID", out.container_id);
  reader.required("hostID", out.host_id);
  reader.required("size", out.size);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Mount& out) {
  ObjectReader reader(value, path, problems);
  reader.required("destination", out.destination);
  reader.optional("type", out.type);
  reader.optional("source", out.source);
  reader.optional("options", out.options);
  reader.optional("uidMappings", out.uid_mappings);
  reader.optional("gidMappings", out.gid_mappings);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Hook& out) {
  ObjectReader reader(value, path, problems);
  reader.required("path", out.path);
  reader.optional("args", out.args);
  reader.optional("env", out.env);
  reader.optional("timeout", out.timeout);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Hooks& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("prestart", out.prestart);
  reader.optional("createRuntime", out.create_runtime);
  reader.optional("createContainer", out.create_container);
  reader.optional("startContainer", out.start_container);
  reader.optional("poststart", out.poststart);
  reader.optional("poststop", out.poststop);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Namespace& out) {
  ObjectReader reader(value, path, problems);
  reader.required("type", out.type);
  reader.optional("path", out.path);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Device& out) {
  ObjectReader reader(value, path, problems);
  reader.required("path", out.path);
  reader.required("type", out.type);
  reader.optional("major", out.major);
  reader.optional("minor", out.minor);
  reader.optional("fileMode", out.file_mode);
  reader.optional("uid", out.uid);
  reader.optional("gid", out.gid);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, DeviceRule& out) {
  ObjectReader reader(value, path, problems);
  reader.required("allow", out.allow);
  reader.optional("type", out.type);
  reader.optional("major", out.major);
  reader.optional("minor", out.minor);
  reader.optional("access", out.access);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Memory& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("limit", out.limit);
  reader.optional("reservation", out.reservation);
  reader.optional("swap", out.swap);
  reader.optional("kernel", out.kernel);
  reader.optional("kernelTCP", out.kernel_tcp);
  reader.optional("swappiness", out.swappiness);
  reader.optional("disableOOMKiller", out.disable_oom_killer);
  reader.optional("useHierarchy", out.use_hierarchy);
  reader.optional("checkBeforeUpdate", out.check_before_update);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Cpu& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("shares", out.shares);
  reader.optional("quota", out.quota);
  reader.optional("burst", out.burst);
  reader.optional("period", out.period);
  reader.optional("realtimeRuntime", out.realtime_runtime);
  reader.optional("realtimePeriod", out.realtime_period);
  reader.optional("cpus", out.cpus);
  reader.optional("mems", out.mems);
  reader.optional("idle", out.idle);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Pids& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("limit", out.limit);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, HugepageLimit& out) {
  ObjectReader reader(value, path, problems);
  reader.required("pageSize", out.page_size);
  reader.required("limit", out.limit);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Resources& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("devices", out.devices);
  reader.optional("memory", out.memory);
  reader.optional("cpu", out.cpu);
  reader.optional("pids", out.pids);
  reader.optional("blockIO", out.block_io);
  reader.optional("hugepageLimits", out.hugepage_limits);
  reader.optional("network", out.network);
  reader.optional("rdma", out.rdma);
  reader.optional("unified", out.unified);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, SeccompArg& out) {
  ObjectReader reader(value, path, problems);
  reader.required("index", out.index);
  reader.required("value", out.value);
  reader.optional("valueTwo", out.value_two);
  reader.required("op", out.op);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, SeccompSyscall& out) {
  ObjectReader reader(value, path, problems);
  reader.required("names", out.names);
  reader.required("action", out.action);
  reader.optional("errnoRet", out.errno_ret);
  reader.optional("args", out.args);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Seccomp& out) {
  ObjectReader reader(value, path, problems);
  reader.required("defaultAction", out.default_action);
  reader.optional("defaultErrnoRet", out.default_errno_ret);
  reader.optional("architectures", out.architectures);
  reader.optional("flags", out.flags);
  reader.optional("listenerPath", out.listener_path);
  reader.optional("listenerMetadata", out.listener_metadata);
  reader.optional("syscalls", out.syscalls);
  out.extra = reader.unknown();
  return reader.is_object();
}

bool decode(const nlohmann::json& value, const std::string& path, Problems& problems, Linux& out) {
  ObjectReader reader(value, path, problems);
  reader.optional("uidMappings", out.uid_mappings);
  reader.optional("gidMappings", out.gid_mappings);
  reader.optional("sysctl", out.sysctl);
  reader.optional("resources", out.resources);
  reader.optional("cgroupsPath", out.cgroups_path);
  reader.optional("namespaces", out.namespaces);
  reader.optional("devices", out.devices);
  reader.optional("seccomp", out.seccomp);
  reader.optional("rootfsPropagation", out.rootfs_propagation);
  reader.optional("maskedPaths", out.masked_paths);
  reader.optional("readonlyPaths", out.readonly_paths);
  reader.optional("mountLabel", out.mount_label);
  reader.optional("intelRdt", out.intel_rdt);
  reader.optional("personality", out.personality);
  out.extra = reader.unknown();
  return reader.is_object();
}

Spec decode_spec(const nlohmann::json& document, Problems& problems) {
  Spec spec;
  ObjectReader reader(document, "", problems);
  reader.required("ociVersion", spec.oci_version);
  reader.optional("process", spec.process);
  reader.optional("root", spec.root);
  reader.optional("hostname", spec.hostname);
  reader.optional("domainname", spec.domainname);
  reader.optional("mounts", spec.mounts);
  reader.optional("hooks", spec.hooks);
  reader.optional("annotations", spec.annotations);
  reader.optional("linux", spec.linux_config);
  spec.extra = reader.unknown();
  return spec;
}

Process decode_process(const nlohmann::json& value, const std::string& path, Problems& problems) {
  Process process;
  decode(value, path, problems, process);
  return process;
}

}  // namespace kata::oci
