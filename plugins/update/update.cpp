// update: replaces this host's sc with a release archive from a URL,
// checked against a SHA-256, then lets every module upgrade its state (the
// original's update module); lists the sc it runs for hosts that follow it
// (`release`) and brings this host's sc to a peer's (`follow`, which `sc
// master update_sc` uses). The original's `temp` module is ScratchDir
// (install.hpp): a private directory removed whatever happens.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <sstream>

#include "common/apt_ensure.hpp"
#include "common/peer_name.hpp"
#include "common/sc_names.hpp"
#include "common/target.hpp"
#include "install.hpp"
#include "release.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string checked_url(const std::string& url) {
  std::string why;
  if (!update_rel::valid_url(url, &why))
    throw sc::Usage(why + "; set it with --set UPDATE_URL=... or `sc update setup`");
  return url;
}

/// UPDATE_URL (a value given with --set included), asked for when unset.
/// The caller stores it with set_setting once it has been used with
/// success, as an answer would be; a failed command changes nothing.
std::string configured_url(sc::Context& ctx) {
  if (auto v = ctx.setting("UPDATE_URL", SC_SETTING_NO_DEFAULT); v && !v->empty()) return checked_url(*v);
  if (!(ctx.mode() & SC_MODE_TTY))
    throw sc::Usage(
        "UPDATE_URL is not set and there is no terminal to ask on; give it with --set "
        "UPDATE_URL=https://host/sc-VERSION.tar.gz");
  return checked_url(ctx.ask_text("URL of the sc release archive (.tar.gz)"));
}

using update_install::quiet;
using update_install::ScratchDir;
using update_install::slurp;

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

/// The SHA-256 the archive must have: UPDATE_SHA256, else URL.sha256.
std::string expected_sha256(sc::Context& ctx, const std::string& url, const fs::path& scratch, std::string* from) {
  std::string pinned = ctx.setting("UPDATE_SHA256").value_or("");
  if (!pinned.empty()) {
    auto d = update_rel::parse_sha256(pinned);
    if (!d || pinned.size() != 64)
      throw sc::Usage("UPDATE_SHA256 \"" + pinned +
                      "\" is not a SHA-256 (64 hex digits); fix it with `sc settings set "
                      "UPDATE_SHA256 ...` or empty it to use " +
                      url + ".sha256");
    *from = "UPDATE_SHA256";
    return *d;
  }
  const fs::path file = scratch / "release.sha256";
  sc::RunResult r = ctx.run(update_rel::download_argv(url + ".sha256", file.string()), quiet());
  if (!r.ok())
    throw sc::Failure("no checksum for " + url + ": " + url + ".sha256 could not be downloaded (" +
                      first_line(r.err.empty() ? "curl failed" : r.err) +
                      "); publish it beside the archive or set UPDATE_SHA256; nothing was installed");
  auto d = update_rel::parse_sha256(slurp(file));
  if (!d) throw sc::Failure(url + ".sha256 holds no SHA-256; nothing was installed");
  *from = url + ".sha256";
  return *d;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  ctx.set_setting("UPDATE_URL", configured_url(ctx));
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto v = ctx.setting("UPDATE_URL", SC_SETTING_NO_DEFAULT);
  return v && update_rel::valid_url(*v, nullptr) ? SC_OK : SC_FAIL;
}

