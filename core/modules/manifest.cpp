#include "modules/manifest.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/text.hpp"

namespace sc {
namespace {

using json = nlohmann::json;

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Builds "FILE: FIELD: PROBLEM; FIX" messages.
class Reporter {
 public:
  explicit Reporter(const std::filesystem::path& file) : file_(file.string()) {}
  bool fail(std::string* err, const std::string& field, const std::string& problem, const std::string& fix) const {
    if (err) {
      *err = file_ + ": ";
      if (!field.empty()) *err += field + ": ";
      *err += problem;
      if (!fix.empty()) *err += "; " + fix;
    }
    return false;
  }

 private:
  std::string file_;
};

std::string in_quotes(const std::string& s) {
  return "\"" + s + "\"";
}
std::string field_at(const std::string& array, size_t i, const std::string& member = {}) {
  std::string f = in_quotes(array) + "[" + std::to_string(i) + "]";
  if (!member.empty()) f += "." + in_quotes(member);
  return f;
}

const char* type_name(const json& j) {
  return j.type_name();
}

/// Reads an optional string member; false (with err) when it has another type.
bool get_string(const json& obj, const char* key, const std::string& field, const Reporter& r, std::string* out,
                std::string* err, bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return r.fail(err, field, "missing", "add " + in_quotes(key) + ": \"...\"");
    return true;
  }
  if (!it->is_string())
    return r.fail(err, field, std::string("must be a string, not ") + type_name(*it), "quote the value");
  *out = it->get<std::string>();
  if (out->find('\0') != std::string::npos)
    return r.fail(err, field, "contains a NUL character (\\u0000)", "remove it");
  return true;
}

// An integer of the manifest as a long long: JSON allows numbers sc cannot
// hold (18446744073709551615 would wrap to -1).
bool get_integer(const json& j, const std::string& field, const Reporter& r, long long* out, std::string* err) {
  if (!j.is_number_integer()) return r.fail(err, field, "must be an integer", "write a number without quotes");
  if (j.is_number_unsigned() && j.get<unsigned long long>() > static_cast<unsigned long long>(LLONG_MAX))
    return r.fail(err, field, "is out of range",
                  "give a number from " + std::to_string(LLONG_MIN) + " to " + std::to_string(LLONG_MAX));
  *out = j.get<long long>();
  return true;
}

bool parse_major_minor(const std::string& text, int* major, int* minor) {
  auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= text.size()) return false;
  auto a = std::from_chars(text.data(), text.data() + dot, *major);
  auto b = std::from_chars(text.data() + dot + 1, text.data() + text.size(), *minor);
  return a.ec == std::errc() && a.ptr == text.data() + dot && b.ec == std::errc() &&
         b.ptr == text.data() + text.size() && *major >= 0 && *minor >= 0 && *major < 65536 && *minor < 65536;
}

bool check_unknown(const json& obj, std::initializer_list<const char*> known, const std::string& where, bool strict,
                   const Reporter& r, std::string* err) {
  if (!strict) return true;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find_if(known.begin(), known.end(), [&](const char* k) { return it.key() == k; }) == known.end())
      return r.fail(err, where.empty() ? in_quotes(it.key()) : where + "." + in_quotes(it.key()), "unknown field",
                    "remove it or check its spelling (format " + std::to_string(kManifestFormatMajor) + "." +
                        std::to_string(kManifestFormatMinor) + ")");
  }
  return true;
}

bool parse_setting_type(const std::string& s, SettingType* t) {
  static const std::pair<const char*, SettingType> kTypes[] = {
      {"string", SettingType::string}, {"path", SettingType::path},   {"bool", SettingType::boolean},
      {"choice", SettingType::choice}, {"int", SettingType::integer}, {"list", SettingType::list}};
  for (const auto& [name, type] : kTypes)
    if (s == name) {
      *t = type;
      return true;
    }
  return false;
}

