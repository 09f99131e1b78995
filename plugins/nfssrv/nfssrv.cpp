// nfssrv: this host's directories exported over NFS to named clients (the
// original's nfssrv module), served by the kernel's NFS server or, where
// the kernel has none (a container), by NFS-Ganesha in user space, from the
// same settings.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "common/share_path.hpp"
#include "common/system_service.hpp"
#include "exports.hpp"

namespace {

using nfssrv::Server;
using nlohmann::json;
namespace service = plugin_common::system_service;

constexpr const char* kExports = "/etc/exports";
constexpr const char* kGaneshaDir = "/etc/ganesha";
constexpr const char* kGaneshaConf = "/etc/ganesha/ganesha.conf";
constexpr const char* kKernelUnit = "nfs-server";
constexpr const char* kGaneshaUnit = "nfs-ganesha";

sc::FileAttr kept(std::uint32_t mode) {
  sc::FileAttr a = sc::FileAttr::with_mode(mode);
  a.keep_attrs = true;
  return a;
}

std::string file_of(Server s) {
  return s == Server::kernel ? kExports : kGaneshaConf;
}

std::string unit_of(Server s) {
  return s == Server::kernel ? kKernelUnit : kGaneshaUnit;
}

std::vector<std::string> packages_of(Server s) {
  if (s == Server::kernel) return {"nfs-kernel-server:exportfs"};
  return {"nfs-ganesha:ganesha.nfsd", "nfs-ganesha-vfs"};
}

/// The program that applies the server's file, present on the target.
bool server_installed(const sc::Context& ctx, Server s) {
  return plugin_common::apt_ensure::missing_on_target(ctx, {packages_of(s).front()}).empty();
}

/// What the settings say, checked: a bad value is refused (exit 2) before
/// anything changes, naming the setting and how to fix it.
struct Config {
  Server server = Server::kernel;
  std::string why;
  std::vector<std::string> paths;
  std::vector<std::string> clients;
  nfssrv::Listen listen;
};

std::string checked_export(const std::string& raw, const std::string& what) {
  std::string p = plugin_common::share_path::checked(raw, what);
  if (p == "/")
    throw sc::Usage(what + " \"/\" is the whole file system: export the directories clients need (/home, /srv/mass)");
  return p;
}

std::string checked_client(const std::string& raw, const std::string& what) {
  if (auto why = nfssrv::client_problem(raw); !why.empty())
    throw sc::Usage(what + " \"" + raw + "\" is not an NFS client: " + why +
                    " (a host name, an IP address, or a network such as 10.0.0.0/24)");
  return raw;
}

Server resolve_server(const sc::Context& ctx, std::string* why) {
  const std::string setting = ctx.setting("NFSSRV_SERVER").value_or("auto");
  if (setting != "auto" || !ctx.rooted()) {
    std::string filesystems;
    bool module = false;
    if (setting == "auto") {
      filesystems = ctx.read_file("/proc/filesystems").value_or("");
      if (filesystems.find("nfsd") == std::string::npos) {
        sc::RunOptions q;
        q.readonly = true;
        q.capture_out = true;
        q.capture_err = true;
        q.timeout_ms = 10000;
        module = ctx.run({"modprobe", "-n", "-q", "nfsd"}, q).ok();
      }
    }
    return nfssrv::choose_server(setting, filesystems, module, why);
  }
  *why =
      "NFSSRV_SERVER is auto and the kernel of a --root tree is unknown: the kernel's server "
      "(set NFSSRV_SERVER=ganesha for a container)";
  return Server::kernel;
}

Config load(const sc::Context& ctx) {
  Config c;
  c.server = resolve_server(ctx, &c.why);
  for (const auto& p : nfssrv::list_items(ctx.setting("NFSSRV_EXPORTS").value_or("")))
    c.paths.push_back(checked_export(p, "NFSSRV_EXPORTS item"));
  for (const auto& p : nfssrv::list_items(ctx.setting("NFSSRV_CLIENTS").value_or("")))
    c.clients.push_back(checked_client(p, "NFSSRV_CLIENTS item"));
  c.listen.port = std::stoi(ctx.setting("NFSSRV_GANESHA_PORT").value_or("2049"));
  c.listen.bind = ctx.setting("NFSSRV_GANESHA_BIND").value_or("");
  if (!c.listen.bind.empty() && !nfssrv::valid_address(c.listen.bind))
    throw sc::Usage("NFSSRV_GANESHA_BIND \"" + c.listen.bind +
                    "\" is not an IP address: set the address NFS-Ganesha listens on (empty: every address) with "
                    "`sc settings set NFSSRV_GANESHA_BIND ADDRESS`");
  return c;
}

/// The exports of `c` as the target is now: directories that are missing
/// are left out (and said in the file).
nfssrv::Exports exports_of(const sc::Context& ctx, const Config& c) {
  nfssrv::Exports e;
  e.clients = c.clients;
  for (const auto& p : c.paths) (ctx.stat(p, /*follow=*/true).is_dir() ? e.paths : e.missing).push_back(p);
  return e;
}

std::string text_for(Server s, const nfssrv::Exports& e, const nfssrv::Listen& l) {
  return s == Server::kernel ? nfssrv::exports_file(e) : nfssrv::ganesha_conf(e, l);
}

/// Writes a server file; a file of someone else's with content is kept
/// once as FILE.sc-old. True when the file changed.
bool write_server_file(const sc::Context& ctx, const std::string& path, const std::string& text) {
  auto old = ctx.read_file(path);
  if (old && !nfssrv::written_by_sc(*old) && nfssrv::has_content(*old)) {
    const std::string copy = path + ".sc-old";
    if (!ctx.stat(copy).exists()) {
      ctx.write_file(copy, *old, sc::FileAttr::with_mode(0644));
      ctx.warn(path + " was not written by sc: it is kept as " + copy + ", and replaced");
    }
  }
  if (path == kGaneshaConf) ctx.make_dir(kGaneshaDir, kept(0755));
  ctx.write_file(path, text, kept(0644));
  return old != text;
}

/// The kernel's table of exports follows /etc/exports.
void exportfs(const sc::Context& ctx) {
  if (!ctx.rooted() && !server_installed(ctx, Server::kernel)) {
    ctx.info("exportfs is not installed: /etc/exports is applied by `sc nfssrv setup`");
    return;
  }
  ctx.run_checked({"exportfs", "-ra"}, service::live());
}

/// What a write changed in the server's file.
enum class Change {
  none,
  exports,  ///< exports or clients: the kernel's table, or NFS-Ganesha's reload
  server,   ///< NFS-Ganesha's own parameters (port, address): read at start only
};

/// Writes the file of the chosen server; the kernel's exports are applied
/// at once (exportfs -ra), NFS-Ganesha's by apply_ganesha().
Change write_and_apply(const sc::Context& ctx, const Config& c) {
  const std::string path = file_of(c.server);
  const std::string old = ctx.read_file(path).value_or("");
  const std::string text = text_for(c.server, exports_of(ctx, c), c.listen);
  if (!write_server_file(ctx, path, text)) return Change::none;
  if (c.server == Server::kernel) {
    exportfs(ctx);
    return Change::exports;
  }
  return nfssrv::ganesha_core_block(old) == nfssrv::ganesha_core_block(text) ? Change::exports : Change::server;
}

/// NFS-Ganesha takes new exports on SIGHUP (`systemctl reload`, which
/// keeps its clients' state) and new parameters by a restart.
void apply_ganesha(const sc::Context& ctx, Change change) {
  if (change == Change::none) return;
  if (!ctx.rooted() && !server_installed(ctx, Server::ganesha)) {
    ctx.info("NFS-Ganesha is not installed: the exports are served after `sc nfssrv setup`");
    return;
  }
  if (change == Change::server) {
    service::ensure_running(ctx, kGaneshaUnit, true);
    return;
  }
  if (!service::systemd_running(ctx)) {
    ctx.warn("systemd is not running on this host: send SIGHUP to ganesha.nfsd so that it reads the new exports");
    return;
  }
  ctx.run_checked({"systemctl", "reload-or-restart", kGaneshaUnit}, service::live());
}

/// Applies what changed to the chosen server, after write_and_apply().
void apply(const sc::Context& ctx, const Config& c, Change change) {
  if (c.server == Server::ganesha) apply_ganesha(ctx, change);
}

/// The other server's file, when sc wrote it, made to export nothing, and
/// its service stopped: one server per host (they share port 2049).
void retire(const sc::Context& ctx, Server other, const nfssrv::Listen& l) {
  const std::string path = file_of(other);
  auto old = ctx.read_file(path);
  if (!old || !nfssrv::written_by_sc(*old)) return;
  const bool changed = write_server_file(ctx, path, text_for(other, {}, l));
  if (other == Server::kernel) {
    if (changed && (ctx.rooted() || server_installed(ctx, Server::kernel))) {
      sc::RunResult r = ctx.run({"exportfs", "-ra"}, service::live());
      if (!r.ok()) ctx.warn("exportfs -ra failed: " + ctx.last_error());
    }
  }
  service::ensure_stopped(ctx, unit_of(other), changed);
}

json config_json(const sc::Context& ctx, const Config& c) {
  nfssrv::Exports e = exports_of(ctx, c);
  return {{"server", nfssrv::server_name(c.server)},
          {"why", c.why},
          {"file", file_of(c.server)},
          {"exported", e.clients.empty() ? std::vector<std::string>{} : e.paths},
          {"missing", e.missing},
          {"clients", c.clients}};
}

/// What is exported now, in a line.
void say_exports(const sc::Context& ctx, const Config& c) {
  nfssrv::Exports e = exports_of(ctx, c);
  if (e.clients.empty() || e.paths.empty())
    ctx.print(std::string("nothing is exported: ") + (e.clients.empty()
                                                          ? "no client is allowed (sc nfssrv allow CLIENT)\n"
                                                          : "no directory to export (sc nfssrv add PATH)\n"));
  else
    ctx.print(nfssrv::join_items(e.paths) + " exported to " + nfssrv::join_items(e.clients) + "\n");
}

void say_server(const sc::Context& ctx, const Config& c) {
  ctx.print("NFS server: " + std::string(c.server == Server::kernel ? "the kernel's" : "NFS-Ganesha") + " (" + c.why +
            ")\n");
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Config c = load(ctx);
  plugin_common::apt_ensure::ensure(ctx, packages_of(c.server));
  retire(ctx, c.server == Server::kernel ? Server::ganesha : Server::kernel, c.listen);
  const Change change = write_and_apply(ctx, c);
  if (c.server == Server::ganesha && change == Change::exports) apply_ganesha(ctx, change);
  // The kernel's exports are applied by exportfs: its server is started,
  // never restarted for them (under --root, recorded the first time).
  // NFS-Ganesha restarts for new parameters; new exports were a reload.
  const bool restart = c.server == Server::kernel ? ctx.rooted() && change != Change::none : change == Change::server;
  service::ensure_running(ctx, unit_of(c.server), restart);
  say_server(ctx, c);
  nfssrv::Exports e = exports_of(ctx, c);
  if (c.clients.empty()) ctx.warn("no client is allowed yet: nothing is exported (sc nfssrv allow CLIENT)");
  for (const auto& m : e.missing) ctx.warn(m + " is not a directory: not exported");
  ctx.result(config_json(ctx, c).dump());
}

void conf(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Config c = load(ctx);
  apply(ctx, c, write_and_apply(ctx, c));
  say_exports(ctx, c);
  ctx.result(config_json(ctx, c).dump());
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Config c = load(ctx);
  // Both servers' files, when sc wrote them, export nothing; the
  // settings are kept for a later setup.
  for (Server s : {Server::kernel, Server::ganesha}) {
    auto old = ctx.read_file(file_of(s));
    if (!old || !nfssrv::written_by_sc(*old)) continue;
    const bool changed = write_server_file(ctx, file_of(s), text_for(s, {}, c.listen));
    if (s == Server::kernel && changed) {
      if (ctx.rooted() || server_installed(ctx, Server::kernel)) {
        sc::RunResult r = ctx.run({"exportfs", "-ra"}, service::live());
        if (!r.ok()) ctx.warn("exportfs -ra failed: " + ctx.last_error());
      }
    }
    if (s == Server::ganesha) service::ensure_stopped(ctx, kGaneshaUnit, changed);
  }
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Config c = load(ctx);
  auto missing = plugin_common::apt_ensure::missing_on_target(ctx, packages_of(c.server));
  const bool current = ctx.read_file(file_of(c.server)) == text_for(c.server, exports_of(ctx, c), c.listen);
  json r = config_json(ctx, c);
  r["missing_packages"] = missing;
  r["file_current"] = current;
  ctx.result(r.dump());
  if (!current) ctx.debug(file_of(c.server) + " is not as sc nfssrv would write it (sc nfssrv conf)");
  return missing.empty() && current ? SC_OK : SC_FAIL;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Config c = load(ctx);
  const bool yes = server_installed(ctx, c.server) && ctx.stat(file_of(c.server)).exists();
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

/// Stores a changed list setting and applies the files.
void change_list(sc::Context& ctx, Config& c, const char* setting, const std::vector<std::string>& items) {
  ctx.set_setting(setting, nfssrv::join_items(items));
  apply(ctx, c, write_and_apply(ctx, c));
  say_exports(ctx, c);
  ctx.result(config_json(ctx, c).dump());
}

void add(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PATH");
  const std::string path = checked_export(ctx.arg(0), "PATH");
  Config c = load(ctx);
  if (!ctx.stat(path, /*follow=*/true).is_dir())
    throw sc::Usage("PATH " + path + " is not a directory on this host: create it (or mount it) first");
  if (std::find(c.paths.begin(), c.paths.end(), path) == c.paths.end()) c.paths.push_back(path);
  change_list(ctx, c, "NFSSRV_EXPORTS", c.paths);
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PATH");
  const std::string path = checked_export(ctx.arg(0), "PATH");
  Config c = load(ctx);
  c.paths.erase(std::remove(c.paths.begin(), c.paths.end(), path), c.paths.end());
  change_list(ctx, c, "NFSSRV_EXPORTS", c.paths);
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PATH");
  const std::string path = checked_export(ctx.arg(0), "PATH");
  Config c = load(ctx);
  const bool yes = std::find(c.paths.begin(), c.paths.end(), path) != c.paths.end();
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Config c = load(ctx);
  json result = json::array();
  std::string text;
  std::string clients = c.clients.empty() ? "(no client allowed)" : nfssrv::join_items(c.clients);
  for (const auto& p : c.paths) {
    const bool dir = ctx.stat(p, /*follow=*/true).is_dir();
    result.push_back({{"path", p}, {"directory", dir}, {"clients", c.clients}});
    text += p + " " + (dir ? clients : "(not a directory: not exported)") + "\n";
  }
  ctx.print(text);
  ctx.result(result.dump());
}

void allow(sc::Context& ctx) {
  ctx.expect_args(1, 1, "CLIENT");
  const std::string client = checked_client(ctx.arg(0), "CLIENT");
  Config c = load(ctx);
  if (std::find(c.clients.begin(), c.clients.end(), client) == c.clients.end()) c.clients.push_back(client);
  change_list(ctx, c, "NFSSRV_CLIENTS", c.clients);
}

void deny(sc::Context& ctx) {
  ctx.expect_args(1, 1, "CLIENT");
  const std::string client = checked_client(ctx.arg(0), "CLIENT");
  Config c = load(ctx);
  c.clients.erase(std::remove(c.clients.begin(), c.clients.end(), client), c.clients.end());
  change_list(ctx, c, "NFSSRV_CLIENTS", c.clients);
}

void clients(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  Config c = load(ctx);
  std::string text;
  for (const auto& cl : c.clients) text += cl + "\n";
  ctx.print(text);
  ctx.result(json(c.clients).dump());
}

// Hook: the server files sc wrote. They are made from the settings (which
// a backup keeps), so `restore` writes them anew rather than copying them.
void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json list = json::array();
  std::string text;
  for (const char* f : {kExports, kGaneshaConf}) {
    auto t = ctx.read_file(f);
    if (!t || !nfssrv::written_by_sc(*t)) continue;
    list.push_back(f);
    text += std::string(f) + "\n";
  }
  ctx.print(text);
  ctx.result(list.dump());
}

void restore(sc::Context& ctx) {
  ctx.expect_args(1, 1, "SOURCE");
  const std::string& source = ctx.arg(0);
  if (source.empty() || source[0] != '/' ||
      std::any_of(source.begin(), source.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20; }))
    throw sc::Usage("SOURCE \"" + source + "\" is not a backup directory: give its absolute path");
  Config c = load(ctx);
  apply(ctx, c, write_and_apply(ctx, c));
  ctx.print(file_of(c.server) + " written from the restored settings\n");
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&conf>("conf"),
          sc::command<&ready>("ready"),
          sc::command<&enabled>("enabled"),
          sc::command<&add>("add"),
          sc::command<&del>("del"),
          sc::command<&has>("has"),
          sc::command<&list>("list"),
          sc::command<&allow>("allow"),
          sc::command<&deny>("deny"),
          sc::command<&clients>("clients"),
          sc::command<&files>("files"),
          sc::command<&restore>("restore"))
// clang-format on
