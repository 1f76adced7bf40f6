// `kata update`: change the container's resource limits, from -r FILE|-
// (runtime-spec LinuxResources JSON) or from the individual flags.
#include "cmd/cli11.hpp"

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {

void declare_options(CLI::App& app, UpdateOptions& options) {
  app.add_option("-r,--resources", options.resources,
                 "path to the file containing the resources to update or '-' to read from the "
                 "standard input; all other options are then ignored");
  app.add_option("--blkio-weight", options.blkio_weight,
                 "specifies per cgroup weight, range is from 10 to 1000");
  app.add_option("--cpu-period", options.cpu_period,
                 "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default");
  app.add_option("--cpu-quota", options.cpu_quota,
                 "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period");
  app.add_option("--cpu-share", options.cpu_share, "CPU shares (relative weight vs. other containers)");
  app.add_option("--cpu-rt-period", options.cpu_rt_period,
                 "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default");
  app.add_option("--cpu-rt-runtime", options.cpu_rt_runtime,
                 "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period");
  app.add_option("--cpuset-cpus", options.cpuset_cpus, "CPU(s) to use");
  app.add_option("--cpuset-mems", options.cpuset_mems, "memory node(s) to use");
  app.add_option("--memory", options.memory, "memory limit (in bytes, or with a unit: 512m)");
  app.add_option("--memory-reservation", options.memory_reservation,
                 "memory reservation or soft_limit (in bytes)");
  app.add_option("--memory-swap", options.memory_swap,
                 "total memory usage (memory + swap); set '-1' to enable unlimited swap");
  app.add_option("--kernel-memory", options.kernel_memory,
                 "kernel memory limit (in bytes); accepted and ignored, as by runc 1.1");
  app.add_option("--pids-limit", options.pids_limit,
                 "maximum number of pids allowed in the container");
  app.add_option("--l3-cache-schema", options.l3_cache_schema,
                 "the string of Intel RDT/CAT L3 cache schema");
  app.add_option("--mem-bw-schema", options.mem_bw_schema,
                 "the string of Intel RDT/MBA memory bandwidth schema");
  declare_container_id(app, options.id);
}

Result<int> run_verb(const GlobalOptions& /*global*/, const UpdateOptions& /*options*/) {
  return not_implemented();
}

}  // namespace kata::cmd
