#include "agent/restore.hpp"

#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/unique_fd.hpp"

namespace kata::agent {

Result<std::string> decode_hex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return make_error(ErrorKind::invalid_argument, "hex: odd length {}", hex.size());
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int high = digit(hex[i]);
    int low = digit(hex[i + 1]);
    if (high < 0 || low < 0) return make_error(ErrorKind::invalid_argument, "hex: bad digit at {}", i);
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  return bytes;
}

Result<void> add_entropy(const std::string& random_device, const std::string& entropy) {
  UniqueFd device(::open(random_device.c_str(), O_WRONLY | O_CLOEXEC));
  if (!device) return sys_error(errno, "open {}", random_device);
  // struct rand_pool_info ends in a flexible array: one allocation holds both.
  std::size_t size = sizeof(rand_pool_info) + entropy.size();
  auto storage = std::make_unique<unsigned char[]>(size);
  auto* info = reinterpret_cast<rand_pool_info*>(storage.get());
  info->entropy_count = static_cast<int>(entropy.size() * 8);
  info->buf_size = static_cast<int>(entropy.size());
  std::memcpy(info->buf, entropy.data(), entropy.size());
  if (::ioctl(device.get(), RNDADDENTROPY, info) < 0) return sys_error(errno, "add entropy (RNDADDENTROPY)");
  if (::ioctl(device.get(), RNDRESEEDCRNG) < 0) return sys_error(errno, "reseed the CRNG (RNDRESEEDCRNG)");
  return ok();
}

Result<void> set_realtime(std::int64_t realtime_ns) {
  timespec now{static_cast<time_t>(realtime_ns / 1'000'000'000), static_cast<long>(realtime_ns % 1'000'000'000)};
  if (::clock_settime(CLOCK_REALTIME, &now) < 0) return sys_error(errno, "set the clock");
  return ok();
}

}  // namespace kata::agent
