// mass: the shared mass storage directory /srv/mass (the original's mass
// module). A host keeps its own (separated), or shares MASS_HOST's: a copy
// synchronised by unisonsync, or a mount by sshshare (sshfs) or nfsclient
// (NFSv4). Those modules do the work; mass chooses, switches and records.
// The original called functions that did not exist for every mode but
// separated; a change of mode here removes the previous one first and never
// deletes a file: what a mount would hide is moved aside.
#include <ctime>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/module_call.hpp"
#include "common/peer_name.hpp"
#include "common/status_hook.hpp"
#include "mass_mode.hpp"

namespace {

using mass::Applied;
using mass::Call;
using mass::Mode;
using nlohmann::json;

using plugin_common::module_call::kNotInstalled;

/// Refuses a shared mode whose module is missing, before any change.
void require_carrier(const sc::Context& ctx, Mode mode) {
  const std::string module = mass::carrier(mode);
  sc::CallResult r = ctx.call("help", module);
  if (r.status == SC_OK) return;
  throw sc::Usage("mode " + mass::mode_name(mode) + " needs the module " + module +
                  ", which is not installed: install the package " + mass::carrier_package(mode) +
                  " (or choose another mode with --set MASS_MODE=...)");
}

bool is_in_place(const sc::Context& ctx, const Applied& a) {
  if (a.mode == Mode::separated) return true;
  const Call c = mass::has_call(a);
  return ctx.call(c.module, c.command, c.args).status == SC_OK;
}

void run_call(const sc::Context& ctx, const Call& c) {
  plugin_common::module_call::run_shown(ctx, c.module, c.command, c.args);
}

/// What the settings ask for, checked; prompts for what is unset.
Applied wanted(const sc::Context& ctx) {
  const std::string mode_text = ctx.setting_or_prompt("MASS_MODE");
  auto mode = mass::parse_mode(mode_text);
  if (!mode) throw sc::Usage("MASS_MODE \"" + mode_text + "\" is not separated, unison, sshfs or nfs4");
  Applied a;
  a.mode = *mode;
  if (a.mode == Mode::separated) return a;
  a.host = plugin_common::peer_name::checked(ctx.setting_or_prompt("MASS_HOST"), "MASS_HOST");
  if (a.mode == Mode::unison) a.period = ctx.setting("MASS_SYNC_PERIOD").value_or("daily");
  return a;
}

std::optional<Applied> applied(const sc::Context& ctx) {
  auto text = ctx.setting("MASS_APPLIED");
  if (!text || text->empty()) return std::nullopt;
  auto a = mass::parse_applied(*text);
  if (!a)
    throw sc::Failure("MASS_APPLIED \"" + *text + "\" was not written by sc mass; remove it with " +
                      "`sc settings unset MASS_APPLIED` after checking /etc/fstab and `sc unisonsync list`");
  return a;
}

/// Removes what setup applied before, when it is still there. Files stay.
void remove_applied(const sc::Context& ctx, const Applied& old) {
  if (old.mode == Mode::separated) return;
  if (!is_in_place(ctx, old)) return;
  ctx.info("removing the previous mass storage mode: " + mass::applied_text(old));
  run_call(ctx, mass::del_call(old));
}

std::string now_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  // Everything is read and checked before the first change.
  const Applied want = wanted(ctx);
  if (want.mode != Mode::separated) require_carrier(ctx, want.mode);
  const auto old = applied(ctx);
  if (old && old->mode != Mode::separated && old->mode != want.mode) require_carrier(ctx, old->mode);
  // Asked for this host's own storage only; a shared copy is backed up
  // where it lives, and the answer stays for a return to separated.
  if (want.mode == Mode::separated) ctx.setting_or_prompt("MASS_BACKUP");

