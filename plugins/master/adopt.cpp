#include "adopt.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/peer_name.hpp"
#include "registry.hpp"
#include "roles.hpp"

namespace master_adopt {

namespace {

using json = nlohmann::json;

constexpr const char* kLocalSc = "/usr/local/sbin/sc";
constexpr const char* kDebianSc = "/usr/sbin/sc";
constexpr const char* kFix =
    "install the synccluster packages on the host (apt install synccluster and the synccluster-plugin-* packages of "
    "its role), then run `sc master adopt` again";

sc::RunOptions probe() {
  sc::RunOptions o;
  o.readonly = o.capture_out = o.capture_err = true;
  return o;
}

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  return l.empty() ? "no message" : l;
}

/// The version of our sc at `path` on `host`, or nullopt when it is not ours
/// (absent, the original's script, or not starting).
std::optional<std::string> our_sc(sc::Context& ctx, const std::string& host, const std::string& path) {
  sc::RunResult r = ctx.peer_run(host, {path, "--json", "--version"}, probe());
  if (!r.ok()) return std::nullopt;
  json j = json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j["version"].is_string()) return std::nullopt;
  return j["version"].get<std::string>();
}

bool exists_on(sc::Context& ctx, const std::string& host, const std::string& path) {
  return ctx.peer_run(host, {"test", "-e", path}, probe()).ok();
}

/// Runs a step on `host` (planned only under --dry-run); throws naming it.
void step(sc::Context& ctx, const std::string& host, const std::vector<std::string>& argv, const std::string& what,
          const std::optional<std::string>& input = std::nullopt) {
  sc::RunOptions o;
  o.capture_out = o.capture_err = true;
  o.input = input;
  sc::RunResult r = ctx.peer_run(host, argv, o);
  if (!r.ok())
    throw sc::Failure(what + " on " + host + " failed: " + first_line(r.err.empty() ? ctx.last_error() : r.err));
}

struct LocalFile {
  std::string rel;  // relative to /
  std::string sha256;
  std::string mode;  // "0755" or "0644"
};

/// This master's /usr/local install, as `sc update release files` lists it.
std::vector<LocalFile> local_install(sc::Context& ctx, const std::string& host) {
  sc::CallResult r = ctx.call("update", "release", {"files"});
  json doc = json::parse(r.json, nullptr, false);
  const std::string err = doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
  if (r.status != SC_OK || !doc.is_object() || !doc["result"].is_object() || !doc["result"]["files"].is_array())
    throw sc::Failure(host + " has no sc of ours, and this master's cannot be copied to it (" + first_line(err) +
                      "); " + kFix);
  std::vector<LocalFile> files;
  for (const auto& f : doc["result"]["files"]) {
    LocalFile l{f.value("path", ""), f.value("sha256", ""), f.value("mode", "0644")};
    if (l.rel.empty() || l.rel.find("..") != std::string::npos || l.sha256.size() != 64)
      throw sc::Failure("this master's list of sc's files holds \"" + l.rel + "\": refusing to copy it");
    files.push_back(std::move(l));
  }
  // sc last: an interruption never leaves a new sc with old plugins.
  std::stable_partition(files.begin(), files.end(), [](const LocalFile& f) { return f.rel != "usr/local/sbin/sc"; });
  return files;
}

std::string parent_of(const std::string& p) {
  return p.substr(0, p.rfind('/'));
}

