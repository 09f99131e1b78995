// `sc migrate [--undo]`: takes over a host where the original bash
// synccluster is installed. What the original left (its program and bash
// modules in /usr/local, /etc/default/sc, /etc/sc in its format, its cron
// entries and systemd units) is moved into /var/lib/sc/migrate/original/
// (a tree mirroring the paths) with a record, migration.json; the settings
// are imported through the settings service (the original's names and
// meanings mapped by the core's parse path); the same cron tasks, daemons
// and boot units are written again by our crontask, daemon and boot
// modules. `--undo` checks that everything the migration wrote is still as
// it wrote it, then removes it and puts every original file back.
//
// Every change is an action of the engine, so --dry-run, --diff, --root and
// --json hold. A host whose backup directory holds a migration already and
// where original files appear again (the original reinstalled) is refused:
// undo first, or move the old backup aside.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "base/sha256.hpp"
#include "base/text.hpp"
#include "base/version.hpp"
#include "commands/commands.hpp"
#include "commands/original_install.hpp"
#include "settings/settings_store.hpp"

namespace sc {

using json = nlohmann::json;

namespace {

constexpr const char* kUsage = "usage: sc migrate [--undo]";
constexpr const char* kStateDir = "/var/lib/sc/migrate";
constexpr const char* kBackupDir = "/var/lib/sc/migrate/original";
constexpr const char* kRecord = "/var/lib/sc/migrate/original/migration.json";
constexpr const char* kSettingsLegacy = "/etc/sc.legacy";
constexpr const char* kSettingsLock = "/etc/sc.lock";
constexpr int kRecordFormat = 1;

std::string backup_path(const std::string& path) {
  return std::string(kBackupDir) + path;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool under_state_dir(const std::string& path) {
  const std::string dir = kStateDir;
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

/// A word as a shell would need it (for the commands the report suggests).
std::string shown_word(const std::string& w) {
  if (!w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("@+=:,./_-").find(c) != std::string_view::npos;
      }))
    return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shown_command(const std::vector<std::string>& words) {
  std::string out = "sc";
  for (const auto& w : words) out += " " + shown_word(w);
  return out;
}

/// One path of the original, to be moved into the backup.
struct Item {
  std::string path;
  std::string what;  ///< "the original's program", "module backup", ...
  rooted_fs::Node node;
  std::string text;  ///< content (regular files)
};

/// A task or unit of the original, written again by one of our modules.
struct Replacement {
  std::string from;                  ///< the original's file
  std::string what;                  ///< "cron task backup daily /srv"
  std::string module;                ///< the module whose cron/daemon/boot runs
  std::string runs;                  ///< "cron", "daemon" or "boot"
  std::vector<std::string> command;  ///< {"crontask", "add", ...}
};

struct Scan {
  std::optional<std::string> version;  ///< of the original's program
  std::vector<Item> items;
  std::vector<std::string> modules;  ///< the original's bash modules
  bool settings = false;             ///< /etc/sc in the original's format is among items
  bool settings_converted = false;   ///< /etc/sc.legacy (converted by an earlier sc) is among items
  std::string settings_text;
  std::vector<Replacement> replacements;
  std::vector<std::string> daemon_units;  ///< the original's daemon units (stopped before they go)
  std::vector<std::string> warnings;
};

/// The text and the run's details of one `sc migrate`.
struct Report {
  std::string text;
  json doc = json::object();
  std::vector<std::string> warnings;
};

class Migration {
 public:
  Migration(Session& s, Frame& frame) : s_(s), ex_(s.executor()), frame_(frame) {}

  int migrate();
  int undo();
  /// What of the original is in place (changes nothing).
  std::vector<std::string> found() {
    std::vector<std::string> out;
    for (const auto& i : scan().items) out.push_back(i.path + " (" + i.what + ")");
    return out;
  }

 private:
  bool node_of(const std::string& path, rooted_fs::Node* node) {
    std::string err;
    if (!ex_.stat(path, false, node, &err)) {
      node->type = rooted_fs::NodeType::missing;
      return false;
    }
    return node->type != rooted_fs::NodeType::missing;
  }
  bool read(const std::string& path, std::string* text) {
    std::string err;
    return ex_.read_file(path, text, &err);
  }
  std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    std::string err;
    rooted_fs::Node node;
    if (!node_of(dir, &node) || node.type != rooted_fs::NodeType::dir) return names;
    ex_.list_dir(dir, &names, &err);
    return names;
  }
  void warn(const std::string& message) {
    report_.warnings.push_back(message);
    s_.output().log(SC_LOG_WARN, "migrate", message);
  }
  int fail(const std::string& message, int status = kExitFailure) {
    frame_.error = message;
    return status;
  }
  void print(const std::string& text) { report_.text += text; }

  Scan scan();
  void scan_cron(Scan* scan);
  void scan_units(Scan* scan);
  bool systemd_running() {
    rooted_fs::Node n;
    return node_of("/run/systemd/system", &n) && n.type == rooted_fs::NodeType::dir;
  }
  bool move_into_backup(const Item& item, std::string* err);
  int import_settings(const Scan& scan);
  void replace(const Scan& scan);
  bool write_record(const Scan& scan, size_t first_action, bool lock_existed, std::string* err);
  int finish(int status);

  Session& s_;
  Executor& ex_;
  Frame& frame_;
  Report report_;
  json moved_ = json::array();
  json removed_dirs_ = json::array();
  json settings_notes_ = json::array();
  json mapping_notes_ = json::array();  ///< the settings mapping's notes
  json replaced_ = json::array();
  json kept_ = json::array();
  std::vector<std::string> made_state_dirs_;
  rooted_fs::Node node_scratch_;  ///< parents of the backup the migration made
};

// ---- finding the original ----

Scan Migration::scan() {
  Scan sc;
  rooted_fs::Node node;
  std::string text;
  // The original's files are small scripts: a large file (our own sc, a
  // plugin) is not read at all (sc status scans too).
  constexpr std::uint64_t kLargest = 1 << 20;
  auto small = [&](const std::string& path) {
    rooted_fs::Node target;
    std::string err;
    return ex_.stat(path, true, &target, &err) && target.type == rooted_fs::NodeType::file && target.size <= kLargest;
  };
  if (node_of(original::kProgram, &node) &&
      (node.type == rooted_fs::NodeType::file || node.type == rooted_fs::NodeType::symlink) &&
      small(original::kProgram) && read(original::kProgram, &text)) {
    if (auto v = original::program_version(text)) {
      sc.version = *v;
      sc.items.push_back({original::kProgram, "the original's program (version " + *v + ")", node, text});
    }
  }
  for (const auto& name : names_in(original::kLibDir)) {
    const std::string path = std::string(original::kLibDir) + "/" + name;
    // Only its bash scripts: our NAME.so, NAME.json and core/ stay.
    if (name.find('.') != std::string::npos || !node_of(path, &node) || node.type != rooted_fs::NodeType::file ||
        node.size > kLargest || !read(path, &text))
      continue;
    if (!original::is_module_file(name, text) || text.rfind("#!", 0) != 0) continue;
    sc.modules.push_back(name);
    sc.items.push_back({path, "the original's module " + name, node, text});
  }
  if (node_of(original::kDefaults, &node) && node.type == rooted_fs::NodeType::file && read(original::kDefaults, &text))
    sc.items.push_back({original::kDefaults, "the original's defaults (its install paths; not imported)", node, text});
  if (node_of(original::kSettings, &node) && node.type == rooted_fs::NodeType::file &&
      read(original::kSettings, &text) && !text.empty() && text.rfind("# sc-settings ", 0) != 0) {
    sc.settings = true;
    sc.settings_text = text;
    sc.items.push_back({original::kSettings, "the original's settings", node, text});
  } else if (node_of(kSettingsLegacy, &node) && node.type == rooted_fs::NodeType::file &&
             read(kSettingsLegacy, &text)) {
    // An sc run before converted /etc/sc already (keeping this copy).
    sc.settings_converted = true;
    sc.settings_text = text;
    sc.items.push_back({kSettingsLegacy, "the original's settings (converted to sc's format before)", node, text});
  }
  scan_cron(&sc);
  scan_units(&sc);
  return sc;
}

void Migration::scan_cron(Scan* scan) {
  for (const auto& name : names_in(original::kCronDir)) {
    std::string module, period;
    if (!original::cron_file_name(name, &module, &period)) continue;
    const std::string path = std::string(original::kCronDir) + "/" + name;
    rooted_fs::Node node;
    std::string text;
    if (!node_of(path, &node) || node.type != rooted_fs::NodeType::file || !read(path, &text)) continue;
    if (original::written_by_us(text)) continue;
    scan->items.push_back({path, "the original's cron task " + module + " " + period, node, text});
    original::CronTask task;
    std::string why;
    if (!original::parse_cron(name, text, &task, &why)) {
      scan->warnings.push_back(path + " is not understood (" + why +
                               "): kept in the backup, no task written; add it yourself with `sc crontask add " +
                               module + " " + period + " [ARGS...]`");
      continue;
    }
    Replacement r;
    r.from = path;
    r.module = task.module;
    r.runs = "cron";
    r.command = {"crontask", "add", task.module, task.period};
    r.command.insert(r.command.end(), task.args.begin(), task.args.end());
    r.what = "cron task " + join_words({r.command.begin() + 2, r.command.end()});
    scan->replacements.push_back(std::move(r));
  }
}

void Migration::scan_units(Scan* scan) {
  for (const auto& name : names_in(original::kUnitDir)) {
    original::UnitTask::Kind kind;
    std::string stem;
    if (!original::unit_file_name(name, &kind, &stem)) continue;
    const std::string path = std::string(original::kUnitDir) + "/" + name;
    rooted_fs::Node node;
    std::string text;
    if (!node_of(path, &node) || node.type != rooted_fs::NodeType::file || !read(path, &text)) continue;
    if (original::written_by_us(text)) continue;
    const bool daemon = kind == original::UnitTask::Kind::daemon;
    scan->items.push_back(
        {path, std::string("the original's ") + (daemon ? "daemon" : "boot") + " unit " + name, node, text});
    if (daemon) scan->daemon_units.push_back(name);
    const std::string link = std::string(original::kWantsDir) + "/" + name;
    rooted_fs::Node ln;
    if (node_of(link, &ln) && ln.type == rooted_fs::NodeType::symlink)
      scan->items.push_back({link, "the enable link of " + name, ln, {}});
    original::UnitTask task;
    std::string why;
    if (!original::parse_unit(name, text, &task, &why)) {
      scan->warnings.push_back(path + " is not understood (" + why +
                               "): kept in the backup, no unit written; add it yourself with `sc " +
                               (daemon ? "daemon" : "boot") + " add NAME`");
      continue;
    }
    Replacement r;
    r.from = path;
    r.module = task.module;
    r.runs = daemon ? "daemon" : "boot";
    r.command = {r.runs, "add", task.module};
    if (!task.instance.empty()) r.command.push_back(task.instance);
    r.what = r.runs + " " + join_words({r.command.begin() + 2, r.command.end()});
    scan->replacements.push_back(std::move(r));
  }
}

// ---- moving ----

bool Migration::move_into_backup(const Item& item, std::string* err) {
  const std::string to = backup_path(item.path);
  FileSpec dir;
  dir.mode = 0755;
  if (!ex_.make_dir(parent_of(to), dir, err)) return false;
  json entry = {{"path", item.path}, {"what", item.what}, {"uid", item.node.uid}, {"gid", item.node.gid}};
  if (item.node.type == rooted_fs::NodeType::symlink && item.text.empty()) {
    if (!ex_.symlink(item.node.link, to, err)) return false;
    entry["type"] = "symlink";
    entry["link"] = item.node.link;
  } else {
    FileSpec spec;
    spec.mode = item.node.mode & 07777;
    spec.secret = item.path == original::kSettings || item.path == kSettingsLegacy;
    if (!ex_.write_file(to, item.text, spec, err)) return false;
    entry["type"] = "file";
    entry["mode"] = item.node.mode & 07777;
    entry["sha256"] = sha256_hex(item.text);
    if (item.node.type == rooted_fs::NodeType::symlink) {
      // The program reached through a link: the link goes, its target's
      // text is kept (and comes back as a file).
      entry["was_link"] = item.node.link;
    }
  }
  if (!ex_.remove(item.path, false, err)) return false;
  moved_.push_back(entry);
  return true;
}

// ---- settings ----

int Migration::import_settings(const Scan& scan) {
  // What the original held, through the core's parse path (which maps the
  // original's names and meanings to ours).
  std::map<std::string, std::string> values;
  std::string err;
  std::vector<std::string> notes;  // what the mapping did: renamed, flipped, dropped
  if (!parse_settings(scan.settings_text, original::kSettings, &values, &err, &notes)) {
    // One bad line must not lose the others: each assignment alone (a
    // quoted value may span lines), each refused line said (the whole text
    // is in the backup).
    values.clear();
    const std::vector<std::string_view> lines = lines_of(scan.settings_text);
    for (size_t i = 0; i < lines.size();) {
      std::string chunk, first_err;
      size_t taken = 0;
      for (size_t j = i; j < lines.size() && !taken; ++j) {
        chunk += (j == i ? "" : "\n") + std::string(lines[j]);
        std::map<std::string, std::string> one;
        std::string line_err;
        if (parse_settings(chunk, original::kSettings, &one, &line_err, &notes)) {
          for (auto& [k, v] : one) values[k] = v;
          taken = j - i + 1;
        } else if (j == i) {
          first_err = line_err;
        }
      }
      if (taken) {
        i += taken;
        continue;
      }
      warn(std::string(original::kSettings) + " line " + std::to_string(i + 1) +
           " not imported (kept in the backup): " + first_err);
      ++i;
    }
  }
  for (const auto& n : notes) mapping_notes_.push_back(n);
  // Under --dry-run the store is not opened: opening it would read (and
  // repair the mode of) the original's file still in place.
  const bool dry = ex_.options().dry_run;
  SettingsStore* store = dry ? nullptr : s_.settings().store(&err);
  if (!dry && !store) return fail("cannot open the settings: " + err);
  // /etc/sc was moved away: the store reads it again (an empty file).
  if (store && !store->load(&err)) return fail("cannot read the settings: " + err);
  int imported = 0;
  for (const auto& [name, value] : values) {
    const SettingSpec* spec = s_.settings().spec_of(name);
    std::string stored = value;
    if (spec && !validate_setting_value(*spec, value, &stored, &err)) {
      warn("setting " + name + " not imported: " + err);
      settings_notes_.push_back({{"name", name}, {"note", "not imported: " + err}});
      continue;
    }
    if (dry) {
      Action a;
      a.kind = "setting";
      a.target = name;
      a.state = ActionState::planned;
      a.detail = "(unset) -> imported from the original";
      ex_.record(std::move(a));
    } else if (!s_.settings().put(name, stored, spec, &err)) {
      return fail("cannot store setting " + name + ": " + err);
    }
    settings_notes_.push_back({{"name", name}, {"note", spec ? "imported" : "imported (no installed module uses it)"}});
    ++imported;
  }
  return kExitOk;
}

// ---- our tasks and units ----

void Migration::replace(const Scan& scan) {
  for (const auto& r : scan.replacements) {
    const std::string& writer = r.command[0];
    std::string err;
    auto fix = shown_command(r.command);
    auto keep = [&](const std::string& why) {
      warn(r.from + " (" + r.what + "): " + why + "; the original's file is kept in " + backup_path(r.from));
      kept_.push_back({{"from", r.from}, {"what", r.what}, {"why", why}, {"command", fix}});
    };
    auto m = s_.manifest(r.module, &err);
    if (!m) {
      keep("module " + r.module + " is not installed: install synccluster-plugin-" + r.module + ", run `sc " +
           r.module + " setup`, then `" + fix + "`");
      continue;
    }
    if (!m->runs(r.runs)) {
      keep("module " + r.module + " of this sc has no " + r.runs + " command: nothing to run");
      continue;
    }
    if (!s_.manifest(writer, &err)) {
      keep("module " + writer + " is not installed: install synccluster-plugin-" + writer + ", then run `" + fix + "`");
      continue;
    }
    Frame f;
    f.module = writer;
    f.command = "add";
    f.capture = true;
    int rc = s_.run(&f, {r.command.begin() + 2, r.command.end()});
    if (rc != kExitOk) {
      keep("`" + fix + "` failed: " + (f.error.empty() ? "exit status " + std::to_string(rc) : f.error));
      continue;
    }
    replaced_.push_back({{"from", r.from}, {"what", r.what}, {"command", fix}});
  }
}

// ---- the record ----

bool Migration::write_record(const Scan& scan, size_t first_action, bool lock_existed, std::string* err) {
  json written = json::array(), made = made_state_dirs_;
  std::set<std::string> seen;
  const auto& actions = ex_.actions();
  for (size_t i = first_action; i < actions.size(); ++i) {
    const Action& a = actions[i];
    if (a.state != ActionState::changed && a.state != ActionState::planned) continue;
    if (under_state_dir(a.target) || a.target.empty() || a.target[0] != '/') continue;
    if (a.kind == "mkdir") {
      made.push_back(a.target);
      continue;
    }
    if (a.kind != "write" && a.kind != "symlink") continue;
    seen.insert(a.target);
  }
  // The settings file our store wrote, and its lock when it made it.
  rooted_fs::Node node;
  if (scan.settings && node_of(original::kSettings, &node)) seen.insert(original::kSettings);
  if (!lock_existed && node_of(kSettingsLock, &node)) seen.insert(kSettingsLock);
  for (const auto& path : seen) {
    if (!node_of(path, &node)) continue;  // written, then removed again
    if (node.type == rooted_fs::NodeType::symlink) {
      written.push_back({{"path", path}, {"type", "symlink"}, {"link", node.link}});
    } else {
      std::string text;
      if (!read(path, &text)) continue;
      written.push_back({{"path", path}, {"type", "file"}, {"sha256", sha256_hex(text)}});
    }
  }
  json record = {
      {"format", kRecordFormat},
      {"by", "sc migrate"},
      {"sc_version", version()},
      {"date",
       std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()},
      {"original_version", scan.version ? json(*scan.version) : json(nullptr)},
      {"original_modules", scan.modules},
      {"moved", moved_},
      {"removed_dirs", removed_dirs_},
      {"written", written},
      {"made_dirs", made},
      {"settings_converted_before", scan.settings_converted},
      {"kept", kept_},
  };
  FileSpec spec;
  spec.mode = 0600;
  return ex_.write_file(kRecord, record.dump(2, ' ', false, json::error_handler_t::replace) + "\n", spec, err);
}

int Migration::finish(int status) {
  report_.doc["warnings"] = report_.warnings;
  frame_print(s_, frame_, report_.text);
  frame_.result = report_.doc;
  return status;
}

int Migration::migrate() {
  rooted_fs::Node record_node;
  const bool had_record = node_of(kRecord, &record_node);
  rooted_fs::Node backup_node;
  bool had_backup = node_of(kBackupDir, &backup_node);
  Scan scan = this->scan();
  report_.doc["backup"] = kBackupDir;
  if (scan.items.empty()) {
    report_.doc["found"] = false;
    report_.doc["migrated_before"] = had_record;
    print(had_record ? std::string("Nothing to do: this host was migrated already (the original is kept in ") +
                           kBackupDir + "; `sc migrate --undo` puts it back).\n"
                     : "Nothing to do: the original sc is not installed on this host.\n");
    return finish(kExitOk);
  }
  // A backup directory without a record: what someone put there before
  // (`sc master adopt` moves the original's program there before it
  // installs sc in /usr/local) joins this migration, unless a file found
  // now would land on one of its files.
  rooted_fs::Node kept_program;
  std::string kept_text;
  if (had_backup && !had_record) {
    bool clash = false;
    for (const auto& i : scan.items) clash = clash || node_of(backup_path(i.path), &node_scratch_);
    if (!clash && node_of(backup_path(original::kProgram), &kept_program) &&
        kept_program.type == rooted_fs::NodeType::file && read(backup_path(original::kProgram), &kept_text)) {
      if (auto v = original::program_version(kept_text); v && !scan.items.empty()) {
        if (!scan.version) scan.version = *v;
        moved_.push_back({{"path", original::kProgram},
                          {"what", "the original's program (version " + *v + "), moved there before the migration"},
                          {"uid", kept_program.uid},
                          {"gid", kept_program.gid},
                          {"type", "file"},
                          {"mode", kept_program.mode & 07777},
                          {"sha256", sha256_hex(kept_text)}});
      }
    }
    if (!clash) had_backup = false;
  }
  if (had_backup) {
    std::string list;
    for (const auto& i : scan.items) list += (list.empty() ? "" : ", ") + i.path;
    return fail(std::string("the original sc is here again (") + list + ") but " + kBackupDir + " holds " +
                (had_record ? "an earlier migration" : "files without a record (an interrupted migration?)") +
                "; nothing changed. Either put that migration back first (`sc migrate --undo`, which refuses "
                "what would overwrite these files), or keep its backup elsewhere: `mv " +
                kBackupDir + " " + kBackupDir + ".old`, then run `sc migrate` again");
  }
  if (::geteuid() != 0 && ex_.options().root == "/" && !ex_.options().dry_run)
    return fail("`sc migrate` changes the host and needs root: run it as root (or try it with --dry-run)");

  report_.doc["found"] = true;
  report_.doc["original_version"] = scan.version ? json(*scan.version) : json(nullptr);
  report_.doc["original_modules"] = scan.modules;
  print(std::string("Found the original sc") + (scan.version ? " (version " + *scan.version + ")" : "") +
        " on this host:\n");
  json found = json::array();
  for (const auto& i : scan.items) {
    print("  " + i.path + ": " + i.what + "\n");
    found.push_back({{"path", i.path}, {"what", i.what}});
  }
  for (const auto& m : moved_) {
    print("  " + m["path"].get<std::string>() + ": " + m["what"].get<std::string>() + "\n");
    found.push_back({{"path", m["path"]}, {"what", m["what"]}});
  }
  report_.doc["items"] = found;
  for (const auto& w : scan.warnings) warn(w);

  const size_t first_action = ex_.actions().size();
  rooted_fs::Node lock_node;
  const bool lock_existed = node_of(kSettingsLock, &lock_node);
  std::string err;
  FileSpec private_dir;
  private_dir.mode = 0700;
  int status = kExitOk;
  for (const char* d : {"/var", "/var/lib", "/var/lib/sc", kStateDir}) {
    rooted_fs::Node dn;
    if (!node_of(d, &dn)) made_state_dirs_.push_back(d);
  }
  if (!ex_.make_dir(kBackupDir, private_dir, &err)) return finish(fail(err));
  // The original's daemons are stopped before their units go (ours start
  // again below); the rest of the original does not run by itself.
  const bool systemd = systemd_running();
  for (const auto& unit : scan.daemon_units) {
    if (!systemd) break;
    RunSpec run;
    run.live = true;
    run.process.argv = {"systemctl", "stop", unit};
    run.process.capture_out = run.process.capture_err = true;
    if (!ex_.run(run, nullptr, nullptr, &err)) warn("could not stop " + unit + " (moving it anyway): " + err);
  }
  for (const auto& item : scan.items) {
    if (!move_into_backup(item, &err)) {
      status = fail("cannot move " + item.path + " into " + kBackupDir + ": " + err);
      break;
    }
  }
  // The library directory, when nothing of ours is in it, goes too.
  if (status == kExitOk && !scan.modules.empty()) {
    std::vector<std::string> left;
    rooted_fs::Node lib;
    if (node_of(original::kLibDir, &lib) && lib.type == rooted_fs::NodeType::dir &&
        ex_.list_dir(original::kLibDir, &left, &err) && left.empty()) {
      if (ex_.remove(original::kLibDir, false, &err))
        removed_dirs_.push_back({{"path", original::kLibDir}, {"mode", lib.mode & 07777}});
    }
  }
  if (status == kExitOk && scan.settings) status = import_settings(scan);
  if (status == kExitOk && systemd && !scan.daemon_units.empty()) {
    RunSpec run;
    run.live = true;
    run.process.argv = {"systemctl", "daemon-reload"};
    run.process.capture_out = run.process.capture_err = true;
    if (!ex_.run(run, nullptr, nullptr, &err)) warn("systemctl daemon-reload failed: " + err);
  }
  if (status == kExitOk) replace(scan);
  // The record is written whatever happened once something moved, so that
  // --undo can put it back.
  if (!moved_.empty() && !write_record(scan, first_action, lock_existed, &err) && status == kExitOk)
    status = fail("cannot write " + std::string(kRecord) + ": " + err);

  if (scan.settings || scan.settings_converted) {
    print(scan.settings ? std::string("Settings imported from the original's ") + original::kSettings + ":\n"
                        : std::string("Settings: ") + original::kSettings +
                              " was converted to sc's format by an earlier run of sc (the original's text was " +
                              kSettingsLegacy + ")\n");
    for (const auto& n : mapping_notes_) print("  " + n.get<std::string>() + "\n");
    for (const auto& n : settings_notes_)
      print("  " + n["name"].get<std::string>() + ": " + n["note"].get<std::string>() + "\n");
  }
  report_.doc["settings"] = settings_notes_;
  report_.doc["settings_mapping"] = mapping_notes_;
  if (!replaced_.empty()) {
    print("Replaced by sc's modules:\n");
    for (const auto& r : replaced_)
      print("  " + r["from"].get<std::string>() + " -> " + r["command"].get<std::string>() + "\n");
  }
  report_.doc["replaced"] = replaced_;
  if (!kept_.empty()) {
    print("Not replaced (see the warnings):\n");
    for (const auto& k : kept_) print("  " + k["from"].get<std::string>() + ": " + k["why"].get<std::string>() + "\n");
  }
  report_.doc["kept"] = kept_;
  report_.doc["undo"] = "sc migrate --undo";
  print(std::string("The original is kept in ") + kBackupDir +
        " (migration.json lists every file moved and written).\n" + "To put it back: sc migrate --undo\n");
  return finish(status);
}

// ---- undo ----

int Migration::undo() {
  std::string text, err;
  rooted_fs::Node node;
  if (!node_of(kRecord, &node)) {
    report_.doc["undone"] = false;
    print(node_of(kBackupDir, &node) ? std::string("Nothing to undo: ") + kBackupDir +
                                           " holds no migration.json (look at it, then remove it)\n"
                                     : "Nothing to undo: no migration is recorded on this host.\n");
    return finish(kExitOk);
  }
  if (!read(kRecord, &text)) return fail("cannot read " + std::string(kRecord));
  json record = json::parse(text, nullptr, false);
  if (!record.is_object() || record.value("format", 0) != kRecordFormat || !record["moved"].is_array() ||
      !record["written"].is_array())
    return fail(std::string(kRecord) + " is not a record this sc can read; nothing changed");
  if (::geteuid() != 0 && ex_.options().root == "/" && !ex_.options().dry_run)
    return fail("`sc migrate --undo` changes the host and needs root: run it as root (or try it with --dry-run)");

  // First every check, so that a refusal changes nothing.
  std::set<std::string> to_remove;
  for (const auto& w : record["written"]) {
    const std::string path = w.value("path", "");
    if (path.empty() || path[0] != '/' || under_state_dir(path))
      return fail(std::string(kRecord) + " names a bad path; nothing changed");
    if (!node_of(path, &node)) continue;  // gone already
    bool same = false;
    if (w.value("type", "") == "symlink")
      same = node.type == rooted_fs::NodeType::symlink && node.link == w.value("link", "");
    else
      same = node.type == rooted_fs::NodeType::file && read(path, &text) && sha256_hex(text) == w.value("sha256", "");
    if (!same)
      return fail(path +
                  " changed since `sc migrate` wrote it; nothing changed. Move it aside (so that it is not lost), then "
                  "run `sc migrate --undo` again");
    to_remove.insert(path);
  }
  for (const auto& m : record["moved"]) {
    const std::string path = m.value("path", "");
    if (path.empty() || path[0] != '/' || under_state_dir(path))
      return fail(std::string(kRecord) + " names a bad path; nothing changed");
    rooted_fs::Node kept;
    if (!node_of(backup_path(path), &kept))
      return fail("the original's " + path + " is missing from " + kBackupDir + "; nothing changed");
    if (m.value("type", "") == "file" && (!read(backup_path(path), &text) || sha256_hex(text) != m.value("sha256", "")))
      return fail(backup_path(path) + " is not the file the migration kept; nothing changed");
    // The original's program comes back over an sc of ours installed in
    // its place (`sc master adopt`, a local install): that sc is not the
    // original's, and this command is how one goes back to it.
    const bool sc_in_its_place = path == original::kProgram && node_of(path, &node) &&
                                 node.type == rooted_fs::NodeType::file && read(path, &text) &&
                                 !original::program_version(text);
    if (node_of(path, &node) && !to_remove.count(path) && !sc_in_its_place)
      return fail(path +
                  " exists and was not written by `sc migrate`; nothing changed. Move it aside, then run `sc migrate "
                  "--undo` again");
  }

  // Our daemons stop before their units go; the original's start again.
  const bool systemd = systemd_running();
  auto systemctl = [&](std::vector<std::string> argv) {
    if (!systemd) return;
    RunSpec run;
    run.live = true;
    run.process.argv = std::move(argv);
    run.process.capture_out = run.process.capture_err = true;
    if (!ex_.run(run, nullptr, nullptr, &err)) warn(err);
  };
  std::vector<std::string> daemons;
  for (const auto& path : to_remove) {
    if (parent_of(path) != original::kUnitDir) continue;
    original::UnitTask::Kind kind;
    std::string stem, name = path.substr(path.rfind('/') + 1);
    if (original::unit_file_name(name, &kind, &stem) && kind == original::UnitTask::Kind::daemon)
      systemctl({"systemctl", "stop", name});
  }
  for (const auto& path : to_remove)
    if (!ex_.remove(path, false, &err)) return fail("cannot remove " + path + ": " + err);
  for (const auto& d : record.value("removed_dirs", json::array())) {
    FileSpec spec;
    spec.mode = d.value("mode", 0755u);
    if (!ex_.make_dir(d.value("path", ""), spec, &err)) return fail(err);
  }
  json restored = json::array();
  for (const auto& m : record["moved"]) {
    const std::string path = m.value("path", "");
    FileSpec dir;
    dir.mode = 0755;
    dir.keep_attrs = true;
    if (!ex_.make_dir(parent_of(path), dir, &err)) return fail(err);
    if (m.value("type", "") == "symlink") {
      if (!ex_.symlink(m.value("link", ""), path, &err)) return fail(err);
    } else {
      FileSpec spec;
      spec.mode = m.value("mode", 0644u);
      spec.secret = path == original::kSettings || path == kSettingsLegacy;
      if (!read(backup_path(path), &text) || !ex_.write_file(path, text, spec, &err))
        return fail("cannot put back " + path + ": " + err);
    }
    if (m.value("uid", 0u) != 0 || m.value("gid", 0u) != 0)
      warn(path + " belonged to uid " + std::to_string(m.value("uid", 0u)) + ", gid " +
           std::to_string(m.value("gid", 0u)) + "; it is back owned by root");
    restored.push_back(path);
    print("  put back " + path + "\n");
    original::UnitTask::Kind kind;
    std::string stem, name = path.substr(path.rfind('/') + 1);
    if (parent_of(path) == original::kUnitDir && original::unit_file_name(name, &kind, &stem) &&
        kind == original::UnitTask::Kind::daemon)
      daemons.push_back(name);
  }
  if (!ex_.remove(kBackupDir, true, &err)) return fail("cannot remove " + std::string(kBackupDir) + ": " + err);
  // Directories the migration made and that are empty again.
  std::vector<std::string> made;
  for (const auto& d : record.value("made_dirs", json::array()))
    if (d.is_string()) made.push_back(d.get<std::string>());
  std::sort(made.rbegin(), made.rend());
  for (const auto& d : made) {
    std::vector<std::string> names;
    if (node_of(d, &node) && node.type == rooted_fs::NodeType::dir && ex_.list_dir(d, &names, &err) && names.empty())
      ex_.remove(d, false, &err);
  }
  systemctl({"systemctl", "daemon-reload"});
  for (const auto& d : daemons) systemctl({"systemctl", "restart", d});
  report_.doc["undone"] = true;
  report_.doc["restored"] = restored;
  report_.doc["removed"] = std::vector<std::string>(to_remove.begin(), to_remove.end());
  report_.text = "The original sc is back (" + std::to_string(restored.size()) + " file" +
                 (restored.size() == 1 ? "" : "s") + " put back, " + std::to_string(to_remove.size()) +
                 " written by the migration removed):\n" + report_.text;
  if (record.value("settings_converted_before", false))
    print(std::string("Note: ") + original::kSettings +
          " stays in sc's format (an sc run before the migration had converted it; the original's text is " +
          kSettingsLegacy + ")\n");
  return finish(kExitOk);
}

}  // namespace

int core_migrate(Session& s, Frame& frame, const std::vector<std::string>& args) {
  bool undo = false;
  for (const auto& a : args) {
    if (a == "--undo" && !undo) {
      undo = true;
      continue;
    }
    frame.error =
        (a == "--undo" ? std::string("--undo given twice") : "unknown argument \"" + a + "\"") + "; " + kUsage;
    return kExitUsage;
  }
  Migration m(s, frame);
  return undo ? m.undo() : m.migrate();
}

std::vector<std::string> original_still_installed(Session& s) {
  Frame frame;
  return Migration(s, frame).found();
}

}  // namespace sc
