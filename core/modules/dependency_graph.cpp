#include "modules/dependency_graph.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace sc {
namespace {

enum class Mark { none, active, done };

struct Walker {
  const ManifestLookup& lookup;
  std::map<std::string, Mark> marks;
  std::vector<std::string> chain;
  std::vector<std::string> chain_files;
  std::vector<std::shared_ptr<const Manifest>> order;

  std::string chain_text(const std::string& last) const {
    std::string s;
    for (const auto& c : chain) s += c + " -> ";
    return s + last;
  }

  bool visit(const std::string& name, std::string* err) {
    Mark& m = marks[name];
    if (m == Mark::done) return true;
    if (m == Mark::active) {
      auto start = std::find(chain.begin(), chain.end(), name);
      std::string cycle, files;
      for (auto it = start; it != chain.end(); ++it) {
        cycle += *it + " -> ";
        files += (files.empty() ? "" : ", ") + chain_files[static_cast<size_t>(it - chain.begin())];
      }
      *err = "dependency cycle: " + cycle + name + "; remove one of these \"requires\" entries (in " + files + ")";
      return false;
    }
    std::string why;
    auto manifest = lookup(name, &why);
    if (!manifest) {
      *err = chain.empty() ? why : chain_text(name) + ": " + why;
      return false;
    }
    m = Mark::active;
    chain.push_back(name);
    chain_files.push_back(manifest->file.string());
    for (const auto& dep : manifest->requires_)
      if (!visit(dep, err)) return false;
    chain.pop_back();
    chain_files.pop_back();
    marks[name] = Mark::done;
    order.push_back(std::move(manifest));
    return true;
  }
};

}  // namespace

bool resolve_dependencies(const std::string& name, const ManifestLookup& lookup,
                          std::vector<std::shared_ptr<const Manifest>>* order, std::string* err) {
  Walker w{lookup, {}, {}, {}, {}};
  if (!w.visit(name, err)) return false;
  *order = std::move(w.order);
  return true;
}

std::vector<std::shared_ptr<const Manifest>> order_modules(const std::vector<std::shared_ptr<const Manifest>>& modules,
                                                           const ManifestLookup& lookup,
                                                           std::vector<std::string>* errors) {
  std::vector<std::shared_ptr<const Manifest>> sorted = modules;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a->name < b->name; });
  std::set<std::string> wanted;
  for (const auto& m : sorted) wanted.insert(m->name);

  // One walk over the whole graph, visiting roots in name order: a module
  // is emitted after all it requires, so the filtered walk order is valid.
  Walker w{lookup, {}, {}, {}, {}};
  std::set<std::string> failed;
  for (const auto& m : sorted) {
    std::string err;
    w.chain.clear();
    w.chain_files.clear();
    if (!w.visit(m->name, &err)) {
      if (errors) errors->push_back(err);
      failed.insert(m->name);
      // Forget partial marks from the failed walk so later roots re-check.
      for (auto& [name, mark] : w.marks)
        if (mark == Mark::active) mark = Mark::none;
    }
  }
  std::vector<std::shared_ptr<const Manifest>> out;
  for (const auto& m : w.order)
    if (wanted.count(m->name) && !failed.count(m->name)) out.push_back(m);
  return out;
}

}  // namespace sc
