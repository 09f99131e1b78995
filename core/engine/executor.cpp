// File actions of the executor. Each public call resolves its path, looks
// at the current state (the disk, or under --dry-run the disk seen through
// the plan), decides ok / changed, and only then touches anything.
#include "engine/executor.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "engine/accounts.hpp"
#include "engine/rooted_path.hpp"
#include "engine/unified_diff.hpp"

namespace sc {
namespace {

using rooted_fs::Node;
using rooted_fs::NodeType;
using rooted_fs::Status;

std::string octal(std::uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

std::string ids(unsigned uid, unsigned gid) {
  return std::to_string(uid) + ":" + std::to_string(gid);
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string s;
  for (const auto& i : items) {
    if (!s.empty()) s += sep;
    s += i;
  }
  return s;
}

// The path as the caller wrote it, with repeated slashes folded: for
// messages and diff labels.
std::string clean_path(const std::string& path) {
  std::vector<std::string> comps;
  if (!split_target_path(path, &comps, nullptr)) return path;
  return join_target_path(comps);
}

std::string parent_of(const std::string& path) {
  std::vector<std::string> comps;
  if (!split_target_path(path, &comps, nullptr) || comps.empty()) return "/";
  comps.pop_back();
  return join_target_path(comps);
}

// What attribute changes turn `cur` into mode/uid/gid.
void attr_changes(const Node& cur, std::uint32_t mode, unsigned uid, unsigned gid, std::vector<std::string>* out) {
  if (cur.mode != mode) out->push_back("mode " + octal(cur.mode) + " -> " + octal(mode));
  if (cur.uid != uid || cur.gid != gid) out->push_back("owner " + ids(cur.uid, cur.gid) + " -> " + ids(uid, gid));
}

bool is_root_user() {
  return ::geteuid() == 0;
}

std::string needs_root(const std::string& path) {
  return "changing owner of " + clean_path(path) + " needs root; run sc as root";
}

// The reason for a failed file system call; a refused chown gets the
// needs-root message.
std::string reason_of(const Status& st, const std::string& path) {
  if (st.step == "chown" && st.err == EPERM) return needs_root(path);
  return rooted_fs::describe(st);
}

}  // namespace

Executor::Executor(ExecOptions opts) : opts_(std::move(opts)) {
  if (opts_.root.empty()) opts_.root = "/";
}

bool Executor::resolve_comps(const std::string& path, bool follow_last, Comps* comps, std::string* err) const {
  SymlinkProbe probe = [this](const Comps& c) -> std::optional<std::string> {
    Node n;
    if (!stat_view(c, &n).ok() || n.type != NodeType::symlink) return std::nullopt;
    return n.link;
  };
  return resolve_components(opts_.root, path, follow_last, comps, err, probe);
}

Status Executor::stat_view(const Comps& comps, Node* out) const {
  if (opts_.dry_run) {
    bool hidden = false;
    if (const auto* e = plan_.find(comps, &hidden)) {
      *out = e->node;
      return {};
    }
    if (hidden) {
      *out = Node{};
      return {};
    }
  }
  return rooted_fs::stat_node({opts_.root, comps}, out);
}

Status Executor::read_view(const Comps& comps, std::string* data) const {
  if (opts_.dry_run) {
    bool hidden = false;
    if (const auto* e = plan_.find(comps, &hidden)) {
      switch (e->node.type) {
        case NodeType::file:
          if (e->content_on_disk) break;
          *data = e->content;
          return {};
        case NodeType::missing:
          return Status{ENOENT, ""};
        case NodeType::dir:
          return Status{EISDIR, ""};
        default:
          return Status{EINVAL, ""};
      }
    } else if (hidden) {
      return Status{ENOENT, ""};
    }
  }
  return rooted_fs::read_file({opts_.root, comps}, data);
}

rooted_fs::Status Executor::list_view(const Comps& comps, std::vector<std::string>* names) const {
  std::set<std::string> all;
  bool hidden = false;
  const PlannedTree::Entry* e = opts_.dry_run ? plan_.find(comps, &hidden) : nullptr;
  if (hidden || (e && e->node.type == NodeType::missing)) return Status{ENOENT, "open directory"};
  if (e && e->node.type != NodeType::dir) return Status{ENOTDIR, "open directory"};
  if (!(e && e->fresh)) {
    std::vector<std::string> disk;
    Status st = rooted_fs::list_dir({opts_.root, comps}, &disk);
    if (!st.ok() && !(e && (st.err == ENOENT || st.err == ENOTDIR))) return st;
    all.insert(disk.begin(), disk.end());
  }
  if (opts_.dry_run) {
    for (const auto& [name, child] : plan_.children(comps)) {
      if (child->node.type == NodeType::missing)
        all.erase(name);
      else
        all.insert(name);
    }
  }
  names->assign(all.begin(), all.end());
  return {};
}

bool Executor::dir_is_empty(const Comps& comps) const {
  std::vector<std::string> names;
  return !list_view(comps, &names).ok() || names.empty();
}

bool Executor::check_parent(const std::string& path, const Comps& comps, std::string* reason) const {
  Comps parent(comps.begin(), comps.end() - (comps.empty() ? 0 : 1));
  Node n;
  Status st = stat_view(parent, &n);
  if (!st.ok()) {
    *reason = rooted_fs::describe(st);
    return false;
  }
  if (n.type == NodeType::dir) return true;
  std::string shown = parent_of(path);
  std::string resolved = join_target_path(parent);
  if (resolved != shown) shown += " (resolved to " + resolved + ")";
  if (parent.empty())
    *reason = "the root directory " + opts_.root.string() + " does not exist";
  else if (n.type == NodeType::missing)
    *reason = "directory " + shown + " does not exist; create it first (make_dir)";
  else
    *reason = shown + " is not a directory";
  return false;
}

bool Executor::owner_ids(const FileSpec& spec, unsigned* uid, unsigned* gid, std::string* reason) const {
  TargetFileReader reader = [this](const std::string& p, std::string* text) {
    Comps c;
    return resolve_comps(p, true, &c, nullptr) && read_view(c, text).ok();
  };
  const bool host = is_host_root(opts_.root);
  const std::string where = host ? "" : " under " + opts_.root.string();
  const std::string user = spec.owner.empty() ? "root" : spec.owner;
  auto account = lookup_user(reader, host, user);
  if (!account) {
    *reason = "unknown user \"" + user + "\" (not in /etc/passwd" + where + "); create the user first or fix the owner";
    return false;
  }
  *uid = account->uid;
  *gid = account->gid;
  if (!spec.group.empty()) {
    auto g = lookup_group(reader, host, spec.group);
    if (!g) {
      *reason = "unknown group \"" + spec.group + "\" (not in /etc/group" + where +
                "); create the group first or fix the group";
      return false;
    }
    *gid = *g;
  }
  return true;
}

std::string Executor::file_diff(const std::string& path, std::string_view old_text, bool old_exists,
                                std::string_view new_text, bool new_exists, bool secret) const {
  if (!opts_.diff) return {};
  if (old_exists == new_exists && old_text == new_text) return {};
  if (secret) return "(secret content not shown)\n";
  const std::string shown = clean_path(path);
  return unified_diff(old_text, new_text, old_exists ? "a" + shown : "/dev/null",
                      new_exists ? "b" + shown : "/dev/null");
}

bool Executor::write_file(const std::string& path, std::string_view data, const FileSpec& spec, std::string* err) {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, false, &comps, &reason)) return fail_message("write", path, reason, err);
  if (comps.empty()) return fail("write", path, "it is the root directory", err);
  if (spec.mode > 07777)
    return fail("write", path, "invalid mode " + octal(spec.mode) + " (permission bits only)", err);
  if (!check_parent(path, comps, &reason)) return fail("write", path, reason, err);
  Node cur;
  Status st = stat_view(comps, &cur);
  if (!st.ok()) return fail("write", path, rooted_fs::describe(st), err);
  if (cur.type == NodeType::dir) return fail("write", path, "it is a directory; remove it first", err);
  if (cur.type == NodeType::other)
    return fail("write", path, "it is not a regular file (device, socket or FIFO); remove it first", err);

