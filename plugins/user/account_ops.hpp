// Edits of the account database: id allocation in the range sc manages,
// adding and removing users, groups and memberships, and merging accounts
// back from a backup. Pure functions on a Db.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "account_db.hpp"

namespace useracct {

/// Users and groups sc creates get ids in this range (as the original did):
/// they are the accounts shared between hosts, backed up and restored.
inline constexpr unsigned kFirstId = 10000;
inline constexpr unsigned kLastId = 10099;

/// A login or group name sc accepts: ^[a-z_][a-z0-9_-]{0,31}$ (no shell
/// metacharacters, no dots, no upper case). `what` is "login" or "group"
/// for the message in *why.
bool valid_name(std::string_view name, const char* what, std::string* why);

bool is_managed(unsigned id);

/// A uid or gid field: decimal, below 4294967295 (-1, "no id"); nullopt
/// for anything else.
std::optional<unsigned> parse_id(const std::string& field);
/// True when `field` is an id of kFirstId..kLastId.
bool managed_id_field(const std::string& field);

std::optional<unsigned> uid_of(const Db& db, std::string_view login);
std::optional<unsigned> primary_gid_of(const Db& db, std::string_view login);
std::optional<unsigned> gid_of(const Db& db, std::string_view group);

/// The lowest id of kFirstId..kLastId used neither as a uid nor as a gid;
/// nullopt when the range is full.
std::optional<unsigned> free_id(const Db& db);

struct NewUser {
  std::string login;
  unsigned uid = 0;
  unsigned gid = 0;
  std::string home;
  std::string shell = "/bin/bash";
  std::string hash = "!";  ///< crypt(3) hash; "!": no password login
  long last_change = 0;    ///< days since 1970-01-01
};

/// group "NAME:x:GID:" and gshadow "NAME:!::".
void add_group(Db& db, const std::string& name, unsigned gid);
/// passwd "LOGIN:x:UID:GID::HOME:SHELL" and shadow
/// "LOGIN:HASH:LASTCHANGE:0:99999:7:::".
void add_user(Db& db, const NewUser& user);
/// Completes what a run killed between its writes of the four files left
/// unfinished (they are written one after the other: group, gshadow,
/// passwd, shadow): a managed group without its gshadow line gets "!::", a
/// managed user without a shadow line a locked one ("!", changed
/// `last_change`). Returns what it added ("gshadow NAME", "shadow LOGIN").
std::vector<std::string> complete_entries(Db& db, long last_change);

/// Adds `login` to the members of `group` in group and gshadow; false when
/// it already was one or the group does not exist.
bool add_member(Db& db, std::string_view group, const std::string& login);
/// Removes the user and its memberships (members and gshadow
/// administrators). Its personal group (same name and gid, no members,
/// nobody else's primary group) goes too, as userdel does. Returns the
/// personal group removed, if any.
std::optional<std::string> remove_user(Db& db, std::string_view login);
void remove_group(Db& db, std::string_view group);
/// Users whose primary group is `gid`.
std::vector<std::string> users_with_primary_gid(const Db& db, unsigned gid);

/// Users and groups with an id in the managed range, in file order.
std::vector<std::string> managed_users(const Db& db);
std::vector<std::string> managed_groups(const Db& db);
/// Home directories of the managed users (absolute paths only).
std::vector<std::string> managed_homes(const Db& db);

/// What a merge from a backup did.
struct MergeReport {
  std::vector<std::string> groups;    ///< groups added
  std::vector<std::string> users;     ///< users added
  std::vector<std::string> members;   ///< "group:login" memberships added
  std::vector<std::string> warnings;  ///< entries skipped, and why
};

/// Adds the backup's managed groups missing here (by name). A gid taken by
/// another group here, or a name sc would not create, is skipped with a
/// warning. Members are kept as in the backup (see drop_unknown_members).
void restore_groups(Db& local, const Db& backup, MergeReport* report);
/// Adds the backup's managed users missing here (by name), with their
/// password hashes. Skipped with a warning: a uid taken by another user, a
/// primary group missing here, a bad name or home.
void restore_users(Db& local, const Db& backup, MergeReport* report);
/// Adds to the local "sudo" group every member of the backup's "sudo"
/// group that exists here (members already there stay).
void restore_sudoers(Db& local, const Db& backup, MergeReport* report);
/// Removes, from the groups named, members that are not users here.
void drop_unknown_members(Db& local, const std::vector<std::string>& groups, MergeReport* report);

/// /etc/sudoers.d/sc: root and group sudo run everything without a password.
std::string sudoers_text();

/// The argv copying a home directory from a backup: rsync -a with numeric
/// ids (the uids were restored as they were), contents of `from` into `to`.
std::vector<std::string> home_restore_argv(const std::string& from, const std::string& to);

/// A home directory sc accepts: absolute, not "/", no "." or ".."
/// components, no control characters or ':'.
bool valid_home(std::string_view home);

/// Days since 1970-01-01 (shadow(5)'s unit) at `now`.
long days_since_epoch(std::time_t now);

}  // namespace useracct
