// sshlink: links to other hosts over SSH (the original's lib/sshlink). The
// SSH work itself is the core's (peer services of ABI 1.1: one libssh
// connection per peer per run, host keys, quoting, rsync); this module
// gives it commands, the per-peer speed limits and the exclusion list.
//
// As in the original, the peer name "localhost" means this host: nothing
// goes over SSH for it.
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/peer_name.hpp"
#include "common/ssh_home.hpp"
#include "link_text.hpp"
#include "scremote.hpp"

namespace {

using json = nlohmann::json;

bool is_local(const std::string& host) {
  return host == "localhost";
}

void check_peer(const std::string& host) {
  if (!is_local(host)) plugin_common::peer_name::checked(host, "HOST");
}

std::string remote_sc(sc::Context& ctx) {
  return ctx.setting("SSHLINK_REMOTE_SC").value_or("sc");
}

std::vector<std::string> rest(const sc::Context& ctx, size_t from) {
  const auto& a = ctx.args();
  return from < a.size() ? std::vector<std::string>(a.begin() + static_cast<long>(from), a.end())
                         : std::vector<std::string>{};
}

json parse_document(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw sc::Failure("a malformed JSON document came back: " + text);
  return j;
}

std::string error_of(const json& doc) {
  return doc.contains("error") && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
}

// Shows what a module printed and returned (here or on a peer) as ours, and
// ends with its status.
int relay(sc::Context& ctx, const json& doc, const std::string& where) {
  if (doc.contains("output") && doc["output"].is_string()) ctx.print(doc["output"].get<std::string>());
  if (doc.contains("result") && !doc["result"].is_null()) ctx.result(doc["result"].dump());
  int status = doc.value("status", SC_FAIL);
  if (status == SC_OK) return SC_OK;
  std::string msg = where + error_of(doc);
  if (status == SC_USAGE) throw sc::Usage(msg);
  throw sc::Failure(msg);
}

// `sc --json --version` on a peer, through the peer's shell.
std::optional<json> peer_version(sc::Context& ctx, const std::string& host, std::string* why) {
  sc::RunOptions o;
  o.readonly = o.capture_out = o.capture_err = true;
  auto r = ctx.peer_run(host, {remote_sc(ctx), "--json", "--version"}, o);
  if (!r.ok()) {
    *why = ctx.last_error();
    if (r.exit_code == 127) *why += "; install sc on " + host + ", or set SSHLINK_REMOTE_SC to its path";
    return std::nullopt;
  }
  json j = json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("version")) {
    *why = host + ": `" + remote_sc(ctx) + " --json --version` did not answer like this sc (the original bash tool?)";
    return std::nullopt;
  }
  return j;
}

// ---- links --------------------------------------------------------------------

void add(sc::Context& ctx) {
  ctx.expect_args(1, 1, "HOST");
  const std::string host = ctx.arg(0);
  check_peer(host);
  if (is_local(host)) {
    ctx.print("localhost is this host: no link needed\n");
    return;
  }
  ctx.link_peer(host);
  if (!ctx.dry_run()) ctx.print("linked to " + host + "\n");
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "HOST");
  const std::string host = ctx.arg(0);
  check_peer(host);
  if (is_local(host)) return SC_OK;
  std::string why;
  if (ctx.peer_linked(host, &why)) return SC_OK;
  ctx.info(why);
  return SC_FAIL;
}

int has_sc(sc::Context& ctx) {
  ctx.expect_args(1, 1, "HOST");
  const std::string host = ctx.arg(0);
  check_peer(host);
  if (is_local(host)) return SC_OK;
  std::string why;
  if (peer_version(ctx, host, &why)) return SC_OK;
  ctx.info(why);
  return SC_FAIL;
}

void check_sc(sc::Context& ctx) {
  ctx.expect_args(1, 1, "HOST");
  const std::string host = ctx.arg(0);
  check_peer(host);
  json info;
  if (is_local(host)) {
    info = {{"version", ctx.sc_version()},
            {"abi", std::to_string(ctx.api()->abi_major) + "." + std::to_string(ctx.api()->abi_minor)}};
  } else {
    std::string why;
    auto v = peer_version(ctx, host, &why);
    if (!v) throw sc::Failure(why);
    info = *v;
  }
  ctx.print(host + ": sc " + info.value("version", "?") + " (plugin ABI " + info.value("abi", "?") + ")\n");
  ctx.result(json{{"peer", host}, {"sc", info.value("version", "")}, {"abi", info.value("abi", "")}}.dump());
}

// ---- commands and sc calls -------------------------------------------------------

