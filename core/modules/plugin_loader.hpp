// Opening a module's library: file checks, loading through the checked
// descriptor, ABI and identity checks.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/trusted_library.hpp"
#include "modules/manifest.hpp"
#include "sc/plugin.h"

namespace sc {

/// A loaded plugin library. Move-only owner of the library and of the file
/// descriptor it was loaded from; every pointer taken from the descriptor
/// (names, command functions) is valid as long as this object lives.
class LoadedPlugin {
 public:
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;
  ~LoadedPlugin();

  const Manifest& manifest() const { return *manifest_; }
  const std::string& name() const { return manifest_->name; }
  /// The command or hook implementation, or null when the library lacks it.
  sc_command_fn command(const std::string& name) const;
  /// The descriptor's init, when the plugin has one (covered by its size).
  decltype(sc_plugin::init) init_fn() const;
  std::uint16_t abi_minor() const { return desc_->abi_minor; }

 private:
  friend bool load_plugin(std::shared_ptr<const Manifest>, std::unique_ptr<LoadedPlugin>*, std::string*);
  LoadedPlugin() = default;

  std::shared_ptr<const Manifest> manifest_;
  TrustedLibrary lib_;
  const sc_plugin* desc_ = nullptr;
  std::size_t desc_size_ = 0;
  std::map<std::string, sc_command_fn, std::less<>> commands_;
};

/// Checks, opens and validates the library of `manifest`. On failure *err
/// names the module, the file, the reason and the fix.
bool load_plugin(std::shared_ptr<const Manifest> manifest, std::unique_ptr<LoadedPlugin>* out, std::string* err);

}  // namespace sc
