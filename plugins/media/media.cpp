// media: a living-room media host (the original's media module). A system
// account `kodi` with its home and Kodi library on the mass storage, LightDM
// logging it in at once into Debian's Kodi session (sc's own drop-in, never
// lightdm.conf itself), RetroArch from Debian's package.
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "common/module_call.hpp"
#include "common/share_path.hpp"
#include "media_config.hpp"

namespace {

using nlohmann::json;

constexpr const char* kKodiPackage = "kodi:kodi";
constexpr const char* kLightdmPackage = "lightdm:lightdm";
constexpr const char* kRetroarchPackage = "retroarch:retroarch";
constexpr const char* kSetting = "MEDIA_RETROARCH";

bool retroarch_wanted(const sc::Context& ctx) {
  return ctx.setting(kSetting).value_or("yes") == "yes";
}

std::vector<std::string> packages(bool retroarch) {
  std::vector<std::string> p = {kLightdmPackage, kKodiPackage};
  if (retroarch) p.push_back(kRetroarchPackage);
  return p;
}

std::optional<media::Account> account(const sc::Context& ctx) {
  return media::find_account(ctx.read_file("/etc/passwd").value_or(""), media::kUser);
}

/// The home of kodi: the account's (an existing account is used as it is),
/// else the one setup gives it. A home sc cannot write under (relative,
/// "/", with "..", white space or control characters) is a failure.
std::string home_of(const sc::Context& ctx) {
  auto a = account(ctx);
  if (!a) return media::kHome;
  const std::string why = plugin_common::share_path::problem(a->home);
  if (!why.empty() || plugin_common::share_path::clean(a->home) == "/")
    throw sc::Failure(std::string("the account ") + media::kUser + " has the home \"" + a->home +
                      "\", which sc does not write under" + (why.empty() ? "" : ": " + why) +
                      "; give it a home of its own (usermod --home DIR " + media::kUser + ")");
  return plugin_common::share_path::clean(a->home);
}

/// home_of(), or "" (with a warning) when the account's home is one sc
/// does not write under: for what only reads or reports.
std::string home_or_empty(const sc::Context& ctx) {
  try {
    return home_of(ctx);
  } catch (const sc::Failure& e) {
    ctx.warn(e.what());
    return {};
  }
}

sc::FileAttr kept(std::uint32_t mode, const std::string& owner = {}) {
  sc::FileAttr a = sc::FileAttr::with_mode(mode);
  a.owner = owner;
  a.keep_attrs = true;
  return a;
}

/// Creates the system account kodi (useradd --system: an id below 1000, no
/// password, its own group) with its home on the mass storage. Under --root
/// useradd edits the account files of the root (--prefix). False when only
/// planned (--dry-run).
bool create_account(const sc::Context& ctx) {
  std::vector<std::string> argv = {"useradd"};
  if (ctx.rooted()) {
    argv.push_back("--prefix");
    argv.push_back(ctx.resolve_path("/"));
  }
  for (const char* w : {"--system", "--user-group", "--no-create-home", "--home-dir", media::kHome, "--shell",
                        "/bin/bash", "--comment", "Kodi media centre (sc media)", media::kUser})
    argv.emplace_back(w);
  sc::RunResult r = ctx.run(argv);
  if (!r.ok()) throw sc::Failure("creating the account " + std::string(media::kUser) + " failed: " + ctx.last_error());
  return r.ran;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // Kodi's home and library live on the mass storage: set up when missing
  // (not a `requires`, whose setup of mass would run before this command
  // checked its own input).
  if (!ctx.stat(media::kMass, /*follow=*/true).is_dir()) {
    ctx.info(std::string(media::kMass) + " is missing: setting up the mass storage first");
    plugin_common::module_call::run_shown(ctx, "mass", "setup");
  }
  const bool retroarch = ctx.setting_or_prompt(kSetting) == "yes";
  plugin_common::apt_ensure::ensure(ctx, packages(retroarch));

  bool have_account = account(ctx).has_value();
  if (!have_account) have_account = create_account(ctx);
  const std::string home = home_of(ctx);

  const std::string dropin = media::lightdm_dropin(media::kUser, media::kSessionName);
  ctx.make_dir("/etc/lightdm", kept(0755));
  ctx.make_dir(media::kLightdmDir, kept(0755));
  const bool dropin_changed = ctx.read_file(media::kLightdmDropin) != dropin;
  ctx.write_file(media::kLightdmDropin, dropin, sc::FileAttr::with_mode(0644));

  if (!have_account) {
    ctx.info(std::string("once the account ") + media::kUser + " exists, setup makes " + home +
             ", Kodi's userdata and the library folders under " + media::kLibrary);
  } else {
    ctx.make_dir(home, kept(0750, media::kUser));
    ctx.make_dir(home + "/.kodi", kept(0755, media::kUser));
    ctx.make_dir(home + "/.kodi/userdata", kept(0755, media::kUser));
    const std::string sources = home + "/.kodi/userdata/sources.xml";
    // Kodi rewrites it when sources are added from its menus: written once.
    if (!ctx.stat(sources).exists())
      ctx.write_file(sources, media::sources_xml(media::kLibrary), kept(0644, media::kUser));
    ctx.make_dir(media::kLibrary, kept(0755, media::kUser));
    for (const char* d : {"video", "music", "pictures"})
      ctx.make_dir(std::string(media::kLibrary) + "/" + d, kept(0755, media::kUser));
  }
  if (!ctx.dry_run() && !ctx.stat(media::kSessionFile, true).exists())
    ctx.warn(std::string(media::kSessionFile) +
             " is missing: Debian's kodi package ships it; LightDM cannot start the session without it");
  if (dropin_changed && !ctx.dry_run())
    ctx.print(std::string("LightDM logs ") + media::kUser + " into Kodi from its next start (reboot, or `systemctl " +
              "restart lightdm`, which ends the sessions it runs)\n");
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  if (!ctx.stat(media::kLightdmDropin).exists()) return;
  const std::string home = home_or_empty(ctx);
  ctx.remove(media::kLightdmDropin);
  ctx.print(std::string("removed ") + media::kLightdmDropin + "; the account " + media::kUser +
            (home.empty() ? std::string() : ", " + home) + " and the library under " + media::kLibrary + " are kept\n");
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json why = json::array();
  for (const auto& p : plugin_common::apt_ensure::missing_on_target(ctx, packages(retroarch_wanted(ctx))))
    why.push_back("missing package " + p);
  if (!account(ctx)) why.push_back(std::string("no account ") + media::kUser);
  if (ctx.read_file(media::kLightdmDropin) != media::lightdm_dropin(media::kUser, media::kSessionName))
    why.push_back(std::string(media::kLightdmDropin) + " is not as setup writes it");
  if (!ctx.stat(media::kSessionFile, true).exists()) why.push_back(std::string("no ") + media::kSessionFile);
  for (const auto& w : why) ctx.debug(w.get<std::string>());
  ctx.result(json{{"missing", why}}.dump());
  return why.empty() ? SC_OK : SC_FAIL;
}

int enabled(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const bool yes = ctx.stat(media::kLightdmDropin).exists();
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // A backup asks every installed module: a home sc does not use is skipped
  // with a warning, never a failure of the whole backup.
  const std::string home = home_or_empty(ctx);
  std::vector<std::string> candidates = {media::kLightdmDropin};
  if (!home.empty()) {
    candidates.push_back(home + "/.kodi/userdata");
    candidates.push_back(home + "/.kodi/addons");
    if (retroarch_wanted(ctx)) candidates.push_back(home + "/.config/retroarch");
  }
  json list = json::array();
  std::string text;
  for (const auto& p : candidates)
    if (ctx.stat(p).exists()) {
      list.push_back(p);
      text += p + "\n";
    }
  ctx.print(text);
  ctx.result(list.dump());
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&enabled>("enabled"),
          sc::command<&files>("files"))
// clang-format on
