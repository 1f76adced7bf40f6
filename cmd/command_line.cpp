#include "cmd/command_line.hpp"

#include "cmd/cli11.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>

#include "cmd/shared_flags.hpp"
#include "cmd/verbs.hpp"

namespace kata::cmd {
namespace {

constexpr std::string_view kDescription =
    "kata is an OCI container runtime with runc's command line that runs each container "
    "inside its own lightweight virtual machine (QEMU).\n"
    "Global options come before the command: kata [OPTIONS] COMMAND [COMMAND OPTIONS] [ARGS...]";

// ---- verb table, derived from the VerbOptions alternatives -----------------

struct VerbInfo {
  std::string_view name;
  std::string_view alias;
  std::string_view summary;
};

template <std::size_t... I>
std::vector<VerbInfo> verb_table(std::index_sequence<I...>) {
  return {VerbInfo{std::variant_alternative_t<I, VerbOptions>::verb,
                   std::variant_alternative_t<I, VerbOptions>::alias,
                   std::variant_alternative_t<I, VerbOptions>::summary}...};
}

const std::vector<VerbInfo>& verbs() {
  static const auto table = verb_table(std::make_index_sequence<std::variant_size_v<VerbOptions>>{});
  return table;
}

// Default-constructed options for the verb called `name` (or its alias).
template <std::size_t... I>
std::optional<VerbOptions> make_verb(std::string_view name, std::index_sequence<I...>) {
  std::optional<VerbOptions> result;
  auto try_one = [&]<std::size_t Index>(std::integral_constant<std::size_t, Index>) {
    using Options = std::variant_alternative_t<Index, VerbOptions>;
    if (!result && (name == Options::verb || (!Options::alias.empty() && name == Options::alias))) {
      result.emplace(std::in_place_index<Index>);
    }
  };
  (try_one(std::integral_constant<std::size_t, I>{}), ...);
  return result;
}

std::optional<VerbOptions> make_verb(std::string_view name) {
  return make_verb(name, std::make_index_sequence<std::variant_size_v<VerbOptions>>{});
}

// ---- global options --------------------------------------------------------

std::string commands_footer() {
  std::size_t width = 0;
  for (const auto& verb : verbs()) {
    std::size_t length = verb.name.size() + (verb.alias.empty() ? 0 : verb.alias.size() + 2);
    width = std::max(width, length);
  }
  std::string text = "Commands:\n";
  for (const auto& verb : verbs()) {
    std::string names(verb.name);
    if (!verb.alias.empty()) names += ", " + std::string(verb.alias);
    names.resize(width, ' ');
    text += "  " + names + "  " + std::string(verb.summary) + "\n";
  }
  text += "  help" + std::string(width - 4, ' ') + "  shows the list of commands or help for one command\n";
  text += "\nRun 'kata COMMAND --help' for a command's options.";
  return text;
}

void declare_global_options(CLI::App& app, GlobalOptions& global, bool& version) {
  app.add_flag("--debug", global.debug, "enable debug logging");
  app.add_option("--log", global.log_path,
                 "set the log file to write kata logs to (default is '/dev/stderr')");
  declare_choice(app, "--log-format", global.log_format,
                 {{"text", LogFormat::text}, {"json", LogFormat::json}},
                 "set the log format ('text' (default), or 'json')");
  app.add_option("--root", global.root,
                 "root directory for storage of container state (this should be located in tmpfs)")
      ->capture_default_str();
  app.add_option("--criu", global.criu_path, "accepted for runc compatibility; kata does not use criu");
  app.add_flag("--systemd-cgroup", global.systemd_cgroup,
               "enable systemd cgroup support, expects cgroupsPath to be of form "
               "\"slice:prefix:name\"");
  declare_choice(app, "--rootless", global.rootless,
                 {{"true", Rootless::enabled}, {"false", Rootless::disabled}, {"auto", Rootless::automatic}},
                 "ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")");
  app.add_option("--config,--kata-config", global.config_path,
                 "path to kata's configuration.toml (default: Kata's lookup order)");
  app.add_flag("-v,--version", version, "print the version");
}

// ---- Go flag compatibility --------------------------------------------------

// Go's flag package (runc, and go-runc's argv) lets a long option have one
// dash: `-no-subreaper`, `-bundle=B`. CLI11 would read those as clusters of
// short flags, so each single-dash word whose name is a long option of `app`
// gets a second dash. Only words before the first positional are looked at:
// after it come the container's own arguments (`exec ID ls -la`, `ps ID -ef`).
// Returns the index of the first positional (args.size() when none).
std::size_t rewrite_go_flags(const CLI::App& app, std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string& word = args[i];
    if (word == "--") return i;
    if (word.size() < 2 || word[0] != '-') return i;
    bool has_value = word.find('=') != std::string::npos;
    std::string name = word.substr(0, word.find('='));
    if (name.size() > 2 && name[1] != '-') {
      const CLI::Option* long_option = app.get_option_no_throw("-" + name);
      if (long_option != nullptr) {
        word.insert(0, "-");
        name.insert(0, "-");
      }
    }
    const CLI::Option* option = app.get_option_no_throw(name);
    // A value-taking option written without "=" consumes the next word.
    if (option != nullptr && !has_value && option->get_items_expected_min() > 0) ++i;
  }
  return args.size();
}

// CLI11 parses a vector given in reverse order.
void parse_with(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());
  app.parse(args);
}

