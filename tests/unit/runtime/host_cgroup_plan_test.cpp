// The host cgroup's paths and limit values, computed from texts
// (runtime/host_cgroup_plan.hpp): cgroupsPath forms, hierarchies from
// mountinfo and /proc/self/cgroup, limit files for v1 and v2.
#include "runtime/host_cgroup_plan.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kata;
using namespace kata::runtime;

namespace {

// This host's layout: cgroup v1 hybrid, kata's memory cgroup not the root.
constexpr const char* hybrid_mountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "50 32 0:29 / /mnt/again rw,relatime - cgroup cgroup rw,cpu\n"
    "60 23 0:50 / /mnt/my\\040dir rw - ext4 /dev/sda1 rw\n";
constexpr const char* hybrid_self_cgroup =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/f844\n2:cpuacct:/\n1:cpu:/\n0::/user.slice/session-1.scope\n";

std::string error_of(const Result<std::string>& result) { return result ? "" : result.error().message; }

}  // namespace

TEST_CASE("parse_cgroup_hierarchies: each hierarchy once, with kata's own cgroup in it") {
  auto hierarchies = parse_cgroup_hierarchies(hybrid_mountinfo, hybrid_self_cgroup);
  REQUIRE(hierarchies.ok());
  REQUIRE(hierarchies->size() == 6);  // the second cpu mount and the ext4 one are not hierarchies of their own
  CHECK((*hierarchies)[0] == CgroupHierarchy{"/sys/fs/cgroup/cpu", false, {"cpu"}, "/"});
  CHECK((*hierarchies)[2] == CgroupHierarchy{"/sys/fs/cgroup/memory", false, {"memory"}, "/process_api/f844"});
  CHECK((*hierarchies)[4] == CgroupHierarchy{"/sys/fs/cgroup/systemd", false, {"name=systemd"}, "/"});
  CHECK((*hierarchies)[5] == CgroupHierarchy{"/sys/fs/cgroup/unified", true, {}, "/user.slice/session-1.scope"});
}

TEST_CASE("parse_cgroup_hierarchies: v2 only, co-mounted v1 controllers, escaped mount points") {
  auto v2 = parse_cgroup_hierarchies("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/init.scope\n");
  REQUIRE(v2.ok());
  REQUIRE(v2->size() == 1);
  CHECK((*v2)[0] == CgroupHierarchy{"/sys/fs/cgroup", true, {}, "/init.scope"});

  auto comounted = parse_cgroup_hierarchies("1 1 0:1 / /cg/cpu\\040x rw - cgroup cgroup rw,cpuacct,cpu\n",
                                            "3:cpu,cpuacct:/a\n");
  REQUIRE(comounted.ok());
  REQUIRE(comounted->size() == 1);
  CHECK((*comounted)[0] == CgroupHierarchy{"/cg/cpu x", false, {"cpu", "cpuacct"}, "/a"});

  CHECK_FALSE(parse_cgroup_hierarchies("garbage without separator\n", "").ok());
  CHECK_FALSE(parse_cgroup_hierarchies("", "no colons\n").ok());
}

TEST_CASE("parse_cgroups_path: cgroupfs absolute and relative paths, normalised") {
  CHECK(parse_cgroups_path("/libpod_parent/libpod-abc", false).value() == "/libpod_parent/libpod-abc");
  CHECK(parse_cgroups_path("//a/./b/", false).value() == "/a/b");
  CHECK(parse_cgroups_path("kata/x", false).value() == "kata/x");
  CHECK(parse_cgroups_path("./kata//x", false).value() == "kata/x");
}

TEST_CASE("parse_cgroups_path: refuses .., the root cgroup and malformed systemd forms, naming the path") {
  auto climbs = parse_cgroups_path("/a/../../etc", false);
  REQUIRE_FALSE(climbs.ok());
  CHECK(climbs.error().kind == ErrorKind::invalid_argument);
  CHECK(error_of(climbs).find("/a/../../etc") != std::string::npos);
  CHECK_FALSE(parse_cgroups_path("../x", false).ok());
  CHECK_FALSE(parse_cgroups_path("/", false).ok());
  CHECK_FALSE(parse_cgroups_path("/./", false).ok());
  CHECK_FALSE(parse_cgroups_path("machine.slice:libpod", true).ok());
  CHECK_FALSE(parse_cgroups_path("a:b:c:d", true).ok());
  CHECK_FALSE(parse_cgroups_path("machine:libpod:x", true).ok());        // not a slice
  CHECK_FALSE(parse_cgroups_path("a--b.slice:p:x", true).ok());          // not a valid slice name
  CHECK_FALSE(parse_cgroups_path("machine.slice:libpod:", true).ok());   // no name
  CHECK_FALSE(parse_cgroups_path("machine.slice:libpod:../x", true).ok());
}

