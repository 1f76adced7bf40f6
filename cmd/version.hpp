#pragma once
// kata's version, the commit it was built from and the runtime-spec version
// it implements, as `kata --version` prints them (runc's layout).

#include <string>
#include <string_view>

namespace kata::cmd {

/// The CMake project version ("0.1.0").
extern const std::string_view kVersion;
/// `git rev-parse --short HEAD` at configure time, "unknown" outside git.
extern const std::string_view kGitCommit;
/// The OCI runtime-spec version kata implements.
extern const std::string_view kSpecVersion;

/// "kata version X\ncommit: C\nspec: S\n".
std::string version_text();

}  // namespace kata::cmd
