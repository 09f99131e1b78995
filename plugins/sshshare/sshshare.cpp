// sshshare: directories of other hosts mounted with sshfs from /etc/fstab
// (the original's lib/sshshare), for the mass module's sshfs mode and for
// administrators. The fstab line, its options and every edit of the file
// come from share.cpp (on plugins/common/fstab); this file reads the target
// and applies them through the host: the file through write_file, mounts
// through `mount`/`umount` runs that act on the live system (recorded, not
// run, under --root).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "common/fstab.hpp"
#include "common/peer_name.hpp"
#include "common/ssh_home.hpp"
#include "share.hpp"

namespace {

using json = nlohmann::json;
using sshshare::kFstab;
namespace fstab = plugin_common::fstab;

constexpr const char* kMountInfo = "/proc/self/mountinfo";

struct Args {
  std::string host;
  sshshare::Peer peer;
  std::string remote;
  std::string path;
};

std::string checked_path(const std::string& path, const char* what, bool is_mount_point) {
  const std::string why = sshshare::path_problem(path, is_mount_point);
  if (!why.empty())
    throw sc::Usage(std::string(what) + " \"" + path + "\" cannot be " +
                    (is_mount_point ? "the mount point of a share" : "the remote directory of a share") + ": " + why);
  return path;
}

// HOST REMOTE [PATH], every one checked before anything is done.
Args checked_args(const sc::Context& ctx) {
  Args a;
  a.host = plugin_common::peer_name::checked(ctx.arg(0), "HOST");
  a.peer = sshshare::split_peer(a.host);
  a.remote = checked_path(ctx.arg(1), "REMOTE", false);
  a.path = checked_path(ctx.arg(2, a.remote), "PATH", true);
  return a;
}

int timeout_seconds(const sc::Context& ctx) {
  // The core has checked the value against the manifest's bounds.
  const std::string v = ctx.setting("SSHSHARE_TIMEOUT").value_or("30");
  try {
    return std::max(1, std::stoi(v));
  } catch (const std::exception&) {
    return 30;
  }
}

// The key and known_hosts sc's own SSH connections use (the first key the
// core would try; id_ed25519, which `sshlink add` creates, when there is
// none yet), as files of the target system.
sshshare::SshFiles ssh_files(const sc::Context& ctx) {
  const std::string dir = plugin_common::ssh_home::target_ssh_dir(ctx);
  if (dir.empty())
    throw sc::Failure("the user running sc has no home directory, so no SSH key for sshfs to use; give it one");
  sshshare::SshFiles f;
  f.known_hosts = dir + "/known_hosts";
  f.identity = dir + "/id_ed25519";
  for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
    if (ctx.stat(dir + "/" + name, /*follow=*/true).is_file()) {
      f.identity = dir + "/" + name;
      break;
    }
  }
  for (const std::string& file : {f.identity, f.known_hosts}) {
    const std::string why = sshshare::option_file_problem(file);
    if (!why.empty())
      throw sc::Failure("sc's SSH file " + file + " cannot be named in an fstab entry: " + why +
                        "; run sc with a HOME whose path has only such characters");
  }
  return f;
}

bool systemd_running(const sc::Context& ctx) {
  // sd_booted(): systemd as PID 1 makes this directory.
  return ctx.stat("/run/systemd/system", /*follow=*/true).is_dir();
}

std::vector<fstab::Mount> mounts_at(const sc::Context& ctx, const std::string& path) {
  return fstab::mounts_at(fstab::parse_mountinfo(ctx.read_file(kMountInfo).value_or("")), path);
}

sc::RunOptions live_run(int timeout_s) {
  sc::RunOptions o;
  o.live = true;
  o.capture_err = true;
  // mount and umount wait for sshfs, which waits for ssh: bounded by the
  // share's own timeouts, and never for ever.
  o.timeout_ms = static_cast<std::uint32_t>(timeout_s + 60) * 1000u;
  return o;
}

