// hostconf: the host's fully qualified name, stored in FQDN and applied to
// /etc/hostname and /etc/hosts (the original's hostconf module).
#include <sc/plugin.hpp>

#include "hosts_file.hpp"

namespace {

std::string current_fqdn(sc::Context& ctx) {
  auto v = ctx.setting("FQDN");
  if (!v || v->empty()) throw sc::Failure("FQDN is not set; run `sc hostconf setup`");
  return *v;
}

/// What the host calls itself now, as a default for the question.
std::string guess_fqdn(sc::Context& ctx) {
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = true;
  o.capture_err = true;
  o.timeout_ms = 5000;
  if (!ctx.rooted()) {
    sc::RunResult r = ctx.run({"hostname", "-f"}, o);
    std::string name = r.out.substr(0, r.out.find('\n'));
    if (r.ok() && hostconf::valid_fqdn(name, nullptr)) return hostconf::normalize_fqdn(name);
  }
  if (auto h = ctx.read_file("/etc/hostname")) {
    std::string name = h->substr(0, h->find('\n'));
    if (hostconf::valid_fqdn(name, nullptr)) return hostconf::normalize_fqdn(name);
  }
  return {};
}

void apply_fqdn(sc::Context& ctx, const std::string& fqdn) {
  ctx.write_file("/etc/hostname", hostconf::hostname_file(fqdn));
  std::string hosts = ctx.read_file("/etc/hosts").value_or("127.0.0.1\tlocalhost\n");
  ctx.write_file("/etc/hosts", hostconf::set_hosts_entry(hosts, fqdn), {0644, {}, {}, false, true});
  // The running kernel's name; a tree under --root has no running kernel.
  sc::RunOptions live;
  live.live = true;
  std::string current;
  if (!ctx.rooted()) {
    sc::RunOptions q;
    q.readonly = true;
    q.capture_out = true;
    sc::RunResult r = ctx.run({"hostname"}, q);
    current = r.out.substr(0, r.out.find('\n'));
  }
  if (current != hostconf::host_part(fqdn)) ctx.run_checked({"hostname", hostconf::host_part(fqdn)}, live);
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string fqdn;
  if (auto v = ctx.setting("FQDN", SC_SETTING_NO_DEFAULT)) {
    fqdn = *v;
  } else {
    std::string guess = guess_fqdn(ctx);
    if (!(ctx.mode() & SC_MODE_TTY) && !(ctx.assume_yes() && !guess.empty()))
      throw sc::Usage("FQDN is not set and there is no terminal to ask on; give it with --set FQDN=host.example.com" +
                      (guess.empty() ? std::string() : " or accept \"" + guess + "\" with --yes"));
    fqdn = ctx.ask_text("Enter host and domain name (host.example.com)", guess);
  }
  std::string why;
  if (!hostconf::valid_fqdn(fqdn, &why)) throw sc::Usage(why + "; give it with --set FQDN=host.example.com");
  fqdn = hostconf::normalize_fqdn(fqdn);
  // Reading with PROMPT stores a value given with --set, as an answer would be.
  ctx.set_setting("FQDN", fqdn);
  auto [rc, ignored] = ctx.broadcast("setfqdn", {fqdn});
  if (rc != SC_OK) throw sc::Failure("applying the new FQDN failed in at least one module (see above)");
}

void host(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string h = hostconf::host_part(current_fqdn(ctx));
  ctx.print(h + "\n");
  ctx.result("\"" + h + "\"");
}

void domain(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string d = hostconf::domain_part(current_fqdn(ctx));
  ctx.print(d + "\n");
  ctx.result("\"" + d + "\"");
}

void fqdn(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string f = current_fqdn(ctx);
  ctx.print(f + "\n");
  ctx.result("\"" + f + "\"");
}

void setfqdn(sc::Context& ctx) {
  ctx.expect_args(1, 1, "FQDN");
  std::string why;
  if (!hostconf::valid_fqdn(ctx.args()[0], &why)) throw sc::Usage(why);
  apply_fqdn(ctx, hostconf::normalize_fqdn(ctx.args()[0]));
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto v = ctx.setting("FQDN");
  if (!v || !hostconf::valid_fqdn(*v, nullptr)) return SC_FAIL;
  std::string h = hostconf::host_part(*v), d = hostconf::domain_part(*v);
  return h != "localhost" && !d.empty() && d != "localdomain" ? SC_OK : SC_FAIL;
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&host>("host"),
          sc::command<&domain>("domain"), sc::command<&fqdn>("fqdn"), sc::command<&setfqdn>("setfqdn"),
          sc::command<&ready>("ready"))
