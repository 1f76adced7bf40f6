#include "guest/cpio_writer.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

namespace kata::guest {

namespace {

// newc pads the header+name and the data each to a multiple of 4 bytes.
void pad4(std::string& out) {
  while (out.size() % 4 != 0) out.push_back('\0');
}

}  // namespace

Result<void> CpioWriter::add_entry(std::string_view path, std::uint32_t mode, std::uint32_t nlink,
                                   std::uint32_t rdev_major, std::uint32_t rdev_minor,
                                   std::string_view content) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) {
    return make_error(ErrorKind::invalid_argument, "cpio: bad entry name '{}'", path);
  }
  if (content.size() > 0xffffffffu) {
    return make_error(ErrorKind::invalid_argument, "cpio: {} is larger than 4 GiB", path);
  }
  // Fields: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
  // devminor, rdevmajor, rdevminor, namesize (including the NUL), check.
  archive_ += fmt::format("070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                          next_inode_++, mode, 0, 0, nlink, 0, content.size(), 0, 0, rdev_major,
                          rdev_minor, path.size() + 1, 0);
  archive_ += path;
  archive_.push_back('\0');
  pad4(archive_);
  archive_ += content;
  pad4(archive_);
  return ok();
}

Result<void> CpioWriter::add_directory(std::string_view path, mode_t permissions) {
  return add_entry(path, S_IFDIR | (permissions & 07777), 2, 0, 0, {});
}

Result<void> CpioWriter::add_char_device(std::string_view path, mode_t permissions, std::uint32_t major,
                                         std::uint32_t minor) {
  return add_entry(path, S_IFCHR | (permissions & 07777), 1, major, minor, {});
}

Result<void> CpioWriter::add_file(std::string_view path, mode_t permissions, std::string_view content) {
  return add_entry(path, S_IFREG | (permissions & 07777), 1, 0, 0, content);
}

std::string CpioWriter::finish() && {
  // The trailer is an ordinary entry whose name ends the archive; inode 0.
  next_inode_ = 0;
  (void)add_entry("TRAILER!!!", 0, 1, 0, 0, {});
  return std::move(archive_);
}

}  // namespace kata::guest
