#include "oci/spec.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/fs.hpp"
#include "oci/spec_decode.hpp"
#include "oci/spec_validate.hpp"

namespace kata::oci {

namespace {

// config.json of real bundles is a few KiB (podman's with seccomp ~70 KiB);
// the cap only keeps a hostile bundle from exhausting memory.
constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;

// Real documents nest about 6 levels deep. nlohmann copies, compares and
// destroys values recursively, so a hostile "[[[[...]]]]" of millions of
// levels would overflow the stack; refuse it while parsing.
constexpr int kMaxDepth = 64;

struct TooDeep {
  std::size_t depth;
};

// Parses JSON text; nlohmann reports syntax errors by exception, which stops
// here and becomes an Error that says where the text went wrong.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view what) {
  auto limit_depth = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxDepth) throw TooDeep{static_cast<std::size_t>(depth)};
    return true;
  };
  try {
    return nlohmann::json::parse(text, limit_depth);
  } catch (const TooDeep&) {
    return make_error(ErrorKind::invalid_argument, "{}: JSON nested deeper than {} levels", what, kMaxDepth);
  } catch (const nlohmann::json::parse_error& error) {
    // error.byte is the 1-based offset of the character that failed.
    std::size_t offset = error.byte == 0 ? 0 : std::min<std::size_t>(error.byte - 1, text.size());
    auto before = text.substr(0, offset);
    auto line = 1 + std::count(before.begin(), before.end(), '\n');
    auto line_start = before.rfind('\n');
    auto column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
    // nlohmann's what() is "[json.exception.parse_error.101] parse error at
    // line 1, column 2: syntax error ..."; keep only the reason.
    std::string reason = error.what();
    auto colon = reason.find(": ");
    if (colon != std::string::npos) reason = reason.substr(colon + 2);
    return make_error(ErrorKind::invalid_argument, "{}: invalid JSON at line {}, column {} (byte {}): {}", what,
                      line, column, error.byte, reason);
  }
}

// parse_spec with the name messages start with ("config.json" or its path).
Result<Spec> parse_named_spec(std::string_view json_text, std::string_view what) {
  auto document = KATA_TRY(parse_json(json_text, what));
  return spec_from_json(document, what);
}

}  // namespace

Result<Spec> spec_from_json(const nlohmann::json& document, std::string_view what) {
  std::vector<Problem> problems;
  Spec spec = decode_spec(document, problems);
  if (document.is_object()) check_spec(spec, problems);
  if (!problems.empty()) return Error{ErrorKind::invalid_argument, 0, format_problems(what, problems)};
  return spec;
}

std::string format_problems(std::string_view what, const std::vector<Problem>& problems) {
  if (problems.size() == 1) return fmt::format("{}: {}: {}", what, problems[0].path, problems[0].message);
  std::string message = fmt::format("{}: {} problems:", what, problems.size());
  for (const auto& problem : problems) message += fmt::format("\n  {}: {}", problem.path, problem.message);
  return message;
}

std::vector<Problem> validate_spec(const nlohmann::json& document) {
  std::vector<Problem> problems;
  Spec spec = decode_spec(document, problems);
  if (document.is_object()) check_spec(spec, problems);
  return problems;
}

std::vector<Problem> validate_process(const nlohmann::json& document) {
  std::vector<Problem> problems;
  Process process = decode_process(document, "", problems);
  if (document.is_object()) check_process(process, "", problems);
  return problems;
}

Result<Spec> parse_spec(std::string_view json_text) { return parse_named_spec(json_text, "config.json"); }

Result<Spec> load_bundle_spec(const std::string& bundle_dir) {
  auto path = bundle_dir + "/config.json";
  auto text = KATA_TRY(read_file(path, kMaxConfigBytes));
  return parse_named_spec(text, path);
}

Result<Process> parse_process(std::string_view json_text) {
  auto document = KATA_TRY(parse_json(json_text, "process.json"));
  std::vector<Problem> problems;
  Process process = decode_process(document, "", problems);
  if (document.is_object()) check_process(process, "", problems);
  if (!problems.empty()) return Error{ErrorKind::invalid_argument, 0, format_problems("process.json", problems)};
  return process;
}

}  // namespace kata::oci
