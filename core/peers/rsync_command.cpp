#include "peers/rsync_command.hpp"

namespace sc {
namespace {

bool has_control(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

bool check_fetch_path(std::string_view path, std::string* err) {
  if (path.empty()) {
    *err = "an empty path in the file list";
    return false;
  }
  if (has_control(path)) {
    std::string shown;
    for (char c : path) shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    *err = "\"" + shown + "\" in the file list contains a control character (a newline?): not a path";
    return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") {
      *err = "\"" + std::string(path) + "\" in the file list contains \"..\": list paths inside the source directory";
      return false;
    }
    start = end + 1;
  }
  return true;
}

bool rsync_fetch_argv(const RsyncFetch& f, std::vector<std::string>* argv, std::string* err) {
  // rsync splits the -e value on white space itself.
  if (f.rsh.empty() || has_control(f.rsh)) {
    *err = "the transport command for rsync is empty or contains a control character";
    return false;
  }

  if (f.source_dir.empty() || f.source_dir[0] != '/' || has_control(f.source_dir) ||
      !check_fetch_path(f.source_dir, err)) {
    *err = "the source directory \"" + f.source_dir + "\" on the peer must be an absolute path without \"..\"";
    return false;
  }
  for (const auto& x : f.excludes)
    if (x.empty() || has_control(x)) {
      *err = "an exclude pattern is empty or contains a control character";
      return false;
    }
  std::string source = (f.peer.user.empty() ? "" : f.peer.user + "@") + f.peer.host_for_url() + ":" + f.source_dir;
  if (source.back() != '/') source += '/';
  std::string target = f.target;
  if (target.empty() || has_control(target)) {
    *err = "the target directory is empty or contains a control character";
    return false;
  }
  if (target.back() != '/') target += '/';

  std::vector<std::string>& a = *argv;
  a = {"rsync", "--archive", "--recursive", "--protect-args"};
  if (!f.whole_dir) {
    a.push_back("--from0");
    a.push_back("--files-from=-");
  }
  if (f.delete_extraneous) a.push_back("--delete");
  if (f.exact) {
    a.push_back("--numeric-ids");
    a.push_back("--hard-links");
    // Timestamps compared to the nanosecond: a file rewritten within the
    // same second at the same size is still seen as changed.
    a.push_back("--modify-window=-1");
  }
  if (!f.link_dest.empty()) {
    if (has_control(f.link_dest)) {
      *err = "the link-dest directory contains a control character";
      return false;
    }
    a.push_back("--link-dest=" + f.link_dest);
  }
  if (f.bwlimit_kbps > 0) {
    a.push_back("--compress");
    a.push_back("--bwlimit=" + std::to_string(f.bwlimit_kbps));
  }
  if (f.compare) {
    a.push_back("--dry-run");
    a.push_back("--itemize-changes");
  } else if (f.progress) {
    a.push_back("--info=progress2");
  }
  for (const auto& x : f.excludes) a.push_back("--exclude=" + x);
  a.push_back("--rsh=" + f.rsh);
  a.push_back(std::move(source));
  a.push_back(std::move(target));
  return true;
}

std::string rsync_exit_meaning(int code) {
  switch (code) {
    case 0: return "success";
    case 1: return "syntax or usage error";
    case 2: return "protocol incompatibility";
    case 3: return "errors selecting input/output files or directories";
    case 5: return "error starting the client-server protocol";
    case 10: return "error in socket I/O";
    case 11: return "error in file I/O";
    case 12: return "error in the rsync protocol data stream (often: the SSH connection failed)";
    case 14: return "error in IPC code";
    case 20: return "received SIGUSR1 or SIGINT";
    case 23: return "partial transfer due to error (some files were not copied)";
    case 24: return "partial transfer due to vanished source files";
    case 25: return "the --max-delete limit stopped deletions";
    case 30: return "timeout in data send/receive";
    case 35: return "timeout waiting for daemon connection";
    case 255: return "the SSH connection failed";
    default: return "see rsync(1), EXIT VALUES";
  }
}

}  // namespace sc
