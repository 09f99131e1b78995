// scanner: a network scanning station (the original's scanner module).
// Local mode: SANE's saned open to the cluster's hosts named in
// SCANNER_CLIENTS (sc's own block of saned.conf, the host's lines kept;
// the original opened a whole /16), scanbd watching the scan button
// through `sc daemon`, and `sc scanner scan`: scanimage, then tesseract,
// into a searchable PDF on the mass storage, owned by the user it is for,
// written atomically. Remote mode: SANE's net backend pointed at the
// scanning host (sc's own block of net.conf).
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>
#include <sstream>

#include "common/apt_ensure.hpp"
#include "common/host_address.hpp"
#include "common/module_call.hpp"
#include "common/status_hook.hpp"
#include "common/system_service.hpp"
#include "common/systemd_unit.hpp"
#include "scanner_conf.hpp"

namespace {

using nlohmann::json;
namespace module_call = plugin_common::module_call;
namespace system_service = plugin_common::system_service;

constexpr const char* kModule = "scanner";

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string mode_setting(const sc::Context& ctx, bool prompt) {
  std::optional<std::string> m = prompt ? std::optional<std::string>(ctx.setting_or_prompt("SCANNER_MODE"))
                                        : ctx.setting("SCANNER_MODE", SC_SETTING_NO_DEFAULT);
  if (!m) return "";
  if (*m != "local" && *m != "remote")
    throw sc::Usage("SCANNER_MODE \"" + *m + "\" is not local or remote (--set SCANNER_MODE=local)");
  return *m;
}

std::vector<std::string> clients(const sc::Context& ctx, bool prompt) {
  std::optional<std::string> text =
      prompt ? std::optional<std::string>(ctx.setting_or_prompt("SCANNER_CLIENTS")) : ctx.setting("SCANNER_CLIENTS");
  std::vector<std::string> out = words(text.value_or(""));
  for (const std::string& c : out)
    if (std::string why = scanner::client_problem(c); !why.empty())
      throw sc::Usage("SCANNER_CLIENTS: \"" + c + "\" is not a host, an address or a subnet: " + why);
  return out;
}

std::string host_setting(const sc::Context& ctx, bool prompt) {
  std::optional<std::string> h =
      prompt ? std::optional<std::string>(ctx.setting_or_prompt("SCANNER_HOST")) : ctx.setting("SCANNER_HOST");
  if (!h) return "";
  if (plugin_common::host_address::is_ipv6(*h)) return *h;
  if (std::string why = plugin_common::host_address::name_or_ipv4_problem(*h); !why.empty())
    throw sc::Usage("SCANNER_HOST \"" + *h + "\" is not a host name or address: " + why);
  return *h;
}

std::string dir_setting(const sc::Context& ctx) {
  const std::string dir = ctx.setting("SCANNER_DIR").value_or("/srv/mass/scan");
  if (std::string why = scanner::dir_problem(dir); !why.empty()) throw sc::Usage("SCANNER_DIR \"" + dir + "\": " + why);
  return dir;
}

std::string device_setting(const sc::Context& ctx) {
  const std::string dev = ctx.setting("SCANNER_DEVICE").value_or("");
  if (!dev.empty())
    if (std::string why = scanner::device_problem(dev); !why.empty())
      throw sc::Usage("SCANNER_DEVICE \"" + dev + "\": " + why);
  return dev;
}

std::vector<std::string> options_setting(const sc::Context& ctx) {
  std::vector<std::string> out;
  std::string why;
  if (!scanner::parse_options(ctx.setting("SCANNER_OPTIONS").value_or(""), &out, &why))
    throw sc::Usage("SCANNER_OPTIONS: " + why);
  return out;
}

std::string lang_setting(const sc::Context& ctx) {
  const std::string lang = ctx.setting("SCANNER_LANG").value_or("eng");
  if (std::string why = scanner::lang_problem(lang); !why.empty())
    throw sc::Usage("SCANNER_LANG \"" + lang + "\": " + why);
  return lang;
}

/// The Debian packages of tesseract's languages ("chi_sim" is in
/// tesseract-ocr-chi-sim).
std::vector<std::string> lang_packages(const std::string& lang) {
  std::vector<std::string> out;
  std::string name;
  for (char c : lang + "+") {
    if (c == '+') {
      std::string pkg = "tesseract-ocr-";
      for (char n : name) pkg += n == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(n)));
      out.push_back(pkg);
      name.clear();
    } else {
      name += c;
    }
  }
  return out;
}