  std::uint32_t mode = spec.mode;
  unsigned uid = 0, gid = 0;
  if (spec.keep_attrs && cur.type == NodeType::file) {
    mode = cur.mode;
    uid = cur.uid;
    gid = cur.gid;
  } else if (!owner_ids(spec, &uid, &gid, &reason)) {
    return fail("write", path, reason, err);
  }

  std::string old;
  if (cur.type == NodeType::file) {
    st = read_view(comps, &old);
    if (!st.ok()) return fail("write", path, "reading the current file: " + rooted_fs::describe(st), err);
  }
  std::vector<std::string> changes;
  if (cur.type == NodeType::missing) {
    changes.push_back("created");
  } else if (cur.type == NodeType::symlink) {
    changes.push_back("replaced symlink -> " + cur.link);
  } else {
    if (old != data) changes.push_back("content");
    attr_changes(cur, mode, uid, gid, &changes);
  }
  if (changes.empty()) {
    record({"write", path, ActionState::ok, "", ""});
    return true;
  }
  // A rewritten file is a new inode: without root it would belong to us.
  const bool same_owner = cur.type == NodeType::file && old == data && uid == cur.uid;
  if (!is_root_user() && uid != ::geteuid() && !same_owner) return fail("write", path, needs_root(path), err);

  const bool secret = spec.secret || secret_paths_.count(join_target_path(comps)) != 0;
  std::string diff = file_diff(path, old, cur.type == NodeType::file, data, true, secret);
  if (spec.secret) secret_paths_.insert(join_target_path(comps));
  if (opts_.dry_run) {
    PlannedTree::Entry e;
    e.node = Node{NodeType::file, mode, uid, gid, "", data.size(), static_cast<std::int64_t>(std::time(nullptr))};
    e.content = std::string(data);
    plan(comps, std::move(e));
    record({"write", path, ActionState::planned, join(changes, ", "), std::move(diff)});
    return true;
  }
  // Same content: only the attributes change, in place (hard links and the
  // inode survive).
  const bool attrs_only = cur.type == NodeType::file && old == data;
  st = attrs_only ? rooted_fs::set_attr({opts_.root, comps}, mode, uid, gid)
                  : rooted_fs::replace_file({opts_.root, comps}, data, mode, uid, gid);
  if (!st.ok()) {
    std::string why = reason_of(st, path);
    if (cur.type != NodeType::missing) why += "; the old file was left as it was";
    return fail("write", path, why, err);
  }
  record({"write", path, ActionState::changed, join(changes, ", "), std::move(diff)});
  return true;
}

