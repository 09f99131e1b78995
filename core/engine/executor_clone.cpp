// The clone action of the executor: a hard-link copy of a tree made in a
// thread (engine/tree_clone), put in place by a rename when complete.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "engine/executor.hpp"
#include "engine/rooted_path.hpp"

namespace sc {

namespace {

using rooted_fs::Node;
using rooted_fs::NodeType;
using rooted_fs::Status;

std::string count(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string describe(const tree_clone::Stats& s) {
  std::string d = count(s.linked, "entry linked", "entries linked") + ", " + count(s.dirs, "directory", "directories");
  if (s.copied) d += ", " + count(s.copied, "file copied (link limit)", "files copied (link limit)");
  if (s.skipped) d += ", " + count(s.skipped, "path left out", "paths left out");
  return d;
}

}  // namespace

CloneJob::~CloneJob() {
  discard();
}

void CloneJob::discard() {
  stop = true;
  if (worker.joinable()) worker.join();
  if (parent_dir && !temp.empty()) rooted_fs::remove_tree_at(parent_dir.get(), temp);
  temp.clear();
}

std::unique_ptr<CloneJob> Executor::clone_start(const std::string& from, const std::string& to, std::string* err) {
  auto fail = [&](const std::string& path, const std::string& reason) -> std::unique_ptr<CloneJob> {
    if (err) *err = redact("cannot clone " + from + " to " + to + ": " + path + " " + reason);
    return nullptr;
  };
  Comps from_comps, to_comps;
  std::string reason;
  if (!resolve_comps(from, true, &from_comps, &reason) || !resolve_comps(to, false, &to_comps, &reason)) {
    if (err) *err = redact(reason);
    return nullptr;
  }
  if (to_comps.empty()) return fail(to, "is the root directory");
  Node node;
  Status st = stat_view(from_comps, &node);
  if (!st.ok()) return fail(from, rooted_fs::describe(st));
  if (node.type != NodeType::dir) return fail(from, "is not a directory");
  st = stat_view(to_comps, &node);
  if (!st.ok()) return fail(to, rooted_fs::describe(st));
  if (node.type != NodeType::missing) return fail(to, "already exists; remove it first");
  if (!check_parent(to, to_comps, &reason)) return fail(to, "cannot be made: " + reason);

  std::unique_ptr<CloneJob> job(new CloneJob());
  job->from = from;
  job->to = to;
  job->name = to_comps.back();
  if (opts_.dry_run) {
    job->planned = true;
    return job;
  }
  st = rooted_fs::open_dir({opts_.root, from_comps}, from_comps.size(), &job->from_dir);
  if (st.ok()) st = rooted_fs::open_dir({opts_.root, to_comps}, to_comps.size() - 1, &job->parent_dir);
  if (!st.ok()) return fail(from, rooted_fs::describe(st));
  // A name of its own beside `to`: a run that dies while copying leaves
  // nothing at `to` that could pass for a complete copy, and the next
  // clone to the same place removes what it left.
  job->temp = "." + job->name.substr(0, 200) + ".sc-clone";
  st = rooted_fs::remove_tree_at(job->parent_dir.get(), job->temp);
  if (!st.ok()) return fail(to, "(removing the leftover " + job->temp + "): " + rooted_fs::describe(st));
  CloneJob* j = job.get();
  j->worker = std::thread(
      [j] { j->result = tree_clone::copy(j->from_dir.get(), j->parent_dir.get(), j->temp, j->stop, &j->stats); });
  return job;
}

bool Executor::clone_finish(std::unique_ptr<CloneJob> job, bool discard, const std::vector<std::string>& skip,
                            tree_clone::Stats* stats, std::string* err) {
  const std::string target = job->from + " -> " + job->to;
  if (discard) {
    job->discard();
    return true;
  }
  if (job->planned) {
    record({"clone", target, ActionState::planned, "would hard-link a copy of the tree", ""});
    return true;
  }
  if (job->worker.joinable()) job->worker.join();
  Status st = job->result;
  if (st.ok() && !skip.empty()) {
    Fd copy(::openat(job->parent_dir.get(), job->temp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    st = copy ? tree_clone::remove_paths(copy.get(), job->from_dir.get(), skip, &job->stats)
              : Status{errno, "open the copy"};
  }
  if (st.ok() && ::renameat2(job->parent_dir.get(), job->temp.c_str(), job->parent_dir.get(), job->name.c_str(),
                             RENAME_NOREPLACE) != 0)
    st = Status{errno, "rename the copy into place"};
  if (!st.ok()) {
    job->discard();
    return fail("clone", target, rooted_fs::describe(st), err);
  }
  job->temp.clear();  // in place: no longer ours to remove
  // EINVAL: a file system that cannot sync directories.
  if (::fsync(job->parent_dir.get()) != 0 && errno != EINVAL)
    return fail("clone", target,
                "the copy is in place, but syncing its directory failed: " + rooted_fs::describe(Status{errno, ""}),
                err);
  if (stats) *stats = job->stats;
  record({"clone", target, ActionState::changed, describe(job->stats), ""});
  return true;
}

}  // namespace sc