bool user_exists(const sc::Context& ctx, const std::string& user) {
  const std::string passwd = "\n" + ctx.read_file("/etc/passwd").value_or("");
  return passwd.find("\n" + user + ":") != std::string::npos;
}

std::string user_checked(const sc::Context& ctx, const std::string& user, const std::string& what) {
  if (std::string why = scanner::user_problem(user); !why.empty())
    throw sc::Usage(what + " \"" + user + "\" is not a user name: " + why);
  if (!user_exists(ctx, user))
    throw sc::Usage(what + " \"" + user + "\": no such user on this host (add it with `sc user add " + user + "`)");
  return user;
}

/// Writes `path` when its text differs; true when it did.
bool write_if_changed(const sc::Context& ctx, const std::string& path, const std::string& text,
                      const sc::FileAttr& attr = {}) {
  if (ctx.read_file(path) == text) return false;
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!ctx.stat(dir, true).exists()) ctx.make_dir(dir);
  ctx.write_file(path, text, attr);
  return true;
}

/// Removes sc's block from a SANE file; true when there was one.
bool drop_block(const sc::Context& ctx, const std::string& path) {
  auto text = ctx.read_file(path);
  if (!text || scanner::block_lines(*text).empty()) return false;
  ctx.write_file(path, scanner::merge_block(*text, {}), sc::FileAttr{0644, "", "", false, true});
  return true;
}

/// Removes what local mode put in place (not the scans).
void remove_local(const sc::Context& ctx) {
  if (ctx.call("daemon", "has", {kModule}).status == SC_OK) module_call::run_shown(ctx, "daemon", "del", {kModule});
  const bool saned_changed = drop_block(ctx, scanner::kSanedConf);
  if (saned_changed) ctx.info("saned no longer lets the cluster's hosts scan here");
  if (auto conf = ctx.read_file(scanner::kScanbdConf)) {
    const std::string without = scanner::scanbd_without_include(*conf);
    if (without != *conf) ctx.write_file(scanner::kScanbdConf, without, sc::FileAttr{0644, "", "", false, true});
  }
  for (const char* f : {scanner::kScanbdDeviceConf, scanner::kTrigger})
    if (ctx.stat(f).exists()) ctx.remove(f);
}

void setup_local(sc::Context& ctx) {
  const std::vector<std::string> allowed = clients(ctx, /*prompt=*/true);
  // Those not asked for are kept when given (--set), as answers are.
  for (const char* name : {"SCANNER_DIR", "SCANNER_DEVICE", "SCANNER_OPTIONS", "SCANNER_LANG", "SCANNER_USER"})
    if (ctx.setting(name, SC_SETTING_NO_DEFAULT)) ctx.setting(name, SC_SETTING_PROMPT);
  const std::string dir = dir_setting(ctx);
  const std::string device = device_setting(ctx);
  options_setting(ctx);
  const std::string lang = lang_setting(ctx);
  if (auto user = ctx.setting("SCANNER_USER"); user && !user->empty()) user_checked(ctx, *user, "SCANNER_USER");
  const std::string sc_path = plugin_common::systemd_unit::exec_sc_path();

  std::vector<std::string> packages{"sane-utils:scanimage", "tesseract-ocr:tesseract", "scanbd:scanbd"};
  for (const std::string& p : lang_packages(lang)) packages.push_back(p);
  plugin_common::apt_ensure::ensure(ctx, packages);

  if (drop_block(ctx, scanner::kNetConf)) ctx.info("net.conf no longer points at a scanning host");
  if (!ctx.stat(dir, true).exists()) ctx.make_dir(dir);

  const std::string saned = ctx.read_file(scanner::kSanedConf).value_or("");
  const bool saned_changed = write_if_changed(ctx, scanner::kSanedConf, scanner::merge_block(saned, allowed),
                                              sc::FileAttr{0644, "", "", false, true});
  if (!allowed.empty()) {
    system_service::ensure_running(ctx, "saned.socket", saned_changed);
  } else {
    system_service::ensure_stopped(ctx, "saned.socket", saned_changed);
  }

  write_if_changed(ctx, scanner::kTrigger, scanner::trigger_script(sc_path), sc::FileAttr::with_mode(0755));
  write_if_changed(ctx, scanner::kScanbdDeviceConf, scanner::scanbd_device_conf(device, scanner::kTrigger));
  const std::string scanbd = ctx.read_file(scanner::kScanbdConf).value_or("");
  const bool scanbd_changed = write_if_changed(ctx, scanner::kScanbdConf, scanner::scanbd_with_include(scanbd),
                                               sc::FileAttr{0644, "", "", false, true});
  // scanbd runs as sc's daemon (sc_daemon_scanner), not as its package's service.
  system_service::ensure_stopped(ctx, "scanbd", scanbd_changed);
  module_call::run_shown(ctx, "daemon", "add", {kModule});
}

