// nfsclient: NFSv4 mounts of other hosts' directories through /etc/fstab,
// mounted by systemd on first access (the original's nfsclient module,
// without its wait for a display manager).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "common/fstab.hpp"
#include "common/share_path.hpp"
#include "common/system_service.hpp"
#include "fstab.hpp"

namespace {

using nlohmann::json;
namespace service = plugin_common::system_service;
namespace fstab = plugin_common::fstab;

constexpr const char* kFstab = "/etc/fstab";
constexpr const char* kCachefilesdDefault = "/etc/default/cachefilesd";
constexpr const char* kCachefilesdConf = "/etc/cachefilesd.conf";
constexpr const char* kClientPackage = "nfs-common:mount.nfs4";
constexpr const char* kCachePackage = "cachefilesd:cachefilesd";

std::string fstab_text(const sc::Context& ctx) {
  return ctx.read_file(kFstab).value_or("");
}

void write_fstab(const sc::Context& ctx, const std::string& text) {
  sc::FileAttr a = sc::FileAttr::with_mode(0644);
  a.keep_attrs = true;
  ctx.write_file(kFstab, text, a);
}

/// A mount point argument, checked: "/" is never one.
std::string checked_mount_point(const std::string& raw) {
  std::string path = plugin_common::share_path::checked(raw, "PATH");
  if (path == "/") throw sc::Usage("PATH \"/\" cannot be an NFS mount point: give the directory to mount on");
  return path;
}

/// The live mount table (never under --root: the target is not running).
std::vector<fstab::Mount> mount_table(const sc::Context& ctx) {
  return fstab::parse_mountinfo(ctx.read_file("/proc/self/mountinfo").value_or(""));
}

bool mounted(const std::vector<fstab::Mount>& table, const std::string& path) {
  return !fstab::mounts_at(table, path).empty();
}

/// Whether what `path` shows is an NFS mount or its automount (autofs):
/// the only layers sc unmounts there. Another file system on the path (a
/// local /home partition, a bind mount) is never unmounted.
bool nfs_mounted(const std::vector<fstab::Mount>& table, const std::string& path) {
  const auto at = fstab::mounts_at(table, path);
  if (at.empty()) return false;
  const std::string& type = at.back().fstype;
  return type == "nfs" || type == "nfs4" || type == "autofs";
}

sc::RunOptions live() {
  return service::live();
}

/// A directory made when missing, an existing one left as it is.
sc::FileAttr kept_dir() {
  sc::FileAttr d = sc::FileAttr::with_mode(0755);
  d.keep_attrs = true;
  return d;
}

/// Unmounts `path` before its entry changes or goes: its automount stopped
/// (systemd), then the NFS or autofs layers mounted there (never another
/// file system: a local disk or a bind mount on the path stays). Under
/// --root both are recorded. A busy mount is a failure, before fstab is
/// touched.
void unmount(const sc::Context& ctx, const std::string& path) {
  if (service::systemd_running(ctx)) {
    sc::RunResult r = ctx.run({"systemctl", "stop", fstab::automount_unit(path)}, live());
    if (!r.ok()) ctx.debug("stopping the automount of " + path + ": " + ctx.last_error());
  }
  if (ctx.rooted()) {
    ctx.run({"umount", path}, live());
    return;
  }
  // An automount under the NFS mount: up to two layers.
  for (int layer = 0; layer < 2 && nfs_mounted(mount_table(ctx), path); ++layer) {
    sc::RunResult r = ctx.run({"umount", path}, live());
    if (!r.ok())
      throw sc::Failure("cannot unmount " + path + ": " + ctx.last_error() + "; " + kFstab +
                        " is left as it was: stop what uses it (fuser -vm " + path + ") and run this again");
    if (ctx.dry_run()) break;
  }
}

/// Mounts `path` as fstab says, now.
void mount_now(const sc::Context& ctx, const nfsclient::Mount& m) {
  sc::RunResult r = ctx.run({"mount", m.path}, live());
  if (!r.ok())
    throw sc::Failure(m.path + " is in " + kFstab + " but mounting " + m.server + ":" + m.remote +
                      " failed: " + ctx.last_error() + "; it is mounted on first access once " + m.server +
                      " answers, or run `mount " + m.path + "`");
}

void reload_systemd(const sc::Context& ctx) {
  if (service::systemd_running(ctx)) ctx.run_checked({"systemctl", "daemon-reload"}, live());
}

/// FS-Cache: cachefilesd installed with the packages, allowed to run,
/// its cache directory present, enabled and running.
void enable_cache(const sc::Context& ctx) {
  const std::string old = ctx.read_file(kCachefilesdDefault).value_or("");
  const std::string text = nfsclient::cachefilesd_default_with_run(old);
  sc::FileAttr a = sc::FileAttr::with_mode(0644);
  a.keep_attrs = true;
  ctx.make_dir("/etc/default", kept_dir());
  ctx.write_file(kCachefilesdDefault, text, a);
  // The directory its configuration names (the package makes the default one).
  std::string dir = "/var/cache/fscache";
  if (auto conf = ctx.read_file(kCachefilesdConf)) {
    const std::string named = nfsclient::cachefilesd_dir(*conf);
    if (plugin_common::share_path::problem(named).empty()) dir = plugin_common::share_path::clean(named);
  }
  ctx.make_dir(dir, kept_dir());
  service::ensure_running(ctx, "cachefilesd", text != old);
}

json mount_json(const nfsclient::Mount& m) {
  return {{"server", m.server}, {"remote", m.remote}, {"path", m.path}, {"cache", m.cache}};
}

void add(sc::Context& ctx) {
  constexpr const char* kUsage = "SERVER REMOTE [PATH] [--cache]";
  std::vector<std::string> words;
  nfsclient::Mount m;
  for (const auto& a : ctx.args()) {
    if (a == "--cache")
      m.cache = true;
    else if (a.size() > 1 && a[0] == '-' && a[1] == '-')
      throw sc::Usage("unknown option \"" + a + "\"; usage: sc nfsclient add " + kUsage);
    else
      words.push_back(a);
  }
  if (words.size() < 2 || words.size() > 3)
    throw sc::Usage(std::string(words.size() < 2 ? "missing argument" : "too many arguments") +
                    "; usage: sc nfsclient add " + kUsage);
  if (auto why = nfsclient::server_problem(words[0]); !why.empty())
    throw sc::Usage("SERVER \"" + words[0] + "\" is not an NFS server: " + why);
  m.server = words[0];
  m.remote = plugin_common::share_path::checked(words[1], "REMOTE");
  m.path = checked_mount_point(words.size() > 2 ? words[2] : words[1]);

  const std::string old = fstab_text(ctx);
  if (auto other = nfsclient::other_mount_on(old, m.path))
    throw sc::Usage("PATH " + m.path + " is already in " + kFstab + ", mounting " + other->spec + " (" +
                    other->vfstype + ") on line " + std::to_string(other->line + 1) +
                    ": sc replaces only NFS entries; remove that line first or choose another PATH");
  const sc::PathInfo here = ctx.stat(m.path, /*follow=*/true);
  if (here.exists() && !here.is_dir())
    throw sc::Usage("PATH " + m.path + " exists and is not a directory: it cannot be a mount point");
  const bool replacing = !nfsclient::nfs_entries_on(old, m.path).empty();
  const std::string text = nfsclient::with_mount(old, m);

  std::vector<std::string> packages = {kClientPackage};
  if (m.cache) packages.push_back(kCachePackage);
  plugin_common::apt_ensure::ensure(ctx, packages);
  if (m.cache) enable_cache(ctx);

  if (text != old && replacing) unmount(ctx, m.path);
  ctx.make_dir(m.path, kept_dir());
  write_fstab(ctx, text);
  if (text != old) {
    reload_systemd(ctx);
    mount_now(ctx, m);
  } else if (!ctx.rooted() && !nfs_mounted(mount_table(ctx), m.path)) {
    mount_now(ctx, m);
  }
  ctx.print(m.path + " mounts " + m.server + ":" + m.remote + (m.cache ? " (cached)" : "") + "\n");
  ctx.result(mount_json(m).dump());
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PATH");
  const std::string path = checked_mount_point(ctx.arg(0));
  const std::string old = fstab_text(ctx);
  if (nfsclient::nfs_entries_on(old, path).empty()) {
    ctx.info("no NFS entry on " + path + " in " + kFstab + ": nothing to remove");
    ctx.result("false");
    return;
  }
  unmount(ctx, path);
  write_fstab(ctx, nfsclient::without_mount(old, path));
  reload_systemd(ctx);
  ctx.result("true");
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PATH");
  const std::string path = checked_mount_point(ctx.arg(0));
  const bool yes = !nfsclient::nfs_entries_on(fstab_text(ctx), path).empty();
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto table = ctx.rooted() ? std::vector<fstab::Mount>() : mount_table(ctx);
  json result = json::array();
  std::string text;
  for (const auto& e : fstab::entries(fstab_text(ctx))) {
    if (!nfsclient::is_nfs(e)) continue;
    auto m = nfsclient::mount_of(e);
    json item = m ? mount_json(*m) : json{{"server", nullptr}, {"remote", nullptr}, {"path", e.file}};
    if (!m) item["cache"] = nullptr;
    item["spec"] = e.spec;
    item["type"] = e.vfstype;
    item["options"] = e.options;
    item["managed"] = nfsclient::managed(e);
    item["mounted"] = ctx.rooted() ? json(nullptr) : json(mounted(table, e.file));
    text += fstab::escape(e.spec) + " " + fstab::escape(e.file) + (m && m->cache ? " (cached)" : "") +
            (nfsclient::managed(e) ? "" : " (not written by sc)") + "\n";
    result.push_back(std::move(item));
  }
  ctx.print(text);
  ctx.result(result.dump(-1, ' ', false, json::error_handler_t::replace));
}

/// What the client needs: nfs-common, and cachefilesd allowed to run when
/// an entry sc manages uses the cache.
std::vector<std::string> needed_packages(const sc::Context& ctx, bool* cache) {
  *cache = false;
  for (const auto& e : fstab::entries(fstab_text(ctx)))
    if (nfsclient::managed(e)) *cache = *cache || nfsclient::mount_of(e).value_or(nfsclient::Mount{}).cache;
  std::vector<std::string> p = {kClientPackage};
  if (*cache) p.push_back(kCachePackage);
  return p;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  bool cache = false;
  plugin_common::apt_ensure::ensure(ctx, needed_packages(ctx, &cache));
  if (cache) enable_cache(ctx);
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  bool cache = false;
  auto missing = plugin_common::apt_ensure::missing_on_target(ctx, needed_packages(ctx, &cache));
  const bool cache_off = cache && !nfsclient::cachefilesd_runs(ctx.read_file(kCachefilesdDefault).value_or(""));
  ctx.result(json{{"missing", missing}, {"cachefilesd_disabled", cache_off}}.dump());
  for (const auto& p : missing) ctx.debug("missing package " + p);
  if (cache_off) ctx.debug(std::string(kCachefilesdDefault) + " does not let cachefilesd run (RUN=yes)");
  return missing.empty() && !cache_off ? SC_OK : SC_FAIL;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const bool yes = plugin_common::apt_ensure::missing_on_target(ctx, {kClientPackage}).empty();
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string old = fstab_text(ctx);
  std::vector<size_t> drop;
  std::vector<std::string> paths;
  for (const auto& e : fstab::entries(old))
    if (nfsclient::managed(e)) {
      drop.push_back(e.line);
      if (std::find(paths.begin(), paths.end(), e.file) == paths.end()) paths.push_back(e.file);
    }
  if (drop.empty()) return;
  for (const auto& p : paths) unmount(ctx, p);
  write_fstab(ctx, fstab::without_lines(old, drop));
  reload_systemd(ctx);
  for (const auto& p : paths) ctx.print("removed the NFS mount on " + p + "\n");
}

// Hook: /etc/fstab when it holds entries sc manages; `restore` takes them
// back from a backup without replacing the host's own lines.
void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  bool any = false;
  for (const auto& e : fstab::entries(fstab_text(ctx))) any = any || nfsclient::managed(e);
  ctx.print(any ? std::string(kFstab) + "\n" : "");
  ctx.result(any ? json::array({kFstab}).dump() : "[]");
}

