// File descriptors: one owner class and the loops that read or write a
// whole buffer. The lowest room of the core (docs/ARCHITECTURE.md): it
// includes nothing of sc, and ssh.so compiles it too.
#pragma once

#include <string>
#include <string_view>

namespace sc {

/// Owns one file descriptor, closed on destruction. Move-only. Closing
/// also releases a flock() held on it.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  /// Gives the descriptor up without closing it.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the descriptor held (if any) and holds `fd` instead.
  void reset(int fd = -1);
  /// Closes the descriptor and tells whether close() succeeded: for a
  /// written file, a late write error may show only there (errno set).
  bool close_checked();

 private:
  int fd_ = -1;
};

/// Writes all of `data` to `fd`: retries after EINTR and short writes, and
/// waits (poll) when the descriptor is non-blocking and full. False with
/// errno set when a write fails (EIO for a write of 0 bytes).
bool write_all(int fd, std::string_view data);

/// Appends everything `fd` yields until end of file to *out, retrying
/// after EINTR. False with errno set when a read fails (what was read
/// before stays in *out).
bool read_all(int fd, std::string* out);

}  // namespace sc
