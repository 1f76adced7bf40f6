#include "runtime/configuration.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <regex>
#include <toml++/toml.h>
#include <utility>

#include "common/fs.hpp"

namespace kata::runtime {

namespace {

// Kata's own files are ~30 KiB with comments; anything near this is not a
// configuration file.
constexpr std::size_t max_config_bytes = 1024 * 1024;

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

template <typename Enum>
struct Choice {
  std::string_view name;
  Enum value;
};

// Reads the keys of one table, each with its type, and remembers which keys
// it consumed so the rest can be recorded as ignored.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix) : table_(table), prefix_(std::move(prefix)) {}

  std::string name(std::string_view key) const { return prefix_ + std::string(key); }

  Result<void> string(std::string_view key, std::string& out) {
    const toml::node* node = take(key);
    if (node == nullptr) return ok();
    if (!node->is_string()) return wrong_type(key, "a string", *node);
    out = node->as_string()->get();
    return ok();
  }

  Result<void> absolute_path(std::string_view key, std::string& out) {
    KATA_TRY(string(key, out));
    if (out.empty() || out.front() != '/') {
      return invalid(key, fmt::format("\"{}\" is not an absolute path", out));
    }
    return ok();
  }

  // An absolute path, or "" for "not set".
  Result<void> optional_absolute_path(std::string_view key, std::string& out) {
    KATA_TRY(string(key, out));
    if (!out.empty() && out.front() != '/') return invalid(key, fmt::format("\"{}\" is not an absolute path", out));
    return ok();
  }

  Result<void> boolean(std::string_view key, bool& out) {
    const toml::node* node = take(key);
    if (node == nullptr) return ok();
    if (!node->is_boolean()) return wrong_type(key, "a boolean", *node);
    out = node->as_boolean()->get();
    return ok();
  }

  Result<void> unsigned_integer(std::string_view key, unsigned& out, long long min, long long max) {
    const toml::node* node = take(key);
    if (node == nullptr) return ok();
    if (!node->is_integer()) return wrong_type(key, "an integer", *node);
    long long value = node->as_integer()->get();
    if (value < min || value > max) {
      return invalid(key, fmt::format("{} is out of range [{}, {}]", value, min, max));
    }
    out = static_cast<unsigned>(value);
    return ok();
  }

  Result<void> string_list(std::string_view key, std::vector<std::string>& out) {
    const toml::node* node = take(key);
    if (node == nullptr) return ok();
    if (!node->is_array()) return wrong_type(key, "an array of strings", *node);
    std::vector<std::string> values;
    const toml::array& array = *node->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = array[i];
      if (!element.is_string()) {
        return make_error(ErrorKind::invalid_argument, "{}[{}]: expected a string, got {}", name(key), i,
                          type_name(element));
      }
      values.push_back(element.as_string()->get());
    }
    out = std::move(values);
    return ok();
  }

  template <typename Enum>
  Result<void> choice(std::string_view key, Enum& out, std::initializer_list<Choice<Enum>> choices) {
    std::string text;
    if (take(key) == nullptr) return ok();
    KATA_TRY(string(key, text));
    std::string allowed;
    for (const auto& option : choices) {
      if (option.name == text) {
        out = option.value;
        return ok();
      }
      if (!allowed.empty()) allowed += ", ";
      allowed += option.name;
    }
    return invalid(key, fmt::format("unknown value \"{}\" (expected one of: {})", text, allowed));
  }

  /// The sub-table `key`, or nullptr when absent; an error when not a table.
  Result<const toml::table*> table(std::string_view key) {
    const toml::node* node = take(key);
    if (node == nullptr) return static_cast<const toml::table*>(nullptr);
    if (!node->is_table()) return wrong_type(key, "a table", *node);
    return node->as_table();
  }

  /// Appends the dotted names of every key not read to `ignored`.
  void record_unread(std::vector<std::string>& ignored) const {
    for (const auto& [key, node] : table_) {
      if (was_read(key.str())) continue;
      record_all(node, name(key.str()), ignored);
    }
  }

  /// Every key asked for, present or not, in the order first asked.
  const std::vector<std::string>& keys_read() const { return taken_; }

 private:
  static void record_all(const toml::node& node, const std::string& dotted, std::vector<std::string>& ignored) {
    if (const toml::table* table = node.as_table(); table != nullptr && !table->empty()) {
      for (const auto& [key, child] : *table) record_all(child, dotted + "." + std::string(key.str()), ignored);
      return;
    }
    ignored.push_back(dotted);
  }

