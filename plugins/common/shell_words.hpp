// Commands written for people to paste into a shell: the `fix` of a
// problem a module's `status` hook reports ("sc backup start HOST:/DIR
// daily"), each word quoted only when a shell would read it otherwise.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace plugin_common::shell_words {

/// `word` as a POSIX shell (and bash) reads it back exactly: as it is when
/// it holds only letters, digits and `_@%+=:,./-` (and is not empty);
/// else in single quotes ('it'\''s'); a word with a control character
/// (newline, tab, escape...) in bash's $'...' (each such byte, a quote and
/// a backslash escaped), so that the command stays on one line.
std::string quote(std::string_view word);

/// The words joined by spaces, each quoted as `quote` does.
std::string command(const std::vector<std::string>& words);

}  // namespace plugin_common::shell_words
