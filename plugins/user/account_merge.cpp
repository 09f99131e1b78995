#include "account_merge.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "account_ops.hpp"

namespace useracct {
namespace {

bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

/// A name from the master's files as a message shows it: quoted, control
/// characters as \xNN, at most 40 characters.
std::string shown(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  size_t n = 0;
  for (char c : s) {
    if (++n > 40) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool name_ok(const std::string& name) {
  return valid_name(name, "login", nullptr);
}

bool numeric_or_empty(const std::string& s) {
  return s.empty() || parse_id(s).has_value();
}

std::string row_text(const Row& row) {
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) out += (i ? ":" : "") + row[i];
  return out + "\n";
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// The members of `field` that are in `among`, each once, in order.
std::vector<std::string> members_among(const std::string& field, const std::set<std::string>& among) {
  std::vector<std::string> out;
  for (auto& m : split_list(field))
    if (among.count(m) && !contains(out, m)) out.push_back(m);
  return out;
}

/// Removes `login` from a member list; the field is untouched when absent.
void drop_member(std::string* field, const std::string& login) {
  std::vector<std::string> items = split_list(*field);
  auto end = std::remove(items.begin(), items.end(), login);
  if (end == items.end()) return;
  items.erase(end, items.end());
  *field = join_list(items);
}

}  // namespace

bool role_creates_users(Role role) {
  return role == Role::standby || role == Role::backup || role == Role::client;
}

AccountTexts export_accounts(const Db& db) {
  AccountTexts t;
  t.passwd = db.passwd.text();
  t.group = db.group.text();
  for (const Row* s : db.shadow.rows()) {
    const Row* p = db.passwd.find((*s)[0]);
    if (p && managed_id_field((*p)[2])) t.shadow += row_text(*s);
  }
  for (const Row* s : db.gshadow.rows()) {
    const Row* g = db.group.find((*s)[0]);
    if (g && managed_id_field((*g)[2])) t.gshadow += row_text(*s);
  }
  return t;
}

std::optional<Db> check_master(const AccountTexts& texts, const std::string& host, std::string* err) {
  Db db;
  const std::pair<File, const std::string*> files[] = {{File::passwd, &texts.passwd},
                                                       {File::shadow, &texts.shadow},
                                                       {File::group, &texts.group},
                                                       {File::gshadow, &texts.gshadow}};
  for (const auto& [file, text] : files) {
    std::string why;
    auto t = Table::parse(file, *text, &why);
    if (!t) {
      *err = "the account files of " + host + " cannot be used: " + why.substr(0, why.find("; fix")) +
             "; fix them on " + host + "; nothing was changed here";
      return std::nullopt;
    }
    db.table(file) = std::move(*t);
  }
  std::vector<std::string> bad;
  const std::string gid_note = " is not a number";
  std::set<std::string> user_names, group_names;
  std::map<unsigned, std::string> uids, gids;
  std::set<unsigned> all_gids;
  for (const Row* r : db.group.rows()) {
    const Row& g = *r;
    if (!group_names.insert(g[0]).second) bad.push_back("/etc/group: " + shown(g[0]) + " appears more than once");
    auto gid = parse_id(g[2]);
    if (!gid) {
      bad.push_back("/etc/group: the gid of " + shown(g[0]) + gid_note);
      continue;
    }
    all_gids.insert(*gid);
    if (!is_managed(*gid)) continue;
    if (!gids.emplace(*gid, g[0]).second)
      bad.push_back("/etc/group: gid " + g[2] + " is both " + shown(gids[*gid]) + " and " + shown(g[0]));
    if (!name_ok(g[0])) {
      bad.push_back("/etc/group: " + shown(g[0]) + " (gid " + g[2] + ") is not a group name sc accepts");
      continue;
    }
    if (has_control(g[1])) bad.push_back("/etc/group: the entry of " + g[0] + " holds a control character");
    for (const auto& m : split_list(g[3]))
      if (!name_ok(m))
        bad.push_back("/etc/group: group " + g[0] + " has a member " + shown(m) + " that is not a login name");
    const Row* s = db.gshadow.find(g[0]);
    if (!s) {
      bad.push_back("/etc/gshadow: group " + g[0] + " has no entry");
      continue;
    }
    if (has_control((*s)[1])) bad.push_back("/etc/gshadow: the entry of " + g[0] + " holds a control character");
    for (const auto* field : {&(*s)[2], &(*s)[3]})
      for (const auto& m : split_list(*field))
        if (!name_ok(m))
          bad.push_back("/etc/gshadow: group " + g[0] + " names " + shown(m) + ", which is not a login name");
  }
  for (const Row* r : db.passwd.rows()) {
    const Row& u = *r;
    if (!user_names.insert(u[0]).second) bad.push_back("/etc/passwd: " + shown(u[0]) + " appears more than once");
    auto uid = parse_id(u[2]);
    auto gid = parse_id(u[3]);
    if (!uid || !gid) {
      bad.push_back("/etc/passwd: the uid or gid of " + shown(u[0]) + gid_note);
      continue;
    }
    if (!is_managed(*uid)) continue;
    if (!uids.emplace(*uid, u[0]).second)
      bad.push_back("/etc/passwd: uid " + u[2] + " is both " + shown(uids[*uid]) + " and " + shown(u[0]));
    if (!name_ok(u[0])) {
      bad.push_back("/etc/passwd: " + shown(u[0]) + " (uid " + u[2] + ") is not a login name sc accepts");
      continue;
    }
    const std::string who = "user " + u[0];
    if (u[1] != "x") bad.push_back("/etc/passwd: " + who + " has a password field other than \"x\"");
    if (has_control(u[4])) bad.push_back("/etc/passwd: " + who + " has a control character in its GECOS field");
    if (!valid_home(u[5]))
      bad.push_back("/etc/passwd: " + who + " has the home directory " + shown(u[5]) + ", not a valid path");
    if (!valid_home(u[6]))
      bad.push_back("/etc/passwd: " + who + " has the shell " + shown(u[6]) + ", not a valid path");
    if (!all_gids.count(*gid))
      bad.push_back("/etc/passwd: " + who + " has the primary gid " + u[3] + ", which /etc/group lacks");
    const Row* s = db.shadow.find(u[0]);
    if (!s) {
      bad.push_back("/etc/shadow: " + who + " has no entry");
      continue;
    }
    if ((*s)[1].empty())
      bad.push_back("/etc/shadow: " + who + " has an empty password (a login without one): lock it with `passwd -l " +
                    u[0] + "` or set one");
    bool fields_ok = !has_control((*s)[1]);
    for (size_t i = 2; i < 8; ++i) fields_ok = fields_ok && numeric_or_empty((*s)[i]);
    if (!fields_ok || has_control((*s)[8]))
      bad.push_back("/etc/shadow: the entry of " + who + " has a control character or a date that is not a number");
  }
  // shadow and gshadow hold only the accounts of the range: each must be one.
  for (const Row* s : db.shadow.rows()) {
    const Row* p = db.passwd.find((*s)[0]);
    if (!p || !managed_id_field((*p)[2]))
      bad.push_back("/etc/shadow: " + shown((*s)[0]) + " is not a user of " + std::to_string(kFirstId) + "-" +
                    std::to_string(kLastId) + " there");
  }
  for (const Row* s : db.gshadow.rows()) {
    const Row* g = db.group.find((*s)[0]);
    if (!g || !managed_id_field((*g)[2]))
      bad.push_back("/etc/gshadow: " + shown((*s)[0]) + " is not a group of " + std::to_string(kFirstId) + "-" +
                    std::to_string(kLastId) + " there");
  }
  auto root_ok = [](const Table& t) {
    const Row* r = t.find("root");
    return r && (*r)[2] == "0";
  };
  if (!root_ok(db.passwd) || !root_ok(db.group))
    bad.push_back("/etc/passwd or /etc/group has no root entry with id 0 (an incomplete copy?)");
  if (!bad.empty()) {
    std::string text;
    for (size_t i = 0; i < bad.size() && i < 5; ++i) text += (i ? "; " : "") + bad[i];
    if (bad.size() > 5) text += "; and " + std::to_string(bad.size() - 5) + " more";
    *err = "the account files of " + host + " cannot be pulled: " + text + "; fix them on " + host +
           "; nothing was changed here";
    return std::nullopt;
  }
  return db;
}

std::string merge_members(const std::string& local_field, const std::vector<std::string>& wanted,
                          const std::vector<std::string>& cluster) {
  const std::set<std::string> in_cluster(cluster.begin(), cluster.end());
  const std::set<std::string> want(wanted.begin(), wanted.end());
  const std::vector<std::string> items = split_list(local_field);
  std::set<std::string> current;
  for (const auto& m : items)
    if (in_cluster.count(m)) current.insert(m);
  if (current == want) return local_field;
  std::vector<std::string> out;
  for (const auto& m : items)
    if ((!in_cluster.count(m) || want.count(m)) && !contains(out, m)) out.push_back(m);
  for (const auto& w : wanted)
    if (!contains(out, w)) out.push_back(w);
  return join_list(out);
}

bool PullPlan::changed() const {
  return !users_added.empty() || !users_updated.empty() || !passwords_changed.empty() || !users_removed.empty() ||
         !groups_added.empty() || !groups_updated.empty() || !groups_removed.empty() || !members_added.empty() ||
         !members_removed.empty();
}

PullPlan plan_pull(const Db& local, const Db& master, Role role, const std::string& host) {
  PullPlan p;
  p.next = local;
  const bool creates = role_creates_users(role);
  const std::string here = " here";
  const std::string there = " on " + host;

  std::vector<const Row*> master_users, master_groups;
  std::set<std::string> master_user_names, master_group_names;
  for (const Row* r : master.passwd.rows())
    if (managed_id_field((*r)[2])) {
      master_users.push_back(r);
      master_user_names.insert((*r)[0]);
    }
  for (const Row* r : master.group.rows())
    if (managed_id_field((*r)[2])) {
      master_groups.push_back(r);
      master_group_names.insert((*r)[0]);
    }
  auto master_group_of_gid = [&](const std::string& gid) -> const Row* {
    for (const Row* g : master.group.rows())
      if ((*g)[2] == gid) return g;
    return nullptr;
  };
  auto local_group_of_gid = [&](const std::string& gid) -> const Row* {
    for (const Row* g : local.group.rows())
      if ((*g)[2] == gid) return g;
    return nullptr;
  };

  // Who is a cluster user here after the pull, and the conflicts.
  for (const Row* m : master_users) {
    const Row& mu = *m;
    const Row* l = local.passwd.find(mu[0]);
    if (l && !managed_id_field((*l)[2])) {
      if (creates)
        p.conflicts.push_back("user " + mu[0] + " is a local account" + here + " (uid " + (*l)[2] +
                              ") and a cluster account" + there + " (uid " + mu[2] + "): rename or remove one of them");
      continue;
    }
    if (!l && !creates) {
      p.not_roaming.push_back(mu[0]);
      continue;
    }
    p.cluster_users.push_back(mu[0]);
  }
  for (const auto& x : p.cluster_users) {
    const Row& mu = *master.passwd.find(x);
    for (const Row* l : local.passwd.rows()) {
      const Row& y = *l;
      if (y[0] == x || y[2] != mu[2] || master_user_names.count(y[0])) continue;
      p.conflicts.push_back("uid " + mu[2] + " is " + x + "'s" + there + " but " + y[0] + "'s" + here + " (" + y[0] +
                            (managed_id_field(y[2]) ? " is gone from " + host : std::string(" is a local account")) +
                            "; its files here would belong to " + x + "): if " + y[0] + " left the cluster, remove it" +
                            here + " (`userdel " + y[0] + "` keeps its home) and pull again");
    }
    if (!managed_id_field(mu[3])) {
      const Row* mg = master_group_of_gid(mu[3]);
      const Row* lg = local_group_of_gid(mu[3]);
      const std::string master_name = mg ? (*mg)[0] : "?";
      if (!lg)
        p.conflicts.push_back("the primary group of " + x + ", " + master_name + " (gid " + mu[3] + ")" + there +
                              ", does not exist" + here + ": create it with that gid");
      else if ((*lg)[0] != master_name)
        p.conflicts.push_back("gid " + mu[3] + ", the primary group of " + x + ", is " + master_name + there + " but " +
                              (*lg)[0] + here);
    }
  }
  for (const Row* m : master_groups) {
    const Row& mg = *m;
    const Row* l = local.group.find(mg[0]);
    if (l && !managed_id_field((*l)[2]))
      p.conflicts.push_back("group " + mg[0] + " is a local group" + here + " (gid " + (*l)[2] +
                            ") and a cluster group" + there + " (gid " + mg[2] + "): rename or remove one of them");
    for (const Row* o : local.group.rows())
      if ((*o)[0] != mg[0] && (*o)[2] == mg[2] && !master_group_names.count((*o)[0]))
        p.conflicts.push_back("gid " + mg[2] + " is group " + mg[0] + there + " but group " + (*o)[0] + here + " (" +
                              (*o)[0] +
                              (managed_id_field((*o)[2]) ? " is gone from " + host : std::string(" is a local group")) +
                              "): if " + (*o)[0] + " left the cluster, remove it" + here + " and pull again");
  }
  std::vector<std::string> groups_gone;
  for (const Row* l : local.group.rows())
    if (managed_id_field((*l)[2]) && !master_group_names.count((*l)[0])) {
      groups_gone.push_back((*l)[0]);
      for (const Row* u : local.passwd.rows())
        if ((*u)[3] == (*l)[2] && !managed_id_field((*u)[2]))
          p.conflicts.push_back("group " + (*l)[0] + " (gid " + (*l)[2] + ") is gone from " + host +
                                " but is the primary group of the local user " + (*u)[0] + here +
                                ": give that user another group");
    }
  if (!p.conflicts.empty()) {
    p.next = local;
    p.cluster_users.clear();
    p.not_roaming.clear();
    return p;
  }

  Db& next = p.next;
  // Users gone from the master: accounts and memberships (homes are kept).
  for (const Row* l : local.passwd.rows()) {
    const std::string login = (*l)[0];
    if (!managed_id_field((*l)[2]) || master_user_names.count(login)) continue;
    next.passwd.remove(login);
    next.shadow.remove(login);
    for (Row* g : next.group.rows()) drop_member(&(*g)[3], login);
    for (Row* s : next.gshadow.rows()) {
      drop_member(&(*s)[2], login);
      drop_member(&(*s)[3], login);
    }
    p.users_removed.push_back(login);
  }
  // The master's users: its entries replace ours; new ones are added.
  for (const auto& x : p.cluster_users) {
    const Row& mu = *master.passwd.find(x);
    const Row& ms = *master.shadow.find(x);
    Row* u = next.passwd.find(x);
    if (!u) {
      next.passwd.append(mu);
      next.shadow.append(ms);
      p.users_added.push_back(x);
      continue;
    }
    if (*u != mu) {
      if ((*u)[2] != mu[2])
        p.warnings.push_back("the uid of " + x + " changed from " + (*u)[2] + " to " + mu[2] + " on " + host +
                             ": files here owned by uid " + (*u)[2] + " keep that owner (chown them)");
      *u = mu;
      p.users_updated.push_back(x);
    }
    Row* s = next.shadow.find(x);
    if (!s) {
      next.shadow.append(ms);
      p.passwords_changed.push_back(x);
    } else if (*s != ms) {
      if ((*s)[1] != ms[1])
        p.passwords_changed.push_back(x);
      else if (!contains(p.users_updated, x))
        p.users_updated.push_back(x);
      *s = ms;
    }
  }
  // Groups: the master's cluster groups, with their cluster members.
  const std::vector<std::string>& cluster = p.cluster_users;
  const std::set<std::string> cluster_set(cluster.begin(), cluster.end());
  for (const auto& g : groups_gone) {
    next.group.remove(g);
    next.gshadow.remove(g);
    p.groups_removed.push_back(g);
  }
  for (const Row* m : master_groups) {
    const Row& mg = *m;
    const Row& ms = *master.gshadow.find(mg[0]);
    const auto members = members_among(mg[3], cluster_set);
    const auto admins = members_among(ms[2], cluster_set);
    const auto shadow_members = members_among(ms[3], cluster_set);
    Row* g = next.group.find(mg[0]);
    if (!g) {
      next.group.append({mg[0], mg[1], mg[2], join_list(members)});
      next.gshadow.append({mg[0], ms[1], join_list(admins), join_list(shadow_members)});
      p.groups_added.push_back(mg[0]);
      continue;
    }
    bool updated = (*g)[1] != mg[1] || (*g)[2] != mg[2];
    (*g)[1] = mg[1];
    (*g)[2] = mg[2];
    (*g)[3] = merge_members((*g)[3], members, cluster);
    if (Row* s = next.gshadow.find(mg[0])) {
      updated = updated || (*s)[1] != ms[1];
      (*s)[1] = ms[1];
      (*s)[2] = merge_members((*s)[2], admins, cluster);
      (*s)[3] = merge_members((*s)[3], shadow_members, cluster);
    } else {
      next.gshadow.append({mg[0], ms[1], join_list(admins), join_list(shadow_members)});
      updated = true;
    }
    if (updated) p.groups_updated.push_back(mg[0]);
  }
  // Other groups both hosts have (sudo, users, audio...): the cluster
  // members are the master's, local members stay.
  for (Row* g : next.group.rows()) {
    if (managed_id_field((*g)[2])) continue;
    const Row* m = master.group.find((*g)[0]);
    if (!m || managed_id_field((*m)[2])) continue;
    const auto members = members_among((*m)[3], cluster_set);
    (*g)[3] = merge_members((*g)[3], members, cluster);
    if (Row* s = next.gshadow.find((*g)[0])) (*s)[3] = merge_members((*s)[3], members, cluster);
  }
  // What changed in the member lists (group file), for the report.
  for (const Row* g : next.group.rows()) {
    const Row* before = local.group.find((*g)[0]);
    const auto after_list = split_list((*g)[3]);
    const auto before_list = before ? split_list((*before)[3]) : std::vector<std::string>{};
    for (const auto& m : after_list)
      if (!contains(before_list, m)) p.members_added.push_back((*g)[0] + ":" + m);
    for (const auto& m : before_list)
      if (!contains(after_list, m) && !contains(p.users_removed, m)) p.members_removed.push_back((*g)[0] + ":" + m);
  }
  // The result must hold each id of the range once; the checks above see
  // to it, this says so if they did not.
  std::map<std::string, std::string> uid_seen, gid_seen;
  for (const Row* u : next.passwd.rows())
    if (managed_id_field((*u)[2]) && !uid_seen.emplace((*u)[2], (*u)[0]).second)
      p.conflicts.push_back("uid " + (*u)[2] + " would be both " + uid_seen[(*u)[2]] + "'s and " + (*u)[0] + "'s");
  for (const Row* g : next.group.rows())
    if (managed_id_field((*g)[2]) && !gid_seen.emplace((*g)[2], (*g)[0]).second)
      p.conflicts.push_back("gid " + (*g)[2] + " would be both group " + gid_seen[(*g)[2]] + " and group " + (*g)[0]);
  if (!p.conflicts.empty()) p.next = local;
  return p;
}

}  // namespace useracct