  bool was_read(std::string_view key) const { return std::find(taken_.begin(), taken_.end(), key) != taken_.end(); }
  const toml::node* take(std::string_view key) {
    if (!was_read(key)) taken_.emplace_back(key);
    return table_.get(key);
  }
  Error wrong_type(std::string_view key, std::string_view expected, const toml::node& node) const {
    return invalid(key, fmt::format("expected {}, got {}", expected, type_name(node)));
  }
  Error invalid(std::string_view key, std::string_view reason) const {
    return make_error(ErrorKind::invalid_argument, "{}: {}", name(key), reason);
  }

  const toml::table& table_;
  std::string prefix_;
  std::vector<std::string> taken_;  // a handful of keys: a vector keeps their order
};

// guest/ installs each kernel with the initramfs it boots: vmlinuz-NAME and
// kata-initramfs-NAME.img side by side (Debian's kernel needs its modules in
// the initramfs, kata's has none). Naming one of those kernels is enough.
std::optional<std::string> initrd_built_for(const std::string& kernel) {
  auto slash = kernel.rfind('/');
  std::string_view name = std::string_view(kernel).substr(slash + 1);
  constexpr std::string_view prefix = "vmlinuz-";
  if (!name.starts_with(prefix) || name.size() == prefix.size()) return std::nullopt;
  std::string initrd = fmt::format("{}kata-initramfs-{}.img", kernel.substr(0, slash + 1), name.substr(prefix.size()));
  struct stat st {};
  if (::stat(initrd.c_str(), &st) < 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return initrd;
}

Result<void> read_qemu(TableReader& reader, HypervisorConfig& config) {
  KATA_TRY(reader.absolute_path("path", config.path));
  std::string default_initrd = config.initrd;
  KATA_TRY(reader.absolute_path("kernel", config.kernel));
  KATA_TRY(reader.absolute_path("initrd", config.initrd));
  if (config.initrd == default_initrd) {
    if (auto paired = initrd_built_for(config.kernel)) config.initrd = *paired;
  }
  KATA_TRY(reader.choice<MachineType>("machine_type", config.machine_type,
                                      {{"q35", MachineType::q35}, {"microvm", MachineType::microvm}}));
  KATA_TRY(reader.string("kernel_params", config.kernel_params));
  KATA_TRY(reader.optional_absolute_path("firmware", config.firmware));
  KATA_TRY(reader.unsigned_integer("default_vcpus", config.default_vcpus, 1, 255));
  KATA_TRY(reader.unsigned_integer("default_maxvcpus", config.default_maxvcpus, 0, 255));
  if (config.default_maxvcpus != 0 && config.default_maxvcpus < config.default_vcpus) {
    return make_error(ErrorKind::invalid_argument, "{}: {} is less than default_vcpus ({})",
                      reader.name("default_maxvcpus"), config.default_maxvcpus, config.default_vcpus);
  }
  // Upper bound 1 TiB: far above any VM kata would start, low enough that a
  // typo (an extra digit or two) is caught.
  KATA_TRY(reader.unsigned_integer("default_memory", config.default_memory, min_memory_mib, 1024 * 1024));
  KATA_TRY(reader.unsigned_integer("memory_slots", config.memory_slots, 0, 255));
  KATA_TRY(reader.unsigned_integer("default_maxmemory", config.default_maxmemory, 0, 1024 * 1024));
  if (config.default_maxmemory != 0 && config.default_maxmemory < config.default_memory) {
    return make_error(ErrorKind::invalid_argument, "{}: {} is less than default_memory ({})",
                      reader.name("default_maxmemory"), config.default_maxmemory, config.default_memory);
  }
  KATA_TRY(reader.choice<std::string>("shared_fs", config.shared_fs, {{"virtio-fs", "virtio-fs"}}));
  KATA_TRY(reader.absolute_path("virtio_fs_daemon", config.virtio_fs_daemon));
  KATA_TRY(reader.choice<VirtioFsCache>("virtio_fs_cache", config.virtio_fs_cache,
                                        {{"auto", VirtioFsCache::automatic},
                                         {"always", VirtioFsCache::always},
                                         {"never", VirtioFsCache::never},
                                         {"none", VirtioFsCache::never}}));
  KATA_TRY(reader.string_list("virtio_fs_extra_args", config.virtio_fs_extra_args));
  KATA_TRY(reader.boolean("enable_debug", config.enable_debug));
  KATA_TRY(reader.string_list("enable_annotations", config.enable_annotations));
  // Checked here so a bad pattern is reported with the file, not at the
  // first create whose spec carries an annotation.
  for (std::size_t i = 0; i < config.enable_annotations.size(); ++i) {
    try {
      std::regex pattern(config.enable_annotations[i]);
    } catch (const std::regex_error&) {
      return make_error(ErrorKind::invalid_argument, "{}[{}]: not a regular expression: {}",
                        reader.name("enable_annotations"), i, config.enable_annotations[i]);
    }
  }
  KATA_TRY(reader.unsigned_integer("tcg_tb_size", config.tcg_tb_size, 0, 4096));
  KATA_TRY(reader.choice<Accel>("accel", config.accel,
                                {{"auto", Accel::automatic}, {"kvm", Accel::kvm}, {"tcg", Accel::tcg}}));
  return ok();
}

Result<void> read_agent(TableReader& reader, AgentConfig& config) {
  KATA_TRY(reader.boolean("enable_debug", config.enable_debug));
  KATA_TRY(reader.unsigned_integer("dial_timeout", config.dial_timeout, 1, 3600));
  return ok();
}

Result<void> read_runtime(TableReader& reader, RuntimeConfig& config) {
  KATA_TRY(reader.boolean("enable_debug", config.enable_debug));
  KATA_TRY(reader.choice<InterNetworkingModel>(
      "internetworking_model", config.internetworking_model,
      {{"tcfilter", InterNetworkingModel::tcfilter}, {"none", InterNetworkingModel::none}}));
  KATA_TRY(reader.boolean("disable_new_netns", config.disable_new_netns));
  KATA_TRY(reader.boolean("sandbox_cgroup_only", config.sandbox_cgroup_only));
  KATA_TRY(reader.unsigned_integer("host_cgroup_memory_overhead", config.host_cgroup_memory_overhead, 0, 1024 * 1024));
  KATA_TRY(reader.string_list("experimental", config.experimental));
  return ok();
}

Result<void> read_factory(TableReader& reader, FactoryConfig& config) {
  KATA_TRY(reader.boolean("enable_template", config.enable_template));
  KATA_TRY(reader.absolute_path("template_path", config.template_path));
  return ok();
}

// A section kata implements: [parent.name], or [name] when parent is empty,
// and the function reading its keys. read_document and configuration_keys()
// both walk this one list, so the documented keys are the parsed ones.
struct Section {
  std::string_view parent;
  std::string_view name;
  Result<void> (*read)(TableReader&, Configuration&);

  std::string dotted() const { return parent.empty() ? std::string(name) : fmt::format("{}.{}", parent, name); }
};

constexpr std::array<Section, 4> sections{{
    {"hypervisor", "qemu", [](TableReader& reader, Configuration& config) { return read_qemu(reader, config.hypervisor); }},
    {"agent", "kata", [](TableReader& reader, Configuration& config) { return read_agent(reader, config.agent); }},
    {"", "runtime", [](TableReader& reader, Configuration& config) { return read_runtime(reader, config.runtime); }},
    {"", "factory", [](TableReader& reader, Configuration& config) { return read_factory(reader, config.factory); }},
}};

// read_document records a parent's other keys as ignored right after its one
// known child; a second child of the same parent would be reported ignored.
constexpr bool parents_distinct() {
  for (std::size_t i = 0; i < sections.size(); ++i) {
    for (std::size_t j = i + 1; j < sections.size(); ++j) {
      if (!sections[i].parent.empty() && sections[i].parent == sections[j].parent) return false;
    }
  }
  return true;
}
static_assert(parents_distinct(), "read_document handles one known section per parent table");

// Reads the known sub-table `section.name` of `parent`, then records its
// unread keys.
Result<void> read_section(TableReader& parent, const Section& section, Configuration& config) {
  const toml::table* table = KATA_TRY(parent.table(section.name));
  if (table == nullptr) return ok();
  TableReader reader(*table, parent.name(section.name) + ".");
  KATA_TRY(section.read(reader, config));
  reader.record_unread(config.ignored_keys);
  return ok();
}

Result<Configuration> read_document(const toml::table& document) {
  Configuration config;
  TableReader top(document, "");
  for (const Section& section : sections) {
    if (section.parent.empty()) {
      KATA_TRY(read_section(top, section, config));
      continue;
    }
    const toml::table* parent = KATA_TRY(top.table(section.parent));
    if (parent == nullptr) continue;
    TableReader reader(*parent, std::string(section.parent) + ".");
    KATA_TRY(read_section(reader, section, config));
    reader.record_unread(config.ignored_keys);
  }
  top.record_unread(config.ignored_keys);
  return config;
}

}  // namespace

