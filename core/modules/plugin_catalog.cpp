#include "modules/plugin_catalog.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "base/trusted_library.hpp"
#include "build_config.hpp"

namespace sc {

namespace fs = std::filesystem;

std::vector<fs::path> default_plugin_dirs() {
  std::vector<fs::path> dirs;
  std::string all = build::kPluginSearchPath;
  size_t start = 0;
  while (start <= all.size()) {
    size_t end = all.find(':', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) dirs.emplace_back(all.substr(start, end - start));
    start = end + 1;
  }
  return dirs;
}

PluginCatalog::PluginCatalog(std::vector<fs::path> dirs, std::string origin)
    : dirs_(std::move(dirs)), origin_(std::move(origin)) {}

CatalogEntry& PluginCatalog::load_entry(const std::string& name, const fs::path& file) {
  auto [it, inserted] = cache_.try_emplace(name);
  CatalogEntry& e = it->second;
  if (!inserted) return e;
  e.name = name;
  e.file = file;
  std::string err;
  auto m = std::make_shared<Manifest>();
  if (!check_trusted_file(file, "manifest", &err) || !load_manifest(file, m.get(), &err))
    e.error = err;
  else
    e.manifest = std::move(m);
  return e;
}

std::shared_ptr<const Manifest> PluginCatalog::find(const std::string& name, std::string* err) {
  if (!valid_module_name(name)) {
    if (err)
      *err = "\"" + name + "\" is not a module name (lower-case letters, digits and '-', starting with a letter)";
    return nullptr;
  }
  if (auto it = cache_.find(name); it != cache_.end()) {
    if (!it->second.manifest && err) *err = it->second.error;
    return it->second.manifest;
  }
  const fs::path* found = nullptr;
  std::vector<fs::path> candidates;
  for (const auto& d : dirs_) candidates.push_back(d / (name + ".json"));
  for (const auto& c : candidates) {
    struct stat st {};
    if (::lstat(c.c_str(), &st) != 0) continue;
    if (!found)
      found = &c;
    else
      shadowed_[name].push_back(c);
  }
  if (!found) {
    if (err) {
      std::string where;
      for (const auto& d : dirs_) where += (where.empty() ? "" : ", ") + d.string();
      *err = "module \"" + name + "\" is not installed (no " + name + ".json in " + where +
             (origin_.empty() ? "" : ", " + origin_) + "); install it (Debian package " + kModulePackagePrefix + name +
             ") or check the spelling with `sc help`";
    }
    return nullptr;
  }
  CatalogEntry& e = load_entry(name, *found);
  if (!e.manifest && err) *err = e.error;
  return e.manifest;
}

const std::vector<CatalogEntry>& PluginCatalog::all() {
  if (all_loaded_) return all_;
  all_loaded_ = true;
  std::map<std::string, fs::path> first;
  for (const auto& d : dirs_) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (p.extension() != ".json") continue;
      std::string name = p.stem().string();
      auto [pos, inserted] = first.try_emplace(name, p);
      auto& hidden = shadowed_[name];
      if (!inserted && std::find(hidden.begin(), hidden.end(), p) == hidden.end()) hidden.push_back(p);
    }
  }
  for (const auto& [name, file] : first) {
    if (!valid_module_name(name)) {
      CatalogEntry bad;
      bad.name = name;
      bad.file = file;
      bad.error = file.string() + ": \"" + name +
                  "\" is not a module name (lower-case letters, digits and '-', starting with a letter); rename "
                  "or remove the file";
      all_.push_back(std::move(bad));
      continue;
    }
    all_.push_back(load_entry(name, file));
    all_.back().shadowed = shadowed(name);
  }
  return all_;
}

std::vector<fs::path> PluginCatalog::shadowed(const std::string& name) const {
  auto it = shadowed_.find(name);
  return it == shadowed_.end() ? std::vector<fs::path>{} : it->second;
}

std::string PluginCatalog::shadow_warning(const std::string& name) const {
  const auto hidden = shadowed(name);
  if (hidden.empty()) return "";
  auto used = cache_.find(name);
  std::string list;
  for (const auto& h : hidden) list += (list.empty() ? "" : ", ") + h.string();
  return "module " + name + ": " + list + (hidden.size() == 1 ? " is" : " are") + " shadowed by " +
         (used == cache_.end() ? std::string("the first directory of the search path") : used->second.file.string()) +
         " (the first directory of the search path wins); remove one of them";
}

}  // namespace sc
