#include "peers/ssh_library.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "build_config.hpp"
#include "modules/plugin_catalog.hpp"

namespace sc {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back((exe.parent_path() / build::kSshLibraryRelative).lexically_normal());
  for (const char* p : {build::kSshLibraryInstalled, build::kSshLibraryBuild})
    if (std::find(out.begin(), out.end(), fs::path(p)) == out.end()) out.emplace_back(p);
  return out;
}

// Opens `file` once, checks the opened file, and loads that descriptor, so
// that nothing can swap the library between the check and the load.
ssh::Layer* open_layer(const fs::path& file, std::string* err) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = file.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = file.string() + " is not a regular file";
  } else if (::geteuid() == 0 && st.st_uid != 0) {
    why = file.string() + " is owned by uid " + std::to_string(st.st_uid) +
          ", not root; sc runs as root and only loads root's files: chown root " + file.string();
  } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    why = file.string() + " is writable by others; anyone could make sc run their code: chmod go-w " + file.string();
  } else {
    PluginCatalog::check_trusted_file(file, "SSH layer", &why);  // the directory; sets why on failure
  }
  if (!why.empty()) {
    ::close(fd);
    *err = why;
    return nullptr;
  }
  const std::string fd_path = "/proc/self/fd/" + std::to_string(fd);
  // RTLD_NODELETE: see ssh_layer() in the header.
  void* handle = ::dlopen(fd_path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  ::close(fd);
  if (!handle) {
    const char* e = ::dlerror();
    *err = file.string() + " cannot be loaded: " + (e ? e : "unknown loader error") +
           " (is libssh installed? Debian package libssh-4)";
    return nullptr;
  }
  auto entry = reinterpret_cast<ssh::EntryFn>(::dlsym(handle, ssh::kEntryName));
  ssh::Layer* layer = entry ? entry(ssh::kSshLayerVersion) : nullptr;
  if (!layer) {
    *err = file.string() + " is not the SSH layer of this sc (" + (entry ? "another version" : "no entry point") +
           "): a half-upgraded installation; reinstall sc";
    return nullptr;
  }
  return layer;
}

}  // namespace

ssh::Layer* ssh_layer(std::string* err) {
  static ssh::Layer* layer = nullptr;
  static std::string failure;
  if (layer) return layer;
  if (!failure.empty()) {
    *err = failure;
    return nullptr;
  }
  std::string tried;
  for (const auto& c : candidates()) {
    std::error_code ec;
    if (!fs::exists(c, ec)) {
      tried += (tried.empty() ? "" : ", ") + c.string();
      continue;
    }
    std::string why;
    layer = open_layer(c, &why);
    if (layer) return layer;
    failure = "cannot use the SSH layer: " + why;
    *err = failure;
    return nullptr;
  }
  failure = "cannot talk to other hosts: the SSH layer of sc is missing (looked for " + tried +
            "); reinstall sc (it ships lib/sc/core/ssh.so)";
  *err = failure;
  return nullptr;
}

}  // namespace sc