std::string_view to_string(Accel accel) {
  switch (accel) {
    case Accel::automatic: return "auto";
    case Accel::kvm: return "kvm";
    case Accel::tcg: return "tcg";
  }
  return "unknown";
}

std::string_view to_string(MachineType machine_type) {
  switch (machine_type) {
    case MachineType::q35: return "q35";
    case MachineType::microvm: return "microvm";
  }
  return "unknown";
}

std::string_view to_string(VirtioFsCache cache) {
  switch (cache) {
    case VirtioFsCache::never: return "never";
    case VirtioFsCache::automatic: return "auto";
    case VirtioFsCache::always: return "always";
  }
  return "unknown";
}

std::string_view to_string(InterNetworkingModel model) {
  switch (model) {
    case InterNetworkingModel::tcfilter: return "tcfilter";
    case InterNetworkingModel::none: return "none";
  }
  return "unknown";
}

std::vector<ConfigKey> configuration_keys() {
  std::vector<ConfigKey> keys;
  const toml::table empty;
  for (const Section& section : sections) {
    // On an empty table every reader asks for each of its keys, finds none
    // and keeps the defaults, so nothing can fail here.
    TableReader reader(empty, section.dotted() + ".");
    Configuration scratch;
    (void)section.read(reader, scratch);
    for (const std::string& key : reader.keys_read()) keys.push_back({section.dotted(), key});
  }
  return keys;
}

