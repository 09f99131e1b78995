// The package sets of the utils module, for Debian 12 (bookworm), as
// apt_ensure specs ("PACKAGE[:COMMAND]").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace utils_pkg {

/// Administration tools (`sc utils setup`); `ready` checks the same commands.
const std::vector<std::string>& admin_set();

/// Desktop client set (`sc utils client`); `l10n` (e.g. "fr", "pt-br", or
/// empty for none) adds the LibreOffice and Firefox translations.
std::vector<std::string> client_set(const std::string& l10n);

/// Virtualisation host set (`sc utils server`).
const std::vector<std::string>& server_set();

/// A language suffix of Debian's l10n packages: "fr", "de", "pt-br", "zh-cn"...
bool valid_l10n(std::string_view code);

}  // namespace utils_pkg
