// Splitting text into lines and into words, the same way in every module
// that reads a file or a program's output. Shared by the aptpackage,
// backup, crontask, db, files, hostconf, sshlink and user modules, and by
// apt_ensure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::text_split {

/// What lines() does with a '\r' ending a line.
enum class Cr {
  keep,   ///< left in the line, for text written back as it was read
  strip,  ///< dropped (one), for text that may come from a Windows editor
};

/// The lines of `text`, without their '\n'. A last line without a '\n'
/// counts; a '\n' ending the text starts no empty line after it, so "" has
/// no line and "a\n\nb" has three. The views point into `text`.
std::vector<std::string_view> lines(std::string_view text, Cr cr = Cr::keep);

/// The lines() of `text` that are not empty, as strings.
std::vector<std::string> nonempty_lines(std::string_view text, Cr cr = Cr::keep);

/// The fields of `line` between each `sep` ("a::b" has three, "" one).
/// The views point into `line`.
std::vector<std::string_view> fields(std::string_view line, char sep);

/// The words of `text`: runs of characters other than space, tab and
/// newline. The views point into `text`.
std::vector<std::string_view> words(std::string_view text);

}  // namespace plugin_common::text_split