int exec(sc::Context& ctx) {
  if (ctx.args().size() < 2) ctx.expect_args(2, 2, "HOST COMMAND [ARGS...]");
  const std::string host = ctx.arg(0);
  check_peer(host);
  std::vector<std::string> argv = rest(ctx, 1);
  // `exit N` here: the shell's builtin the original ran (its has_sc asks
  // `sc sshlink exec localhost exit 0` of its peers): success for 0, else
  // failure; nothing run.
  if (is_local(host) && argv[0] == "exit" && argv.size() <= 2) {
    int code = 0;
    if (argv.size() == 2) {
      const std::string& n = argv[1];
      if (n.empty() || n.size() > 3 || n.find_first_not_of("0123456789") != std::string::npos || std::stoi(n) > 255)
        throw sc::Usage("exit \"" + n + "\": give a status from 0 to 255");
      code = std::stoi(n);
    }
    return code == 0 ? SC_OK : SC_FAIL;
  }
  sc::RunResult r = is_local(host) ? ctx.run(argv) : ctx.peer_run(host, argv);
  if (r.ok()) return SC_OK;
  throw sc::Failure(ctx.last_error());
}

int sc_call(sc::Context& ctx) {
  if (ctx.args().size() < 3) ctx.expect_args(3, 3, "HOST MODULE COMMAND [ARGS...]");
  const std::string host = ctx.arg(0);
  check_peer(host);
  std::vector<std::string> words = rest(ctx, 1);
  if (is_local(host)) {
    sc::CallResult r = ctx.call(words[0], words[1], rest(ctx, 3));
    return relay(ctx, parse_document(r.json), "");
  }
  sc::CallResult r = ctx.peer_sc(host, words);
  json doc = parse_document(r.json);
  if (doc.value("status", SC_FAIL) == 3) throw sc::Failure("on " + host + ": " + error_of(doc));
  return relay(ctx, doc, "on " + host + ": ");
}

// The original's `value` of a setting on this host, computed from ours by
// the core (`sc settings original NAME`); nullopt when it would have none.
std::optional<std::string> original_value(sc::Context& ctx, const std::string& name) {
  sc::CallResult r = ctx.call("settings", "original", {name});
  if (r.status != SC_OK) return std::nullopt;
  json doc = json::parse(r.json, nullptr, false);
  if (!doc.is_object() || !doc["result"].is_object() || !doc["result"]["value"].is_string()) return std::nullopt;
  return doc["result"]["value"].get<std::string>();
}

// The peer side of the original's `sshlink sc`: answers the original tool's
// clients, read-only, byte for byte as the original would (scremote.hpp).
// Never runs a module's command: nothing a client asks changes this host.
int scremote(sc::Context& ctx) {
  const sshlink::scremote::Answer a =
      sshlink::scremote::answer(ctx.args(), [&](const std::string& n) { return original_value(ctx, n); });
  if (!a.out.empty()) ctx.print(a.out);
  if (!a.note.empty()) {
    // The "no update" answer comes every 20 minutes from each client's
    // cron: said only with -v. Refusals are said.
    if (a.status == 1 && ctx.args().size() == 2 && ctx.arg(0) == "master" && ctx.arg(1) == "buildnumber")
      ctx.debug(a.note);
    else
      ctx.info(a.note);
  }
  return a.status;
}

// ---- settings of peers ------------------------------------------------------------

// Every setting stored on `host` (one round trip), as name -> value.
json peer_settings(sc::Context& ctx, const std::string& host, bool show_secrets) {
  std::vector<std::string> args = {"settings", "print"};
  if (show_secrets) args.push_back("--show-secrets");
  json doc;
  if (is_local(host)) {
    doc = parse_document(ctx.call("settings", "print", {args.begin() + 2, args.end()}).json);
  } else {
    doc = parse_document(ctx.peer_sc(host, args, /*readonly=*/true).json);
  }
  if (doc.value("status", SC_FAIL) != SC_OK)
    throw sc::Failure("cannot read the settings of " + host + ": " + error_of(doc));
  const json& r = doc["result"];
  if (!r.is_object()) throw sc::Failure("the settings of " + host + " came back in an unexpected form");
  return r;
}

void getsettings(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST [--show-secrets]");
  const std::string host = ctx.arg(0);
  check_peer(host);
  bool show = false;
  if (ctx.args().size() == 2) {
    if (ctx.arg(1) != "--show-secrets")
      throw sc::Usage("unknown option \"" + ctx.arg(1) + "\"; usage: sc sshlink getsettings HOST [--show-secrets]");
    show = true;
  }
  json values = peer_settings(ctx, host, show);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto it = values.begin(); it != values.end(); ++it)
    if (it.value().is_string()) pairs.emplace_back(it.key(), it.value().get<std::string>());
  ctx.print(sshlink::settings_file_text(host, pairs));
  ctx.result(values.dump());
}

