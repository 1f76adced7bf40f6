#include <doctest/doctest.h>
#include <sys/mount.h>

#include "agent/container/mount_options.hpp"

namespace kata::agent {

TEST_CASE("mount options: flags set and clear in order, the rest is data") {
  auto options = parse_mount_options({"ro", "nosuid", "mode=755", "rw", "rbind", "rslave", "size=64k"});
  CHECK((options.flags & MS_RDONLY) == 0);  // "rw" after "ro"
  CHECK((options.flags & MS_NOSUID) != 0);
  CHECK(options.bind());
  CHECK((options.flags & MS_REC) != 0);
  CHECK(options.propagation == (MS_SLAVE | MS_REC));
  CHECK(options.data == "mode=755,size=64k");
}

TEST_CASE("mount options: propagation names") {
  CHECK(parse_propagation("private") == MS_PRIVATE);
  CHECK(parse_propagation("rshared") == (MS_SHARED | MS_REC));
  CHECK(parse_propagation("bogus") == 0);
  CHECK_FALSE(parse_mount_options({"nodev"}).bind());
}

}  // namespace kata::agent