bool parse_settings(const json& doc, bool strict, const Reporter& r, Manifest* m, std::string* err) {
  auto it = doc.find("settings");
  if (it == doc.end()) return true;
  if (!it->is_array()) return r.fail(err, "\"settings\"", "must be an array of objects", "write \"settings\": []");
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& s = (*it)[i];
    std::string where = field_at("settings", i);
    if (!s.is_object())
      return r.fail(err, where, "must be an object", "write {\"name\": \"...\", \"type\": \"string\"}");
    if (!check_unknown(s, {"name", "type", "default", "prompt", "summary", "choices", "min", "max", "secret"}, where,
                       strict, r, err))
      return false;
    SettingSpec spec;
    if (!get_string(s, "name", field_at("settings", i, "name"), r, &spec.name, err, true)) return false;
    if (spec.name.empty() || spec.name.size() > 64 || !(spec.name[0] >= 'A' && spec.name[0] <= 'Z') ||
        !std::all_of(spec.name.begin(), spec.name.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }))
      return r.fail(err, field_at("settings", i, "name"), "invalid setting name " + in_quotes(spec.name),
                    "use upper-case letters, digits and '_', starting with a letter (e.g. BACKUP_DIR)");
    if (!seen.insert(spec.name).second)
      return r.fail(err, field_at("settings", i, "name"), "setting " + in_quotes(spec.name) + " is declared twice",
                    "keep one declaration");
    std::string type = "string";
    if (!get_string(s, "type", field_at("settings", i, "type"), r, &type, err, false)) return false;
    if (!parse_setting_type(type, &spec.type))
      return r.fail(err, field_at("settings", i, "type"), "unknown type " + in_quotes(type),
                    "use one of string, path, bool, choice, int, list");
    if (!get_string(s, "prompt", field_at("settings", i, "prompt"), r, &spec.prompt, err, false)) return false;
    if (!get_string(s, "summary", field_at("settings", i, "summary"), r, &spec.summary, err, false)) return false;
    if (auto c = s.find("choices"); c != s.end()) {
      if (!c->is_array() || c->empty() ||
          !std::all_of(c->begin(), c->end(), [](const json& v) { return v.is_string(); }))
        return r.fail(err, field_at("settings", i, "choices"), "must be a non-empty array of strings",
                      "write \"choices\": [\"a\", \"b\"]");
      for (const auto& v : *c) spec.choices.push_back(v.get<std::string>());
    }
    if (spec.type == SettingType::choice && spec.choices.empty())
      return r.fail(err, field_at("settings", i, "choices"), "missing for a setting of type choice",
                    "list the allowed values in \"choices\"");
    for (const char* bound : {"min", "max"}) {
      auto b = s.find(bound);
      if (b == s.end()) continue;
      long long n = 0;
      if (!get_integer(*b, field_at("settings", i, bound), r, &n, err)) return false;
      (std::string(bound) == "min" ? spec.min : spec.max) = n;
    }
    if (auto sec = s.find("secret"); sec != s.end()) {
      if (!sec->is_boolean())
        return r.fail(err, field_at("settings", i, "secret"), "must be true or false", "write \"secret\": true");
      spec.secret = sec->get<bool>();
    }
    if (auto d = s.find("default"); d != s.end()) {
      std::string text;
      if (d->is_string())
        text = d->get<std::string>();
      else if (d->is_boolean())
        text = d->get<bool>() ? "yes" : "no";
      else if (long long n = 0; d->is_number_integer()) {
        if (!get_integer(*d, field_at("settings", i, "default"), r, &n, err)) return false;
        text = std::to_string(n);
      } else
        return r.fail(err, field_at("settings", i, "default"), std::string("must be a string, not ") + type_name(*d),
                      "quote the value");
      std::string normalized, why;
      if (!validate_setting_value(spec, text, &normalized, &why))
        return r.fail(err, field_at("settings", i, "default"), why, "make the default a valid " + type);
      spec.default_value = normalized;
    }
    m->settings.push_back(std::move(spec));
  }
  return true;
}

bool parse_commands(const json& doc, bool strict, const Reporter& r, Manifest* m, std::string* err) {
  auto it = doc.find("commands");
  if (it == doc.end()) return true;
  if (!it->is_array()) return r.fail(err, "\"commands\"", "must be an array of objects", "write \"commands\": []");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& c = (*it)[i];
    std::string where = field_at("commands", i);
    if (!c.is_object())
      return r.fail(err, where, "must be an object", "write {\"name\": \"...\", \"summary\": \"...\"}");
    if (!check_unknown(c, {"name", "usage", "summary", "changes_host"}, where, strict, r, err)) return false;
    CommandSpec spec;
    if (!get_string(c, "name", field_at("commands", i, "name"), r, &spec.name, err, true)) return false;
    if (!valid_command_name(spec.name))
      return r.fail(err, field_at("commands", i, "name"), "invalid command name " + in_quotes(spec.name),
                    "use lower-case letters, digits, '_' and '-', starting with a letter");
    if (m->command(spec.name))
      return r.fail(err, field_at("commands", i, "name"), "command " + in_quotes(spec.name) + " is declared twice",
                    "keep one declaration");
    if (!get_string(c, "usage", field_at("commands", i, "usage"), r, &spec.usage, err, false)) return false;
    if (!get_string(c, "summary", field_at("commands", i, "summary"), r, &spec.summary, err, true)) return false;
    if (auto ch = c.find("changes_host"); ch != c.end()) {
      if (!ch->is_boolean())
        return r.fail(err, field_at("commands", i, "changes_host"), "must be true or false",
                      "write \"changes_host\": true");
      spec.changes_host = ch->get<bool>();
    }
    m->commands.push_back(std::move(spec));
  }
  return true;
}