/// Copies this master's install into kStage on `host`, checks every file's
/// SHA-256 and that the staged sc starts there, then installs it in
/// /usr/local (the original's script moved first to where sc migrate keeps
/// it). Returns the path of the installed sc.
std::string copy_install(sc::Context& ctx, const std::string& host, bool original_there) {
  const std::vector<LocalFile> files = local_install(ctx, host);
  const std::string stage = kStage;
  ctx.print("copy this master's sc (" + std::to_string(files.size()) + " files of /usr/local) to " + host + ":" +
            stage + "\n");
  step(ctx, host, {"rm", "-rf", "--", stage}, "clearing the staging directory");
  step(ctx, host, {"mkdir", "-p", "-m", "0700", "--", stage}, "making the staging directory");
  // One tar stream (Debian's tar on both sides) rather than a command per
  // file; every file is then checked against this master's SHA-256 list.
  std::vector<std::string> staged, pack = {"tar", "-c", "-C", ctx.resolve_path("/"), "--"};
  for (const auto& f : files) {
    pack.push_back(f.rel);
    staged.push_back(stage + "/" + f.rel);
  }
  if (!ctx.dry_run()) {
    sc::RunResult archive = ctx.run(pack, probe());
    if (!archive.ok())
      throw sc::Failure("cannot read this master's sc files (tar: " + first_line(archive.err) +
                        "): nothing was installed on " + host);
    step(ctx, host, {"tar", "-x", "--no-same-owner", "-C", stage}, "unpacking sc's files", archive.out);
  } else {
    step(ctx, host, {"tar", "-x", "--no-same-owner", "-C", stage}, "unpacking sc's files");
  }
  const std::string staged_sc = stage + "/usr/local/sbin/sc";
  if (!ctx.dry_run()) {
    std::vector<std::string> sum = {"sha256sum", "--binary", "--"};
    sum.insert(sum.end(), staged.begin(), staged.end());
    sc::RunResult r = ctx.peer_run(host, sum, probe());
    std::istringstream lines(r.out);
    std::map<std::string, std::string> got;
    for (std::string line; std::getline(lines, line);)
      if (line.size() > 66) got[line.substr(66)] = line.substr(0, 64);
    for (size_t i = 0; i < files.size(); ++i)
      if (got[staged[i]] != files[i].sha256)
        throw sc::Failure("/" + files[i].rel + " copied to " + host + " has SHA-256 \"" + got[staged[i]] +
                          "\", not this master's " + files[i].sha256 + ": nothing was installed; run it again");
    sc::RunResult v = ctx.peer_run(host, {staged_sc, "--version"}, probe());
    if (!v.ok())
      throw sc::Failure("this master's sc does not start on " + host + " (" + staged_sc +
                        " --version: " + first_line(v.err.empty() ? v.out + ctx.last_error() : v.err) +
                        "): nothing was installed; " + kFix);
    ctx.print("  checked: every SHA-256 matches, " + first_line(v.out) + " starts on " + host + "\n");
  } else {
    ctx.print("  would check every file's SHA-256 and that " + staged_sc + " --version starts there\n");
  }
  if (original_there) {
    ctx.print("move the original's " + std::string(kLocalSc) + " to " + kOriginalScBackup +
              " (where sc migrate keeps it)\n");
    step(ctx, host, {"mkdir", "-p", "-m", "0700", "--", parent_of(kOriginalScBackup)}, "making the backup directory");
    step(ctx, host, {"mv", "--", kLocalSc, kOriginalScBackup}, "moving the original's sc aside");
  }
  ctx.print("install it in /usr/local on " + host + " (sc last)\n");
  for (const auto& f : files)
    step(ctx, host, {"install", "-D", "-o", "root", "-g", "root", "-m", f.mode, "--", stage + "/" + f.rel, "/" + f.rel},
         "installing /" + f.rel);
  step(ctx, host, {"rm", "-rf", "--", stage}, "removing the staging directory");
  return kLocalSc;
}

std::optional<std::string> host_settings_value(sc::Context& ctx, const std::string& host, const std::string& name) {
  sc::RunResult r = ctx.peer_run(host, {"cat", "/etc/sc"}, probe());
  if (!r.ok()) return std::nullopt;
  return settings_value(r.out, name);
}

}  // namespace

bool is_original_script(const std::string& head) {
  return head.rfind("#!", 0) == 0 && head.find("\nSCVERSION=") != std::string::npos;
}

std::optional<std::string> settings_value(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::optional<std::string> found;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "=", 0) != 0) continue;
    std::string v = line.substr(name.size() + 1);
    if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    if (v.find_first_of("'\"\\$`") != std::string::npos) continue;
    found = v;  // the last one wins, as when a shell sources the file
  }
  return found;
}

