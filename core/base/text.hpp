// Small text helpers shared by several rooms.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sc {

/// The first non-empty lines of a program's output (at most three, joined
/// with "; ", trailing blanks and CRs dropped, cut at 400 characters with
/// "..."): what an error message quotes of a failed program's stderr.
std::string excerpt(std::string_view text);

/// `message`, followed by ": " and excerpt(output) when that is not empty.
std::string with_excerpt(const std::string& message, std::string_view output);

/// The first line of `text`, without its trailing blanks and CR.
std::string first_line(std::string_view text);

/// The lines of `text`, split at each '\n' (kept out); a last line without
/// one counts, an empty text has none. Views into `text`.
std::vector<std::string_view> lines_of(std::string_view text);

/// How a line of text meant for a person keeps its newlines.
enum class Newlines {
  escape,  ///< "\n": the text stays on one line
  indent,  ///< kept, each followed by two spaces: a continuation line can
           ///< never pass for a line of its own ("changed: ...", "sc: ...")
  keep,    ///< kept as they are (diffs: every line starts with its marker)
};

/// `text` safe to show on a terminal: control characters (C0 but tab and
/// newline, DEL, C1) and bytes that are not UTF-8 written as "\e", "\r",
/// "\xNN"..., newlines as `newlines` says; everything else unchanged. For
/// every human-readable line sc writes (reports, logs, errors, help);
/// never for a command's own output, which stays byte for byte.
std::string printable(std::string_view text, Newlines newlines = Newlines::escape);

/// True when `text` is valid UTF-8 (no overlong forms, no surrogates).
bool valid_utf8(std::string_view text);

}  // namespace sc
