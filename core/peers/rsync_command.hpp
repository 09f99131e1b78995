// The rsync command that copies files from a peer (over the run's SSH
// session, see rsync_transport.hpp): a pure function of its inputs, so every
// argument can be checked by tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "peers/peer_address.hpp"

namespace sc {

/// Everything the command depends on.
struct RsyncFetch {
  PeerAddress peer;
  std::string source_dir = "/";       ///< absolute directory on the peer
  std::string target;                 ///< local directory (real path, under --root already)
  std::vector<std::string> excludes;  ///< rsync exclude patterns
  unsigned bwlimit_kbps = 0;          ///< 0: none; else --bwlimit with -z, as the original
  bool delete_extraneous = false;     ///< --delete
  bool exact = false;                 ///< --numeric-ids --hard-links (backups)
  std::string link_dest;              ///< local directory (real path): --link-dest
  bool compare = false;               ///< --dry-run: list what would change (implies report)
  bool report = false;                ///< --out-format=kReportFormat: one line per item, with checksums
  bool list_only = false;             ///< --dirs instead of --recursive: exactly the listed paths
  bool progress = false;              ///< --info=progress2 (stdout is a terminal)
  bool whole_dir = false;             ///< the list is just ".": no --files-from, source_dir itself is copied
  std::string rsh;                    ///< the transport command (-e), see RsyncTransport::rsh
};

/// One item rsync reported with kReportFormat (a fetch's report).
struct RsyncItem {
  std::string change;    ///< rsync's itemized change, 11 characters: ">f.st......", "*deleting  "...
  std::string checksum;  ///< XXH3-128 of the content, 32 hex digits; empty when rsync did not copy it
  std::uint64_t size = 0;
  std::string path;  ///< relative to the target, without a trailing '/'; "." for the target itself
  bool is_dir() const { return change.size() > 1 && change[1] == 'd'; }
  bool deleted() const { return change.rfind("*deleting", 0) == 0; }
};

/// What rsync prints for each item when asked for a report: the change,
/// the checksum (32 hex digits, or spaces), the size and the name.
inline constexpr const char* kReportFormat = "%i %C %l %n";

/// Parses rsync's output in kReportFormat (names with rsync's \#ooo
/// escapes decoded). False with *err naming the line it cannot read.
bool parse_rsync_report(std::string_view out, std::vector<RsyncItem>* items, std::string* err);

/// Whether the items of a comparison show a change, leaving out the
/// directories that only lead to a listed path (rsync sends them with
/// --files-from, and their times move whenever a sibling changes); a copy
/// of a whole directory (`whole_dir`) has none of those.
bool report_shows_change(const std::vector<RsyncItem>& items, const std::vector<std::string>& paths, bool whole_dir);

/// The argv (argv[0] "rsync"). The file list is given on stdin, NUL
/// separated (--from0 --files-from=-), never on the command line, unless
/// whole_dir; rsync's remote side gets its arguments unsplit
/// (--protect-args). False with
/// *err when a value cannot be passed safely (control characters).
bool rsync_fetch_argv(const RsyncFetch& f, std::vector<std::string>* argv, std::string* err);

/// Checks one entry of a file list: not empty, no control character (an
/// error message with a newline cannot pass for a path), no ".." component.
bool check_fetch_path(std::string_view path, std::string* err);

/// What rsync's exit status means ("partial transfer due to error"...).
std::string rsync_exit_meaning(int code);

}  // namespace sc