bool Executor::remove(const std::string& path, bool recursive, std::string* err) {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, false, &comps, &reason)) return fail_message("remove", path, reason, err);
  if (comps.empty()) return fail("remove", path, "refusing to remove the root directory", err);
  Node cur;
  Status st = stat_view(comps, &cur);
  if (!st.ok()) return fail("remove", path, rooted_fs::describe(st), err);
  if (cur.type == NodeType::missing) {
    record({"remove", path, ActionState::ok, "", ""});
    return true;
  }
  std::string detail;
  switch (cur.type) {
    case NodeType::file:
      detail = "removed file";
      break;
    case NodeType::symlink:
      detail = "removed symlink -> " + cur.link;
      break;
    case NodeType::dir:
      if (dir_is_empty(comps)) {
        detail = "removed directory";
      } else if (recursive) {
        detail = "removed directory and its contents";
      } else {
        return fail("remove", path,
                    "it is a directory and not empty; remove its contents first, or remove it "
                    "recursively (SC_REMOVE_RECURSIVE)",
                    err);
      }
      break;
    default:
      detail = "removed special file";
      break;
  }
  std::string diff;
  if (opts_.diff && cur.type == NodeType::file) {
    std::string old;
    if (read_view(comps, &old).ok()) {
      // Without a FileSpec, a file others may not read is treated as secret.
      bool secret = secret_paths_.count(join_target_path(comps)) != 0 || (cur.mode & 0004) == 0;
      diff = file_diff(path, old, true, "", false, secret);
    }
  }
  if (opts_.dry_run) {
    plan(comps, PlannedTree::Entry{});
    record({"remove", path, ActionState::planned, detail, std::move(diff)});
    return true;
  }
  st = rooted_fs::remove({opts_.root, comps}, recursive);
  if (!st.ok()) return fail("remove", path, rooted_fs::describe(st), err);
  record({"remove", path, ActionState::changed, detail, std::move(diff)});
  return true;
}

