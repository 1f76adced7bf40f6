#include "guest/initramfs_manifest.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace kata::guest {

namespace {

template <typename T>
bool parse_number(const std::string& text, int base, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<std::vector<ManifestEntry>> parse_manifest(std::string_view text) {
  std::vector<ManifestEntry> entries;
  std::istringstream lines{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (w.empty() || w[0].front() == '#') continue;

    auto bad = [&](std::string_view why) {
      return make_error(ErrorKind::invalid_argument, "manifest line {}: {}: {}", number, why, line);
    };
    ManifestEntry entry;
    std::string mode_text;
    if (w[0] == "dir" && w.size() == 3) {
      entry.type = EntryType::directory;
      mode_text = w[2];
    } else if (w[0] == "nod" && w.size() == 6) {
      entry.type = EntryType::char_device;
      mode_text = w[2];
      if (w[3] != "c") return bad("only character devices are supported");
      if (!parse_number(w[4], 10, entry.major) || !parse_number(w[5], 10, entry.minor)) {
        return bad("bad device number");
      }
    } else if (w[0] == "file" && w.size() == 4) {
      entry.type = EntryType::file;
      entry.source = w[2];
      mode_text = w[3];
    } else {
      return bad("expected 'dir PATH MODE', 'nod PATH MODE c MAJOR MINOR' or 'file PATH SOURCE MODE'");
    }
    entry.path = w[1];
    if (entry.path.size() < 2 || entry.path.front() != '/' || entry.path.back() == '/' ||
        entry.path.find("/../") != std::string::npos || entry.path.ends_with("/..")) {
      return bad("path must be absolute, normalised and not the root");
    }
    unsigned mode = 0;
    if (!parse_number(mode_text, 8, mode) || mode > 07777) return bad("bad octal mode");
    entry.mode = static_cast<mode_t>(mode);
    entries.push_back(std::move(entry));
  }
  return entries;
}

void sort_entries(std::vector<ManifestEntry>& entries) {
  // Byte order: a directory "/a" sorts before "/a/b"; a sibling "/a-b" may
  // sort between them, which is harmless.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
}

}  // namespace kata::guest