void setup_remote(sc::Context& ctx) {
  const std::string host = host_setting(ctx, /*prompt=*/true);
  plugin_common::apt_ensure::ensure(ctx, {"sane-utils:scanimage"});
  remove_local(ctx);
  const std::string net = ctx.read_file(scanner::kNetConf).value_or("");
  write_if_changed(ctx, scanner::kNetConf, scanner::merge_block(net, {host}), sc::FileAttr{0644, "", "", false, true});
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const std::string mode = mode_setting(ctx, /*prompt=*/true);
  if (mode == "local") {
    setup_local(ctx);
  } else {
    setup_remote(ctx);
  }
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  remove_local(ctx);
  drop_block(ctx, scanner::kNetConf);
  for (const char* name : {"SCANNER_MODE", "SCANNER_HOST", "SCANNER_CLIENTS", "SCANNER_DIR", "SCANNER_DEVICE",
                           "SCANNER_OPTIONS", "SCANNER_LANG", "SCANNER_USER"})
    ctx.unset_setting(name);
}

/// Each reason this host is not set up as its settings say.
std::vector<std::string> problems(const sc::Context& ctx) {
  std::vector<std::string> why;
  const std::string mode = mode_setting(ctx, false);
  if (mode.empty()) return {"SCANNER_MODE is not set: run `sc scanner setup`"};
  if (mode == "remote") {
    const std::string host = host_setting(ctx, false);
    if (host.empty()) return {"SCANNER_HOST is not set: run `sc scanner setup`"};
    if (!plugin_common::apt_ensure::missing_on_target(ctx, {"sane-utils:scanimage"}).empty())
      why.push_back("scanimage is missing (package sane-utils)");
    if (scanner::block_lines(ctx.read_file(scanner::kNetConf).value_or("")) != std::vector<std::string>{host})
      why.push_back(std::string(scanner::kNetConf) + " does not point at " + host + ": run `sc scanner setup`");
    return why;
  }
  for (const std::string& p : plugin_common::apt_ensure::missing_on_target(
           ctx, {"sane-utils:scanimage", "tesseract-ocr:tesseract", "scanbd:scanbd"}))
    why.push_back("the package " + p + " is missing");
  if (scanner::block_lines(ctx.read_file(scanner::kSanedConf).value_or("")) != clients(ctx, false))
    why.push_back(std::string(scanner::kSanedConf) + " does not allow SCANNER_CLIENTS: run `sc scanner setup`");
  for (const char* f : {scanner::kTrigger, scanner::kScanbdDeviceConf})
    if (!ctx.stat(f).exists()) why.push_back(std::string(f) + " is missing: run `sc scanner setup`");
  if (!ctx.stat(dir_setting(ctx), true).is_dir()) why.push_back(dir_setting(ctx) + " is missing");
  if (ctx.call("daemon", "has", {kModule}).status != SC_OK)
    why.push_back("the daemon unit of scanbd is missing: run `sc scanner setup`");
  return why;
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto why = problems(ctx);
  for (const auto& w : why) ctx.info(w);
  ctx.result(why.empty() ? "true" : "false");
  return why.empty() ? SC_OK : SC_FAIL;
}

/// The status hook (`sc status`): a scanner set up (SCANNER_MODE) but not
/// as its settings say is an error; SCANNER_HOST is not used in local mode.
void status(sc::Context& ctx) {
  plugin_common::status_hook::local_only(ctx);
  const std::string mode = mode_setting(ctx, false);
  std::vector<plugin_common::status_hook::Problem> out;
  if (!mode.empty())
    for (const auto& why : problems(ctx))
      out.push_back({"error", "the scanner (" + mode + "): " + why, "sc scanner setup"});
  plugin_common::status_hook::answer(
      ctx, out, {{"mode", mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(mode)}},
      mode == "remote" ? std::vector<std::string>{} : std::vector<std::string>{"SCANNER_HOST"});
}

