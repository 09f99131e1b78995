// `sc user pull HOST MODE`: the master's accounts (ids 10000-10099) merged
// into this host's. Pure: the master's files as `sc user accounts` sends
// them are checked (check_master), then one merge of both databases gives
// the next database, what changed, and the conflicts that refuse the whole
// pull (plan_pull). Reading, locking and writing are user.cpp's and
// account_store's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "account_db.hpp"
#include "common/role.hpp"

namespace useracct {

/// This host's role towards its master (the original's MASTER_MODE).
using plugin_common::role::parse_role;
using plugin_common::role::Role;
using plugin_common::role::role_name;
/// Whether a pull creates the master's users that are missing here: on a
/// standby, a backup server and a client; not on the master (nothing to
/// pull) nor on a roaming host, which has only the users `sc user roam`
/// brought (as the original).
bool role_creates_users(Role role);

/// The text of the four files as `sc user accounts` sends them: passwd
/// and group whole, shadow and gshadow only for the accounts of
/// 10000-10099 (no other password hash leaves the host).
struct AccountTexts {
  std::string passwd, shadow, group, gshadow;
};
AccountTexts export_accounts(const Db& db);

/// Parses and checks the master's files before anything is changed: line
/// syntax, every uid and gid a number, a root entry in passwd and group (a
/// truncated copy has none), and for each account of 10000-10099: a name
/// sc accepts, "x" in passwd's password field, a gid that the master's
/// group file has, a valid home and shell, no control character in any
/// field, a shadow entry with a non-empty hash and numeric dates; for each
/// group of 10000-10099: a valid name and members, a gshadow entry; no
/// name and no id twice. nullopt with *err naming `host`, the file and the
/// entries at fault.
std::optional<Db> check_master(const AccountTexts& texts, const std::string& host, std::string* err);

/// What a pull changes, and why it may not.
struct PullPlan {
  Db next;                                     ///< this host's database after the pull
  std::vector<std::string> conflicts;          ///< non-empty: refuse the whole pull
  std::vector<std::string> users_added;        ///< in the master's order
  std::vector<std::string> users_updated;      ///< passwd entry changed (uid, group, GECOS, home, shell)
  std::vector<std::string> passwords_changed;  ///< shadow entry changed
  std::vector<std::string> users_removed;      ///< gone from the master (homes are kept)
  std::vector<std::string> groups_added, groups_updated, groups_removed;
  std::vector<std::string> members_added;    ///< "group:login"
  std::vector<std::string> members_removed;  ///< "group:login"
  std::vector<std::string> not_roaming;      ///< the master's users a roaming host leaves out
  std::vector<std::string> warnings;
  /// Cluster users here after the pull, in the master's order.
  std::vector<std::string> cluster_users;

  bool changed() const;
};

/// Merges `master` (checked by check_master) into `local` for a host of
/// `role` (not Role::master):
/// - groups of 10000-10099: the master's are added or updated (gid,
///   password), those it no longer has are removed;
/// - users of 10000-10099: the master's passwd and shadow entries replace
///   ours, missing users are added (not on a roaming host), users the
///   master no longer has are removed with their memberships;
/// - memberships: in every group both hosts have by name (sudo included),
///   the cluster users among the members are the master's, and every other
///   member (a local admin) stays; a member list is rewritten only when its
///   cluster part changes, so a second pull changes nothing.
/// Conflicts, each naming both sides: a local account outside the range
/// with the name of a cluster account; a uid or gid of the master's that
/// an account here holds under another name (a cluster account the master
/// deleted and whose id it gave to another: its files here would change
/// hands); a primary group outside the range that this host lacks or names
/// differently; a group the master removed that is still a primary group
/// here. `host` is the master's name, for the messages.
PullPlan plan_pull(const Db& local, const Db& master, Role role, const std::string& host);

/// Merges one member list: the members of `local_field` that are in
/// `cluster` are replaced by `wanted` (its cluster users, in its order),
/// other members are kept in their place. The field comes back unchanged,
/// byte for byte, when its cluster members already are `wanted`.
std::string merge_members(const std::string& local_field, const std::vector<std::string>& wanted,
                          const std::vector<std::string>& cluster);

}  // namespace useracct