bool Executor::make_dir(const std::string& path, const FileSpec& spec, std::string* err) {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, true, &comps, &reason)) return fail_message("mkdir", path, reason, err);
  if (spec.mode > 07777)
    return fail("mkdir", path, "invalid mode " + octal(spec.mode) + " (permission bits only)", err);
  // Find the first missing component; everything above must be a directory.
  size_t first_missing = comps.size() + 1;
  Node last;
  for (size_t i = 0; i <= comps.size(); ++i) {
    Comps sub(comps.begin(), comps.begin() + static_cast<long>(i));
    Node n;
    Status st = stat_view(sub, &n);
    if (!st.ok()) return fail("mkdir", path, rooted_fs::describe(st), err);
    if (n.type == NodeType::missing) {
      if (i == 0) return fail("mkdir", path, "the root directory " + opts_.root.string() + " does not exist", err);
      first_missing = i;
      break;
    }
    if (n.type != NodeType::dir)
      return fail("mkdir", path, join_target_path(sub) + " exists and is not a directory", err);
    last = n;
  }

  unsigned uid = 0, gid = 0;
  const bool exists = first_missing > comps.size();
  if (exists && spec.keep_attrs) {
    record({"mkdir", path, ActionState::ok, "", ""});
    return true;
  }
  if (!owner_ids(spec, &uid, &gid, &reason)) return fail("mkdir", path, reason, err);
  const bool as_root = is_root_user();
  if (exists) {
    std::vector<std::string> changes;
    attr_changes(last, spec.mode, uid, gid, &changes);
    if (changes.empty()) {
      record({"mkdir", path, ActionState::ok, "", ""});
      return true;
    }
    if (!as_root && uid != last.uid) return fail("mkdir", path, needs_root(path), err);
    if (opts_.dry_run) {
      bool hidden = false;
      const PlannedTree::Entry* planned = plan_.find(comps, &hidden);
      PlannedTree::Entry e = planned ? *planned : PlannedTree::Entry{};
      e.node = Node{NodeType::dir, spec.mode, uid, gid, "", 0, 0};
      plan(comps, std::move(e));
      record({"mkdir", path, ActionState::planned, join(changes, ", "), ""});
      return true;
    }
    Status st = rooted_fs::set_attr({opts_.root, comps}, spec.mode, uid, gid);
    if (!st.ok()) return fail("mkdir", path, reason_of(st, path), err);
    record({"mkdir", path, ActionState::changed, join(changes, ", "), ""});
    return true;
  }

  if (!as_root && uid != ::geteuid()) return fail("mkdir", path, needs_root(path), err);
  // Parents as `mkdir -p` makes them for root: 0755 root:root.
  const unsigned parent_uid = as_root ? 0 : ::geteuid();
  const unsigned parent_gid = as_root ? 0 : ::getegid();
  std::vector<std::string> parents;
  for (size_t i = first_missing; i <= comps.size(); ++i) {
    Comps sub(comps.begin(), comps.begin() + static_cast<long>(i));
    const bool is_last = i == comps.size();
    const std::uint32_t m = is_last ? spec.mode : 0755;
    const unsigned u = is_last ? uid : parent_uid, g = is_last ? gid : parent_gid;
    if (!is_last) parents.push_back(join_target_path(sub));
    if (opts_.dry_run) {
      PlannedTree::Entry e;
      e.node = Node{NodeType::dir, m, u, g, "", 0, 0};
      e.fresh = true;
      plan(sub, std::move(e));
      continue;
    }
    Status st = rooted_fs::make_dir({opts_.root, sub}, m, u, g);
    if (!st.ok()) return fail("mkdir", path, "creating " + join_target_path(sub) + ": " + reason_of(st, path), err);
  }
  std::string detail = "created";
  if (!parents.empty()) detail += ", with parent directories " + join(parents, ", ");
  record({"mkdir", path, opts_.dry_run ? ActionState::planned : ActionState::changed, detail, ""});
  return true;
}

