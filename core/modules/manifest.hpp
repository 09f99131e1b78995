// A module's manifest (NAME.json beside NAME.so): everything the core needs
// to know about a module without opening its library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sc {

/// Manifest format this core reads. A manifest with another major is
/// refused; a newer minor is read, its unknown fields ignored.
inline constexpr int kManifestFormatMajor = 1;
inline constexpr int kManifestFormatMinor = 0;

enum class SettingType { string, path, boolean, choice, integer, list };

/// "string", "path", "bool", "choice", "int", "list".
std::string_view to_string(SettingType t);

struct SettingSpec {
  std::string name;
  SettingType type = SettingType::string;
  std::optional<std::string> default_value;
  std::string prompt;                 ///< question asked when the value is needed
  std::string summary;                ///< one line for `sc MODULE help`
  std::vector<std::string> choices;   ///< type choice only
  std::optional<long long> min, max;  ///< type int only
  bool secret = false;                ///< never printed, logged or diffed
};

struct CommandSpec {
  std::string name;
  std::string usage;    ///< arguments, e.g. "HOST[:/PATH] [PERIOD]"
  std::string summary;  ///< one line
  bool changes_host = false;
};

struct Manifest {
  std::filesystem::path file;  ///< the manifest itself
  int format_major = 0, format_minor = 0;
  std::string name;
  std::string version;
  std::uint16_t abi_major = 0, abi_minor = 0;
  std::filesystem::path library;  ///< absolute: manifest's directory / "library"
  std::string summary;
  std::vector<std::string> requires_;
  std::vector<SettingSpec> settings;
  std::vector<CommandSpec> commands;
  std::vector<std::string> hooks;

  const CommandSpec* command(std::string_view command_name) const;
  const SettingSpec* setting(std::string_view setting_name) const;
  bool has_hook(std::string_view hook) const;
  /// True when `what` is a command or a hook of this module.
  bool runs(std::string_view what) const { return command(what) || has_hook(what); }
};

/// A module's Debian package is this prefix followed by its name
/// (debian/gen-control names the packages the same way).
inline constexpr const char* kModulePackagePrefix = "synccluster-plugin-";

/// Module names: lower-case letter, then lower-case letters, digits and '-'
/// (they become Debian package names, cron.d file names and unit names).
bool valid_module_name(std::string_view name);
/// Command and hook names: lower-case letter, then [a-z0-9_-].
bool valid_command_name(std::string_view name);

/// Parses and validates manifest text. Every error names `file`, the field
/// (as a JSON pointer such as "settings"[2]."type") and the fix.
bool parse_manifest(const std::filesystem::path& file, std::string_view text, Manifest* out, std::string* err);

/// The largest manifest sc reads (1 MiB); a larger file is refused.
inline constexpr std::size_t kMaxManifestBytes = 1 << 20;

/// Reads and parses a manifest file.
bool load_manifest(const std::filesystem::path& file, Manifest* out, std::string* err);

/// Checks `value` against the setting's type, choices and bounds; on
/// success *normalized holds the stored form (e.g. "yes"/"no" for bools).
bool validate_setting_value(const SettingSpec& spec, std::string_view value, std::string* normalized, std::string* err);

}  // namespace sc