  // Under --dry-run a mount removed above is still there: what the
  // directory shows is the peer's, not what this host kept.
  const bool unmount_planned =
      ctx.dry_run() && old && *old != want && mass::mounts(old->mode) && is_in_place(ctx, *old);
  if (old && *old != want) remove_applied(ctx, *old);
  sc::PathInfo dir = ctx.stat(mass::kDir, true);
  if (dir.exists() && !dir.is_dir())
    throw sc::Failure(std::string(mass::kDir) + " exists and is not a directory: move it away, then run setup again");
  const bool fresh = !old || *old != want || !is_in_place(ctx, want);
  bool empty = true;
  if (dir.exists()) {
    empty = unmount_planned || ctx.list_dir(mass::kDir).empty();
    // A mount would hide what this host kept there: move it aside first.
    if (!empty && mass::mounts(want.mode) && fresh) {
      const std::string aside = mass::aside_dir(now_stamp());
      ctx.rename(mass::kDir, aside);
      ctx.warn("the files this host kept in " + std::string(mass::kDir) + " are now in " + aside + " (the mount of " +
               want.host + ":" + mass::kDir + " takes the directory)");
      dir = sc::PathInfo{};
      empty = true;
    }
  }
  if (!dir.exists()) ctx.make_dir(mass::kDir);
  if (want.mode != Mode::separated && fresh && !is_in_place(ctx, want))
    // A first unison sync into an empty directory takes the peer's files.
    run_call(ctx, mass::add_call(want, empty));
  ctx.set_setting("MASS_APPLIED", mass::applied_text(want));
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const auto old = applied(ctx);
  if (old && old->mode != Mode::separated) require_carrier(ctx, old->mode);
  if (old) remove_applied(ctx, *old);
  for (const char* name : {"MASS_MODE", "MASS_HOST", "MASS_BACKUP", "MASS_SYNC_PERIOD", "MASS_APPLIED"})
    ctx.unset_setting(name);
}

/// `ready`'s answer, for the status hook too.
int in_place(sc::Context& ctx) {
  if (!ctx.stat(mass::kDir, true).is_dir()) return SC_FAIL;
  auto mode_text = ctx.setting("MASS_MODE", SC_SETTING_NO_DEFAULT);
  auto text = ctx.setting("MASS_APPLIED");
  if (!mode_text || !text) return SC_FAIL;
  auto a = mass::parse_applied(*text);
  auto mode = mass::parse_mode(*mode_text);
  if (!a || !mode || a->mode != *mode) return SC_FAIL;
  if (a->mode == Mode::separated && !ctx.setting("MASS_BACKUP", SC_SETTING_NO_DEFAULT)) return SC_FAIL;
  if (a->mode != Mode::separated && ctx.setting("MASS_HOST").value_or("") != a->host) return SC_FAIL;
  return is_in_place(ctx, *a) ? SC_OK : SC_FAIL;
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return in_place(ctx);
}

void mode(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  auto a = applied(ctx);
  if (!a) {
    ctx.print("not set up\n");
    ctx.result("null");
    return;
  }
  const bool backup = a->mode == Mode::separated && ctx.setting("MASS_BACKUP").value_or("no") == "yes";
  ctx.print(mass::mode_name(a->mode) + (a->host.empty() ? "" : " " + a->host + ":" + mass::kDir) +
            (a->period.empty() ? "" : " (" + a->period + ")") + (backup ? ", backed up" : "") + "\n");
  ctx.result(json{
      {"mode", mass::mode_name(a->mode)},
      {"host", a->host.empty() ? json() : json(a->host)},
      {"period", a->period.empty() ? json() : json(a->period)},
      {"backup",
       backup}}.dump());
}

void files(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json list = json::array();
  auto a = applied(ctx);
  if (a && a->mode == Mode::separated && ctx.setting("MASS_BACKUP").value_or("no") == "yes") list.push_back(mass::kDir);
  ctx.result(list.dump());
}

}  // namespace

// clang-format off
/// The status hook (`sc status`): the mode in place; MASS_HOST is not used
/// by a separated mass storage; a mode set but not in place is an error.
void status(sc::Context& ctx) {
  plugin_common::status_hook::local_only(ctx);
  auto a = applied(ctx);
  auto wanted = ctx.setting("MASS_MODE", SC_SETTING_NO_DEFAULT);
  std::vector<plugin_common::status_hook::Problem> problems;
  if (a && in_place(ctx) != SC_OK)
    problems.push_back({"error", "the mass storage (" + mass::applied_text(*a) + ") is not in place any more",
                        "sc mass setup"});
  const bool separated = !a || a->mode == Mode::separated;
  nlohmann::json facts = {{"mode", a ? nlohmann::json(mass::applied_text(*a)) : nlohmann::json(nullptr)},
                          {"wanted", wanted ? nlohmann::json(*wanted) : nlohmann::json(nullptr)}};
  plugin_common::status_hook::answer(ctx, problems, facts,
                                     separated ? std::vector<std::string>{"MASS_HOST"} : std::vector<std::string>{});
}

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"),
          sc::command<&mode>("mode"),
          sc::command<&files>("files"),
          sc::command<&status>("status"))
// clang-format on