bool parse_name_list(const json& doc, const char* key, bool (*valid)(std::string_view), const char* rule,
                     const Reporter& r, std::vector<std::string>* out, std::string* err) {
  auto it = doc.find(key);
  if (it == doc.end()) return true;
  if (!it->is_array())
    return r.fail(err, in_quotes(key), "must be an array of strings", std::string("write \"") + key + "\": []");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    std::string where = field_at(key, i);
    if (!v.is_string()) return r.fail(err, where, std::string("must be a string, not ") + type_name(v), "quote it");
    std::string name = v.get<std::string>();
    if (!valid(name)) return r.fail(err, where, "invalid name " + in_quotes(name), rule);
    if (std::find(out->begin(), out->end(), name) != out->end())
      return r.fail(err, where, in_quotes(name) + " is listed twice", "keep one");
    out->push_back(std::move(name));
  }
  return true;
}

}  // namespace

std::string_view to_string(SettingType t) {
  switch (t) {
    case SettingType::string:
      return "string";
    case SettingType::path:
      return "path";
    case SettingType::boolean:
      return "bool";
    case SettingType::choice:
      return "choice";
    case SettingType::integer:
      return "int";
    case SettingType::list:
      return "list";
  }
  return "string";
}

const CommandSpec* Manifest::command(std::string_view n) const {
  for (const auto& c : commands)
    if (c.name == n) return &c;
  return nullptr;
}

const SettingSpec* Manifest::setting(std::string_view n) const {
  for (const auto& s : settings)
    if (s.name == n) return &s;
  return nullptr;
}

bool Manifest::has_hook(std::string_view hook) const {
  return std::find(hooks.begin(), hooks.end(), hook) != hooks.end();
}

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !is_lower(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_lower(c) || is_digit(c) || c == '-'; });
}

bool valid_command_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !is_lower(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_lower(c) || is_digit(c) || c == '_' || c == '-'; });
}

bool validate_setting_value(const SettingSpec& spec, std::string_view value, std::string* normalized,
                            std::string* err) {
  auto fail = [&](const std::string& why) {
    if (err) *err = "invalid value for " + spec.name + ": " + why;
    return false;
  };
  if (value.find('\0') != std::string_view::npos) return fail("it contains a NUL byte");
  if (!valid_utf8(value)) return fail("it is not valid UTF-8 text");
  std::string v(value);
  // A refused secret is never quoted back: not on the terminal, not in the
  // --json log.
  const std::string given = spec.secret ? std::string("the value given") : in_quotes(v);
  switch (spec.type) {
    case SettingType::string:
    case SettingType::list:
      break;
    case SettingType::path:
      if (!v.empty() && v[0] != '/') return fail(given + " is not an absolute path (start it with /)");
      if (v.find('\n') != std::string::npos) return fail("a path cannot contain a newline");
      break;
    case SettingType::boolean: {
      std::string l;
      for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (l == "yes" || l == "true" || l == "on" || l == "1")
        v = "yes";
      else if (l == "no" || l == "false" || l == "off" || l == "0")
        v = "no";
      else
        return fail(given + " is not a boolean (use yes or no)");
      break;
    }
    case SettingType::choice:
      if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
        std::string all;
        for (const auto& c : spec.choices) all += (all.empty() ? "" : ", ") + c;
        return fail(given + " is not one of: " + all);
      }
      break;
    case SettingType::integer: {
      long long n = 0;
      auto res = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size())
        return fail(given + " is not an integer");
      if (spec.min && n < *spec.min) return fail(given + " is below the minimum " + std::to_string(*spec.min));
      if (spec.max && n > *spec.max) return fail(given + " is above the maximum " + std::to_string(*spec.max));
      v = std::to_string(n);
      break;
    }
  }
  if (normalized) *normalized = std::move(v);
  return true;
}

