#include "runtime/exec_process.hpp"

#include <algorithm>
#include <charconv>

#include "common/fs.hpp"
#include "oci/spec.hpp"

namespace kata::runtime {

using nlohmann::json;

namespace {

constexpr std::size_t max_process_file = 1 << 20;

Result<std::uint32_t> parse_id(std::string_view text, std::string_view what) {
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    return make_error(ErrorKind::invalid_argument, "-u {}: {} must be a number", text, what);
  return value;
}

// Sets NAME=value in `env`, replacing an earlier NAME.
void set_env(json& env, const std::string& entry) {
  auto name = entry.substr(0, entry.find('='));
  for (auto& existing : env) {
    if (!existing.is_string()) continue;
    const auto& text = existing.get_ref<const std::string&>();
    if (text.substr(0, text.find('=')) == name) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

}  // namespace

Result<json> exec_process_from_flags(const json& base, const ExecFlags& flags) {
  if (flags.args.empty()) return make_error(ErrorKind::invalid_argument, "exec: no command given (and no -p)");
  json process = base.is_object() ? base : json::object();
  process.erase("consoleSize");
  process["args"] = flags.args;
  process["terminal"] = flags.tty;
  if (!process.contains("env") || !process["env"].is_array()) process["env"] = json::array();
  for (const auto& entry : flags.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=')
      return make_error(ErrorKind::invalid_argument, "-e {}: expected NAME=value", entry);
    set_env(process["env"], entry);
  }
  if (!flags.cwd.empty()) process["cwd"] = flags.cwd;
  if (!process.contains("cwd") || !process["cwd"].is_string()) process["cwd"] = "/";
  if (!process.contains("user") || !process["user"].is_object()) process["user"] = {{"uid", 0}, {"gid", 0}};
  if (!flags.user.empty()) {
    auto colon = flags.user.find(':');
    process["user"]["uid"] = KATA_TRY(parse_id(flags.user.substr(0, colon), "uid"));
    // Like runc: without ":gid" the group stays the container's.
    if (colon != std::string::npos) process["user"]["gid"] = KATA_TRY(parse_id(flags.user.substr(colon + 1), "gid"));
  }
  if (!flags.additional_gids.empty()) process["user"]["additionalGids"] = flags.additional_gids;
  if (flags.no_new_privs) process["noNewPrivileges"] = true;
  if (!flags.apparmor.empty()) process["apparmorProfile"] = flags.apparmor;
  if (!flags.process_label.empty()) process["selinuxLabel"] = flags.process_label;
  for (const auto& cap : flags.caps) {
    if (cap.rfind("CAP_", 0) != 0 || cap.size() <= 4)
      return make_error(ErrorKind::invalid_argument, "-c {}: expected a capability name such as CAP_NET_ADMIN", cap);
    if (!process.contains("capabilities") || !process["capabilities"].is_object())
      process["capabilities"] = json::object();
    for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
      auto& list = process["capabilities"][set];
      if (!list.is_array()) list = json::array();
      if (std::find(list.begin(), list.end(), cap) == list.end()) list.push_back(cap);
    }
  }
  // The result must still be a valid process object.
  KATA_TRY(oci::parse_process(process.dump()).wrap("exec process"));
  return process;
}

Result<json> load_exec_process_file(const std::string& path) {
  auto text = KATA_TRY(read_file(path, max_process_file).wrap("process file " + path));
  KATA_TRY(oci::parse_process(text).wrap("process file " + path));
  json process = json::parse(text, nullptr, false);
  if (!process.is_object() || !process.contains("args") || !process["args"].is_array() || process["args"].empty())
    return make_error(ErrorKind::invalid_argument, "process file {}: args must not be empty", path);
  return process;
}

}  // namespace kata::runtime
