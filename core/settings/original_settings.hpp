// What each setting of the original bash tool means here: the one table
// every path that reads the original's settings goes through (the store
// reading an original /etc/sc, `sc settings import`, `sc migrate`, a
// restore of an original backup), and, the other way, what the original
// would hold on this host (`sc settings original NAME`, which our master
// uses to answer the original's clients during a switch-over).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sc::original_settings {

/// How an original setting arrives.
enum class How {
  same,       ///< same name, same meaning
  renamed,    ///< another name (or names), same value
  flipped,    ///< a shell boolean (`0` = yes, `1` = no) becomes our yes/no
  converted,  ///< renamed and its value rewritten (item syntax)
  dropped,    ///< not imported (a constant or a path of the original's install)
};

struct Mapping {
  std::string_view original;
  std::vector<std::string_view> ours;  ///< empty when dropped
  How how;
  std::string_view why;  ///< one line for the administrator
};

/// Every setting the original wrote to /etc/sc (its modules' `settings`
/// lists and the paths of its install), plus the constants some of its
/// files held as settings. Sorted by `original`.
const std::vector<Mapping>& table();

/// The entry for `original`, if any.
const Mapping* find(std::string_view original);

/// "same", "renamed", "flipped", "converted", "dropped".
std::string_view how_name(How how);

/// Rewrites `values` (parsed from a file in the original's format) into our
/// names and meanings. Names not in the table are kept as they are. A value
/// of ours given in the same file wins over a mapped original one. Each
/// change is described in `*notes` (when given), one line each, values of
/// secrets never quoted.
void to_ours(std::map<std::string, std::string>* values, std::vector<std::string>* notes);

/// The value the original tool would hold for its setting `original` on
/// a host whose settings are read by `get` (ours, by name). nullopt when the
/// name is not one of the original's, is dropped here, or has no value.
std::optional<std::string> to_original(std::string_view original,
                                       const std::function<std::optional<std::string>(const std::string&)>& get);

}  // namespace sc::original_settings