void start(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string url = configured_url(ctx);
  if (!ctx.rooted()) {
    const std::string self = plugin_common::sc_names::running_sc();
    if (update_rel::kind_of_exe(self) == update_rel::Kind::debian)
      throw sc::Failure("sc runs from " + self +
                        ", a Debian package: update it with apt; `sc update start` manages an install in /usr/local");
    // curl runs on this machine; under --root it is this machine's too.
    plugin_common::apt_ensure::ensure(ctx, {"curl:curl"});
  }
  const std::string old = ctx.sc_version();

  ScratchDir scratch;
  const fs::path archive = scratch.path() / "release";
  sc::RunResult r = ctx.run(update_rel::download_argv(url, archive.string()), quiet());
  if (!r.ok())
    throw sc::Failure("downloading " + url + " failed: " + first_line(r.err.empty() ? "curl could not run" : r.err));
  std::string from;
  const std::string expected = expected_sha256(ctx, url, scratch.path(), &from);
  r = ctx.run({"sha256sum", "--binary", archive.string()}, quiet());
  auto actual = update_rel::parse_sha256(r.out);
  if (!r.ok() || !actual) throw sc::Failure("sha256sum failed on the downloaded archive: " + first_line(r.err));
  if (*actual != expected)
    throw sc::Failure("the archive from " + url + " has SHA-256 " + *actual + ", but " + from + " says " + expected +
                      ": refusing it, nothing was installed");

  const fs::path tree = scratch.path() / "tree";
  fs::create_directory(tree);
  r = ctx.run(update_rel::extract_argv(archive.string(), tree.string()), quiet());
  if (!r.ok()) throw sc::Failure("the archive from " + url + " cannot be unpacked: " + first_line(r.err));

  // Every member is checked before the first file is written.
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(tree, ec); !ec && it != fs::end(it); it.increment(ec)) {
    std::string rel = it->path().lexically_relative(tree).string();  // never follows a symlink
    auto st = it->symlink_status();
    if (fs::is_directory(st)) continue;
    std::string why;
    if (!fs::is_regular_file(st))
      throw sc::Failure("release member \"" + rel +
                        "\" is not a regular file or directory: refusing the archive, "
                        "nothing was installed");
    if (!update_rel::installable(rel, &why)) throw sc::Failure(why + "; refusing the archive, nothing was installed");
    files.push_back(rel);
  }
  if (ec) throw sc::Failure("reading the unpacked archive: " + ec.message());
  if (std::find(files.begin(), files.end(), update_rel::kScPath) == files.end())
    throw sc::Failure(std::string("the archive from ") + url + " is not an sc release: it has no " +
                      update_rel::kScPath + "; nothing was installed");

  std::vector<update_install::Item> items;
  for (const auto& rel : files) {
    auto perms = fs::symlink_status(tree / rel).permissions();
    items.push_back({rel, (perms & fs::perms::owner_exec) != fs::perms::none});
  }
  const bool changed = update_install::install_tree(ctx, tree, items);
  json result = {{"url", url}, {"sha256", *actual}, {"files", files.size()}, {"changed", changed}};
  ctx.set_setting("UPDATE_URL", url);
  if (!changed) {
    ctx.print("the release from " + url + " is already installed\n");
    ctx.result(result.dump());
    return;
  }
  r = update_install::run_upgrade(ctx, old);
  ctx.print(std::string(r.ran ? "installed " : "would install ") + std::to_string(files.size()) + " files from " + url +
            "\n");
  ctx.result(result.dump());
}

void upgrade(sc::Context& ctx) {
  ctx.expect_args(1, 2, "OLD [NEW]");
  // The original tool numbered its versions MAJOR * 1000 + MINOR (1006):
  // a host coming from it has had none of our modules' steps, so they all
  // run, as from 0.0.0.
  const std::string& given = ctx.args()[0];
  const bool original_build = given.size() == 4 && given[0] >= '1' && given[0] <= '9' &&
                              std::all_of(given.begin(), given.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (original_build)
    ctx.print(given + " is a build number of the original tool: every module's steps run, as from 0.0.0\n");
  auto old = update_rel::parse_version(original_build ? "0.0.0" : given);
  if (!old)
    throw sc::Usage(
        "\"" + given +
        "\" is not a version (MAJOR.MINOR.PATCH, e.g. 1.0.0, or the original tool's build number, e.g. 1006)");
  const std::string new_text = ctx.arg(1, ctx.sc_version());
  auto now = update_rel::parse_version(new_text);
  if (!now) throw sc::Usage("\"" + new_text + "\" is not a version (MAJOR.MINOR.PATCH, e.g. 1.0.0)");
  const std::string a = update_rel::to_string(*old), b = update_rel::to_string(*now);
  int c = update_rel::compare(*old, *now);
  if (c > 0) throw sc::Usage("cannot upgrade from " + a + " to the older " + b + ": modules only migrate forward");
  if (c == 0) {
    ctx.print("nothing to upgrade: " + a + " is the version running\n");
    return;
  }
  // One broadcast: each module applies, in order, its own steps V with
  // OLD < V <= NEW (see the module's `upgrade` hook).
  auto [rc, ignored] = ctx.broadcast("upgrade", {a, b});
  if (rc != SC_OK)
    throw sc::Failure("the upgrade hook failed in at least one module (see above); fix it and run `sc update upgrade " +
                      a + "` again");
  ctx.print("upgraded the modules from " + a + " to " + b + "\n");
}

/// The running sc and how it is installed (update_rel::Kind); under
/// --root, the root's /usr/local/sbin/sc, a local install when it is there.
std::pair<std::string, update_rel::Kind> this_install(const sc::Context& ctx) {
  const std::string installed = std::string("/") + update_rel::kScPath;
  if (ctx.rooted())
    return {installed,
            plugin_common::target::exists(ctx, installed) ? update_rel::Kind::local : update_rel::Kind::other};
  const std::string exe = plugin_common::sc_names::running_sc();
  return {exe, update_rel::kind_of_exe(exe)};
}

/// The SHA-256 of each file (paths of this machine), in order, with one
/// sha256sum run; throws sc::Failure when it fails.
std::vector<std::string> sha256_of(sc::Context& ctx, const std::vector<std::string>& paths) {
  std::vector<std::string> argv = {"sha256sum", "--binary", "--"};
  argv.insert(argv.end(), paths.begin(), paths.end());
  sc::RunResult r = ctx.run(argv, quiet());
  std::vector<std::string> sums;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    // sha256sum starts the line with '\' when it escaped the file name.
    auto d = update_rel::parse_sha256(line.substr(!line.empty() && line[0] == '\\' ? 1 : 0));
    if (d) sums.push_back(*d);
  }
  if (!r.ok() || sums.size() != paths.size())
    throw sc::Failure("sha256sum failed on sc's files: " + first_line(r.err.empty() ? r.out : r.err));
  return sums;
}

