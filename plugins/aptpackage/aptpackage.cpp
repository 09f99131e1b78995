// aptpackage: installs the Debian packages other modules need (the
// original's `syspackage` helper) and, only when asked with `setup`, adds the
// contrib and backports sources of Debian's archive.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sc/plugin.hpp>

#include "apt_sources.hpp"
#include "common/target.hpp"
#include "packages.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSourcesList = "/etc/apt/sources.list";
constexpr const char* kSourcesDir = "/etc/apt/sources.list.d";

/// Where a target path lives on this machine; nullopt when the host refuses
/// it (the check then counts as "missing").
std::optional<fs::path> real_path(const sc::Context& ctx, const std::string& path) {
  sc::detail::HostString out{ctx.api()};
  if (ctx.api()->resolve_path(ctx.host(), path.c_str(), &out.ptr) != SC_OK) return std::nullopt;
  return fs::path(out.str());
}

bool command_present(const sc::Context& ctx, const std::string& command) {
  for (const char* dir : aptpackage::kCommandDirs)
    if (plugin_common::target::executable(ctx, std::string(dir) + "/" + command)) return true;
  return false;
}

bool path_present(const sc::Context& ctx, const std::string& path) {
  return plugin_common::target::exists(ctx, path);
}

/// The names in a directory of the target; none when it is not one.
std::vector<std::string> names_in(const sc::Context& ctx, const std::string& dir) {
  return ctx.stat(dir, /*follow=*/true).is_dir() ? ctx.list_dir(dir) : std::vector<std::string>{};
}

bool package_installed(const sc::Context& ctx, const std::string& package) {
  std::string admindir;
  if (ctx.rooted()) {
    auto p = real_path(ctx, "/var/lib/dpkg");
    if (!p) return false;
    admindir = p->string();
  }
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = true;
  o.capture_err = true;
  o.timeout_ms = 30000;
  sc::RunResult r = ctx.run(aptpackage::status_argv(package, admindir), o);
  return r.ok() && aptpackage::status_installed(r.out);
}

bool present(const sc::Context& ctx, const aptpackage::PackageSpec& spec) {
  if (spec.check.empty()) return package_installed(ctx, spec.name);
  return spec.check[0] == '/' ? path_present(ctx, spec.check) : command_present(ctx, spec.check);
}

/// True when APT has package lists; a fresh image has none and every
/// install would fail with "Unable to locate package".
bool have_package_lists(const sc::Context& ctx) {
  for (const auto& name : names_in(ctx, "/var/lib/apt/lists"))
    if (name.find("_Packages") != std::string::npos) return true;
  return false;
}

sc::RunOptions apt_options() {
  sc::RunOptions o;
  o.live = true;
  o.env = aptpackage::kAptEnv;
  return o;
}

/// One apt-get run for every missing package, and the report.
void install_missing(sc::Context& ctx, const std::vector<std::string>& present_names,
                     const std::vector<std::string>& missing) {
  if (!missing.empty()) {
    if (!have_package_lists(ctx)) ctx.run_checked({"apt-get", "update"}, apt_options());
    ctx.run_checked(aptpackage::install_argv(missing), apt_options());
  }
  std::string text;
  for (const auto& p : missing) text += (text.empty() ? "" : " ") + p;
  ctx.print(missing.empty() ? "" : "installing: " + text + "\n");
  ctx.result(json({{"present", present_names}, {"installed", missing}}).dump());
}

