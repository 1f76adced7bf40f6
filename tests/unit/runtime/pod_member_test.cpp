// Pods: which VM a container goes to, read from the engines' annotations,
// and the guest spec of a member sharing the sandbox's namespaces.
#include <doctest/doctest.h>

#include <string>

#include "oci/spec.hpp"
#include "runtime/pod_member.hpp"

using namespace kata;
using namespace kata::runtime;
using nlohmann::json;

namespace {

oci::Spec spec_with(const json& annotations) {
  json document = {{"ociVersion", "1.0.2"},
                   {"process", {{"user", {{"uid", 0}, {"gid", 0}}}, {"args", {"sh"}}, {"cwd", "/"}}},
                   {"root", {{"path", "rootfs"}}}};
  if (!annotations.is_null()) document["annotations"] = annotations;
  auto spec = oci::parse_spec(document.dump());
  REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
  return *spec;
}

}  // namespace

TEST_CASE("no pod annotations, or type sandbox: a VM of its own") {
  CHECK_FALSE(pod_placement(spec_with(nullptr), "c1")->sandbox_id);
  CHECK_FALSE(pod_placement(spec_with({{"io.kubernetes.cri.container-type", "sandbox"},
                                       {"io.kubernetes.cri.sandbox-id", "c1"}}),
                            "c1")
                  ->sandbox_id);
  // CRI-O names its sandbox container as its own sandbox.
  CHECK_FALSE(pod_placement(spec_with({{"io.kubernetes.cri-o.ContainerType", "container"},
                                       {"io.kubernetes.cri-o.SandboxID", "c1"}}),
                            "c1")
                  ->sandbox_id);
}

TEST_CASE("is_marked_pod_sandbox: type sandbox in either engine's annotation, nothing else") {
  CHECK(is_marked_pod_sandbox(spec_with({{"io.kubernetes.cri.container-type", "sandbox"}})));
  CHECK(is_marked_pod_sandbox(spec_with({{"io.kubernetes.cri-o.ContainerType", "sandbox"}})));
  CHECK_FALSE(is_marked_pod_sandbox(spec_with(nullptr)));
  CHECK_FALSE(is_marked_pod_sandbox(spec_with({{"io.kubernetes.cri.container-type", "container"}})));
  CHECK_FALSE(is_marked_pod_sandbox(spec_with({{"io.kubernetes.cri-o.ContainerType", "container"}})));
}

TEST_CASE("a member names its sandbox: podman and CRI-O's keys, containerd's keys") {
  auto podman = pod_placement(spec_with({{"io.kubernetes.cri-o.ContainerType", "container"},
                                         {"io.kubernetes.cri-o.SandboxID", "infra1"}}),
                              "app1");
  REQUIRE(podman.ok());
  CHECK(podman->sandbox_id == "infra1");
  auto cri = pod_placement(spec_with({{"io.kubernetes.cri.container-type", "container"},
                                      {"io.kubernetes.cri.sandbox-id", "pause9"}}),
                           "app2");
  REQUIRE(cri.ok());
  CHECK(cri->sandbox_id == "pause9");
}

TEST_CASE("bad pod annotations are errors naming the annotation") {
  auto unknown = pod_placement(spec_with({{"io.kubernetes.cri.container-type", "sidecar"}}), "c1");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("io.kubernetes.cri.container-type") != std::string::npos);
  auto no_sandbox = pod_placement(spec_with({{"io.kubernetes.cri-o.ContainerType", "container"}}), "c1");
  REQUIRE_FALSE(no_sandbox.ok());
  CHECK(no_sandbox.error().message.find("sandbox id") != std::string::npos);
  auto hostile = pod_placement(spec_with({{"io.kubernetes.cri-o.ContainerType", "container"},
                                          {"io.kubernetes.cri-o.SandboxID", "../etc"}}),
                               "c1");
  REQUIRE_FALSE(hostile.ok());
  CHECK(hostile.error().message.find("io.kubernetes.cri-o.SandboxID") != std::string::npos);
}

TEST_CASE("a member's guest spec names the sandbox init's namespaces it shares, and only those") {
  json spec = {{"linux",
                {{"namespaces",
                  {{{"type", "mount"}}, {{"type", "network"}, {"path", "/proc/1/ns/net"}}, {{"type", "ipc"}},
                   {{"type", "uts"}}}}}}};
  join_sandbox_namespaces(spec, 42, {"ipc", "pid"});
  const auto& namespaces = spec["linux"]["namespaces"];
  REQUIRE(namespaces.size() == 5);
  CHECK(namespaces[0] == json{{"type", "mount"}});
  CHECK(namespaces[1]["path"] == "/proc/1/ns/net");
  CHECK(namespaces[2] == json{{"type", "ipc"}, {"path", "/proc/42/ns/ipc"}});
  CHECK(namespaces[3] == json{{"type", "uts"}});  // not shared: a new one
  CHECK(namespaces[4] == json{{"type", "pid"}, {"path", "/proc/42/ns/pid"}});
}
