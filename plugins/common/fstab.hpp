// /etc/fstab and /proc/self/mountinfo as text, for the modules that mount
// (sshshare): fields decoded as libmount decodes them, and edits made line
// by line, so that every line a command does not mean to change stays byte
// for byte what it was.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::fstab {

/// A field as fstab(5) and mountinfo write it: space, tab, newline and
/// backslash as \040, \011, \012 and \134; every other byte as it is.
std::string escape(std::string_view field);

/// The inverse of escape(): a backslash and three octal digits is that
/// byte (as libmount reads it); any other backslash stays.
std::string unescape(std::string_view field);

/// One line of a file: its text without the '\n', and whether a '\n' ended
/// it (only the last line may lack one).
struct Line {
  std::string text;
  bool newline = true;
};

/// The lines of `text`; join(split(t)) == t for every t.
std::vector<Line> split(std::string_view text);
std::string join(const std::vector<Line>& lines);

/// The decoded fields of an fstab entry; freq and passno are "" when the
/// line leaves them out.
struct Entry {
  std::string spec, file, vfstype, options, freq, passno;
};

/// The entry on an fstab line; nullopt for a blank line, a comment (its
/// first non-blank byte is '#') or a line with fewer than three fields,
/// which mount(8) would not take either. Fields are separated by runs of
/// spaces and tabs.
std::optional<Entry> parse_entry(std::string_view line);

/// A mount point as the kernel lists it (/proc/self/mountinfo).
struct Mount {
  std::string point;   ///< decoded
  std::string fstype;  ///< "fuse.sshfs", "autofs"...
  std::string source;  ///< decoded
};

/// The mounts of a mountinfo text, in its order (the order they were
/// made: a later mount on the same point covers an earlier one). Lines that
/// do not have mountinfo's shape are skipped.
std::vector<Mount> parse_mountinfo(std::string_view text);

}  // namespace plugin_common::fstab