std::vector<std::string> default_config_candidates() {
  std::vector<std::string> candidates = {"/etc/kata-containers/configuration.toml",
                                         "/usr/share/defaults/kata-containers/configuration.toml"};
  // With --prefix /usr the installed file is Kata's own path: try it once.
  if (std::find(candidates.begin(), candidates.end(), installed_config_file) == candidates.end()) {
    candidates.emplace_back(installed_config_file);
  }
  return candidates;
}

ConfigSources config_sources_from_environment(std::string explicit_path) {
  ConfigSources sources;
  sources.explicit_path = std::move(explicit_path);
  if (const char* env = std::getenv(config_env_variable)) sources.env_path = env;
  return sources;
}

Result<std::optional<std::string>> find_configuration_file(const ConfigSources& sources) {
  // A path the user named must exist; reading it reports the error.
  if (!sources.explicit_path.empty()) return std::optional<std::string>(sources.explicit_path);
  if (!sources.env_path.empty()) return std::optional<std::string>(sources.env_path);
  for (const std::string& candidate : sources.candidates) {
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0) return std::optional<std::string>(candidate);
    // Absent is normal; anything else (EACCES) must not silently fall back
    // to a different configuration.
    if (errno != ENOENT && errno != ENOTDIR) return sys_error(errno, "configuration file {}", candidate);
  }
  return std::optional<std::string>();
}

Result<Configuration> load_configuration(const ConfigSources& sources) {
  auto path = KATA_TRY(find_configuration_file(sources));
  if (!path) return Configuration{};
  auto config = load_configuration_file(*path);
  if (!config && sources.explicit_path.empty() && !sources.env_path.empty()) {
    return std::move(config).error().wrap(fmt::format("{} names a bad configuration file", config_env_variable));
  }
  return config;
}

Result<Configuration> load_configuration_file(const std::string& path) {
  std::string text = KATA_TRY(read_file(path, max_config_bytes).wrap("configuration file"));
  return parse_configuration(text, path);
}

Result<Configuration> parse_configuration(std::string_view text, const std::string& source_name) {
  toml::table document;
  try {
    document = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    return make_error(ErrorKind::invalid_argument, "{}:{}:{}: {}", source_name, where.line, where.column,
                      error.description());
  }
  auto config = read_document(document);
  if (!config) return std::move(config).error().wrap(source_name);
  config->path = source_name;
  return config;
}

}  // namespace kata::runtime
