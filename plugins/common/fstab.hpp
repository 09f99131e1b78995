// /etc/fstab and /proc/self/mountinfo as text, for the modules that mount
// (sshshare, nfsclient): fields decoded as libmount decodes them, entries
// found by their mount point, the systemd unit that mounts one on first
// access, and edits made line by line, so that every line a command does
// not mean to change stays byte for byte what it was. Each module keeps its
// own fstab line and options, and its own rule for the paths it takes
// (sshshare escapes white space, nfsclient refuses it); what either finds
// in an existing fstab is read the same way.
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

/// One line of a file: its text without the '\n' (a '\r' before it stays
/// in the text), and whether a '\n' ended it (only the last line may lack
/// one).
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
  size_t line = 0;  ///< index of its line in split() of the text (entries()); 0 from parse_entry()
  std::string spec;
  std::string file;  ///< the mount point, without the '/' it may end with ("/" stays)
  std::string vfstype, options, freq, passno;
};

/// The entry on an fstab line; nullopt for a blank line, a comment (its
/// first non-blank byte is '#') or a line with fewer than three fields,
/// which mount(8) would not take either. As libmount reads it: a '\r'
/// ending the line is dropped, and fields are separated by runs of spaces
/// and tabs (a '\r' elsewhere is part of a field).
std::optional<Entry> parse_entry(std::string_view line);

/// The entries of an fstab text, in its order.
std::vector<Entry> entries(std::string_view text);

/// The entries of an fstab text whose mount point is `path` (a '/' ending
/// either does not count), of any type: not those on a directory below it.
std::vector<Entry> entries_on(std::string_view text, std::string_view path);

/// `text` with `line` (without its '\n') in place of the first of the
/// lines `replace` (indexes of split(text)), ending as that line ended
/// ("\n", "\r\n" or nothing), and without the other lines of `replace`;
/// with `replace` empty, `line` appended with a '\n' (after a '\n' ending a
/// last line that lacked one). Every other line is kept byte for byte.
std::string with_line(std::string_view text, const std::vector<size_t>& replace, std::string_view line);

/// `text` without the lines `drop` (indexes of split(text)); every other
/// line kept byte for byte. A last line without '\n' that goes leaves the
/// line before it, with its '\n', as the end of the text.
std::string without_lines(std::string_view text, const std::vector<size_t>& drop);

/// A mount point as the kernel lists it (/proc/self/mountinfo).
struct Mount {
  std::string point;   ///< decoded
  std::string fstype;  ///< "fuse.sshfs", "nfs4", "autofs"...
  std::string source;  ///< decoded
};

/// The mounts of a mountinfo text, in its order (the order they were
/// made: a later mount on the same point covers an earlier one). Lines that
/// do not have mountinfo's shape are skipped.
std::vector<Mount> parse_mountinfo(std::string_view text);

/// The mounts on `path` (a '/' ending it does not count), in the order
/// they were made (the last one is what `path` shows); empty when nothing
/// is mounted there.
std::vector<Mount> mounts_at(const std::vector<Mount>& mounts, std::string_view path);

/// The unit systemd generates to mount `path` on first access (an fstab
/// entry with x-systemd.automount), as `systemd-escape --path
/// --suffix=automount PATH` names it: "/srv/mass" is "srv-mass.automount".
std::string automount_unit(std::string_view path);

}  // namespace plugin_common::fstab
