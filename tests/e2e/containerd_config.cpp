#include "tests/e2e/containerd_config.hpp"

#include <sstream>
#include <string_view>
#include <stdexcept>

#include <toml++/toml.h>

namespace kata::e2e {
namespace {

/// The table at `key` of `parent`, made when missing.
toml::table& table_at(toml::table& parent, const std::string& key) {
  auto [at, inserted] = parent.insert(key, toml::table{});
  (void)inserted;
  auto* table = at->second.as_table();
  if (table == nullptr) throw std::runtime_error("containerd config: " + key + " is not a table");
  return *table;
}

}  // namespace

std::string private_containerd_config(const std::string& stock, const ContainerdConfigPaths& paths) {
  toml::table config = toml::parse(stock, std::string_view("/etc/containerd/config.toml"));
  config.insert_or_assign("root", paths.dir + "/root");
  config.insert_or_assign("state", paths.dir + "/state");
  table_at(config, "grpc").insert_or_assign("address", paths.dir + "/containerd.sock");
  table_at(config, "ttrpc").insert_or_assign("address", paths.dir + "/containerd.sock.ttrpc");

  auto& cri = table_at(table_at(config, "plugins"), "io.containerd.grpc.v1.cri");
  cri.insert_or_assign("sandbox_image", paths.sandbox_image);
  table_at(cri, "cni").insert_or_assign("conf_dir", paths.cni_conf_dir);
  // As README.md tells operators: the runc v2 shim with kata as its runc.
  auto& cri_containerd = table_at(cri, "containerd");
  // A runtimes table replaces containerd's built-in one (its "runc"), so
  // the default must name a runtime this file configures.
  cri_containerd.insert_or_assign("default_runtime_name", kCriRuntime);
  auto& runtimes = table_at(cri_containerd, "runtimes");
  for (const char* name : {kCriRuntime, kCriSystemdRuntime}) {
    auto& runtime = table_at(runtimes, name);
    runtime.insert_or_assign("runtime_type", "io.containerd.runc.v2");
    auto& options = table_at(runtime, "options");
    options.insert_or_assign("BinaryName", paths.kata_binary);
    options.insert_or_assign("Root", paths.kata_root);
    // kubelet's systemd cgroup driver: the shim passes --systemd-cgroup.
    if (std::string_view(name) == kCriSystemdRuntime) options.insert_or_assign("SystemdCgroup", true);
  }

  std::ostringstream text;
  text << config << "\n";
  return text.str();
}

}  // namespace kata::e2e
