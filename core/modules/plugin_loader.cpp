#include "modules/plugin_loader.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sc {

namespace {

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

LoadedPlugin::~LoadedPlugin() {
  if (desc_ && desc_size_ >= offsetof(sc_plugin, fini) + sizeof(desc_->fini) && desc_->fini) desc_->fini();
  commands_.clear();
  desc_ = nullptr;
  lib_.close();
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
  const std::string reinstall = std::string("reinstall the module (package ") + kModulePackagePrefix + m.name + ")";

  if (m.abi_major != SC_ABI_MAJOR)
    return fail("manifest " + m.file.string() + " declares ABI " + std::to_string(m.abi_major) + "." +
                    std::to_string(m.abi_minor) + " but this sc implements ABI " + std::to_string(SC_ABI_MAJOR) + "." +
                    std::to_string(SC_ABI_MINOR),
                m.abi_major > SC_ABI_MAJOR
                    ? "upgrade sc"
                    : "install a version of the module built for ABI " + std::to_string(SC_ABI_MAJOR));

  std::unique_ptr<LoadedPlugin> p(new LoadedPlugin());
  p->manifest_ = manifest;
  LibraryError lib_err;
  if (!p->lib_.open(m.library, &lib_err))
    return fail(lib_err.reason, lib_err.fix.empty() ? reinstall + (lib_err.reason.rfind("cannot be loaded", 0) == 0
                                                                       ? ", or install the libraries it needs"
                                                                       : "")
                                                    : lib_err.fix);

  auto entry = reinterpret_cast<sc_plugin_entry_fn>(p->lib_.symbol(SC_PLUGIN_ENTRY_NAME));
  if (!entry)
    return fail("does not export " SC_PLUGIN_ENTRY_NAME ", so it is not an sc plugin",
                "rebuild it with the sc SDK (SC_PLUGIN in sc/plugin.hpp, or export " SC_PLUGIN_ENTRY_NAME ")");
  const sc_plugin* d = entry();
  if (!d)
    return fail(SC_PLUGIN_ENTRY_NAME " returned NULL: the plugin refused to run", "see the module's documentation");
  if (d->magic != SC_PLUGIN_MAGIC)
    return fail("bad descriptor magic " + hex(d->magic) + " (expected " + hex(SC_PLUGIN_MAGIC) +
                    "): not an sc plugin, or a corrupt one",
                reinstall);
  const std::string plugin_abi = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
  const std::string host_abi = std::to_string(SC_ABI_MAJOR) + "." + std::to_string(SC_ABI_MINOR);
  if (d->abi_major != SC_ABI_MAJOR)
    return fail("built for ABI " + plugin_abi + ", this sc implements ABI " + host_abi,
                d->abi_major > SC_ABI_MAJOR ? "upgrade sc"
                                            : "rebuild or upgrade the module for ABI " + std::to_string(SC_ABI_MAJOR));
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
  if (name != m.name || version != m.version || (d->abi_major != m.abi_major || d->abi_minor != m.abi_minor))
    return fail("the library is " + name + " " + version + " (ABI " + plugin_abi + ") but its manifest " +
                    m.file.string() + " says " + m.name + " " + m.version + " (ABI " + std::to_string(m.abi_major) +
                    "." + std::to_string(m.abi_minor) + "): a half-upgraded installation",
                reinstall + " so that both files come from the same version");
  if (d->command_count > 0 && !d->commands) return fail("descriptor lists commands but gives no table", reinstall);
  for (std::uint32_t i = 0; i < d->command_count; ++i) {
    const sc_command& c = d->commands[i];
    if (!c.name || !c.run) return fail("command table entry " + std::to_string(i) + " is incomplete", reinstall);
    p->commands_.emplace(c.name, c.run);
  }
  // Name and version agree: a missing entry is the module's own mistake,
  // not a half-upgrade; say which table lacks what.
  std::string table;
  for (std::uint32_t i = 0; i < d->command_count; ++i) table += (i ? ", " : "") + std::string(d->commands[i].name);
  auto missing = [&](const char* what, const std::string& name_in_manifest) {
    return fail(std::string("the manifest declares ") + what + " \"" + name_in_manifest +
                    "\" but the library's command table (sc_plugin.commands: " + (table.empty() ? "empty" : table) +
                    ") has no entry of that name",
                "add it to the module's SC_PLUGIN(...) list (C++) or sc_command table (C), or remove it from " +
                    m.file.string() + "; then rebuild and reinstall");
  };
  for (const auto& c : m.commands)
    if (!p->command(c.name)) return missing("command", c.name);
  for (const auto& h : m.hooks)
    if (!p->command(h)) return missing("hook", h);
  *out = std::move(p);
  return true;
}

}  // namespace sc
