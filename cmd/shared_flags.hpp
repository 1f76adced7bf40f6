#pragma once
// Flag declarations that several verbs share, so each flag is spelled (and
// described) once.

#include <string>
#include <utility>
#include <vector>

#include "cmd/cli11.hpp"
#include "cmd/verb_options.hpp"

namespace kata::cmd {

/// An option whose value is one of a few words, stored as an enum. The
/// help shows "a|b|c" and a wrong word is a usage error naming the choices.
template <typename Enum>
CLI::Option* declare_choice(CLI::App& app, const std::string& names, Enum& target,
                            std::vector<std::pair<std::string, Enum>> choices,
                            const std::string& description) {
  std::string words;
  for (const auto& choice : choices) words += (words.empty() ? "" : "|") + choice.first;
  std::string flag = names.substr(names.rfind(',') + 1);
  auto assign = [&target, choices, words, flag](const std::string& text) {
    for (const auto& [word, value] : choices) {
      if (word == text) {
        target = value;
        return;
      }
    }
    throw CLI::ValidationError(flag + ": \"" + text + "\" is not one of " + words);
  };
  return app.add_option_function<std::string>(names, assign, description)->type_name(words);
}

/// The required `container-id` positional.
void declare_container_id(CLI::App& app, std::string& id);

/// -b/--bundle, --console-socket, --pid-file, --no-pivot, --no-new-keyring.
void declare_bundle_flags(CLI::App& app, BundleFlags& flags);

/// --preserve-fds N.
void declare_preserve_fds(CLI::App& app, unsigned& count);

/// -f/--format table|json.
void declare_table_format(CLI::App& app, TableFormat& format);

/// The CRIU flags that checkpoint and restore share.
void declare_criu_flags(CLI::App& app, CriuFlags& flags);

}  // namespace kata::cmd