void daemon_reload(const sc::Context& ctx) {
  // systemd generates the automount unit from /etc/fstab.
  if (systemd_running(ctx)) ctx.run_checked({"systemctl", "daemon-reload"}, live_run(0));
}

void stop_automount(const sc::Context& ctx, const std::string& path, int timeout_s) {
  // Stopped, or systemd would mount the share again at the next access.
  if (systemd_running(ctx)) ctx.run_checked({"systemctl", "stop", fstab::automount_unit(path)}, live_run(timeout_s));
}

void unmount(const sc::Context& ctx, const std::string& path, int timeout_s) {
  sc::RunResult r = ctx.run({"umount", path}, live_run(timeout_s));
  if (!r.ok())
    throw sc::Failure("cannot unmount " + path + ": " + ctx.last_error() + "; close what uses it (fuser -vm " + path +
                      " lists it) and run the command again");
}

// Paths are bytes: one that is not UTF-8 is shown with U+FFFD in JSON (the
// text output keeps its bytes).
std::string dumped(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json share_json(const sshshare::Share& s, bool mounted) {
  return json{{"host", sshshare::peer_text(s.peer)},
              {"remote", s.remote},
              {"path", s.path},
              {"options", s.options},
              {"mounted", mounted}};
}

// ---- commands ------------------------------------------------------------------

void add(sc::Context& ctx) {
  ctx.expect_args(2, 3, "HOST REMOTE [PATH]");
  const Args a = checked_args(ctx);
  const int timeout = timeout_seconds(ctx);
  const std::string options = sshshare::mount_options(a.peer, timeout, ssh_files(ctx));
  const std::string source = sshshare::source(a.peer, a.remote);
  const std::string line = sshshare::fstab_line(source, a.path, options);
  const std::string old_text = ctx.read_file(kFstab).value_or("");
  const sshshare::AddPlan plan = sshshare::plan_add(old_text, a.path, line);
  if (!plan.conflict.empty()) throw sc::Usage("PATH " + a.path + " cannot take the share: " + plan.conflict);

  // What is mounted there may be this share, or the share this entry
  // replaces (unmounted first); anything else is left alone and refused.
  const sshshare::Share wanted{a.peer, a.remote, a.path, options};
  const auto mounts = mounts_at(ctx, a.path);
  bool ours = false, old = false, new_options = false;
  for (const auto& m : mounts) {
    if (m.fstype == "autofs") continue;
    if (m.fstype == sshshare::kFsType && m.source == source) {
      ours = true;
      continue;
    }
    bool replaced = false;
    for (const auto& r : plan.replaced)
      replaced = replaced || (m.fstype == sshshare::kFsType && m.source == sshshare::source(r.peer, r.remote));
    if (!replaced)
      throw sc::Failure(a.path + " has " + m.fstype + " " + m.source +
                        " mounted on it, which /etc/fstab does not hold as an sshfs share of it; unmount it first");
    old = true;
  }
  for (const auto& r : plan.replaced) new_options = new_options || sshshare::same_share(r, wanted);

  ctx.link_peer(a.host);  // our key on the peer, its host key in known_hosts
  plugin_common::apt_ensure::ensure(ctx, {"sshfs:sshfs"});

  if (old) unmount(ctx, a.path, timeout);
  if (ours && new_options)
    ctx.warn(a.path + " stays mounted with its former options; the new ones apply from its next mount (umount " +
             a.path + ", then access it)");
  if (mounts.empty()) {
    sc::FileAttr d = sc::FileAttr::with_mode(0755);
    d.keep_attrs = true;  // an existing mount point keeps its mode and owner
    ctx.make_dir(a.path, d);
  }
  if (plan.text != old_text) {
    sc::FileAttr f = sc::FileAttr::with_mode(0644);
    f.keep_attrs = true;
    ctx.write_file(kFstab, plan.text, f);
    daemon_reload(ctx);
  }
  // With systemd's automount point in place, the first access mounts it.
  if (!ours && !sshshare::automounted(mounts)) {
    sc::RunResult r = ctx.run({"mount", a.path}, live_run(timeout));
    if (!r.ok())
      throw sc::Failure("mounting " + source + " on " + a.path + " failed: " + ctx.last_error() +
                        "; its /etc/fstab entry is in place: `mount " + a.path + "` mounts it once " + a.host +
                        " answers");
  }
  ctx.result(
      dumped(json{{"host", a.host}, {"remote", a.remote}, {"path", a.path}, {"options", options}, {"line", line}}));
}

void del(sc::Context& ctx) {
  ctx.expect_args(2, 3, "HOST REMOTE [PATH]");
  const Args a = checked_args(ctx);
  const std::string old_text = ctx.read_file(kFstab).value_or("");
  const sshshare::DelPlan plan = sshshare::plan_del(old_text, sshshare::Share{a.peer, a.remote, a.path, ""});
  if (plan.removed == 0) {
    std::string msg = "/etc/fstab holds no sshfs share of " + sshshare::source(a.peer, a.remote) + " on " + a.path +
                      ": nothing to remove";
    for (const auto& o : plan.others)
      msg += "; " + a.path + " is the share of " + sshshare::source(o.peer, o.remote) +
             (o.peer.port > 0 ? " (port " + std::to_string(o.peer.port) + ")" : "") +
             ", which del removes only when named";
    ctx.info(msg);
    ctx.result(dumped(json{{"removed", false}}));
    return;
  }
  const auto mounts = mounts_at(ctx, a.path);
  const int timeout = timeout_seconds(ctx);
  if (sshshare::automounted(mounts) && plan.others.empty()) stop_automount(ctx, a.path, timeout);
  if (sshshare::sshfs_mounted(mounts, sshshare::source(a.peer, a.remote))) unmount(ctx, a.path, timeout);
  sc::FileAttr f = sc::FileAttr::with_mode(0644);
  f.keep_attrs = true;
  ctx.write_file(kFstab, plan.text, f);
  daemon_reload(ctx);
  ctx.result(dumped(json{{"removed", true}}));
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PATH");
  const std::string path = checked_path(ctx.arg(0), "PATH", true);
  const auto shares = sshshare::list_shares(ctx.read_file(kFstab).value_or(""));
  auto it = std::find_if(shares.begin(), shares.end(), [&](const sshshare::Share& s) { return s.path == path; });
  if (it == shares.end()) {
    ctx.info("/etc/fstab holds no sshfs share on " + path);
    return SC_FAIL;
  }
  const auto mounts = mounts_at(ctx, path);
  if (sshshare::sshfs_mounted(mounts, sshshare::source(it->peer, it->remote)) || sshshare::automounted(mounts))
    return SC_OK;
  ctx.info(path + " is the share of " + sshshare::source(it->peer, it->remote) +
           " in /etc/fstab, but it is not mounted; `mount " + path + "` mounts it");
  return SC_FAIL;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto shares = sshshare::list_shares(ctx.read_file(kFstab).value_or(""));
  const auto mounts = fstab::parse_mountinfo(ctx.read_file(kMountInfo).value_or(""));
  std::string text;
  json items = json::array();
  for (const auto& s : shares) {
    const auto at = fstab::mounts_at(mounts, s.path);
    const bool mounted = sshshare::sshfs_mounted(at, sshshare::source(s.peer, s.remote)) || sshshare::automounted(at);
    text +=
        fstab::escape(sshshare::peer_text(s.peer)) + " " + fstab::escape(s.remote) + " " + fstab::escape(s.path) + "\n";
    items.push_back(share_json(s, mounted));
  }
  ctx.print(text);
  ctx.result(dumped(items));
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&add>("add"), sc::command<&del>("del"),
          sc::command<&has>("has"), sc::command<&list>("list"))