/// Every regular file under `dir` (a target path), recursively, not
/// following symlinks; other entries go to *skipped.
void regular_files(sc::Context& ctx, const std::string& dir, std::vector<std::string>* out,
                   std::vector<std::string>* skipped) {
  for (const auto& name : ctx.list_dir(dir)) {
    const std::string p = dir + "/" + name;
    sc::PathInfo i = ctx.stat(p);
    if (i.is_dir())
      regular_files(ctx, p, out, skipped);
    else if (i.is_file())
      out->push_back(p);
    else
      skipped->push_back(p);
  }
}

void release(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[files]");
  const bool with_files = !ctx.args().empty();
  if (with_files && ctx.arg(0) != "files") throw sc::Usage("\"" + ctx.arg(0) + "\": give `files` or nothing");
  const auto [exe, kind] = this_install(ctx);
  json r = {{"version", ctx.sc_version()}, {"kind", update_rel::kind_name(kind)}, {"exe", exe}};
  std::string text = "sc " + ctx.sc_version() + ", " +
                     (kind == update_rel::Kind::local    ? "installed in /usr/local"
                      : kind == update_rel::Kind::debian ? "from Debian packages"
                                                         : "neither in /usr/local nor from Debian packages") +
                     " (" + exe + ")\n";
  if (!with_files) {
    ctx.print(text);
    ctx.result(r.dump());
    return;
  }
  if (kind != update_rel::Kind::local)
    throw sc::Failure("sc runs from " + exe + ", not from /" + update_rel::kScPath +
                      ": only the files of an install in /usr/local are listed for hosts to copy");
  std::vector<std::string> files = {std::string("/") + update_rel::kScPath}, skipped;
  const std::string lib =
      "/" + std::string(update_rel::kLibPrefix).substr(0, std::string(update_rel::kLibPrefix).size() - 1);
  if (ctx.stat(lib).is_dir()) regular_files(ctx, lib, &files, &skipped);
  std::vector<std::string> listed, real;
  for (const auto& f : files) {
    if (!update_rel::followable(f.substr(1), nullptr)) {
      skipped.push_back(f);
      continue;
    }
    listed.push_back(f);
    real.push_back(ctx.rooted() ? ctx.resolve_path(f) : f);
  }
  const std::vector<std::string> sums = sha256_of(ctx, real);
  json list = json::array();
  for (size_t i = 0; i < listed.size(); ++i) {
    const bool exec = (ctx.stat(listed[i]).mode & 0111) != 0;
    list.push_back({{"path", listed[i].substr(1)}, {"sha256", sums[i]}, {"mode", exec ? "0755" : "0644"}});
    text += sums[i] + " " + (exec ? "0755" : "0644") + " " + listed[i] + "\n";
  }
  for (const auto& f : skipped) ctx.warn("not listed (not a regular file with a plain name): " + f);
  r["files"] = list;
  r["skipped"] = skipped;
  ctx.print(text);
  ctx.result(r.dump());
}

