// Unified diffs of two texts, byte for byte what GNU `diff -u` prints.
#pragma once

#include <string>
#include <string_view>

namespace sc {

/// The unified diff turning `old_text` into `new_text`, exactly as
/// `diff -U<context> --label OLD_LABEL --label NEW_LABEL` prints it (GNU
/// diffutils 3.x: same hunks, same line choices, "\ No newline at end of
/// file" markers). Empty when the texts are equal. When either text contains
/// a NUL byte the result is diff's one-liner
/// "Binary files OLD_LABEL and NEW_LABEL differ\n". A negative context
/// counts as 0.
std::string unified_diff(std::string_view old_text, std::string_view new_text, std::string_view old_label,
                         std::string_view new_label, int context = 3);

}  // namespace sc