void adopt(sc::Context& ctx) {
  ctx.expect_args(1, 1, "HOST");
  const std::string host = plugin_common::peer_name::checked(ctx.arg(0), "HOST");
  if (host == "localhost") throw sc::Usage("give the host to adopt, not localhost: this is the master");
  const auto self = ctx.setting("MASTER_MODE");
  if (self && *self != "master")
    throw sc::Usage("this host is a " + *self + " host: run `sc master adopt " + host + "` on the master");
  std::string why;
  if (!ctx.peer_linked(host, &why))
    throw sc::Usage(host + " cannot be reached by key (" + why + "): link it first with `sc sshlink add " + host +
                    "`; nothing was changed");

  // What HOST has.
  sc::RunResult head = ctx.peer_run(host, {"head", "-c", "8192", kLocalSc}, probe());
  const bool original = head.ok() && is_original_script(head.out);
  std::string exe;
  std::optional<std::string> version;
  for (const char* p : {kDebianSc, kLocalSc})
    if (!original || std::string(p) != kLocalSc)
      if ((version = our_sc(ctx, host, p))) {
        exe = p;
        break;
      }
  const bool migrated = exists_on(ctx, host, kMigrationRecord);
  const auto role_text = host_settings_value(ctx, host, "MASTER_MODE");
  auto role = role_text ? master::parse_role(*role_text) : std::nullopt;
  if (!role)
    throw sc::Usage(host + "'s /etc/sc gives it no role of a host under a master (MASTER_MODE " +
                    (role_text ? "is \"" + *role_text + "\"" : std::string("is not set")) +
                    "): adopt clients of a master set up by the original tool (`sc master setup` there)");
  if (*role == master::Role::master)
    throw sc::Usage(host + " is a master (MASTER_MODE master in its /etc/sc): only hosts under a master are adopted");
  const std::string role_name = master::role_name(*role);
  bool registered = false;
  try {
    for (const auto& e : master::parse_hosts(ctx.setting(master::kHostsSetting).value_or("")))
      registered = registered || (e.peer == host && e.role == *role);
  } catch (const std::invalid_argument& e) {
    throw sc::Failure(std::string(master::kHostsSetting) + " cannot be read: " + e.what() +
                      "; fix it with `sc master hostdel PEER` first");
  }

  json result = {{"host", host},         {"role", role_name},
                 {"original", original}, {"sc", exe.empty() ? json(nullptr) : json(exe)},
                 {"migrated", migrated}, {"registered", registered}};
  if (!original && !exe.empty() && migrated && registered) {
    ctx.print(host + " is adopted already (sc " + *version + " at " + exe + ", migrated, registered as a " + role_name +
              " host): nothing to do\n");
    result["changed"] = false;
    ctx.result(result.dump());
    return;
  }
  if (!original && exe.empty())
    throw sc::Usage(host + " runs neither the original tool (" + kLocalSc + ") nor our sc: set it up with `sc master " +
                    "setup` there; nothing was changed");

  ctx.print("adopt " + host + " (" + role_name + " host" + (original ? ", runs the original tool" : "") + ")\n");
  // 1. Our sc there.
  if (exe.empty()) {
    exe = copy_install(ctx, host, original);
    if (!ctx.dry_run()) {
      version = our_sc(ctx, host, exe);
      if (!version)
        throw sc::Failure("sc was installed on " + host + " but " + exe + " --version fails there; " + kFix);
    }
    result["installed"] = true;
  } else {
    ctx.print("use the sc " + *version + " " + host + " has (" + exe + ")\n");
  }
  result["sc"] = exe;
  // 2. sc migrate there.
  if (!migrated) {
    ctx.print("run `sc migrate` on " + host +
              " (moves the original aside, imports its settings, replaces its tasks)\n");
    if (ctx.dry_run() && !result.contains("installed")) {
      sc::RunResult r = ctx.peer_run(host, {exe, "--dry-run", "migrate"}, probe());
      ctx.print(r.out);
    } else {
      sc::RunOptions o;
      o.capture_out = o.capture_err = true;
      sc::RunResult r = ctx.peer_run(host, {exe, "--yes", "migrate"}, o);
      if (r.ran) ctx.print(r.out);
      if (!r.ok())
        throw sc::Failure("`sc migrate` on " + host + " failed (status " + std::to_string(r.exit_code) +
                          "): " + first_line(r.err.empty() ? ctx.last_error() : r.err) +
                          "; fix it and run `sc master adopt " + host + "` again (it goes on from there)");
    }
    result["migrated"] = true;
  }
  // 3. Registered here.
  if (!registered) {
    ctx.print("register " + host + " as a " + role_name + " host (" + master::kHostsSetting + ")\n");
    sc::CallResult r = ctx.call("master", "hostadd", {host, role_name});
    if (r.status != SC_OK) {
      json d = json::parse(r.json, nullptr, false);
      throw sc::Failure("registering " + host + " failed: " +
                        (d.is_object() && d["error"].is_string() ? d["error"].get<std::string>() : "failed"));
    }
    result["registered"] = true;
  }
  if (!ctx.dry_run()) ctx.print(host + " adopted: it runs sc " + version.value_or("") + " (" + exe + ")\n");
  result["changed"] = true;
  ctx.result(result.dump());
}

}  // namespace master_adopt