/// The modules installed from Debian packages here: the manifests in
/// /usr/lib/sc, for the packages to upgrade.
std::vector<std::string> installed_modules(sc::Context& ctx) {
  std::vector<std::string> names;
  if (!ctx.stat("/usr/lib/sc", true).is_dir()) return names;
  for (const auto& f : ctx.list_dir("/usr/lib/sc"))
    if (f.size() > 5 && f.compare(f.size() - 5, 5, ".json") == 0 &&
        plugin_common::sc_names::valid_module_name(f.substr(0, f.size() - 5)))
      names.push_back(f.substr(0, f.size() - 5));
  return names;
}

const char* action_name(update_rel::FollowAction a) {
  using update_rel::FollowAction;
  switch (a) {
    case FollowAction::same:
      return "same";
    case FollowAction::peer_older:
      return "peer_older";
    case FollowAction::newer_major:
      return "newer_major";
    case FollowAction::debian_here:
      return "debian_here";
    case FollowAction::other_here:
      return "other_here";
    case FollowAction::peer_not_local:
      return "peer_not_local";
    case FollowAction::install:
      break;
  }
  return "install";
}

/// Brings this host's sc to the version PEER runs (sc master update_sc
/// calls it with the master): see update_rel::plan_follow for what is
/// done in each case. Everything goes over the run's one SSH connection to
/// PEER: two read-only `sc update release` calls and one rsync.
void follow(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PEER");
  const std::string peer = plugin_common::peer_name::checked(ctx.arg(0), "PEER");
  const std::string old = ctx.sc_version();
  json result = {{"peer", peer}, {"here", old}, {"there", nullptr}, {"action", nullptr}};
  if (ctx.rooted()) {
    ctx.print("under --root the sc of " + ctx.root() + " is not the one running: not compared with " + peer + "\n");
    result["action"] = "skipped";
    ctx.result(result.dump());
    return;
  }
  auto here = update_rel::parse_version(old);
  if (!here) throw sc::Failure("this sc's version \"" + old + "\" is not MAJOR.MINOR.PATCH");

  sc::CallResult r = ctx.peer_sc(peer, {"update", "release"}, /*readonly=*/true);
  auto doc = json::parse(r.json, nullptr, false);
  if (r.status != SC_OK) {
    const std::string error = doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
    ctx.warn("cannot tell which sc " + peer + " runs (`sc update release` there: " + first_line(error) +
             "; its sc may be older than " + old + " or lack the update module): sc not updated from it");
    result["action"] = "unknown";
    ctx.result(result.dump());
    return;
  }
  std::string why;
  auto there = update_rel::parse_release(doc.is_object() ? doc["result"].dump() : "", false, &why);
  if (!there) throw sc::Failure(peer + "'s answer to `sc update release` is refused: " + why + "; nothing was changed");
  const auto [exe, kind] = this_install(ctx);
  const std::vector<std::string> packages = kind == update_rel::Kind::debian
                                                ? update_rel::debian_packages(installed_modules(ctx))
                                                : std::vector<std::string>{};
  const update_rel::FollowPlan plan =
      update_rel::plan_follow(peer, *here, kind, exe, there->version, there->kind, there->exe, packages);
  result["there"] = update_rel::to_string(there->version);
  result["action"] = action_name(plan.action);
  if (plan.action == update_rel::FollowAction::debian_here) result["packages"] = packages;
  if (plan.failure) throw sc::Failure(plan.message + "; nothing was changed");
  if (plan.action != update_rel::FollowAction::install) {
    if (plan.action == update_rel::FollowAction::same)
      ctx.info(plan.message);
    else
      ctx.warn(plan.message);
    ctx.result(result.dump());
    return;
  }

  // The list of the peer's files: the same version as asked first, each
  // path one of sc's files under /usr/local, every SHA-256 well-formed.
  r = ctx.peer_sc(peer, {"update", "release", "files"}, /*readonly=*/true);
  doc = json::parse(r.json, nullptr, false);
  if (r.status != SC_OK || !doc.is_object())
    throw sc::Failure("listing sc's files on " + peer + " failed: " +
                      (doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "no answer") +
                      "; nothing was installed");
  auto listed = update_rel::parse_release(doc["result"].dump(), true, &why);
  if (!listed) throw sc::Failure(peer + "'s list of sc's files is refused: " + why + "; nothing was installed");
  if (update_rel::compare(listed->version, there->version) != 0)
    throw sc::Failure(peer + "'s sc changed from " + update_rel::to_string(there->version) + " to " +
                      update_rel::to_string(listed->version) +
                      " while it was asked; run it again; nothing was installed");

  ctx.print(plan.message + "\n");
  ScratchDir scratch;
  sc::FetchOptions f;
  f.peer = peer;
  f.source_dir = "/";
  f.target_dir = scratch.path().string();
  for (const auto& file : listed->files) f.paths.push_back(file.path);
  f.list_only = true;
  sc::FetchResult fr = ctx.fetch(f);
  if (!fr.ok())
    throw sc::Failure("copying sc's files from " + peer + " failed: " + fr.error + "; nothing was installed");
  result["files"] = listed->files.size();
  if (!fr.ran) {
    ctx.print("would check the " + std::to_string(listed->files.size()) + " files against " + peer +
              "'s SHA-256 list, install them under /usr/local (sc last) and run `sc update upgrade " + old + "`\n");
    ctx.result(result.dump());
    return;
  }

  // Every file checked before the first is installed.
  std::vector<std::string> paths;
  std::vector<update_install::Item> items;
  for (const auto& file : listed->files) {
    const fs::path p = scratch.path() / file.path;
    if (!fs::is_regular_file(fs::symlink_status(p)))
      throw sc::Failure("/" + file.path + " did not arrive from " + peer +
                        " as a regular file: refusing the update, nothing was installed");
    paths.push_back(p.string());
    items.push_back({file.path, file.exec});
  }
  const std::vector<std::string> sums = sha256_of(ctx, paths);
  for (size_t i = 0; i < sums.size(); ++i)
    if (sums[i] != listed->files[i].sha256)
      throw sc::Failure("/" + listed->files[i].path + " copied from " + peer + " has SHA-256 " + sums[i] + ", but " +
                        peer + "'s list says " + listed->files[i].sha256 +
                        ": refusing the update, nothing was installed (run it again; if it persists, check sc's "
                        "files on " +
                        peer + ")");
  update_install::install_tree(ctx, scratch.path(), items);
  update_install::run_upgrade(ctx, old);
  ctx.print("updated sc " + old + " to " + update_rel::to_string(listed->version) + " from " + peer + " (" +
            std::to_string(items.size()) + " files), and ran the modules' upgrade hooks\n");
  result["action"] = "installed";
  ctx.result(result.dump());
}