int daemon(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (ctx.rooted() || ctx.dry_run())
    throw sc::Usage("the scanner daemon runs on this host only: without --root and --dry-run");
  if (mode_setting(ctx, false) != "local")
    throw sc::Failure("the scanner daemon (scanbd) runs in local mode only: run `sc scanner setup`");
  // scanbd in the foreground; systemd (sc_daemon_scanner) restarts it.
  sc::RunResult r = ctx.run({"scanbd", "-f", "-c", scanner::kScanbdConf});
  return r.ok() ? SC_OK : SC_FAIL;
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json list = json::array();
  if (mode_setting(ctx, false).empty()) {  // not set up: the files are the packages' alone
    ctx.result(list.dump());
    return;
  }
  for (const char* f :
       {scanner::kSanedConf, scanner::kNetConf, scanner::kScanbdConf, scanner::kScanbdDeviceConf, scanner::kTrigger})
    if (ctx.stat(f).exists()) list.push_back(f);
  ctx.result(list.dump());
}

/// A private scratch directory, removed with what it holds.
class Scratch {
 public:
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp == '/' ? tmp : "/tmp") + "/sc-scan-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw sc::Failure("cannot make a scratch directory in " + tmpl);
    path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string now_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

std::string failure_text(const sc::RunResult& r) {
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  return err.empty() ? "exit status " + std::to_string(r.exit_code) : err;
}

void scan(sc::Context& ctx) {
  ctx.expect_args(0, 1, "[USER]");
  std::string user = ctx.args().empty() ? ctx.setting("SCANNER_USER").value_or("") : ctx.arg(0);
  if (!ctx.args().empty() || !user.empty())
    user = user_checked(ctx, user, ctx.args().empty() ? "SCANNER_USER" : "USER");
  const std::string dir = dir_setting(ctx);
  const std::string device = device_setting(ctx);
  const std::vector<std::string> options = options_setting(ctx);
  const std::string lang = lang_setting(ctx);
  const std::string target_dir = dir + "/" + (user.empty() ? "shared" : user);

  Scratch scratch;
  const std::string image = scratch.path() + "/page.tiff", base = scratch.path() + "/page";
  sc::RunOptions o;
  o.capture_err = true;
  o.timeout_ms = 600000;
  sc::RunResult r = ctx.run(scanner::scanimage_argv(device, options, image), o);
  if (!r.ran) {
    ctx.run(scanner::tesseract_argv(image, base, lang), o);
    ctx.print("would scan into " + target_dir + "\n");
    return;
  }
  if (!r.ok()) throw sc::Failure("scanimage failed: " + failure_text(r) + " (nothing was written)");
  r = ctx.run(scanner::tesseract_argv(image, base, lang), o);
  if (!r.ok()) throw sc::Failure("tesseract failed: " + failure_text(r) + " (nothing was written)");
  std::ifstream in(base + ".pdf", std::ios::binary);
  std::string pdf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (pdf.rfind("%PDF-", 0) != 0) throw sc::Failure("tesseract wrote no PDF (nothing was written)");

  if (!ctx.stat(dir, true).exists()) ctx.make_dir(dir);
  sc::FileAttr dir_attr = sc::FileAttr::with_mode(user.empty() ? 0755 : 0700);
  dir_attr.owner = user;
  if (!ctx.stat(target_dir, true).exists()) ctx.make_dir(target_dir, dir_attr);
  const std::string stamp = now_stamp();
  std::string path;
  for (int n = 1;; ++n) {
    path = target_dir + "/" + scanner::scan_file_name(stamp, n);
    if (!ctx.stat(path).exists()) break;
  }
  sc::FileAttr attr = sc::FileAttr::with_mode(user.empty() ? 0644 : 0600);
  attr.owner = user;
  // write_file writes a temporary file and renames it: never a partial PDF.
  ctx.write_file(path, pdf, attr);
  ctx.print(path + "\n");
  ctx.result(json{{"file", path}, {"owner", user.empty() ? json() : json(user)}, {"bytes", pdf.size()}}.dump());
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&scan>("scan"),
          sc::command<&daemon>("daemon"),
          sc::command<&files>("files"),
          sc::command<&status>("status"))
// clang-format on
