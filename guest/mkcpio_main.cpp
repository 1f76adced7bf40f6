// kata-mkcpio MANIFEST OUTPUT: packs the entries a manifest lists into a
// newc cpio archive (the guest initramfs).
//
// A small host tool rather than Debian's `cpio --reproducible`: the initramfs
// needs a /dev/console node (so /init starts with a console) and root-owned
// entries with fixed timestamps, which cpio can only archive from a real tree,
// i.e. mknod as root and touching every staged file. Here the metadata is
// written, not copied, so the same inputs give the same bytes for any user.

#include <cstdio>
#include <string>

#include "common/fs.hpp"
#include "guest/cpio_writer.hpp"
#include "guest/initramfs_manifest.hpp"

namespace {

// Bounds on inputs: the agent and modules are a few MiB; anything far bigger
// is a build mistake, not an initramfs.
constexpr std::size_t max_manifest_bytes = 1 << 20;
constexpr std::size_t max_file_bytes = 256u << 20;

kata::Result<void> pack(const std::string& manifest_path, const std::string& output_path) {
  auto text = KATA_TRY(kata::read_file(manifest_path, max_manifest_bytes));
  auto entries = KATA_TRY(kata::guest::parse_manifest(text));
  kata::guest::sort_entries(entries);

  kata::guest::CpioWriter writer;
  for (const auto& entry : entries) {
    std::string name = entry.path.substr(1);  // cpio names are relative to the root
    switch (entry.type) {
      case kata::guest::EntryType::directory:
        KATA_TRY(writer.add_directory(name, entry.mode));
        break;
      case kata::guest::EntryType::char_device:
        KATA_TRY(writer.add_char_device(name, entry.mode, entry.major, entry.minor));
        break;
      case kata::guest::EntryType::file: {
        auto content = KATA_TRY(kata::read_file(entry.source, max_file_bytes));
        KATA_TRY(writer.add_file(name, entry.mode, content));
        break;
      }
    }
  }
  return kata::write_file_atomic(output_path, std::move(writer).finish(), 0644);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: kata-mkcpio MANIFEST OUTPUT\n");
    return 2;
  }
  auto result = pack(argv[1], argv[2]);
  if (!result) {
    std::fprintf(stderr, "kata-mkcpio: %s\n", result.error().message.c_str());
    return 1;
  }
  return 0;
}
