// Small text helpers shared by several rooms.
#pragma once

#include <string>
#include <string_view>

namespace sc {

/// The first non-empty lines of a program's output (at most three, joined
/// with "; ", trailing blanks and CRs dropped, cut at 400 characters with
/// "..."): what an error message quotes of a failed program's stderr.
std::string excerpt(std::string_view text);

/// `message`, followed by ": " and excerpt(output) when that is not empty.
std::string with_excerpt(const std::string& message, std::string_view output);

/// The first line of `text`, without its trailing blanks and CR.
std::string first_line(std::string_view text);

}  // namespace sc
