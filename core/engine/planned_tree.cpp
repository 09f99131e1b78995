#include "engine/planned_tree.hpp"

namespace sc {

// "/a/b" for {"a", "b"}, "" for the root, so that the descendants of K are
// exactly the keys starting with K + "/".
std::string PlannedTree::key(const std::vector<std::string>& comps) {
  std::string k;
  for (const auto& c : comps) {
    k += '/';
    k += c;
  }
  return k;
}

const PlannedTree::Entry* PlannedTree::find(const std::vector<std::string>& comps, bool* hidden) const {
  *hidden = false;
  if (entries_.empty()) return nullptr;
  auto it = entries_.find(key(comps));
  if (it != entries_.end()) return &it->second;
  std::vector<std::string> up = comps;
  while (!up.empty()) {
    up.pop_back();
    auto a = entries_.find(key(up));
    if (a == entries_.end()) continue;
    const Entry& e = a->second;
    *hidden = e.node.type != rooted_fs::NodeType::dir || e.fresh;
    return nullptr;
  }
  return nullptr;
}

void PlannedTree::put(const std::vector<std::string>& comps, Entry entry) {
  const std::string k = key(comps);
  if (entry.node.type != rooted_fs::NodeType::dir || entry.fresh) {
    const std::string prefix = k + "/";
    auto it = entries_.lower_bound(prefix);
    while (it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = entries_.erase(it);
  }
  entries_[k] = std::move(entry);
}

std::map<std::string, const PlannedTree::Entry*> PlannedTree::children(const std::vector<std::string>& comps) const {
  std::map<std::string, const Entry*> out;
  const std::string prefix = key(comps) + "/";
  for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    std::string rest = it->first.substr(prefix.size());
    if (rest.find('/') == std::string::npos) out.emplace(rest, &it->second);
  }
  return out;
}

}  // namespace sc
