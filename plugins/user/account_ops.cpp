#include "account_ops.hpp"

#include <algorithm>
#include <set>

namespace useracct {
namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// Removes `login` from a comma list field; true when it was there.
bool drop_from_list(std::string* field, std::string_view login) {
  std::vector<std::string> items = split_list(*field);
  auto end = std::remove(items.begin(), items.end(), login);
  if (end == items.end()) return false;
  items.erase(end, items.end());
  *field = join_list(items);
  return true;
}

}  // namespace

std::optional<unsigned> parse_id(const std::string& field) {
  if (field.empty() || field.size() > 10 ||
      !std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned long long v = std::stoull(field);
  if (v >= 4294967295ull) return std::nullopt;
  return static_cast<unsigned>(v);
}

bool managed_id_field(const std::string& field) {
  auto n = parse_id(field);
  return n && is_managed(*n);
}

bool valid_name(std::string_view name, const char* what, std::string* why) {
  bool ok = !name.empty() && name.size() <= 32 && ((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_') &&
            std::all_of(name.begin(), name.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            });
  if (!ok && why) {
    std::string shown;
    for (char c : name) shown += (c == '\n' ? std::string("\\n") : std::string(1, c));
    *why = "\"" + shown + "\" is not a valid " + what +
           " name: use 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter or '_'";
  }
  return ok;
}

bool is_managed(unsigned id) {
  return id >= kFirstId && id <= kLastId;
}

std::optional<unsigned> uid_of(const Db& db, std::string_view login) {
  const Row* r = db.passwd.find(login);
  return r ? parse_id((*r)[2]) : std::nullopt;
}

std::optional<unsigned> primary_gid_of(const Db& db, std::string_view login) {
  const Row* r = db.passwd.find(login);
  return r ? parse_id((*r)[3]) : std::nullopt;
}

std::optional<unsigned> gid_of(const Db& db, std::string_view group) {
  const Row* r = db.group.find(group);
  return r ? parse_id((*r)[2]) : std::nullopt;
}

std::optional<unsigned> free_id(const Db& db) {
  std::set<unsigned> used;
  for (const Row* r : db.passwd.rows())
    if (auto n = parse_id((*r)[2])) used.insert(*n);
  for (const Row* r : db.group.rows())
    if (auto n = parse_id((*r)[2])) used.insert(*n);
  for (unsigned id = kFirstId; id <= kLastId; ++id)
    if (!used.count(id)) return id;
  return std::nullopt;
}

void add_group(Db& db, const std::string& name, unsigned gid) {
  db.group.append({name, "x", std::to_string(gid), ""});
  db.gshadow.append({name, "!", "", ""});
}

std::vector<std::string> complete_entries(Db& db, long last_change) {
  std::vector<std::string> added;
  for (const Row* g : db.group.rows())
    if (managed_id_field((*g)[2]) && !db.gshadow.find((*g)[0])) {
      db.gshadow.append({(*g)[0], "!", "", ""});
      added.push_back("gshadow " + (*g)[0]);
    }
  for (const Row* u : db.passwd.rows())
    if (managed_id_field((*u)[2]) && !db.shadow.find((*u)[0])) {
      db.shadow.append({(*u)[0], "!", std::to_string(last_change), "0", "99999", "7", "", "", ""});
      added.push_back("shadow " + (*u)[0]);
    }
  return added;
}

void add_user(Db& db, const NewUser& u) {
  db.passwd.append({u.login, "x", std::to_string(u.uid), std::to_string(u.gid), "", u.home, u.shell});
  db.shadow.append({u.login, u.hash, std::to_string(u.last_change), "0", "99999", "7", "", "", ""});
}

bool add_member(Db& db, std::string_view group, const std::string& login) {
  Row* g = db.group.find(group);
  if (!g) return false;
  std::vector<std::string> members = split_list((*g)[3]);
  bool changed = false;
  if (!contains(members, login)) {
    members.push_back(login);
    (*g)[3] = join_list(members);
    changed = true;
  }
  if (Row* s = db.gshadow.find(group)) {
    std::vector<std::string> m = split_list((*s)[3]);
    if (!contains(m, login)) {
      m.push_back(login);
      (*s)[3] = join_list(m);
      changed = true;
    }
  }
  return changed;
}

std::vector<std::string> users_with_primary_gid(const Db& db, unsigned gid) {
  std::vector<std::string> out;
  for (const Row* r : db.passwd.rows())
    if (parse_id((*r)[3]) == gid) out.push_back((*r)[0]);
  return out;
}

std::optional<std::string> remove_user(Db& db, std::string_view login) {
  auto gid = primary_gid_of(db, login);
  db.passwd.remove(login);
  db.shadow.remove(login);
  for (Row* g : db.group.rows()) drop_from_list(&(*g)[3], login);
  for (Row* s : db.gshadow.rows()) {
    drop_from_list(&(*s)[2], login);
    drop_from_list(&(*s)[3], login);
  }
  // The personal group userdel would remove (USERGROUPS_ENAB).
  const Row* own = db.group.find(login);
  if (own && gid && parse_id((*own)[2]) == *gid && (*own)[3].empty() && users_with_primary_gid(db, *gid).empty()) {
    remove_group(db, login);
    return std::string(login);
  }
  return std::nullopt;
}

void remove_group(Db& db, std::string_view group) {
  db.group.remove(group);
  db.gshadow.remove(group);
}

std::vector<std::string> managed_users(const Db& db) {
  std::vector<std::string> out;
  for (const Row* r : db.passwd.rows())
    if (managed_id_field((*r)[2])) out.push_back((*r)[0]);
  return out;
}

std::vector<std::string> managed_groups(const Db& db) {
  std::vector<std::string> out;
  for (const Row* r : db.group.rows())
    if (managed_id_field((*r)[2])) out.push_back((*r)[0]);
  return out;
}

std::vector<std::string> managed_homes(const Db& db) {
  std::vector<std::string> out;
  for (const Row* r : db.passwd.rows())
    if (managed_id_field((*r)[2]) && valid_home((*r)[5]) && !contains(out, (*r)[5])) out.push_back((*r)[5]);
  return out;
}

void restore_groups(Db& local, const Db& backup, MergeReport* report) {
  for (const Row* r : backup.group.rows()) {
    const Row& g = *r;
    if (!managed_id_field(g[2]) || local.group.find(g[0])) continue;
    std::string why;
    if (!valid_name(g[0], "group", &why)) {
      report->warnings.push_back("group from the backup skipped: " + why);
      continue;
    }
    bool taken = false;
    for (const Row* l : local.group.rows()) taken = taken || (*l)[2] == g[2];
    if (taken) {
      report->warnings.push_back("group " + g[0] + " skipped: its gid " + g[2] + " belongs to another group here");
      continue;
    }
    local.group.append(g);
    if (const Row* s = backup.gshadow.find(g[0]))
      local.gshadow.append(*s);
    else
      local.gshadow.append({g[0], "!", "", g[3]});
    report->groups.push_back(g[0]);
  }
}

void restore_users(Db& local, const Db& backup, MergeReport* report) {
  for (const Row* r : backup.passwd.rows()) {
    const Row& u = *r;
    if (!managed_id_field(u[2]) || local.passwd.find(u[0])) continue;
    std::string why;
    if (!valid_name(u[0], "login", &why)) {
      report->warnings.push_back("user from the backup skipped: " + why);
      continue;
    }
    bool taken = false;
    for (const Row* l : local.passwd.rows()) taken = taken || (*l)[2] == u[2];
    if (taken) {
      report->warnings.push_back("user " + u[0] + " skipped: its uid " + u[2] + " belongs to another user here");
      continue;
    }
    bool group_here = false;
    for (const Row* l : local.group.rows()) group_here = group_here || (*l)[2] == u[3];
    if (!parse_id(u[3]) || !group_here) {
      report->warnings.push_back("user " + u[0] + " skipped: its primary group (gid " + u[3] + ") does not exist here");
      continue;
    }
    if (!valid_home(u[5])) {
      report->warnings.push_back("user " + u[0] + " skipped: home directory \"" + u[5] + "\" is not a valid path");
      continue;
    }
    local.passwd.append(u);
    if (const Row* s = backup.shadow.find(u[0])) {
      local.shadow.append(*s);
    } else {
      local.shadow.append({u[0], "!", "", "0", "99999", "7", "", "", ""});
      report->warnings.push_back("user " + u[0] + " has no password in the backup: password login is locked");
    }
    report->users.push_back(u[0]);
  }
}

void restore_sudoers(Db& local, const Db& backup, MergeReport* report) {
  const Row* theirs = backup.group.find("sudo");
  if (!theirs || !local.group.find("sudo")) return;
  for (const auto& login : split_list((*theirs)[3]))
    if (local.passwd.find(login) && add_member(local, "sudo", login)) report->members.push_back("sudo:" + login);
}

void drop_unknown_members(Db& local, const std::vector<std::string>& groups, MergeReport* report) {
  for (const auto& name : groups) {
    std::set<std::string> dropped;
    auto clean = [&](std::string* field) {
      std::vector<std::string> keep;
      for (auto& m : split_list(*field)) {
        if (local.passwd.find(m))
          keep.push_back(m);
        else
          dropped.insert(m);
      }
      *field = join_list(keep);
    };
    if (Row* g = local.group.find(name)) clean(&(*g)[3]);
    if (Row* s = local.gshadow.find(name)) {
      clean(&(*s)[2]);
      clean(&(*s)[3]);
    }
    for (const auto& m : dropped)
      report->warnings.push_back("group " + name + ": member " + m + " dropped (no such user here)");
  }
}

std::string sudoers_text() {
  return "# Written by sc (`sc user setup`): root and the members of group sudo\n"
         "# may run every command as any user without typing a password.\n"
         "root ALL=(ALL:ALL) NOPASSWD: ALL\n"
         "%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n";
}

std::vector<std::string> home_restore_argv(const std::string& from, const std::string& to) {
  auto dir = [](std::string p) { return p.empty() || p.back() != '/' ? p + "/" : p; };
  return {"rsync", "-a", "--numeric-ids", "--", dir(from), dir(to)};
}

bool valid_home(std::string_view home) {
  if (home.size() < 2 || home[0] != '/' || home.back() == '/') return false;
  if (std::any_of(home.begin(), home.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == ':' || c == 0x7f; }))
    return false;
  size_t start = 1;
  while (start <= home.size()) {
    size_t end = home.find('/', start);
    if (end == std::string_view::npos) end = home.size();
    std::string_view comp = home.substr(start, end - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    start = end + 1;
  }
  return true;
}

long days_since_epoch(std::time_t now) {
  return static_cast<long>(now / 86400);
}

}  // namespace useracct
