// Importing the original bash tool's settings file (`/etc/sc`, lines
// `NAME='value'` as written by `echo "$s='${!s}'"`, possibly hand-edited).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace sc {

/// Parses `text`, a settings file of the original tool, into `out` (which is
/// cleared first) without running a shell.
///
/// Accepted, one assignment per line, as POSIX sh would read it: blank lines,
/// `#` comments, an optional leading `export `, names matching
/// `[A-Za-z_][A-Za-z0-9_]*` (kept as written), and values made of any
/// concatenation of single-quoted parts (`'\''` included), double-quoted parts
/// (with `\"`, `\\`, `\$`, `` \` `` and backslash-newline), bare words with
/// backslash escapes; quoted parts may span lines; the value may be empty and
/// may be followed by blanks and a comment. A later assignment of the same
/// name wins, as in the shell. Every value comes back byte-exact.
///
/// Anything whose value the shell would compute rather than read (`$VAR`,
/// `${...}`, `$(...)`, backticks, `~` expansion, `$'...'`), unterminated
/// quotes, operators (`;`, `|`, `&`, redirections, arrays), lines that are
/// not assignments, and values that are not valid UTF-8 or hold a NUL byte
/// (they cannot be stored, see valid_setting_value()) are refused: returns
/// false with `*err` like `FILE:LINE: problem; fix`, `FILE` being
/// `file_label`. `*out` is then unspecified.
bool parse_legacy_settings(std::string_view text, const std::string& file_label,
                           std::map<std::string, std::string>* out, std::string* err);

/// True when `name` is a shell variable name, `^[A-Za-z_][A-Za-z0-9_]*$`:
/// the names a settings file may hold (ours are narrower, see
/// valid_setting_name()).
bool valid_shell_name(std::string_view name);

}  // namespace sc
