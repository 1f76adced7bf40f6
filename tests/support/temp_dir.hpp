#pragma once

#include <string>

namespace kata::test_support {

/// A fresh directory under /tmp (mode 0700), removed with everything in it
/// when the object goes away. path() is empty if it could not be created.
class TempDir {
 public:
  /// Creates /tmp/<prefix>.XXXXXX.
  explicit TempDir(const std::string& prefix = "kata-test");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  /// Absolute path of the directory.
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kata::test_support