bool Executor::symlink(const std::string& target, const std::string& path, std::string* err) {
  if (target.empty() || target.find('\0') != std::string::npos)
    return fail("symlink", path, "the link target is empty or contains a NUL byte", err);
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, false, &comps, &reason)) return fail_message("symlink", path, reason, err);
  if (comps.empty()) return fail("symlink", path, "it is the root directory", err);
  if (!check_parent(path, comps, &reason)) return fail("symlink", path, reason, err);
  Node cur;
  Status st = stat_view(comps, &cur);
  if (!st.ok()) return fail("symlink", path, rooted_fs::describe(st), err);
  std::string detail;
  switch (cur.type) {
    case NodeType::missing:
      detail = "created -> " + target;
      break;
    case NodeType::symlink:
      if (cur.link == target) {
        record({"symlink", path, ActionState::ok, "-> " + target, ""});
        return true;
      }
      detail = "-> " + target + " (was -> " + cur.link + ")";
      break;
    case NodeType::dir:
      return fail("symlink", path, "it is a directory; remove it first", err);
    default:
      detail = "-> " + target + " (replaced a file)";
      break;
  }
  if (opts_.dry_run) {
    PlannedTree::Entry e;
    e.node = Node{NodeType::symlink, 0777, ::geteuid(), ::getegid(), target, target.size(), 0};
    plan(comps, std::move(e));
    record({"symlink", path, ActionState::planned, detail, ""});
    return true;
  }
  st = rooted_fs::replace_symlink({opts_.root, comps}, target);
  if (!st.ok()) return fail("symlink", path, rooted_fs::describe(st), err);
  record({"symlink", path, ActionState::changed, detail, ""});
  return true;
}

bool Executor::rename(const std::string& from, const std::string& to, std::string* err) {
  Comps from_comps, to_comps;
  std::string reason;
  if (!resolve_comps(from, false, &from_comps, &reason)) return fail_message("rename", from, reason, err);
  if (!resolve_comps(to, false, &to_comps, &reason)) return fail_message("rename", to, reason, err);
  if (from_comps.empty() || to_comps.empty()) return fail("rename", from, "it is the root directory", err);
  Node cur, dest;
  Status st = stat_view(from_comps, &cur);
  if (!st.ok()) return fail("rename", from, rooted_fs::describe(st), err);
  if (cur.type == NodeType::missing) return fail("rename", from, "it does not exist", err);
  st = stat_view(to_comps, &dest);
  if (!st.ok()) return fail("rename", to, rooted_fs::describe(st), err);
  if (dest.type != NodeType::missing) return fail("rename", from, to + " already exists; remove it first", err);
  if (!check_parent(to, to_comps, &reason)) return fail("rename", to, reason, err);
  const std::string target = from + " -> " + to;
  if (opts_.dry_run) {
    record({"rename", target, ActionState::planned, "", ""});
    return true;
  }
  st = rooted_fs::rename_noreplace({opts_.root, from_comps}, {opts_.root, to_comps});
  if (!st.ok()) return fail("rename", from, rooted_fs::describe(st), err);
  record({"rename", target, ActionState::changed, "", ""});
  return true;
}

