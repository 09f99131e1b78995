#include "common/system_service.hpp"

namespace plugin_common::system_service {
namespace {

/// `systemctl VERB --quiet UNIT` as a question: it runs under --dry-run too.
bool systemctl_says(const sc::Context& ctx, const char* verb, const std::string& unit) {
  sc::RunOptions q;
  q.readonly = true;
  q.capture_out = true;
  q.capture_err = true;
  q.timeout_ms = 30000;
  return ctx.run({"systemctl", verb, "--quiet", unit}, q).ok();
}

}  // namespace

sc::RunOptions live() {
  sc::RunOptions o;
  o.live = true;
  o.capture_err = true;
  return o;
}

bool systemd_running(const sc::Context& ctx) {
  if (ctx.rooted()) return true;
  try {
    return ctx.stat("/run/systemd/system", /*follow=*/true).is_dir();
  } catch (const sc::Usage&) {
    return false;
  }
}

void ensure_running(const sc::Context& ctx, const std::string& unit, bool restart) {
  if (ctx.rooted()) {
    if (restart) {
      ctx.run_checked({"systemctl", "enable", unit}, live());
      ctx.run_checked({"systemctl", "restart", unit}, live());
    }
    return;
  }
  if (!systemd_running(ctx)) {
    ctx.warn("systemd is not running on this host: start " + unit + " yourself" +
             (restart ? " (or restart it: its configuration changed)" : ""));
    return;
  }
  if (!systemctl_says(ctx, "is-enabled", unit)) ctx.run_checked({"systemctl", "enable", unit}, live());
  if (restart || !systemctl_says(ctx, "is-active", unit)) ctx.run_checked({"systemctl", "restart", unit}, live());
}

void ensure_stopped(const sc::Context& ctx, const std::string& unit, bool changed) {
  auto run = [&](const char* verb) {
    sc::RunResult r = ctx.run({"systemctl", verb, unit}, live());
    if (!r.ok()) ctx.warn("systemctl " + std::string(verb) + " " + unit + " failed: " + ctx.last_error());
  };
  if (ctx.rooted()) {
    if (changed) {
      run("stop");
      run("disable");
    }
    return;
  }
  if (!systemd_running(ctx)) {
    if (changed) ctx.warn("systemd is not running on this host: stop " + unit + " yourself if it runs");
    return;
  }
  if (systemctl_says(ctx, "is-active", unit)) run("stop");
  if (systemctl_says(ctx, "is-enabled", unit)) run("disable");
}

}  // namespace plugin_common::system_service