void restore(sc::Context& ctx) {
  ctx.expect_args(1, 1, "SOURCE");
  const std::string& source = ctx.arg(0);
  if (source.empty() || source[0] != '/' ||
      std::any_of(source.begin(), source.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    throw sc::Usage("SOURCE \"" + source + "\" is not a backup directory: give its absolute path");
  const std::string top = plugin_common::share_path::clean(source);
  const std::string backup_fstab = (top == "/" ? "" : top) + "/fs" + kFstab;
  auto saved = ctx.read_file(backup_fstab);
  if (!saved) {
    ctx.info("the backup " + source + " holds no " + kFstab + ": no NFS mount to restore");
    return;
  }
  const std::string old = fstab_text(ctx);
  std::string text = old;
  std::vector<std::string> restored;
  for (const auto& e : fstab::entries(*saved)) {
    if (!nfsclient::managed(e)) continue;
    auto m = nfsclient::mount_of(e);
    if (!m || !nfsclient::server_problem(m->server).empty() || !plugin_common::share_path::problem(m->remote).empty() ||
        !plugin_common::share_path::problem(m->path).empty() || m->path == "/") {
      ctx.warn("not restored: the entry \"" + fstab::escape(e.spec) + " " + fstab::escape(e.file) +
               "\" of the backup cannot be written by sc");
      continue;
    }
    if (auto other = nfsclient::other_mount_on(text, m->path)) {
      ctx.warn("not restored: " + m->path + " is mounted here from " + other->spec + " (" + other->vfstype + ")");
      continue;
    }
    if (!nfsclient::nfs_entries_on(text, m->path).empty()) continue;  // this host's own entry wins
    text = nfsclient::with_mount(text, *m);
    restored.push_back(m->path);
  }
  if (restored.empty()) return;
  for (const auto& p : restored) ctx.make_dir(p, kept_dir());
  write_fstab(ctx, text);
  reload_systemd(ctx);
  for (const auto& p : restored) ctx.print("restored the NFS mount on " + p + "\n");
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&add>("add"),
          sc::command<&del>("del"),
          sc::command<&has>("has"),
          sc::command<&list>("list"),
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&enabled>("enabled"),
          sc::command<&files>("files"),
          sc::command<&restore>("restore"))
// clang-format on