void add_unique(std::vector<std::string>* v, const std::string& s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

std::vector<aptpackage::PackageSpec> parse_specs(const std::vector<std::string>& args, bool allow_check) {
  std::vector<aptpackage::PackageSpec> specs;
  for (const auto& a : args) {
    aptpackage::PackageSpec s;
    std::string why;
    if (!aptpackage::parse_package_spec(a, &s, &why)) throw sc::Usage(why);
    if (!allow_check && !s.check.empty())
      throw sc::Usage("\"" + a + "\": install takes package names; use `sc aptpackage ensure " + a + "` for a check");
    specs.push_back(std::move(s));
  }
  return specs;
}

void ensure(sc::Context& ctx) {
  ctx.expect_args(1, 1000, "PACKAGE[/SUITE][:COMMAND|:/PATH]...");
  auto specs = parse_specs(ctx.args(), true);
  // A package is installed when any of its checks fails.
  std::vector<std::string> names, missing;
  for (const auto& s : specs) {
    add_unique(&names, aptpackage::install_name(s));
    if (!present(ctx, s)) add_unique(&missing, aptpackage::install_name(s));
  }
  std::vector<std::string> have;
  for (const auto& n : names)
    if (std::find(missing.begin(), missing.end(), n) == missing.end()) have.push_back(n);
  install_missing(ctx, have, missing);
}

void install(sc::Context& ctx) {
  ctx.expect_args(1, 1000, "PACKAGE[/SUITE]...");
  auto specs = parse_specs(ctx.args(), false);
  std::vector<std::string> have, missing;
  for (const auto& s : specs)
    add_unique(package_installed(ctx, s.name) ? &have : &missing, aptpackage::install_name(s));
  install_missing(ctx, have, missing);
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "PACKAGE");
  if (!aptpackage::valid_package_name(ctx.arg(0)))
    throw sc::Usage("\"" + ctx.arg(0) + "\" is not a Debian package name (lower-case letters, digits, '+', '-', '.')");
  bool yes = package_installed(ctx, ctx.arg(0));
  ctx.result(yes ? "true" : "false");
  return yes ? SC_OK : SC_FAIL;
}

// -- sources ---------------------------------------------------------------

bool is_ours(const std::string& path) {
  if (path == aptpackage::kOneLineFile || path == aptpackage::kDeb822File) return true;
  for (const char* legacy : aptpackage::kLegacyFiles)
    if (path == legacy) return true;
  return false;
}