void sync(sc::Context& ctx) {
  ctx.expect_args(2, 2, "HOST MODE");
  const std::string& host = ctx.args()[0];
  const std::string& mode = ctx.args()[1];
  plugin_common::peer_name::checked(host, "HOST");
  static const char* modes[] = {"master", "standby", "backup", "client", "roaming"};
  if (std::find(std::begin(modes), std::end(modes), mode) == std::end(modes))
    throw sc::Usage("\"" + mode + "\" is not a master mode (master, standby, backup, client or roaming)");
  if (mode == "master") return;
  // One round trip for the peer's settings: sshlink importsettings.
  sc::CallResult r = ctx.call("sshlink", "importsettings", {host, "update"});
  auto doc = json::parse(r.json, nullptr, false);
  std::string error = doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
  if (r.status == 3)
    throw sc::Failure("sc update sync needs sshlink (not installed/not built yet): " + error +
                      "; install sc's sshlink module");
  if (r.status == SC_USAGE) throw sc::Usage(error);
  if (r.status != SC_OK) throw sc::Failure("importing the update settings from " + host + " failed: " + error);
  if (doc.is_object() && doc["output"].is_string()) ctx.print(doc["output"].get<std::string>());
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&ready>("ready"),
          sc::command<&start>("start"), sc::command<&upgrade>("upgrade"), sc::command<&sync>("sync"),
          sc::command<&release>("release"), sc::command<&follow>("follow"))
