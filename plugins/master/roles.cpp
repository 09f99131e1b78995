#include "roles.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "registry.hpp"

namespace master {

bool valid_setting_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'A' || name[0] > 'Z') return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string status_text(std::optional<Role> role, const std::string& master, bool reachable, const std::string& why) {
  if (!role)
    return "this host has no role (MASTER_MODE is not set): a host of its own; `sc master setup` gives it one\n";
  if (*role == Role::master) return "this host is the master\n";
  std::string text = "this host is a " + std::string(role_name(*role)) + " host of the master " + master + "\n";
  if (reachable) return text + master + " answers (SSH, our key accepted)\n";
  return text + master + " does not answer: " + (why.empty() ? "unreachable" : why) + "\n";
}

}  // namespace master

namespace master {

namespace {

constexpr const char* kMasterArg = "{master}";
constexpr const char* kHostArg = "{host}";

Step module_setup(const std::string& module) {
  return Step{Call{module, "setup", {}}, Call{module, "ready", {}}};
}

/// A step of one of the master's services (MASTER_SERVICES).
Step service(Step s) {
  s.run.service = s.check.service = true;
  return s;
}

/// The module that owns a setting the table gives (by its prefix: the
/// table only gives settings of the mass module today).
std::string owner_of_setting(const std::string& name) {
  if (name.rfind("MASS_", 0) == 0) return "mass";
  return "";
}

std::string joined(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

}  // namespace

const std::vector<RoleSpec>& role_table() {
  // The original's roles (lib/master, master_setup), with what sc has
  // built: the package sets of the utils module and the sshd root login
  // are left to the administrator (see README).
  static const std::vector<RoleSpec> table = {
      RoleSpec{Role::master,
               "hosts every service and the shared data; the other hosts take their accounts, settings and data "
               "from it",
               {{"MASS_MODE", "separated"}},
               {},
               {module_setup("user"), module_setup("mass"), module_setup("nfssrv"), module_setup("wstunnel"),
                service(module_setup("ssl")), service(module_setup("nginx")), service(module_setup("www")),
                service(module_setup("mail")), service(module_setup("roundcube")), service(module_setup("cloud"))},
               {},
               false},
      RoleSpec{Role::standby,
               "ready to take over: the master's accounts, settings and mass storage (unison) copied periodically",
               {{"MASS_MODE", "unison"}, {"MASS_HOST", kMasterArg}},
               {"unisonsync", "update", "master/MASTER_(SERVICES|HOSTS)", "mail", "roundcube", "cloud"},
               {module_setup("user"), module_setup("unisonsync"), module_setup("mass"), module_setup("nfssrv"),
                module_setup("wstunnel"),
                // The master's certificate and key, over the session (the
                // standby answers under the master's name once promoted).
                service(Step{Call{"ssl", "sync", {kMasterArg, "standby"}}, Call{"ssl", "ready", {}}}),
                service(module_setup("nginx")), service(module_setup("www")), service(module_setup("mail")),
                service(module_setup("roundcube")), service(module_setup("cloud"))},
               {"daily", "fast"},
               false},
      RoleSpec{Role::backup,
               "stores the backups of the master (its backup list) and of the hosts it names",
               {},
               {"backup/BACKUP_LIST", "update"},
               {module_setup("user"), module_setup("backup")},
               {"daily"},
               false},
      RoleSpec{Role::client,
               "a local client: homes are the master's over NFS, the mass storage too (nfs4), accounts pulled",
               {{"MASS_MODE", "nfs4"}, {"MASS_HOST", kMasterArg}},
               {},
               {module_setup("user"),
                // The master exports /home to the hosts it allows only.
                Step{Call{"sshlink", "sc", {kMasterArg, "nfssrv", "allow", kHostArg}}, Call{}},
                Step{Call{"nfsclient", "add", {kMasterArg, "/home"}}, Call{"nfsclient", "has", {"/home"}}},
                module_setup("mass")},
               {"daily", "fast"},
               true},
      RoleSpec{Role::roaming,
               "a remote client: the users it holds (sc user roam) keep their homes here, synchronised; the mass "
               "storage a unison copy",
               {{"MASS_MODE", "unison"}, {"MASS_HOST", kMasterArg}},
               {},
               {module_setup("user"), module_setup("unisonsync"), module_setup("mass")},
               {"daily"},
               true},
  };
  return table;
}

const std::vector<std::string>& service_modules() {
  static const std::vector<std::string> modules = {"ssl", "nginx", "www", "mail", "roundcube", "cloud"};
  return modules;
}

bool is_service(const std::string& module) {
  const auto& known = service_modules();
  return std::find(known.begin(), known.end(), module) != known.end();
}

std::vector<std::string> parse_services(const std::string& value) {
  std::vector<std::string> out;
  std::string word;
  auto take = [&] {
    if (word.empty() || word == "none") {
      word.clear();
      return;
    }
    if (!is_service(word))
      throw std::invalid_argument("\"" + word + "\" is not one of the master's services (" +
                                  joined(service_modules(), ", ") + ")");
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(word);
    word.clear();
  };
  for (char ch : value) {
    if (ch == ' ' || ch == ',' || ch == '\t')
      take();
    else
      word += ch;
  }
  take();
  return out;
}

const RoleSpec& spec_of(Role role) {
  for (const auto& s : role_table())
    if (s.role == role) return s;
  return role_table().front();  // unreachable: every role is in the table
}

Call bound(const Call& call, const std::string& master, const std::string& self) {
  Call c = call;
  for (auto& a : c.args) {
    if (a == kMasterArg)
      a = master;
    else if (a == kHostArg)
      a = self;
  }
  return c;
}

bool uses_host_name(const RoleSpec& spec) {
  // Every role with a master registers this host with it (MASTER_HOSTS).
  if (spec.role != Role::master) return true;
  for (const auto& s : spec.steps)
    if (std::find(s.run.args.begin(), s.run.args.end(), kHostArg) != s.run.args.end()) return true;
  return false;
}

std::string call_text(const Call& call) {
  std::string text = "sc " + call.module + " " + call.command;
  for (const auto& a : call.args) text += " " + a;
  return text;
}

std::string package_of(const std::string& module) {
  return "synccluster-plugin-" + module;
}

std::vector<std::string> modules_needed(const RoleSpec& spec) {
  std::set<std::string> m;
  for (const auto& s : spec.steps) {
    m.insert(s.run.module);
    if (!s.check.module.empty()) m.insert(s.check.module);
  }
  for (const auto& i : spec.imports) m.insert(i.substr(0, i.find('/')));
  for (const auto& [name, value] : spec.settings)
    if (std::string o = owner_of_setting(name); !o.empty()) m.insert(o);
  if (!spec.cron.empty()) m.insert("crontask");
  if (spec.boot) m.insert("boot");
  if (spec.role != Role::master) m.insert("sshlink");
  return {m.begin(), m.end()};
}

std::vector<Call> ready_checks(const RoleSpec& spec, const std::string& master) {
  std::vector<Call> checks;
  for (const auto& s : spec.steps)
    if (!s.check.module.empty()) checks.push_back(bound(s.check, master));
  for (const auto& p : spec.cron) checks.push_back(Call{"crontask", "has", {"master", p}});
  if (spec.boot) checks.push_back(Call{"boot", "has", {"master"}});
  return checks;
}

std::string roles_text(const std::vector<Role>& roles) {
  std::string out;
  for (Role r : roles) {
    const RoleSpec& s = spec_of(r);
    if (!out.empty()) out += "\n";
    out += std::string(role_name(r)) + ": " + s.summary + "\n";
    std::vector<std::string> settings;
    for (const auto& [n, v] : s.settings) settings.push_back(n + "=" + (v == kMasterArg ? "MASTER" : v));
    if (!settings.empty()) out += "  settings: " + joined(settings, " ") + "\n";
    if (!s.imports.empty()) out += "  imported from the master: " + joined(s.imports, " ") + "\n";
    std::vector<std::string> steps;
    for (const auto& st : s.steps)
      steps.push_back(call_text(bound(st.run, "MASTER")) + (st.run.service ? " (a service)" : ""));
    out += "  sets up: " + joined(steps, ", ") + "\n";
    if (!s.cron.empty()) {
      std::vector<std::string> cron;
      for (const auto& p : s.cron) cron.push_back("sc master cron " + p);
      out += "  cron: " + joined(cron, ", ") + "\n";
    }
    if (s.boot) out += "  boot: sc master boot\n";
    if (plugin_common::role::syncs_homes(r))
      out += "  homes: kept in sync with the master's at each pull (sc user pull, unisonsync)\n";
    out += "  modules: " + joined(modules_needed(s), " ") + "\n";
  }
  return out;
}

std::string roles_json(const std::vector<Role>& roles) {
  using nlohmann::json;
  json all = json::array();
  auto call_json = [](const Call& c) {
    json j{{"module", c.module}, {"command", c.command}, {"args", c.args}};
    if (c.service) j["service"] = true;
    return j;
  };
  for (Role r : roles) {
    const RoleSpec& s = spec_of(r);
    json settings = json::object();
    for (const auto& [n, v] : s.settings) settings[n] = v;
    json steps = json::array();
    for (const auto& st : s.steps)
      steps.push_back(
          json{{"run", call_json(st.run)}, {"check", st.check.module.empty() ? json(nullptr) : call_json(st.check)}});
    all.push_back(json{{"role", role_name(r)},
                       {"summary", s.summary},
                       {"settings", settings},
                       {"imports", s.imports},
                       {"steps", steps},
                       {"cron", s.cron},
                       {"boot", s.boot},
                       {"synced_homes", plugin_common::role::syncs_homes(r)},
                       {"modules", modules_needed(s)}});
  }
  return all.dump();
}

std::string applied_text(Role role, const std::string& master) {
  return role == Role::master ? std::string(role_name(role)) : std::string(role_name(role)) + " " + master;
}

std::vector<Call> setup_plan(const RoleSpec& spec, const std::string& master, const std::string& self,
                             const std::string& source) {
  const bool has_master = spec.role != Role::master;
  std::vector<Call> plan;
  if (has_master) plan.push_back(Call{"sshlink", "add", {master}});
  plan.push_back(Call{"settings", "set", {"MASTER_MODE", role_name(spec.role)}});
  if (has_master)
    plan.push_back(Call{"settings", "set", {"MASTER_HOST", master}});
  else
    plan.push_back(Call{"settings", "del", {"MASTER_HOST"}});
  if (has_master && !spec.imports.empty()) {
    Call c{"sshlink", "importsettings", {master}};
    c.args.insert(c.args.end(), spec.imports.begin(), spec.imports.end());
    plan.push_back(c);
  }
  for (const auto& [name, value] : spec.settings) plan.push_back(bound(Call{"settings", "set", {name, value}}, master));
  for (const auto& s : spec.steps) plan.push_back(bound(s.run, master, self));
  for (const auto& p : spec.cron) plan.push_back(Call{"crontask", "add", {"master", p}});
  if (spec.boot) plan.push_back(Call{"boot", "add", {"master"}});
  if (!source.empty()) plan.push_back(Call{"backup", "restore_from", {source}});
  if (has_master && !self.empty()) {
    // This host in the master's list (sc status --all, exec --all, the
    // inventory); a master that does not answer does not stop the setup.
    Call reg{"sshlink", "sc", {master, "master", "hostadd", self, role_name(spec.role)}};
    reg.optional = true;
    plan.push_back(reg);
  }
  plan.push_back(Call{"settings", "set", {"MASTER_APPLIED", applied_text(spec.role, master)}});
  if (has_master) plan.push_back(Call{"master", "pull", {}});
  return plan;
}

std::string plan_text(Role role, const std::string& master, const std::vector<Call>& plan) {
  return titled_plan_text(std::string("setup of the role ") + role_name(role) +
                              (role == Role::master ? std::string() : " (master " + master + ")"),
                          plan);
}

std::string titled_plan_text(const std::string& title, const std::vector<Call>& plan) {
  std::string out = title + ", " + std::to_string(plan.size()) + " steps:\n";
  for (size_t i = 0; i < plan.size(); ++i) {
    out += "  " + std::to_string(i + 1) + ". " + call_text(plan[i]);
    if (plan[i].optional && !plan[i].args.empty()) out += " (skipped if " + plan[i].args.front() + " does not answer)";
    if (plan[i].service) out += " (when MASTER_SERVICES names " + plan[i].module + ")";
    out += "\n";
  }
  return out;
}

std::string stopped_text(const std::vector<Call>& plan, size_t failed, const std::string& why,
                         const std::string& command) {
  std::string text = "step " + std::to_string(failed + 1) + " of " + std::to_string(plan.size()) + ", `" +
                     call_text(plan[failed]) + "`, failed: " + why + "; ";
  text += failed == 0 ? std::string("nothing was done before it")
                      : "steps 1-" + std::to_string(failed) + " were done (`" + call_text(plan[0]) + "` to `" +
                            call_text(plan[failed - 1]) + "`)";
  return text + ". Fix the cause and run `" + command +
         "` again: every step is idempotent, those done stay done and it goes on from there";
}

std::optional<std::pair<Role, std::string>> parse_applied(const std::string& text) {
  const size_t space = text.find(' ');
  auto role = parse_role(text.substr(0, space));
  if (!role) return std::nullopt;
  const std::string master = space == std::string::npos ? "" : text.substr(space + 1);
  if ((*role == Role::master) != master.empty() || master.find(' ') != std::string::npos) return std::nullopt;
  return std::make_pair(*role, master);
}

std::vector<Call> undo_steps(const RoleSpec& spec, const std::string& master, const std::string& self) {
  std::vector<Call> plan;
  if (spec.boot) plan.push_back(Call{"boot", "del", {"master"}});
  if (!spec.cron.empty()) plan.push_back(Call{"crontask", "del", {"master"}});
  // The homes' synchronisations with this master end with the role (the
  // homes stay).
  if (plugin_common::role::syncs_homes(spec.role))
    plan.push_back(master.empty() ? Call{"user", "stophomes", {}} : Call{"user", "stophomes", {master}});
  bool mass = false;
  std::vector<Call> mounts, on_master;
  for (const auto& s : spec.steps) {
    const Call& r = s.run;
    if (r.module == "mass" && r.command == "setup") mass = true;
    // nfsclient del takes the mount point (the original gave it the master).
    if (r.module == "nfsclient" && r.command == "add" && r.args.size() >= 2)
      mounts.insert(mounts.begin(), Call{"nfsclient", "del", {r.args[1]}});
    // `sshlink sc {master} nfssrv allow {host}` undone on the old master,
    // when it still answers.
    if (r.module == "sshlink" && r.command == "sc" && r.args.size() == 4 && r.args[1] == "nfssrv" &&
        r.args[2] == "allow") {
      Call deny = bound(Call{"sshlink", "sc", {r.args[0], "nfssrv", "deny", r.args[3]}}, master, self);
      deny.optional = true;
      on_master.insert(on_master.begin(), deny);
    }
  }
  if (mass) plan.push_back(Call{"mass", "cleanup", {}});
  plan.insert(plan.end(), mounts.begin(), mounts.end());
  plan.insert(plan.end(), on_master.begin(), on_master.end());
  if (spec.role != Role::master && !master.empty() && !self.empty()) {
    Call leave{"sshlink", "sc", {master, "master", "hostdel", self}};
    leave.optional = true;
    plan.push_back(leave);
  }
  return plan;
}

std::vector<Call> cleanup_plan(const RoleSpec& spec, const std::string& master, const std::string& self) {
  std::vector<Call> plan = undo_steps(spec, master, self);
  for (const char* name : {"MASTER_MODE", "MASTER_HOST", "MASTER_APPLIED"})
    plan.push_back(Call{"settings", "del", {name}});
  return plan;
}

std::vector<Call> transition_plan(const Placed& from, const Placed& to, const std::string& self,
                                  const std::string& source) {
  std::vector<Call> plan = undo_steps(spec_of(from.role), from.master, self);
  // A promotion does not contact the old master, which may be gone: its
  // list is replaced anyway when it comes back as a standby of this one.
  if (from.role == Role::standby && to.role == Role::master)
    plan.erase(std::remove_if(plan.begin(), plan.end(),
                              [](const Call& c) { return c.module == "sshlink" && c.command == "sc"; }),
               plan.end());
  // A master that becomes another role's host no longer keeps a list of
  // hosts: its hosts register with the new master (a standby imports that
  // one's list).
  if (from.role == Role::master && to.role != Role::master) plan.push_back(Call{"settings", "del", {kHostsSetting}});
  if (to.role == Role::roaming && from.role != Role::roaming) plan.push_back(Call{"user", "cleanup_local", {}});
  for (auto& c : setup_plan(spec_of(to.role), to.master, self, source)) plan.push_back(c);
  // A standby's list, imported from its master, names the standby itself:
  // once it is the master, it leaves that list (before the role is
  // recorded, so that a promotion stopped half-way does it again).
  if (from.role == Role::standby && to.role == Role::master && !self.empty())
    plan.insert(plan.end() - 1, Call{"master", "hostdel", {self}});
  return plan;
}

std::string transition_title(const Placed& from, const Placed& to) {
  const std::string old_role = role_name(from.role), new_role = role_name(to.role);
  if (from.role == Role::standby && to.role == Role::master)
    return "promotion of this standby (master " + from.master + ") to the master";
  if (from.role == to.role)
    return "switch of this " + old_role + " host from the master " + from.master + " to " + to.master;
  if (from.role == Role::master) return "demotion of this master to a " + new_role + " host of " + to.master;
  auto described = [](const Placed& p) {
    return p.role == Role::master ? std::string("the master")
                                  : "a " + std::string(role_name(p.role)) + " host of " + p.master;
  };
  return "transition of this host from " + described(from) + " to " + described(to);
}

std::vector<Call> promote_plan(const std::string& master) {
  return transition_plan(Placed{Role::standby, master}, Placed{Role::master, ""}, "");
}

std::vector<Call> switch_plan(const RoleSpec& spec, const std::string& old, const std::string& master,
                              const std::string& self) {
  return transition_plan(Placed{spec.role, old}, Placed{spec.role, master}, self);
}

}  // namespace master