bool parse_manifest(const std::filesystem::path& file, std::string_view text, Manifest* out, std::string* err) {
  Reporter r(file);
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    return r.fail(err, "", "not valid JSON (" + what + ")", "fix the syntax (a JSON linter shows where)");
  }
  if (!doc.is_object()) return r.fail(err, "", "the manifest must be a JSON object", "start it with {");

  Manifest m;
  m.file = file;
  std::string fmt;
  if (!get_string(doc, "format_version", "\"format_version\"", r, &fmt, err, true)) return false;
  if (!parse_major_minor(fmt, &m.format_major, &m.format_minor))
    return r.fail(err, "\"format_version\"", "invalid version " + in_quotes(fmt),
                  "write \"MAJOR.MINOR\", e.g. \"1.0\"");
  if (m.format_major != kManifestFormatMajor)
    return r.fail(err, "\"format_version\"",
                  "format " + fmt + " is not supported by this sc (it reads format " +
                      std::to_string(kManifestFormatMajor) + ".x)",
                  m.format_major > kManifestFormatMajor ? "upgrade sc, or install a module version made for it"
                                                        : "upgrade the module");
  // Same or older minor: unknown fields are mistakes. Newer minor: they are
  // additions this core does not know, and are ignored.
  const bool strict = m.format_minor <= kManifestFormatMinor;
  if (!check_unknown(doc,
                     {"format_version", "name", "version", "abi", "library", "summary", "requires", "settings",
                      "commands", "hooks"},
                     "", strict, r, err))
    return false;

  if (!get_string(doc, "name", "\"name\"", r, &m.name, err, true)) return false;
  if (!valid_module_name(m.name))
    return r.fail(err, "\"name\"", "invalid module name " + in_quotes(m.name),
                  "use lower-case letters, digits and '-', starting with a letter");
  std::string stem = file.stem().string();
  if (file.extension() == ".json" && stem != m.name)
    return r.fail(err, "\"name\"", "module " + in_quotes(m.name) + " is in a file named " + file.filename().string(),
                  "rename the file to " + m.name + ".json or fix the name");
  if (!get_string(doc, "version", "\"version\"", r, &m.version, err, true)) return false;
  if (m.version.empty() || m.version.size() > 64 ||
      !std::all_of(m.version.begin(), m.version.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(".+~-", c); }) ||
      !is_digit(m.version[0]))
    return r.fail(err, "\"version\"", "invalid version " + in_quotes(m.version),
                  "use a Debian-compatible version such as \"1.2.0\"");
  std::string abi;
  if (!get_string(doc, "abi", "\"abi\"", r, &abi, err, true)) return false;
  int amaj = 0, amin = 0;
  if (!parse_major_minor(abi, &amaj, &amin))
    return r.fail(err, "\"abi\"", "invalid ABI version " + in_quotes(abi), "write \"MAJOR.MINOR\", e.g. \"1.0\"");
  m.abi_major = static_cast<std::uint16_t>(amaj);
  m.abi_minor = static_cast<std::uint16_t>(amin);
  std::string lib;
  if (!get_string(doc, "library", "\"library\"", r, &lib, err, true)) return false;
  if (lib.empty() || lib[0] == '/' || lib.find('/') != std::string::npos || lib == "." || lib == "..")
    return r.fail(err, "\"library\"", "invalid library " + in_quotes(lib),
                  "give the file name of the library beside the manifest, e.g. \"" + m.name + ".so\"");
  m.library = file.parent_path() / lib;
  if (!get_string(doc, "summary", "\"summary\"", r, &m.summary, err, true)) return false;
  if (!parse_name_list(doc, "requires", valid_module_name, "use a module name such as \"crontask\"", r, &m.requires_,
                       err))
    return false;
  if (std::find(m.requires_.begin(), m.requires_.end(), m.name) != m.requires_.end())
    return r.fail(err, "\"requires\"", "the module requires itself", "remove " + in_quotes(m.name));
  if (!parse_settings(doc, strict, r, &m, err)) return false;
  if (!parse_commands(doc, strict, r, &m, err)) return false;
  if (!parse_name_list(doc, "hooks", valid_command_name, "use a hook name such as \"files\"", r, &m.hooks, err))
    return false;
  *out = std::move(m);
  return true;
}

bool load_manifest(const std::filesystem::path& file, Manifest* out, std::string* err) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (err) *err = file.string() + ": cannot read manifest: " + std::strerror(errno);
    return false;
  }
  // Every `sc help` reads every manifest: a huge one would slow them all.
  in.seekg(0, std::ios::end);
  const auto size = static_cast<long long>(in.tellg());
  if (size > static_cast<long long>(kMaxManifestBytes)) {
    if (err)
      *err = file.string() + ": the manifest is " + std::to_string(size) + " bytes, more than the " +
             std::to_string(kMaxManifestBytes / 1024) + " KiB a manifest may have; reinstall the module";
    return false;
  }
  in.seekg(0);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_manifest(file, ss.str(), out, err);
}

}  // namespace sc
