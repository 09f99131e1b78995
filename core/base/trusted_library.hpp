// Files sc runs code from, as root: manifests and libraries are checked
// before use, and a library is loaded from the very descriptor that was
// checked, so nothing can swap it in between. The plugin loader
// (modules/plugin_loader) and the SSH layer's loader (peers/ssh_library)
// both open their libraries here.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <string>

#include "base/fd.hpp"

namespace sc {

/// The file checks for running as root: `file` is a regular file, owned by
/// root when we are root, not writable by group or others; its directory
/// likewise. A symlink is checked where it leads (the real file and its
/// directory) and where it lies (the link's directory). False with *err
/// like "WHAT FILE is writable by everyone; ...: chmod go-w FILE" or
/// "directory DIR (holding the WHAT FILE) is ..." (`what` names the file's
/// role: "manifest", "library").
bool check_trusted_file(const std::filesystem::path& file, const char* what, std::string* err);

/// Why a library could not be opened: what is wrong, and whether
/// reinstalling is the fix (the caller knows which package to name).
struct LibraryError {
  std::string reason;  ///< e.g. "owned by uid 1000, not root; ..."
  std::string fix;     ///< a specific fix ("chown root FILE"), or empty: reinstall
};

/// A shared library loaded after the checks. Move-only; the library stays
/// loaded as long as the object lives, and the descriptor it was loaded
/// from stays open (its /proc/self/fd path names the library).
class TrustedLibrary {
 public:
  TrustedLibrary() = default;
  TrustedLibrary(TrustedLibrary&&) = default;
  TrustedLibrary& operator=(TrustedLibrary&&) = default;
  ~TrustedLibrary();

  /// Opens `file` once, checks the opened file (regular, owner, mode, its
  /// directory, an ELF object), and loads that descriptor with Boost.DLL
  /// (RTLD_NOW | RTLD_LOCAL). On failure returns false with *err; the
  /// loader's own reason (e.g. "undefined symbol: foo") is kept.
  bool open(const std::filesystem::path& file, LibraryError* err);

  bool is_loaded() const { return lib_.is_loaded(); }
  /// The address of exported symbol `name`, or null.
  void* symbol(const char* name) const;
  /// Unloads the library (the object can be opened again).
  void close();

 private:
  Fd fd_;
  boost::dll::shared_library lib_;
};

}  // namespace sc
