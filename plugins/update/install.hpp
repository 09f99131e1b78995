// Installing a tree of sc's files on this host: the one routine `sc update
// start` (a release archive) and `sc update follow` (the master's files)
// share, with the private scratch directory both unpack or fetch into and
// the upgrade step run with the new sc afterwards.
#pragma once

#include <filesystem>
#include <sc/plugin.hpp>
#include <string>
#include <vector>

namespace update_install {

/// A private directory (0700, under $TMPDIR or /tmp) removed on every
/// path out: a scratch directory of this machine, not part of the target
/// system, so made, read and removed directly rather than through the
/// engine. Throws sc::Failure when it cannot be made.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A file of the scratch directory; throws sc::Failure when unreadable.
std::string slurp(const std::filesystem::path& p);

/// Options of a program that works only in the scratch directory: read-only
/// (it runs under --dry-run too), output captured, 16 minutes at most.
sc::RunOptions quiet();

/// One file to install: `rel` relative to "/" (checked by the caller with
/// update_rel::installable) and its mode.
struct Item {
  std::string rel;
  bool exec = false;  ///< 0755, else 0644
};

/// Writes every item from `tree`/rel to /rel through the engine (each file
/// replaced atomically, missing parents made, existing ones kept as they
/// are), in update_rel::order_for_install's order: sc last, so an
/// interruption never leaves a new sc with old plugins. True when a file's
/// content changed (under --dry-run: would change).
bool install_tree(sc::Context& ctx, const std::filesystem::path& tree, std::vector<Item> items);

/// The upgrade step: the newly installed sc's `update upgrade OLD` (every
/// module's upgrade hook). Throws sc::Failure naming the command to run
/// again when it fails. Returns the run (ran false under --dry-run).
sc::RunResult run_upgrade(sc::Context& ctx, const std::string& old);

/// Where the installed sc is, on this machine (under --root, in the root).
std::string installed_sc(const sc::Context& ctx);

}  // namespace update_install
