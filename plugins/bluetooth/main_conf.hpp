// BlueZ's /etc/bluetooth/main.conf (a GLib key file) and the one key sc
// changes in it: AutoEnable in [Policy], which makes bluetoothd power on
// every controller it finds, at its start and when one is plugged in later.
//
// The edit is minimal: the host's other lines stay byte for byte, and what
// the key was before (a line replaced, a line inserted, a section appended,
// a file created) is kept as a small JSON record so that cleanup puts it
// back. Pure functions: no file is read or written here.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bluetooth_conf {

inline constexpr const char* kMainConf = "/etc/bluetooth/main.conf";
/// Where setup keeps what AutoEnable was before it changed the file.
inline constexpr const char* kRecord = "/var/lib/sc/bluetooth/main.conf.json";

/// A main.conf sc cannot edit safely (two [Policy] sections, AutoEnable
/// twice in [Policy]); what() says what to fix by hand.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The value AutoEnable has in [Policy] (surrounding blanks removed), or
/// nullopt when it is not set there (commented out, absent, no section).
/// Throws Unsupported.
std::optional<std::string> auto_enable(std::string_view text);

/// True for the values GLib reads as the boolean true ("true", "1").
bool is_true(std::string_view value);

/// What enable() made.
struct Edit {
  std::string text;    ///< the file with AutoEnable=true in [Policy]
  std::string record;  ///< JSON: how to put the previous state back; empty when unchanged
  bool changed = false;
};

/// The file with AutoEnable=true in [Policy]: an existing AutoEnable line
/// of [Policy] is replaced, else the line is inserted after the commented
/// `#AutoEnable=` of [Policy] (Debian's place for it) or after the
/// section's header, else a [Policy] section is appended. `exists` false:
/// there is no file (text empty), and the file is created. Throws
/// Unsupported.
Edit enable(std::string_view text, bool exists = true);

/// What restore() made.
struct Restore {
  std::string text;          ///< the file as it goes back
  bool remove_file = false;  ///< the file was created by setup and is removed
  bool changed = false;
  std::string note;  ///< why the file was left as is (changed by hand since), or empty
};

/// Puts back what `record` (from enable()) says AutoEnable was, when the
/// file still has the AutoEnable=true that setup wrote; otherwise leaves
/// it as is and says why in `note`. Throws Unsupported for a record that
/// is not one enable() writes.
Restore restore(std::string_view text, std::string_view record);

}  // namespace bluetooth_conf