bool Executor::set_attr(const std::string& path, const FileSpec& spec, std::string* err) {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, true, &comps, &reason)) return fail_message("attr", path, reason, err);
  if (spec.mode > 07777) return fail("attr", path, "invalid mode " + octal(spec.mode) + " (permission bits only)", err);
  Node cur;
  Status st = stat_view(comps, &cur);
  if (!st.ok()) return fail("attr", path, rooted_fs::describe(st), err);
  if (cur.type == NodeType::missing) return fail("attr", path, "it does not exist; create it first", err);
  if (spec.keep_attrs) {
    record({"attr", path, ActionState::ok, "", ""});
    return true;
  }
  unsigned uid = 0, gid = 0;
  if (!owner_ids(spec, &uid, &gid, &reason)) return fail("attr", path, reason, err);
  std::vector<std::string> changes;
  attr_changes(cur, spec.mode, uid, gid, &changes);
  if (changes.empty()) {
    record({"attr", path, ActionState::ok, "", ""});
    return true;
  }
  if (!is_root_user() && uid != cur.uid) return fail("attr", path, needs_root(path), err);
  if (opts_.dry_run) {
    bool hidden = false;
    const PlannedTree::Entry* planned = plan_.find(comps, &hidden);
    PlannedTree::Entry e;
    if (planned) {
      e = *planned;
    } else {
      e.node = cur;
      e.content_on_disk = true;
    }
    e.node.mode = spec.mode;
    e.node.uid = uid;
    e.node.gid = gid;
    plan(comps, std::move(e));
    record({"attr", path, ActionState::planned, join(changes, ", "), ""});
    return true;
  }
  st = rooted_fs::set_attr({opts_.root, comps}, spec.mode, uid, gid);
  if (!st.ok()) return fail("attr", path, reason_of(st, path), err);
  record({"attr", path, ActionState::changed, join(changes, ", "), ""});
  return true;
}

bool Executor::read_file(const std::string& path, std::string* data, std::string* err) const {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, true, &comps, &reason)) {
    if (err) *err = redact(reason);
    return false;
  }
  Status st = read_view(comps, data);
  if (st.ok()) return true;
  if (err) {
    std::string why = st.err == ENOENT ? "it does not exist" : rooted_fs::describe(st);
    *err = redact("cannot read " + path + ": " + why);
  }
  return false;
}

bool Executor::stat(const std::string& path, bool follow, rooted_fs::Node* out, std::string* err) const {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, follow, &comps, &reason)) {
    if (err) *err = redact(reason);
    return false;
  }
  Status st = stat_view(comps, out);
  if (st.ok()) return true;
  if (err) *err = redact("cannot look at " + path + ": " + rooted_fs::describe(st));
  return false;
}

bool Executor::open_read(const std::string& path, Fd* out, std::string* err) const {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, true, &comps, &reason)) {
    if (err) *err = redact(reason);
    return false;
  }
  Status st = rooted_fs::open_read({opts_.root, comps}, out);
  if (st.ok()) return true;
  if (err)
    *err = redact("cannot open " + path + ": " + (st.err == ENOENT ? "it does not exist" : rooted_fs::describe(st)));
  return false;
}

bool Executor::list_dir(const std::string& path, std::vector<std::string>* names, std::string* err) const {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, true, &comps, &reason)) {
    if (err) *err = redact(reason);
    return false;
  }
  Status st = list_view(comps, names);
  if (st.ok()) return true;
  if (err) {
    std::string why = st.err == ENOENT    ? "it does not exist"
                      : st.err == ENOTDIR ? "it is not a directory"
                                          : rooted_fs::describe(st);
    *err = redact("cannot list " + path + ": " + why);
  }
  return false;
}

bool Executor::resolve(const std::string& path, std::filesystem::path* out, std::string* err) const {
  Comps comps;
  std::string reason;
  if (!resolve_comps(path, true, &comps, &reason)) {
    if (err) *err = redact(reason);
    return false;
  }
  *out = host_path(opts_.root, comps);
  return true;
}

}  // namespace sc
