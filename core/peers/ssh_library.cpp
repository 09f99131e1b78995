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

#include "base/trusted_library.hpp"
#include "build_config.hpp"

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

// Opens the checked library and asks it for the layer. The library is
// never unloaded: libssh and OpenSSL register process-exit handlers that
// must stay mapped, so its owner is deliberately never destroyed.
ssh::Layer* open_layer(const fs::path& file, std::string* err) {
  auto* lib = new TrustedLibrary();
  LibraryError lib_err;
  if (!lib->open(file, &lib_err)) {
    delete lib;
    *err = file.string() + ": " + lib_err.reason + "; " +
           (lib_err.fix.empty() ? "reinstall sc (is libssh installed? Debian package libssh-4)" : lib_err.fix);
    return nullptr;
  }
  auto entry = reinterpret_cast<ssh::EntryFn>(lib->symbol(ssh::kEntryName));
  ssh::Layer* layer = entry ? entry(ssh::kSshLayerVersion) : nullptr;
  if (!layer) {
    delete lib;
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
