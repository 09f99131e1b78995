#include "peers/rsync_command.hpp"

#include <algorithm>

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
  a = {"rsync", "--archive"};
  // A list of exactly what to copy: directories made, not entered.
  if (f.list_only)
    a.insert(a.end(), {"--no-recursive", "--dirs"});
  else
    a.push_back("--recursive");
  a.push_back("--protect-args");
  if (!f.whole_dir) {
    a.push_back("--from0");
    a.push_back("--files-from=-");
  }
  if (f.delete_extraneous) a.push_back("--delete");
  // A faithful copy holds nothing the exclusion list leaves out.
  if (f.delete_extraneous && f.exact) a.push_back("--delete-excluded");
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
  if (f.compare) a.push_back("--dry-run");
  if (f.compare || f.report) {
    // Checksums of what is copied come for free: rsync computes them to
    // check each transfer. XXH3-128, the algorithm of backup's checksums.
    a.push_back(std::string("--out-format=") + kReportFormat);
    a.push_back("--checksum-choice=xxh128");
  } else if (f.progress) {
    a.push_back("--info=progress2");
  }
  for (const auto& x : f.excludes) a.push_back("--exclude=" + x);
  a.push_back("--rsh=" + f.rsh);
  a.push_back(std::move(source));
  a.push_back(std::move(target));
  return true;
}

namespace {

// rsync writes a byte it will not print as "\#ooo" (octal), and a
// backslash that would read as such an escape the same way.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 4 < s.size() && s[i + 1] == '#' && s[i + 2] >= '0' && s[i + 2] <= '3' && s[i + 3] >= '0' &&
        s[i + 3] <= '7' && s[i + 4] >= '0' && s[i + 4] <= '7') {
      out.push_back(static_cast<char>((s[i + 2] - '0') * 64 + (s[i + 3] - '0') * 8 + (s[i + 4] - '0')));
      i += 4;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

bool parse_rsync_report(std::string_view out, std::vector<RsyncItem>* items, std::string* err) {
  items->clear();
  constexpr size_t kChange = 11, kSum = 32;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string_view::npos) nl = out.size();
    std::string_view line = out.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    // "CHANGE(11) CHECKSUM(32) SIZE NAME"
    size_t size_end = line.size() > kChange + kSum + 2 ? line.find(' ', kChange + kSum + 2) : std::string_view::npos;
    if (line.size() < kChange + kSum + 4 || line[kChange] != ' ' || line[kChange + 1 + kSum] != ' ' ||
        size_end == std::string_view::npos) {
      *err = "cannot read rsync's report line \"" + std::string(line.substr(0, 80)) + "\"";
      return false;
    }
    RsyncItem item;
    item.change = std::string(line.substr(0, kChange));
    std::string_view sum = line.substr(kChange + 1, kSum);
    // Files rsync did not copy have spaces, or zeros under --dry-run.
    if (is_hex(sum) && sum.find_first_not_of('0') != std::string_view::npos) item.checksum = std::string(sum);
    for (char c : line.substr(kChange + kSum + 2, size_end - (kChange + kSum + 2))) {
      if (c < '0' || c > '9') {
        *err = "cannot read the size in rsync's report line \"" + std::string(line.substr(0, 80)) + "\"";
        return false;
      }
      item.size = item.size * 10 + static_cast<std::uint64_t>(c - '0');
    }
    item.path = unescape(line.substr(size_end + 1));
    while (item.path.size() > 1 && item.path.back() == '/') item.path.pop_back();
    if (item.path == "./" || item.path.empty()) item.path = ".";
    items->push_back(std::move(item));
  }
  return true;
}

bool report_shows_change(const std::vector<RsyncItem>& items, const std::vector<std::string>& paths, bool whole_dir) {
  if (whole_dir) return !items.empty();
  std::vector<std::string> listed;
  for (const auto& p : paths) listed.push_back(p.substr(std::min(p.find_first_not_of('/'), p.size())));
  for (const auto& item : items) {
    if (!item.is_dir() || item.change[0] != '.') return true;
    const std::string dir = item.path == "." ? "" : item.path + "/";
    bool leading = false;
    for (const auto& l : listed)
      if (l.size() > dir.size() && l.compare(0, dir.size(), dir) == 0) leading = true;
    if (!leading) return true;
  }
  return false;
}

std::string rsync_exit_meaning(int code) {
  switch (code) {
    case 0:
      return "success";
    case 1:
      return "syntax or usage error";
    case 2:
      return "protocol incompatibility";
    case 3:
      return "errors selecting input/output files or directories";
    case 5:
      return "error starting the client-server protocol";
    case 10:
      return "error in socket I/O";
    case 11:
      return "error in file I/O";
    case 12:
      return "error in the rsync protocol data stream (often: the SSH connection failed)";
    case 14:
      return "error in IPC code";
    case 20:
      return "received SIGUSR1 or SIGINT";
    case 23:
      return "partial transfer due to error (some files were not copied)";
    case 24:
      return "partial transfer due to vanished source files";
    case 25:
      return "the --max-delete limit stopped deletions";
    case 30:
      return "timeout in data send/receive";
    case 35:
      return "timeout waiting for daemon connection";
    case 255:
      return "the SSH connection failed";
    default:
      return "see rsync(1), EXIT VALUES";
  }
}

}  // namespace sc