TEST_CASE("parse_cgroups_path: systemd slice:prefix:name as runc expands it") {
  CHECK(parse_cgroups_path("machine.slice:libpod:abc", true).value() == "/machine.slice/libpod-abc.scope");
  CHECK(parse_cgroups_path("kubepods-burstable-pod12.slice:cri-containerd:c1", true).value() ==
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-c1.scope");
  CHECK(parse_cgroups_path(":kata:x", true).value() == "/system.slice/kata-x.scope");
  CHECK(parse_cgroups_path("system.slice::x", true).value() == "/system.slice/x.scope");
  CHECK(parse_cgroups_path("-.slice:p:x", true).value() == "/p-x.scope");
  CHECK(parse_cgroups_path("machine.slice:p:inner.slice", true).value() == "/machine.slice/inner.slice");
}

TEST_CASE("cgroup_dir_in: absolute below the mount point, relative below kata's own cgroup (v2: its parent)") {
  CgroupHierarchy memory{"/sys/fs/cgroup/memory", false, {"memory"}, "/process_api/f844"};
  CgroupHierarchy unified{"/sys/fs/cgroup", true, {}, "/user.slice/session-1.scope"};
  CgroupHierarchy root_v1{"/sys/fs/cgroup/cpu", false, {"cpu"}, "/"};
  CHECK(cgroup_dir_in(memory, "/libpod_parent/x") == "/sys/fs/cgroup/memory/libpod_parent/x");
  CHECK(cgroup_dir_in(memory, "kata/x") == "/sys/fs/cgroup/memory/process_api/f844/kata/x");
  CHECK(cgroup_dir_in(root_v1, "kata/x") == "/sys/fs/cgroup/cpu/kata/x");
  CHECK(cgroup_dir_in(unified, "kata/x") == "/sys/fs/cgroup/user.slice/kata/x");
  CHECK(cgroup_dir_in(unified, "/a") == "/sys/fs/cgroup/a");
}

TEST_CASE("cpu_weight_from_shares converts as runc does") {
  CHECK(cpu_weight_from_shares(2) == 1);
  CHECK(cpu_weight_from_shares(1024) == 39);
  CHECK(cpu_weight_from_shares(262144) == 10000);
  CHECK(cpu_weight_from_shares(0) == 1);          // clamped
  CHECK(cpu_weight_from_shares(1000000) == 10000);
}

TEST_CASE("host_limit_writes: v1 files, period before quota, the sandbox's memory limit") {
  HostLimits limits;
  limits.cpu_shares = 512;
  limits.cpu_quota = 50000;
  limits.cpu_period = 100000;
  limits.cpus = "0-1";
  limits.mems = "0";
  limits.pids_limit = 64;
  limits.memory_limited = true;
  auto writes = host_limit_writes(limits, 1024ULL << 20, false);
  std::vector<CgroupWrite> expected = {
      {"cpu", "cpu.shares", "512"},          {"cpu", "cpu.cfs_period_us", "100000"},
      {"cpu", "cpu.cfs_quota_us", "50000"},  {"cpuset", "cpuset.cpus", "0-1"},
      {"cpuset", "cpuset.mems", "0"},        {"memory", "memory.limit_in_bytes", "1073741824"},
      {"pids", "pids.max", "64"},
  };
  CHECK(writes == expected);
}

TEST_CASE("host_limit_writes: v2 files, weight converted, unlimited values") {
  HostLimits limits;
  limits.cpu_shares = 1024;
  limits.cpu_quota = -1;
  limits.cpu_period = 100000;
  limits.pids_limit = -1;
  limits.memory_limited = true;
  auto writes = host_limit_writes(limits, 5 << 20, true);
  std::vector<CgroupWrite> expected = {
      {"cpu", "cpu.weight", "39"}, {"cpu", "cpu.max", "max 100000"}, {"memory", "memory.max", "5242880"},
      {"pids", "pids.max", "max"}};
  CHECK(writes == expected);

  HostLimits quota_only;
  quota_only.cpu_quota = 20000;
  CHECK(host_limit_writes(quota_only, 0, true) == std::vector<CgroupWrite>{{"cpu", "cpu.max", "20000"}});
  CHECK(host_limit_writes(quota_only, 0, false) == std::vector<CgroupWrite>{{"cpu", "cpu.cfs_quota_us", "20000"}});
}

TEST_CASE("host_limit_writes: nothing for unset values (runc's zeros) or without a memory limit") {
  HostLimits unset;
  unset.cpu_quota = 0;
  unset.cpu_period = 0;
  unset.cpu_shares = 0;
  unset.pids_limit = 0;
  unset.cpus = "";
  CHECK(host_limit_writes(unset, 1 << 30, false).empty());
  CHECK(host_limit_writes(unset, 1 << 30, true).empty());
}

TEST_CASE("host limits from a spec and from update's document; the memory limit is the sandbox's") {
  oci::Resources resources;
  resources.memory = oci::Memory{};
  resources.memory->limit = 64 << 20;
  resources.cpu = oci::Cpu{};
  resources.cpu->quota = 50000;
  resources.cpu->period = 100000;
  resources.pids = oci::Pids{};
  resources.pids->limit = 20;
  auto limits = host_limits_from(resources);
  CHECK(limits.memory_limited);
  CHECK(limits.cpu_quota == 50000);
  CHECK(limits.pids_limit == 20);

  auto from_json = host_limits_from_json(
      nlohmann::json::parse(R"({"cpu":{"quota":30000,"period":100000,"cpus":"0"},"pids":{"limit":-1},"memory":{"limit":-1}})"));
  CHECK(from_json.cpu_quota == 30000);
  CHECK(from_json.cpu_period == 100000u);
  CHECK(from_json.cpus == "0");
  CHECK(from_json.pids_limit == -1);
  CHECK_FALSE(from_json.memory_limited);

  // VM memory plus overhead, whatever the container asked for.
  CHECK(sandbox_memory_limit(576, 512) == 1088ULL << 20);
  CHECK(sandbox_memory_limit(576, 0) == 576ULL << 20);
}

TEST_CASE("host_limits_of: a spec's own resources, none for a pod's marked sandbox (its pause process's)") {
  auto spec_with = [](const nlohmann::json& annotations) {
    nlohmann::json document = {{"ociVersion", "1.0.2"},
                               {"process", {{"user", {{"uid", 0}, {"gid", 0}}}, {"args", {"sleep", "1"}}, {"cwd", "/"}}},
                               {"root", {{"path", "rootfs"}}},
                               // What containerd's CRI and CRI-O give a pause container.
                               {"linux", {{"resources", {{"cpu", {{"shares", 2}, {"cpus", "0"}}}}}}}};
    if (!annotations.is_null()) document["annotations"] = annotations;
    auto spec = oci::parse_spec(document.dump());
    REQUIRE(spec.ok());
    return *spec;
  };
  auto own = host_limits_of(spec_with(nullptr));
  CHECK(own.cpu_shares == 2u);
  CHECK(own.cpus == "0");
  CHECK(host_limits_of(spec_with({{"io.kubernetes.cri.container-type", "sandbox"}})) == HostLimits{});
  CHECK(host_limits_of(spec_with({{"io.kubernetes.cri-o.ContainerType", "sandbox"}})) == HostLimits{});
  CHECK(host_limits_of(spec_with({{"io.kubernetes.cri.container-type", "container"}})).cpu_shares == 2u);
}

TEST_CASE("the host cgroup record round-trips through JSON and rejects malformed fields") {
  HostCgroupRecord record{"/p/x",
                          {{"/sys/fs/cgroup/cpu/p/x", false, {"cpu"}, true}, {"/sys/fs/cgroup/unified/p/x", true, {}, false}},
                          {"/sys/fs/cgroup/cpu/p", "/sys/fs/cgroup/cpu/p/x"},
                          1ULL << 30};
  auto parsed = host_cgroup_from_json(host_cgroup_to_json(record));
  REQUIRE(parsed.ok());
  CHECK(*parsed == record);
  auto document = host_cgroup_to_json(record);
  document["leaves"][0]["created"] = "yes";
  CHECK_FALSE(host_cgroup_from_json(document).ok());
  CHECK_FALSE(host_cgroup_from_json(nlohmann::json::array()).ok());
}
