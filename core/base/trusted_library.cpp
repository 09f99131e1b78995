#include "base/trusted_library.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace sc {

namespace fs = std::filesystem;

namespace {

// What is wrong with a file (or directory) sc would run code from, or "".
std::string untrusted(const struct stat& st, const fs::path& p, bool dir, std::string* fix) {
  if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
    return std::string("not a ") + (dir ? "directory" : "regular file");
  if (::geteuid() == 0 && st.st_uid != 0) {
    *fix = "chown root " + p.string();
    return "owned by uid " + std::to_string(st.st_uid) + ", not root; sc runs as root and only loads root's files";
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    *fix = "chmod go-w " + p.string();
    return std::string("writable by ") + ((st.st_mode & S_IWOTH) ? "everyone" : "its group") +
           ", so anyone could make sc run their code";
  }
  return "";
}

fs::path directory_of(const fs::path& file) {
  fs::path dir = file.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

bool is_elf(int fd) {
  unsigned char magic[4] = {};
  return ::pread(fd, magic, sizeof magic, 0) == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

}  // namespace

bool check_trusted_file(const fs::path& file, const char* what, std::string* err) {
  // A symlink is checked where it leads: the file it names and that file's
  // directory, and the directory holding the link itself (whoever can
  // write there can point the link elsewhere).
  std::error_code ec;
  const fs::path real = fs::canonical(file, ec);
  if (ec) {
    *err = std::string(what) + " " + file.string() + ": " + ec.message();
    return false;
  }
  std::vector<std::pair<fs::path, bool>> checks = {{real, false}, {directory_of(real), true}};
  if (fs::is_symlink(fs::symlink_status(file, ec))) checks.emplace_back(fs::absolute(directory_of(file), ec), true);
  for (const auto& [p, dir] : checks) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      *err = std::string(what) + " " + p.string() + ": " + std::strerror(errno);
      return false;
    }
    std::string fix;
    std::string why = untrusted(st, p, dir, &fix);
    if (!why.empty()) {
      std::string name = dir ? "directory " + p.string() + " (holding the " + what + " " + file.string() + ")"
                             : std::string(what) + " " + file.string() +
                                   (real != file ? " (a symlink to " + real.string() + ")" : std::string());
      *err = name + " is " + why + "; " + (fix.empty() ? "reinstall it" : fix);
      return false;
    }
  }
  return true;
}

TrustedLibrary::~TrustedLibrary() {
  close();
}

void TrustedLibrary::close() {
  lib_.unload();
  fd_.reset();
}

void* TrustedLibrary::symbol(const char* name) const {
  // get<T>() is a reference to the object at the symbol's address; its
  // address is the symbol's.
  return lib_.has(name) ? static_cast<void*>(&lib_.get<char>(name)) : nullptr;
}

bool TrustedLibrary::open(const fs::path& file, LibraryError* err) {
  close();
  auto fail = [&](std::string reason, std::string fix = "") {
    err->reason = std::move(reason);
    err->fix = std::move(fix);
    fd_.reset();
    return false;
  };
  // Open once, check what was opened, and load that very file through
  // /proc/self/fd: nothing can swap the file between check and load.
  fd_.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_) return fail(std::string("cannot open the library: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return fail(std::string("cannot stat the library: ") + std::strerror(errno));
  std::string fix;
  if (std::string why = untrusted(st, file, false, &fix); !why.empty()) return fail(why, fix);
  std::string dir_err;
  if (!check_trusted_file(file, "library", &dir_err)) return fail(dir_err);
  if (!is_elf(fd_.get())) return fail("not an ELF shared library");

  const std::string fd_path = "/proc/self/fd/" + std::to_string(fd_.get());
  // Boost.DLL clears dlerror() when loading fails, losing the loader's own
  // reason (e.g. "undefined symbol: foo"); a first dlopen keeps it. The
  // second open below then only takes a reference on the same object.
  void* probe = ::dlopen(fd_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!probe) {
    const char* why = ::dlerror();
    std::string reason = why ? why : "unknown loader error";
    // The loader names our /proc path: name the real file instead.
    if (auto pos = reason.find(fd_path + ": "); pos != std::string::npos) reason.erase(pos, fd_path.size() + 2);
    return fail("cannot be loaded: " + reason);
  }
  boost::system::error_code ec;
  lib_.load(boost::dll::fs::path(fd_path), ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  ::dlclose(probe);
  if (ec) return fail("cannot be loaded: " + ec.message());
  return true;
}

}  // namespace sc
