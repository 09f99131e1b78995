// Helpers shared by every test: temporary trees, running the built `sc`,
// hashing a tree to prove that nothing changed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "process.hpp"
#include "test_paths.hpp"

namespace sc::test {

namespace fs = std::filesystem;

/// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

/// Result of running `sc`.
struct ScRun {
  int status = -1;  ///< exit status, or 128+signal
  std::string out;
  std::string err;
};

/// Runs the built `sc` with `args` (global options included), stdin from
/// `input` or /dev/null, and returns what it printed.
ScRun run_sc(const std::vector<std::string>& args, const std::string* input = nullptr,
             const std::vector<std::string>& env = {});

/// Like run_sc, with `--plugin-path <built plugins> --root <root>` first.
ScRun run_sc_rooted(const fs::path& root, const std::vector<std::string>& args,
                    const std::string* input = nullptr);

/// One step of a terminal conversation: wait until the output contains
/// `expect`, then type `reply`.
struct TtyStep {
  std::string expect;
  std::string reply;
};

/// Runs the built `sc` on a pseudo-terminal (stdin, stdout and stderr),
/// answering its questions as `steps` say. `out` holds everything the
/// terminal showed (prompts, echoed input, output). Fails the run (status
/// -1) when an expected text does not come within 10 s.
ScRun run_sc_tty(const std::vector<std::string>& args, const std::vector<TtyStep>& steps);

/// Writes `text` to `path`, creating parent directories.
void write_text(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0644));
/// Whole content of `path`; throws when it cannot be read.
std::string read_text(const fs::path& path);
/// A digest of every path, type, mode, owner, link target and content
/// under `dir`: equal digests mean an unchanged tree.
std::string tree_hash(const fs::path& dir);

/// Hostile strings every input check is tested with.
const std::vector<std::string>& hostile_strings();

}  // namespace sc::test
