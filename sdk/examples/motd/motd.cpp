// motd: an example sc module. It changes the host only through the
// sc::Context services, so --dry-run, --diff, --root and --json work
// without a line of code for them.
#include <sc/plugin.hpp>

#include "motd_text.hpp"

namespace {

void write_motd(const sc::Context& ctx, const std::string& fqdn) {
  // Settings come typed from the manifest: MOTD_BOXED is "yes" or "no".
  const std::string text = ctx.setting("MOTD_TEXT").value_or("");
  const bool boxed = ctx.setting("MOTD_BOXED").value_or("no") == "yes";
  ctx.write_file("/etc/motd", motd::render(text, fqdn, boxed));  // 0644 root:root, atomic
}

// sc motd setup
void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string name = motd::first_line(ctx.read_file("/etc/hostname").value_or(""));
  if (!motd::valid_host_name(name)) name = "localhost";
  write_motd(ctx, name);
}

// sc motd show
void show(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto text = ctx.read_file("/etc/motd");
  if (!text) throw sc::Failure("/etc/motd does not exist yet; run `sc motd setup`");
  ctx.print(*text);
}

// Hook: `sc hostconf setup` broadcasts setfqdn with the new name to every
// module that declares the hook.
void setfqdn(sc::Context& ctx) {
  ctx.expect_args(1, 1, "FQDN");
  if (!motd::valid_host_name(ctx.arg(0)))
    throw sc::Usage("\"" + ctx.arg(0) + "\" is not a host name (letters, digits, '-' and '.')");
  write_motd(ctx, ctx.arg(0));
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&show>("show"),
          sc::command<&setfqdn>("setfqdn"))
