// `kata update`: change the container's resource limits, from -r FILE|-
// (runtime-spec LinuxResources JSON) or from the individual flags.
#include "cmd/cli11.hpp"

#include <unistd.h>

#include "cmd/config_loading.hpp"
#include "cmd/shared_flags.hpp"
#include "cmd/update_resources.hpp"
#include "cmd/verbs.hpp"
#include "common/fs.hpp"
#include "runtime/container_control.hpp"

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

namespace {

// A resources document is a few hundred bytes; 1 MiB bounds a runaway input.
constexpr std::size_t max_document = 1 << 20;

Result<std::string> read_stdin() {
  std::string text;
  char chunk[4096];
  while (true) {
    ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return sys_error(errno, "--resources -: read standard input");
    if (got == 0) return text;
    text.append(chunk, static_cast<std::size_t>(got));
    if (text.size() > max_document)
      return make_error(ErrorKind::invalid_argument, "--resources -: more than {} bytes", max_document);
  }
}

Result<nlohmann::json> requested_resources(const UpdateOptions& options) {
  if (options.resources.empty()) return resources_from_flags(options);
  if (options.resources == "-") return parse_resources_document(KATA_TRY(read_stdin()), "standard input");
  auto text = KATA_TRY(read_file(options.resources, max_document).wrap("--resources " + options.resources));
  return parse_resources_document(text, options.resources);
}

}  // namespace

Result<int> run_verb(const GlobalOptions& global, const UpdateOptions& options) {
  auto resources = KATA_TRY(requested_resources(options));
  auto store = KATA_TRY(runtime::StateStore::open(state_root(global)));
  KATA_TRY(runtime::update_container(store, options.id, resources));
  return 0;
}

}  // namespace kata::cmd
