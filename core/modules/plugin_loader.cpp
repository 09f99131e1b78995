#include "modules/plugin_loader.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "modules/plugin_catalog.hpp"

namespace sc {

namespace {

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

bool is_elf(int fd) {
  unsigned char magic[4] = {};
  return ::pread(fd, magic, sizeof magic, 0) == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

}  // namespace

LoadedPlugin::~LoadedPlugin() {
  if (desc_ && desc_size_ >= offsetof(sc_plugin, fini) + sizeof(desc_->fini) && desc_->fini) desc_->fini();
  commands_.clear();
  desc_ = nullptr;
  lib_.unload();
  if (fd_ >= 0) ::close(fd_);
}

sc_command_fn LoadedPlugin::command(const std::string& name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : it->second;
}

decltype(sc_plugin::init) LoadedPlugin::init_fn() const {
  if (desc_size_ >= offsetof(sc_plugin, init) + sizeof(desc_->init)) return desc_->init;
  return nullptr;
}

bool load_plugin(std::shared_ptr<const Manifest> manifest, std::unique_ptr<LoadedPlugin>* out, std::string* err) {
  const Manifest& m = *manifest;
  const std::string lib = m.library.string();
  auto fail = [&](const std::string& reason, const std::string& fix) {
    *err = "module " + m.name + ": " + lib + ": " + reason + "; " + fix;
    return false;
  };
  const std::string reinstall = "reinstall the module (package sc-plugin-" + m.name + ")";

  if (m.abi_major != SC_ABI_MAJOR)
    return fail("manifest " + m.file.string() + " declares ABI " + std::to_string(m.abi_major) + "." +
                    std::to_string(m.abi_minor) + " but this sc implements ABI " + std::to_string(SC_ABI_MAJOR) +
                    "." + std::to_string(SC_ABI_MINOR),
                m.abi_major > SC_ABI_MAJOR ? "upgrade sc" : "install a version of the module built for ABI " +
                                                                std::to_string(SC_ABI_MAJOR));

  // Open once, check what was opened, and load that very file through
  // /proc/self/fd: nothing can swap the file between check and load.
  std::unique_ptr<LoadedPlugin> p(new LoadedPlugin());
  p->manifest_ = manifest;
  p->fd_ = ::open(lib.c_str(), O_RDONLY | O_CLOEXEC);
  if (p->fd_ < 0) return fail(std::string("cannot open the library: ") + std::strerror(errno), reinstall);
  struct stat st {};
  if (::fstat(p->fd_, &st) != 0 || !S_ISREG(st.st_mode)) return fail("not a regular file", reinstall);
  if (::geteuid() == 0 && st.st_uid != 0)
    return fail("owned by uid " + std::to_string(st.st_uid) + ", not root; sc runs as root and only loads root's files",
                "chown root " + lib);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fail(std::string("writable by ") + ((st.st_mode & S_IWOTH) ? "everyone" : "its group") +
                    ", so anyone could make sc run their code",
                "chmod go-w " + lib);
  std::string dir_err;
  if (!PluginCatalog::check_trusted_file(lib, "library", &dir_err)) return fail(dir_err, reinstall);
  if (!is_elf(p->fd_)) return fail("not an ELF shared library", reinstall);

  const std::string fd_path = "/proc/self/fd/" + std::to_string(p->fd_);
  // Boost.DLL clears dlerror() when loading fails, losing the loader's own
  // reason (e.g. "undefined symbol: foo"); a first dlopen keeps it. The
  // second open below then only takes a reference on the same object.
  void* probe = ::dlopen(fd_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!probe) {
    const char* why = ::dlerror();
    std::string reason = why ? why : "unknown loader error";
    // The loader names our /proc path: name the real file instead.
    if (auto pos = reason.find(fd_path + ": "); pos != std::string::npos) reason.erase(pos, fd_path.size() + 2);
    return fail("cannot be loaded: " + reason, reinstall + ", or install the libraries it needs");
  }
  boost::system::error_code ec;
  p->lib_.load(boost::dll::fs::path(fd_path), ec,
               boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  ::dlclose(probe);
  if (ec) return fail("cannot be loaded: " + ec.message(), reinstall);

  if (!p->lib_.has(SC_PLUGIN_ENTRY_NAME))
    return fail("does not export " SC_PLUGIN_ENTRY_NAME ", so it is not an sc plugin",
                "rebuild it with the sc SDK (SC_PLUGIN in sc/plugin.hpp, or export " SC_PLUGIN_ENTRY_NAME ")");
  auto entry = p->lib_.get<const sc_plugin*()>(SC_PLUGIN_ENTRY_NAME);
  const sc_plugin* d = entry();
  if (!d) return fail(SC_PLUGIN_ENTRY_NAME " returned NULL: the plugin refused to run", "see the module's documentation");
  if (d->magic != SC_PLUGIN_MAGIC)
    return fail("bad descriptor magic " + hex(d->magic) + " (expected " + hex(SC_PLUGIN_MAGIC) +
                    "): not an sc plugin, or a corrupt one",
                reinstall);
  const std::string plugin_abi = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
  const std::string host_abi = std::to_string(SC_ABI_MAJOR) + "." + std::to_string(SC_ABI_MINOR);
  if (d->abi_major != SC_ABI_MAJOR)
    return fail("built for ABI " + plugin_abi + ", this sc implements ABI " + host_abi,
                d->abi_major > SC_ABI_MAJOR ? "upgrade sc" : "rebuild or upgrade the module for ABI " +
                                                                 std::to_string(SC_ABI_MAJOR));
  if (d->abi_minor > SC_ABI_MINOR)
    return fail("built for ABI " + plugin_abi + ", newer than this sc's ABI " + host_abi, "upgrade sc");
  if (d->struct_size < SC_PLUGIN_MIN_SIZE)
    return fail("descriptor of " + std::to_string(d->struct_size) + " bytes is smaller than the minimum " +
                    std::to_string(SC_PLUGIN_MIN_SIZE),
                reinstall);
  // A plugin's minor is never newer than ours (checked above), so its
  // descriptor cannot legitimately be larger than ours: reading one that is
  // would be a guess.
  if (d->struct_size > sizeof(sc_plugin))
    return fail("descriptor of " + std::to_string(d->struct_size) + " bytes is larger than ABI " + host_abi +
                    " defines (" + std::to_string(sizeof(sc_plugin)) + ")",
                "rebuild the module with the sc SDK headers of ABI " + host_abi);
  p->desc_ = d;
  p->desc_size_ = d->struct_size;

  const std::string name = d->name ? d->name : "(null)";
  const std::string version = d->version ? d->version : "(null)";
  if (name != m.name || version != m.version ||
      (d->abi_major != m.abi_major || d->abi_minor != m.abi_minor))
    return fail("the library is " + name + " " + version + " (ABI " + plugin_abi + ") but its manifest " +
                    m.file.string() + " says " + m.name + " " + m.version + " (ABI " + std::to_string(m.abi_major) +
                    "." + std::to_string(m.abi_minor) + "): a half-upgraded installation",
                reinstall + " so that both files come from the same version");
  if (d->command_count > 0 && !d->commands)
    return fail("descriptor lists commands but gives no table", reinstall);
  for (std::uint32_t i = 0; i < d->command_count; ++i) {
    const sc_command& c = d->commands[i];
    if (!c.name || !c.run) return fail("command table entry " + std::to_string(i) + " is incomplete", reinstall);
    p->commands_.emplace(c.name, c.run);
  }
  for (const auto& c : m.commands)
    if (!p->command(c.name)) return fail("the manifest declares command \"" + c.name + "\" but the library lacks it", reinstall);
  for (const auto& h : m.hooks)
    if (!p->command(h)) return fail("the manifest declares hook \"" + h + "\" but the library lacks it", reinstall);
  *out = std::move(p);
  return true;
}

}  // namespace sc
