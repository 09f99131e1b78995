// The rsync command that copies files from a peer (over the run's SSH
// session, see rsync_transport.hpp): a pure function of its inputs, so every
// argument can be checked by tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "peers/peer_address.hpp"

namespace sc {

/// Everything the command depends on.
struct RsyncFetch {
  PeerAddress peer;
  std::string source_dir = "/";        ///< absolute directory on the peer
  std::string target;                  ///< local directory (real path, under --root already)
  std::vector<std::string> excludes;   ///< rsync exclude patterns
  unsigned bwlimit_kbps = 0;           ///< 0: none; else --bwlimit with -z, as the original
  bool delete_extraneous = false;      ///< --delete
  bool exact = false;                  ///< --numeric-ids --hard-links (backups)
  std::string link_dest;               ///< local directory (real path): --link-dest
  bool compare = false;                ///< --dry-run --itemize-changes: list what would change
  bool progress = false;               ///< --info=progress2 (stdout is a terminal)
  bool whole_dir = false;              ///< the list is just ".": no --files-from, source_dir itself is copied
  std::string rsh;                     ///< the transport command (-e), see RsyncTransport::rsh
};

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
