#include "common/checked_config.hpp"

#include <grp.h>
#include <pwd.h>

#include <optional>

#include "common/system_service.hpp"

namespace plugin_common::checked_config {
namespace {

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

std::string user_name(std::uint32_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &pw, buffer, sizeof buffer, &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

std::string group_name(std::uint32_t gid) {
  struct group gr {};
  struct group* found = nullptr;
  char buffer[4096];
  if (getgrgid_r(gid, &gr, buffer, sizeof buffer, &found) == 0 && found) return found->gr_name;
  return std::to_string(gid);
}

/// A file as it was before sc wrote it: its text and attributes, the
/// target of a symbolic link, or nothing when it did not exist.
struct Before {
  std::string path;
  std::optional<std::string> text;
  sc::FileAttr attr;
  std::optional<std::string> link = std::nullopt;
};

Before before(const sc::Context& ctx, const std::string& path) {
  Before b{path, std::nullopt, {}};
  const sc::PathInfo info = ctx.stat(path, /*follow=*/false);
  if (info.is_symlink()) {
    b.link = info.link;
    return b;
  }
  if (!info.is_file()) return b;
  b.text = ctx.read_file(path);
  if (!b.text) throw sc::Failure("cannot read " + path + " to keep a copy before changing it");
  b.attr.mode = info.mode & 07777;
  b.attr.owner = user_name(info.uid);
  b.attr.group = group_name(info.gid);
  return b;
}

void restore(const sc::Context& ctx, const std::vector<Before>& saved) {
  for (const auto& b : saved) {
    if (b.link) {
      ctx.symlink(*b.link, b.path);
    } else if (b.text) {
      sc::FileAttr a = b.attr;
      a.secret = true;  // it was there already: no need to show it again
      ctx.write_file(b.path, *b.text, a);
    } else {
      ctx.remove(b.path);
    }
  }
}

/// Runs the checker; the refusal's text, or nullopt when it accepts.
std::optional<std::string> refusal(const sc::Context& ctx, const Service& service) {
  if (service.check.empty() || ctx.dry_run()) return std::nullopt;
  sc::RunOptions o = system_service::live();
  o.capture_out = true;
  o.capture_err = true;
  o.timeout_ms = 60000;
  const sc::RunResult r = ctx.run(service.check, o);
  if (r.ok()) return std::nullopt;
  std::string words = r.err + r.out;
  while (!words.empty() && (words.back() == '\n' || words.back() == ' ')) words.pop_back();
  if (words.empty()) words = ctx.last_error();
  return words;
}

sc::Failure refused(const Service& service, const std::string& words, const std::string& what) {
  return sc::Failure(service.unit + "'s checker (" + joined(service.check) + ") refused " + what + ":\n" + words +
                     "\nnothing was installed: the previous configuration is back in place and " + service.unit +
                     " keeps running with it");
}

}  // namespace

Service nginx() {
  return {"nginx", {"nginx", "-t", "-q"}, {"nginx", "-s", "reload"}, {"nginx"}, "/run/nginx.pid"};
}

Service apache() {
  return {
      "apache2", {"apache2ctl", "-t"}, {"apache2ctl", "graceful"}, {"apache2ctl", "start"}, "/run/apache2/apache2.pid"};
}

Service postfix() {
  return {"postfix",
          {"postfix", "check"},
          {"postfix", "reload"},
          {"postfix", "start"},
          "/var/spool/postfix/pid/master.pid"};
}

Service dovecot() {
  return {"dovecot", {"doveconf", "-n"}, {"doveadm", "reload"}, {"dovecot"}, "/run/dovecot/master.pid"};
}

void check(const sc::Context& ctx, const Service& service) {
  if (auto words = refusal(ctx, service))
    throw sc::Failure(service.unit + "'s checker (" + joined(service.check) + ") refuses the configuration:\n" +
                      *words);
}

bool install(const sc::Context& ctx, const Service& service, const std::vector<File>& files) {
  std::vector<Before> saved;
  for (const auto& f : files) {
    if (!f.link.empty()) {
      const sc::PathInfo info = ctx.stat(f.path, /*follow=*/false);
      if (info.is_symlink() && info.link == f.link) continue;
      saved.push_back(before(ctx, f.path));
      ctx.symlink(f.link, f.path);
      continue;
    }
    const std::optional<std::string> now = ctx.read_file(f.path);
    if (now && *now == f.text) {
      ctx.write_file(f.path, f.text, f.attr);  // attributes only, when they differ
      continue;
    }
    saved.push_back(before(ctx, f.path));
    ctx.write_file(f.path, f.text, f.attr);
  }
  if (saved.empty()) return false;
  if (auto words = refusal(ctx, service)) {
    restore(ctx, saved);
    std::string what;
    for (const auto& b : saved) what += (what.empty() ? "" : ", ") + b.path;
    throw refused(service, *words, what);
  }
  return true;
}

bool remove(const sc::Context& ctx, const Service& service, const std::vector<std::string>& paths) {
  std::vector<Before> saved;
  for (const auto& p : paths) {
    if (!ctx.stat(p, /*follow=*/false).exists()) continue;
    saved.push_back(before(ctx, p));
    ctx.remove(p);
  }
  if (saved.empty()) return false;
  if (auto words = refusal(ctx, service)) {
    restore(ctx, saved);
    std::string what;
    for (const auto& b : saved) what += (what.empty() ? "the removal of " : ", ") + b.path;
    throw refused(service, *words, what);
  }
  return true;
}

bool running(const sc::Context& ctx, const Service& service) {
  if (ctx.rooted()) return false;
  if (system_service::systemd_running(ctx)) {
    sc::RunOptions q;
    q.readonly = true;
    q.capture_out = true;
    q.capture_err = true;
    q.timeout_ms = 30000;
    return ctx.run({"systemctl", "is-active", "--quiet", service.unit}, q).ok();
  }
  if (service.pidfile.empty()) return true;
  const std::optional<std::string> text = ctx.read_file(service.pidfile);
  if (!text) return false;
  std::string pid;
  for (char c : *text) {
    if (c >= '0' && c <= '9')
      pid += c;
    else if (!pid.empty())
      break;
  }
  if (pid.empty() || pid.size() > 9) return false;
  return ctx.stat("/proc/" + pid, /*follow=*/false).is_dir();
}

void reload(const sc::Context& ctx, const Service& service) {
  if (ctx.rooted()) {
    ctx.run_checked({"systemctl", "reload", service.unit}, system_service::live());
    return;
  }
  if (!running(ctx, service)) {
    ctx.info(service.unit + " does not run: its new configuration is read when it starts (" +
             (system_service::systemd_running(ctx) ? "systemctl start " + service.unit : joined(service.start)) + ")");
    return;
  }
  if (system_service::systemd_running(ctx))
    ctx.run_checked({"systemctl", "reload", service.unit}, system_service::live());
  else
    ctx.run_checked(service.reload, system_service::live());
}

}  // namespace plugin_common::checked_config