void getvar(sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST NAME");
  const std::string host = ctx.arg(0), name = ctx.arg(1);
  check_peer(host);
  if (!sshlink::valid_setting_name(name))
    throw sc::Usage("\"" + name +
                    "\" is not a setting name (upper-case letters, digits and '_', starting with a "
                    "letter)");
  json doc = is_local(host) ? parse_document(ctx.call("settings", "get", {name}).json)
                            : parse_document(ctx.peer_sc(host, {"settings", "get", name}, true).json);
  if (doc.value("status", SC_FAIL) != SC_OK) throw sc::Failure("on " + host + ": " + error_of(doc));
  std::string value = doc["result"].is_string() ? doc["result"].get<std::string>() : "";
  ctx.print(value + "\n");
  ctx.result(json(value).dump());
}

void importsettings(sc::Context& ctx) {
  if (ctx.args().size() < 2) ctx.expect_args(2, 2, "HOST MODULE[/REGEX]...");
  const std::string host = ctx.arg(0);
  check_peer(host);
  std::vector<sshlink::ImportSpec> specs;
  for (const auto& a : rest(ctx, 1)) {
    sshlink::ImportSpec s;
    std::string err;
    if (!sshlink::parse_import_spec(a, &s, &err)) throw sc::Usage(err);
    specs.push_back(std::move(s));
  }
  if (is_local(host)) return;  // importing from ourselves changes nothing
  // One round trip for every module: all the peer's stored settings; which
  // of them belong to each module is what this host's manifests say.
  json values = peer_settings(ctx, host, true);
  sc::CallResult list = ctx.call("settings", "list");
  json rows = parse_document(list.json)["result"];
  json imported = json::array(), unset = json::array();
  for (const auto& spec : specs) {
    bool declared = false;
    for (const auto& row : rows) {
      if (!row.is_object() || !row["module"].is_string() || row["module"].get<std::string>() != spec.module) continue;
      declared = true;
      const std::string name = row.value("name", "");
      if (!spec.matches(name)) continue;
      if (!values.contains(name) || !values[name].is_string()) {
        unset.push_back(name);
        continue;
      }
      sc::CallResult r = ctx.call("settings", "set", {name, values[name].get<std::string>()});
      if (r.status != SC_OK)
        throw sc::Failure("cannot import " + name + " from " + host + ": " + error_of(parse_document(r.json)));
      imported.push_back(name);
    }
    if (!declared)
      ctx.warn("module " + spec.module +
               " declares no settings here (is it installed on this host?): nothing "
               "imported for it");
  }
  std::string names;
  for (const auto& n : imported) names += " " + n.get<std::string>();
  ctx.print("imported " + std::to_string(imported.size()) + " setting" + (imported.size() == 1 ? "" : "s") + " from " +
            host + (names.empty() ? "" : ":" + names) + "\n");
  if (!unset.empty()) {
    std::string u;
    for (const auto& n : unset) u += " " + n.get<std::string>();
    ctx.info("not set on " + host + " (left as they are here):" + u);
  }
  ctx.result(json{{"peer", host}, {"imported", imported}, {"not_set_on_peer", unset}}.dump());
}

// ---- files ---------------------------------------------------------------------------

std::vector<sshlink::SpeedLimit> speed_limits(sc::Context& ctx) {
  std::vector<std::string> bad;
  auto limits = sshlink::parse_speed_limits(ctx.setting("SSHLINK_SPEEDLIMITS").value_or(""), &bad);
  for (const auto& b : bad)
    ctx.warn("SSHLINK_SPEEDLIMITS: ignoring \"" + b + "\" (expected PEER=KBPS); fix it with sc sshlink setspeed");
  return limits;
}