/// Every source entry of the host, in the order APT reads them, sc's own
/// files left out.
std::vector<aptpackage::SourceEntry> host_sources(const sc::Context& ctx, std::vector<std::string>* problems) {
  std::vector<aptpackage::SourceEntry> all;
  auto append = [&](std::vector<aptpackage::SourceEntry> more) {
    all.insert(all.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  };
  if (auto text = ctx.read_file(kSourcesList)) append(aptpackage::parse_one_line(*text, kSourcesList, problems));
  const std::vector<std::string> names = names_in(ctx, kSourcesDir);
  for (const auto& name : names) {
    const std::string path = std::string(kSourcesDir) + "/" + name;
    if (is_ours(path)) continue;
    bool one_line = aptpackage::apt_reads_file(name, ".list");
    if (!one_line && !aptpackage::apt_reads_file(name, ".sources")) continue;
    auto text = ctx.read_file(path);
    if (!text) continue;
    append(one_line ? aptpackage::parse_one_line(*text, path, problems)
                    : aptpackage::parse_deb822(*text, path, problems));
  }
  return all;
}

aptpackage::Wanted wanted(const sc::Context& ctx) {
  aptpackage::Wanted w;
  auto os = ctx.read_file("/etc/os-release");
  if (!os) os = ctx.read_file("/usr/lib/os-release");
  w.codename = os ? aptpackage::os_release_codename(*os) : std::string();
  if (w.codename.empty() || w.codename.size() > 32 ||
      !std::all_of(w.codename.begin(), w.codename.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    throw sc::Failure("cannot tell the Debian release: /etc/os-release has no VERSION_CODENAME (e.g. bookworm)");
  std::string list = ctx.setting("APT_COMPONENTS").value_or("contrib");
  size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && (list[i] == ' ' || list[i] == ',' || list[i] == '\t')) ++i;
    size_t j = i;
    while (j < list.size() && list[j] != ' ' && list[j] != ',' && list[j] != '\t') ++j;
    if (j > i) {
      std::string c = list.substr(i, j - i);
      if (c != "contrib" && c != "non-free" && c != "non-free-firmware")
        throw sc::Usage("APT_COMPONENTS: \"" + c +
                        "\" is not a Debian component to add (use contrib, non-free, non-free-firmware); "
                        "fix it with `sc settings set APT_COMPONENTS contrib`");
      add_unique(&w.components, c);
    }
    i = j;
  }
  w.backports = ctx.setting("APT_BACKPORTS").value_or("yes") == "yes";
  return w;
}

/// Refuses to write text our own parser does not read back whole: a
/// malformed source stops every apt-get on the host.
void check_generated(const std::string& text, bool deb822, size_t expected) {
  std::vector<std::string> problems;
  auto back = deb822 ? aptpackage::parse_deb822(text, "generated", &problems)
                     : aptpackage::parse_one_line(text, "generated", &problems);
  if (!problems.empty() || back.size() != expected)
    throw sc::Failure("internal error: the generated APT source does not read back (" +
                      (problems.empty() ? std::string("entries lost") : problems.front()) + "); nothing was written");
}

/// Writes (or removes, when `text` is empty) one of sc's source files;
/// true when that changes it.
bool put(sc::Context& ctx, const std::string& path, const std::string& text) {
  auto old = ctx.read_file(path);
  if (text.empty()) {
    ctx.remove(path);
    return old.has_value();
  }
  sc::FileAttr dir = sc::FileAttr::with_mode(0755);
  dir.keep_attrs = true;
  ctx.make_dir(kSourcesDir, dir);
  ctx.write_file(path, text, sc::FileAttr::with_mode(0644));
  return !old || *old != text;
}

std::string describe(const aptpackage::SourceEntry& e) {
  std::string s;
  for (const auto& t : e.types) s += (s.empty() ? "" : ",") + t;
  for (const auto& u : e.uris) s += " " + u;
  s += " ";
  for (size_t i = 0; i < e.suites.size(); ++i) s += (i ? "," : "") + e.suites[i];
  for (const auto& c : e.components) s += " " + c;
  return s;
}

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  aptpackage::Wanted w = wanted(ctx);
  std::vector<std::string> problems;
  auto entries = host_sources(ctx, &problems);
  for (const auto& p : problems) ctx.warn(p);
  aptpackage::Plan plan = aptpackage::plan_sources(entries, w);
  if (!plan.found_debian)
    throw sc::Failure("no enabled source of Debian's archive for " + w.codename + " with the main component in " +
                      kSourcesList + " or " + kSourcesDir + "/*.list|*.sources; add one (e.g. deb " +
                      "http://deb.debian.org/debian " + w.codename + " main), then run setup again");
  // One-line additions copy one-line entries: one type, URI and suite each.
  size_t deb822 = 0, one_line = 0;
  for (const auto& e : plan.added) ++(e.format == aptpackage::SourceEntry::Format::deb822 ? deb822 : one_line);
  check_generated(plan.one_line_text, false, one_line);
  check_generated(plan.deb822_text, true, deb822);

  bool changed = put(ctx, aptpackage::kOneLineFile, plan.one_line_text);
  changed = put(ctx, aptpackage::kDeb822File, plan.deb822_text) || changed;
  for (const char* legacy : aptpackage::kLegacyFiles) changed = put(ctx, legacy, "") || changed;
  if (changed) ctx.run_checked({"apt-get", "update"}, apt_options());

  json added = json::array();
  std::string text;
  for (const auto& e : plan.added) {
    added.push_back(
        {{"types", e.types}, {"uris", e.uris}, {"suites", e.suites}, {"components", e.components}, {"from", e.where}});
    text += "sc source: " + describe(e) + "\n";
  }
  if (plan.added.empty()) text = "the sources already have every wanted component and suite\n";
  ctx.print(text);
  ctx.result(json({{"codename", w.codename}, {"added", added}}).dump());
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  bool changed = put(ctx, aptpackage::kOneLineFile, "");
  changed = put(ctx, aptpackage::kDeb822File, "") || changed;
  for (const char* legacy : aptpackage::kLegacyFiles) changed = put(ctx, legacy, "") || changed;
  if (changed) ctx.run_checked({"apt-get", "update"}, apt_options());
}

// Installing packages needs no preparation: the extra sources are an
// explicit choice (`setup`), never made because another module requires
// aptpackage and the core sets up requirements that are not ready.
int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return SC_OK;
}

}  // namespace

// clang-format off
SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&ensure>("ensure"),
          sc::command<&install>("install"),
          sc::command<&has>("has"),
          sc::command<&setup>("setup"),
          sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"))
// clang-format on
