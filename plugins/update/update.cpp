// update: replaces this host's sc with a release archive from a URL,
// checked against a SHA-256, then lets every module upgrade its state (the
// original's update module). The original's `temp` module is the ScratchDir
// below: a private directory removed whatever happens.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <sstream>

#include "common/apt_ensure.hpp"
#include "common/peer_name.hpp"
#include "common/target.hpp"
#include "release.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// A private directory for the download, removed on every path out: a
/// scratch directory of this machine, not part of the target system, so
/// made, read and removed here rather than through the engine.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = ::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base == '/' ? base : "/tmp") + "/sc-update-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw sc::Failure("cannot create a temporary directory in " + tmpl);
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

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

/// A file of the scratch directory the release is unpacked in (this
/// machine's temporary directory, not the target system).
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw sc::Failure("cannot read " + p.string());
  return ss.str();
}

sc::RunOptions quiet() {
  sc::RunOptions o;
  o.readonly = true;  // works only in the scratch directory
  o.capture_out = o.capture_err = true;
  o.timeout_ms = 960000;
  return o;
}

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
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec && (self.string().rfind("/usr/bin/", 0) == 0 || self.string().rfind("/usr/sbin/", 0) == 0))
      throw sc::Failure("sc runs from " + self.string() +
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
  update_rel::order_for_install(&files);

  bool changed = false;
  for (const auto& rel : files) {
    const std::string target = "/" + rel;
    // Parents are made only when missing: an existing /usr/local/lib keeps
    // its mode and owner.
    std::vector<std::string> missing;
    for (fs::path p = fs::path(target).parent_path(); p != "/" && !plugin_common::target::exists(ctx, p.string());
         p = p.parent_path())
      missing.push_back(p.string());
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) ctx.make_dir(*it);
    const std::string data = slurp(tree / rel);
    auto perms = fs::symlink_status(tree / rel).permissions();
    const bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
    changed = changed || ctx.read_file(target) != data;
    ctx.write_file(target, data, sc::FileAttr::with_mode(exec ? 0755 : 0644));
  }
  json result = {{"url", url}, {"sha256", *actual}, {"files", files.size()}, {"changed", changed}};
  ctx.set_setting("UPDATE_URL", url);
  if (!changed) {
    ctx.print("the release from " + url + " is already installed\n");
    ctx.result(result.dump());
    return;
  }
  const std::string installed_sc = std::string("/") + update_rel::kScPath;
  const std::string sc_path = ctx.rooted() ? ctx.resolve_path(installed_sc) : installed_sc;
  r = ctx.run(update_rel::upgrade_argv(sc_path, ctx.rooted() ? ctx.root() : "", old));
  if (!r.ok())
    throw sc::Failure("the release is installed, but its upgrade step failed (" + sc_path + " update upgrade " + old +
                      "); fix the cause and run `sc update upgrade " + old + "` again");
  ctx.print(std::string(r.ran ? "installed " : "would install ") + std::to_string(files.size()) + " files from " + url +
            "\n");
  ctx.result(result.dump());
}

void upgrade(sc::Context& ctx) {
  ctx.expect_args(1, 2, "OLD [NEW]");
  auto old = update_rel::parse_version(ctx.args()[0]);
  if (!old) throw sc::Usage("\"" + ctx.args()[0] + "\" is not a version (MAJOR.MINOR.PATCH, e.g. 1.0.0)");
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
          sc::command<&start>("start"), sc::command<&upgrade>("upgrade"), sc::command<&sync>("sync"))
