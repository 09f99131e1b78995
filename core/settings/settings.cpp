#include "settings/settings.hpp"

#include <cstdio>

#include "modules/dependency_graph.hpp"
#include "sc/plugin.h"

namespace sc {

namespace {
constexpr const char* kLogSource = "settings";
}

Settings::Settings(SettingsOptions opts, PluginCatalog& catalog, Executor& executor, Prompter& prompter, Output& output)
    : opts_(std::move(opts)), catalog_(catalog), executor_(executor), prompter_(prompter), output_(output) {}

SettingsStore* Settings::store(std::string* err) {
  if (store_) return store_.get();
  auto store = std::make_unique<SettingsStore>(opts_.root, "/etc/sc");
  store->set_repair(!opts_.dry_run);  // a dry run changes nothing, not even a mode
  if (!store->load(err)) return nullptr;
  const std::string file = store->file().string();
  auto octal = [](std::uint32_t mode) {
    char text[16];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return std::string(text);
  };
  if (std::uint32_t mode = store->repaired_mode())
    output_.log(
        SC_LOG_WARN, kLogSource,
        file + " had mode " + octal(mode) + "; set back to 0600, since it holds secrets (check who changed it)");
  if (std::uint32_t mode = store->unrepaired_mode())
    output_.log(SC_LOG_WARN, kLogSource,
                file + " has mode " + octal(mode) +
                    "; the next run without --dry-run sets it back to 0600, since it "
                    "holds secrets");
  if (store->legacy()) {
    // The original's file is a shell script, often world-readable with
    // passwords in it: rewrite it at once in our format, mode 0600.
    if (opts_.dry_run) {
      output_.log(SC_LOG_WARN, kLogSource,
                  file +
                      " is in the original sc format; it will be converted (0600, a copy kept beside it) by the "
                      "next run without --dry-run");
    } else if (!store->update({}, err)) {
      return nullptr;
    } else {
      output_.log(SC_LOG_INFO, kLogSource,
                  "converted " + file + " from the original sc format (copy kept as " + store->legacy_copy() + ")");
    }
  }
  store_ = std::move(store);
  return store_.get();
}

const SettingSpec* Settings::declared(const std::string& module, const std::string& name, std::string* err) {
  if (!valid_setting_name(name)) {
    *err = "\"" + name + "\" is not a setting name (upper-case letters, digits and '_', starting with a letter)";
    return nullptr;
  }
  std::vector<std::shared_ptr<const Manifest>> order;
  auto find = [this](const std::string& n, std::string* e) { return catalog_.find(n, e); };
  if (!resolve_dependencies(module, find, &order, err)) return nullptr;
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    if (const SettingSpec* s = (*it)->setting(name)) return s;
  *err = "setting " + name + " is not declared by module " + module +
         " or the modules it requires; declare it in the \"settings\" of " + module + ".json";
  return nullptr;
}

std::shared_ptr<const Manifest> Settings::owner(const std::string& name) {
  for (const auto& e : catalog_.all())
    if (e.manifest && e.manifest->setting(name)) return e.manifest;
  return nullptr;
}

const SettingSpec* Settings::spec_of(const std::string& name) {
  auto m = owner(name);
  return m ? m->setting(name) : nullptr;
}

std::optional<std::string> Settings::value(const std::string& name, std::string* err) {
  if (auto it = opts_.overrides.find(name); it != opts_.overrides.end() && !without_overrides_) return it->second;
  for (auto frame = answers_.rbegin(); frame != answers_.rend(); ++frame)
    if (auto it = frame->find(name); it != frame->end()) return it->second.value;
  if (auto it = dry_changes_.find(name); it != dry_changes_.end()) return it->second;
  SettingsStore* s = store(err);
  if (!s) return std::nullopt;
  return s->get(name);
}

std::optional<std::string> Settings::value_or_default(const std::string& name, std::string* err) {
  if (auto v = value(name, err)) return v;
  if (const SettingSpec* spec = spec_of(name); spec && spec->default_value) return spec->default_value;
  return std::nullopt;
}

bool Settings::put(const std::string& name, const std::optional<std::string>& value, const SettingSpec* spec,
                   std::string* err) {
  if (value && !valid_setting_value(*value)) {
    *err = "invalid value for " + name + ": settings must be valid UTF-8 text without NUL bytes";
    return false;
  }
  SettingsStore* s = store(err);
  if (!s) return false;
  std::optional<std::string> before;
  if (auto it = dry_changes_.find(name); it != dry_changes_.end())
    before = it->second;
  else
    before = s->get(name);
  const bool secret = spec && spec->secret;
  if (secret && value && !value->empty()) executor_.add_secret(*value);
  Action a;
  a.kind = "setting";
  a.target = name;
  if (before == value) {
    a.state = ActionState::ok;
    executor_.record(std::move(a));
    return true;
  }
  auto shown = [&](const std::optional<std::string>& v) {
    if (!v) return std::string("(unset)");
    return secret ? std::string(kRedacted) : "\"" + *v + "\"";
  };
  a.detail = shown(before) + " -> " + shown(value);
  if (opts_.dry_run) {
    dry_changes_[name] = value;
    a.state = ActionState::planned;
    executor_.record(std::move(a));
    return true;
  }
  if (!s->update({{name, value}}, err)) {
    a.state = ActionState::failed;
    executor_.record(std::move(a));
    return false;
  }
  a.state = ActionState::changed;
  executor_.record(std::move(a));
  return true;
}

bool Settings::ask(const SettingSpec& spec, bool offer_default, std::string* answer, int* status, std::string* err) {
  Question q;
  q.prompt = spec.prompt.empty() ? "Value of " + spec.name : spec.prompt;
  if (spec.default_value && offer_default) q.default_value = spec.default_value;
  q.kind = spec.secret                         ? Question::Kind::secret
           : spec.type == SettingType::choice  ? Question::Kind::choice
           : spec.type == SettingType::boolean ? Question::Kind::yes_no
                                               : Question::Kind::text;
  q.choices = spec.choices;
  if (!prompter_.interactive() && !(opts_.yes && q.default_value)) {
    *err = "setting " + spec.name + " (" + q.prompt +
           ") is not set and there is no terminal to ask on; give it with --set " + spec.name + "=VALUE" +
           (q.default_value ? ", or accept the default with --yes" : "");
    *status = SC_USAGE;
    return false;
  }
  for (;;) {
    if (!prompter_.ask(q, answer, err)) {
      *err = "setting " + spec.name + ": " + *err;
      *status = SC_FAIL;
      return false;
    }
    std::string normalized;
    if (validate_setting_value(spec, *answer, &normalized, err)) {
      *answer = normalized;
      return true;
    }
    if (!prompter_.interactive()) {
      *status = SC_USAGE;
      return false;
    }
    output_.log(SC_LOG_WARN, kLogSource, *err);
  }
}

int Settings::get(const std::string& module, const std::string& name, SettingQuery q, std::string* out,
                  std::string* err) {
  const SettingSpec* spec = declared(module, name, err);
  if (!spec) return SC_USAGE;
  std::string store_err;
  auto current = value(name, &store_err);
  if (!store_err.empty()) {
    *err = store_err;
    return SC_FAIL;
  }
  const bool from_override = opts_.overrides.count(name) > 0 && !without_overrides_;
  if (current) {
    std::string normalized;
    if (!validate_setting_value(*spec, *current, &normalized, err)) {
      *err += from_override ? " (given with --set)" : " (fix it with `sc settings set`)";
      return SC_USAGE;
    }
    // An answer given with --set to a question the module asks is kept,
    // exactly as an answer typed at the prompt would be.
    if (q.prompt && from_override) {
      SettingsStore* s = store(err);
      if (!s) return SC_FAIL;
      if (s->get(name) != normalized && !keep_answer(name, normalized, spec, err)) return SC_FAIL;
    }
    current = normalized;
  } else if (q.prompt) {
    std::string answer;
    int status = SC_FAIL;
    if (!ask(*spec, !q.no_default, &answer, &status, err)) return status;
    if (!keep_answer(name, answer, spec, err)) return SC_FAIL;
    current = answer;
  } else if (spec->default_value && !q.no_default) {
    current = spec->default_value;
  } else {
    *err = "setting " + spec->name + " is not set";
    return SC_FAIL;
  }
  if (spec->secret && !current->empty()) executor_.add_secret(*current);
  *out = std::move(*current);
  return SC_OK;
}

bool Settings::keep_answer(const std::string& name, const std::string& value, const SettingSpec* spec,
                           std::string* err) {
  // Outside a command (or under --dry-run, where nothing is stored) there
  // is nothing to wait for.
  if (answers_.empty() || opts_.dry_run) return put(name, value, spec, err);
  if (spec && spec->secret && !value.empty()) executor_.add_secret(value);
  answers_.back()[name] = Answer{value, spec};
  return true;
}

void Settings::begin_command() {
  answers_.emplace_back();
}

bool Settings::end_command(bool succeeded, std::string* err) {
  if (answers_.empty()) return true;
  std::map<std::string, Answer> frame = std::move(answers_.back());
  answers_.pop_back();
  if (frame.empty()) return true;
  if (!succeeded) {
    std::string names;
    for (const auto& [name, a] : frame) names += (names.empty() ? "" : ", ") + name;
    output_.log(SC_LOG_INFO, kLogSource, "not stored, since the command did not succeed: " + names);
    return true;
  }
  // A command nested in another hands its answers to it: the outer
  // command's success decides. Stored at the end of the outermost one.
  if (!answers_.empty()) {
    for (auto& [name, a] : frame) answers_.back()[name] = std::move(a);
    return true;
  }
  for (const auto& [name, a] : frame)
    if (!put(name, a.value, a.spec, err)) return false;
  return true;
}

int Settings::set(const std::string& module, const std::string& name, const std::string& value, std::string* err) {
  const SettingSpec* spec = declared(module, name, err);
  if (!spec) return SC_USAGE;
  std::string normalized;
  if (!validate_setting_value(*spec, value, &normalized, err)) return SC_USAGE;
  return put(name, normalized, spec, err) ? SC_OK : SC_FAIL;
}

int Settings::unset(const std::string& module, const std::string& name, std::string* err) {
  const SettingSpec* spec = declared(module, name, err);
  if (!spec) return SC_USAGE;
  return put(name, std::nullopt, spec, err) ? SC_OK : SC_FAIL;
}

}  // namespace sc