std::string read_stdin(sc::Context& ctx) {
  if (::isatty(STDIN_FILENO))
    throw sc::Usage(
        "give the files to copy as arguments after TARGET, or one per line on stdin; usage: sc "
        "sshlink " +
        ctx.command() + " HOST[:/DIR] [TARGET] [FILE...]");
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(STDIN_FILENO, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

void getfiles(sc::Context& ctx) {
  if (ctx.args().empty()) ctx.expect_args(1, 1, "HOST[:/DIR] [TARGET] [FILE...]");
  sshlink::Source src;
  std::string err;
  if (!sshlink::split_source(ctx.arg(0), &src, &err)) throw sc::Usage(err);
  const std::string target = ctx.arg(1, "/");
  if (target.empty() || target[0] != '/')
    throw sc::Usage("TARGET \"" + target + "\" must be an absolute directory of this host");
  std::vector<std::string> files = ctx.args().size() > 2 ? rest(ctx, 2) : sshlink::parse_file_list(read_stdin(ctx));
  if (is_local(src.peer)) {
    if (target == src.dir || files.empty()) return;  // as the original: nothing to copy onto itself
    std::string list;
    for (const auto& f : files) list += f + '\0';
    std::vector<std::string> argv = {"rsync",   "--archive",      "--recursive", "--protect-args",
                                     "--from0", "--files-from=-", "--delete"};
    for (const auto& x : sshlink::exclude_patterns()) argv.push_back("--exclude=" + x);
    std::string from = ctx.resolve_path(src.dir), to = ctx.resolve_path(target);
    argv.push_back(from.back() == '/' ? from : from + "/");
    argv.push_back(to.back() == '/' ? to : to + "/");
    sc::RunOptions o;
    o.input = list;
    o.capture_err = true;
    ctx.run_checked(argv, o);
    return;
  }
  sc::FetchOptions o;
  o.peer = src.peer;
  o.source_dir = src.dir;
  o.target_dir = target;
  o.paths = files;
  o.excludes = sshlink::exclude_patterns();
  o.bwlimit_kbps = sshlink::speed_for(speed_limits(ctx), src.peer).value_or(0);
  o.delete_extraneous = true;  // as the original's getfiles
  sc::FetchResult r = ctx.fetch(o);
  if (!r.ok()) throw sc::Failure(r.error);
}

void exclude_list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string t;
  for (const auto& p : sshlink::exclude_patterns()) t += "- " + p + "\n";
  ctx.print(t);
  ctx.result(json(sshlink::exclude_patterns()).dump());
}

// ---- speed limits ------------------------------------------------------------------

void store_speed(sc::Context& ctx, const std::string& host, unsigned kbps) {
  auto limits = speed_limits(ctx);
  if (sshlink::set_speed(&limits, host, kbps))
    ctx.set_setting("SSHLINK_SPEEDLIMITS", sshlink::format_speed_limits(limits));
}

void setspeed(sc::Context& ctx) {
  ctx.expect_args(1, 2, "HOST [KBPS]");
  const std::string host = ctx.arg(0);
  check_peer(host);
  unsigned kbps = 0;
  if (ctx.args().size() == 2 && !sshlink::parse_kbps(ctx.arg(1), &kbps))
    throw sc::Usage("\"" + ctx.arg(1) + "\" is not a speed: give KiB/s as a whole number from 1 to 10000000");
  if (is_local(host)) return;
  store_speed(ctx, host, kbps);
}

void getspeed(sc::Context& ctx) {
  ctx.expect_args(1, 1, "HOST");
  const std::string host = ctx.arg(0);
  check_peer(host);
  auto kbps = is_local(host) ? std::nullopt : sshlink::speed_for(speed_limits(ctx), host);
  if (kbps) ctx.print(std::to_string(*kbps) + "\n");
  ctx.result(kbps ? json(*kbps).dump() : "null");
}

void delspeed(sc::Context& ctx) {
  ctx.expect_args(1, 1, "HOST");
  const std::string host = ctx.arg(0);
  check_peer(host);
  if (!is_local(host)) store_speed(ctx, host, 0);
}

// ---- hooks -------------------------------------------------------------------------

// What a backup of this host must keep to restore its links: our key pair,
// the hosts we trust, who may log in here, and the ssh client config; the
// files of the target system (under --root, ROOT's), those that exist.
void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string ssh_dir = plugin_common::ssh_home::target_ssh_dir(ctx);
  json list = json::array();
  std::string t;
  if (!ssh_dir.empty()) {
    const std::string dir = ssh_dir + "/";
    for (const char* name :
         {"id_ed25519", "id_ed25519.pub", "id_rsa", "id_rsa.pub", "known_hosts", "authorized_keys", "config"}) {
      const std::string p = dir + name;
      if (!ctx.stat(p).is_file()) continue;
      list.push_back(p);
      t += p + "\n";
    }
  }
  ctx.print(t);
  ctx.result(list.dump());
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&add>("add"), sc::command<&has>("has"),
          sc::command<&has_sc>("has_sc"), sc::command<&check_sc>("check_sc"), sc::command<&exec>("exec"),
          sc::command<&sc_call>("sc"), sc::command<&scremote>("scremote"), sc::command<&getfiles>("getfiles"),
          sc::command<&importsettings>("importsettings"), sc::command<&getvar>("getvar"),
          sc::command<&getsettings>("getsettings"), sc::command<&exclude_list>("exclude_list"),
          sc::command<&setspeed>("setspeed"), sc::command<&getspeed>("getspeed"), sc::command<&delspeed>("delspeed"),
          sc::command<&files>("files"))
