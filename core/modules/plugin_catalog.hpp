// Where plugins are found: the search path, and the manifests in it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "modules/manifest.hpp"

namespace sc {

/// The directories searched by default, in order (build-time configured).
std::vector<std::filesystem::path> default_plugin_dirs();

/// A manifest that could be found, parsed or not.
struct CatalogEntry {
  std::string name;                          ///< from the file name
  std::filesystem::path file;                ///< NAME.json
  std::shared_ptr<const Manifest> manifest;  ///< null when it failed to parse
  std::string error;                         ///< why it failed (names file, field, fix)
  /// Manifests of the same module in later directories of the search
  /// path, hidden by `file` (the first directory wins).
  std::vector<std::filesystem::path> shadowed;
};

/// Finds manifests in an ordered list of directories: the first directory
/// that has NAME.json wins; a later one is shadowed, with a warning. Loads
/// each manifest at most once. Never opens a library.
class PluginCatalog {
 public:
  /// `origin`: where the search path came from when that matters to a
  /// reader of "not installed" (e.g. that --plugin-path replaced the
  /// default one); empty otherwise.
  explicit PluginCatalog(std::vector<std::filesystem::path> dirs, std::string origin = "");

  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

  /// The manifest of module `name`, or null with *err naming the module,
  /// the directories searched or the manifest's own error, and the fix.
  /// Only stats NAME.json in each directory: cost does not grow with the
  /// number of installed plugins.
  std::shared_ptr<const Manifest> find(const std::string& name, std::string* err);

  /// Every module in the search path, sorted by name; each parsed.
  const std::vector<CatalogEntry>& all();

  /// The manifests of module `name` that `find` or `all` saw hidden by
  /// the one in use; empty when none (or the module was not looked up).
  std::vector<std::filesystem::path> shadowed(const std::string& name) const;

  /// "module NAME: FILE is shadowed by FILE ...; remove one of them", or ""
  /// when nothing is hidden.
  std::string shadow_warning(const std::string& name) const;

 private:
  CatalogEntry& load_entry(const std::string& name, const std::filesystem::path& file);

  std::vector<std::filesystem::path> dirs_;
  std::string origin_;
  std::map<std::string, CatalogEntry> cache_;
  std::vector<CatalogEntry> all_;
  bool all_loaded_ = false;
  std::map<std::string, std::vector<std::filesystem::path>> shadowed_;  // by module, as found
};

}  // namespace sc