// ---- one verb --------------------------------------------------------------

Command parse_verb(std::string_view name, std::vector<std::string> args) {
  auto options = make_verb(name);
  if (!options) return UsageError{fmt::format("No help topic for '{}'", name), "", 3};
  std::string canonical(verb_name(*options));
  CLI::App app{"", "kata " + canonical};
  app.positionals_at_end(true);
  int help_exit_code = 0;
  std::visit(
      [&](auto& verb_options) {
        using Options = std::decay_t<decltype(verb_options)>;
        app.description(std::string(Options::summary));
        if constexpr (requires { Options::help_exit_code; }) help_exit_code = Options::help_exit_code;
        declare_options(app, verb_options);
      },
      *options);
  rewrite_go_flags(app, args);
  try {
    parse_with(app, std::move(args));
  } catch (const CLI::CallForHelp&) {
    return HelpRequest{app.help(), help_exit_code};
  } catch (const CLI::CallForAllHelp&) {
    return HelpRequest{app.help("", CLI::AppFormatMode::All), help_exit_code};
  } catch (const CLI::ParseError& error) {
    return UsageError{error.what(), canonical, 1};
  }
  return std::move(*options);
}

std::string root_help(CLI::App& root) { return root.help(); }

}  // namespace

std::string_view verb_name(const VerbOptions& options) {
  return std::visit([](const auto& verb_options) { return std::decay_t<decltype(verb_options)>::verb; },
                    options);
}

Invocation parse_command_line(const std::vector<std::string>& args, const HostIdentity& identity) {
  Invocation invocation{GlobalOptions{}, HelpRequest{}};
  invocation.global.root = default_root(identity);

  bool version = false;
  CLI::App root{std::string(kDescription), "kata"};
  root.footer(commands_footer());
  declare_global_options(root, invocation.global, version);

  std::vector<std::string> words = args;
  std::size_t verb_at = rewrite_go_flags(root, words);
  if (verb_at < words.size() && words[verb_at] == "--") {
    // A "--" ends the global options; the verb follows it.
    words.erase(words.begin() + static_cast<std::ptrdiff_t>(verb_at));
  }
  std::vector<std::string> global_words(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(verb_at));
  try {
    parse_with(root, std::move(global_words));
  } catch (const CLI::CallForHelp&) {
    invocation.command = HelpRequest{root_help(root), 0};
    return invocation;
  } catch (const CLI::CallForAllHelp&) {
    invocation.command = HelpRequest{root_help(root), 0};
    return invocation;
  } catch (const CLI::ParseError& error) {
    invocation.command = UsageError{error.what(), "", 1};
    return invocation;
  }
  if (version) {
    invocation.command = VersionRequest{};
    return invocation;
  }
  if (verb_at >= words.size()) {
    invocation.command = HelpRequest{root_help(root), 0};
    return invocation;
  }

  std::string name = words[verb_at];
  std::vector<std::string> verb_words(words.begin() + static_cast<std::ptrdiff_t>(verb_at) + 1, words.end());
  if (name == "help" || name == "h") {
    // runc's `help [COMMAND]`.
    if (verb_words.empty()) {
      invocation.command = HelpRequest{root_help(root), 0};
    } else {
      invocation.command = parse_verb(verb_words.front(), {"--help"});
    }
    return invocation;
  }
  invocation.command = parse_verb(name, std::move(verb_words));
  return invocation;
}

}  // namespace kata::cmd
