#include "common/systemd_unit.hpp"

#include <algorithm>
#include <filesystem>

#include "common/sc_names.hpp"

namespace plugin_common::systemd_unit {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".service";

std::string link_path(const std::string& unit) {
  return std::string(kWantsDir) + "/" + unit;
}

/// Target of the enable link of `unit` on the target system, or "".
std::string link_target(const sc::Context& ctx, const std::string& unit) {
  sc::detail::HostString real{ctx.api()};
  if (ctx.api()->resolve_path(ctx.host(), kWantsDir, &real.ptr) != SC_OK) return {};
  std::error_code ec;
  fs::path p = fs::read_symlink(fs::path(real.str()) / unit, ec);
  return ec ? std::string() : p.string();
}

}  // namespace

bool plain_exec_path(std::string_view path) {
  if (path.size() < 2 || path[0] != '/') return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/._+-").find(c) != std::string_view::npos;
  });
}

std::string exec_sc_path() {
  std::string s = sc_names::running_sc();
  if (!plain_exec_path(s))
    throw sc::Failure("sc is installed at " + s +
                      ", a path a unit's ExecStart cannot hold as it is (use letters, digits and /._+- only)");
  return s;
}

std::string unit_name(std::string_view prefix, std::string_view stem) {
  return std::string(prefix) + std::string(stem) + std::string(kSuffix);
}

std::optional<std::string_view> unit_stem(std::string_view file, std::string_view prefix) {
  if (file.size() <= prefix.size() + kSuffix.size() || file.substr(0, prefix.size()) != prefix ||
      file.substr(file.size() - kSuffix.size()) != kSuffix)
    return std::nullopt;
  return file.substr(prefix.size(), file.size() - prefix.size() - kSuffix.size());
}

std::string unit_path(const std::string& unit) {
  return std::string(kUnitDir) + "/" + unit;
}

bool unit_written(const sc::Context& ctx, const std::string& unit) {
  return ctx.read_file(unit_path(unit)).has_value();
}

bool unit_exists(const sc::Context& ctx, const std::string& unit) {
  return unit_written(ctx, unit) || !link_target(ctx, unit).empty();
}

bool unit_enabled(const sc::Context& ctx, const std::string& unit) {
  return link_target(ctx, unit) == unit_path(unit);
}

bool install_unit(const sc::Context& ctx, const std::string& unit, const std::string& text) {
  const bool same = ctx.read_file(unit_path(unit)) == text && unit_enabled(ctx, unit);
  sc::FileAttr dir = sc::FileAttr::with_mode(0755);
  dir.keep_attrs = true;
  ctx.make_dir(kUnitDir, dir);
  ctx.write_file(unit_path(unit), text, sc::FileAttr::with_mode(0644));
  // What `systemctl enable` does, made here so that it works the same under
  // --root and is reported like any other change.
  ctx.make_dir(kWantsDir, dir);
  ctx.symlink(unit_path(unit), link_path(unit));
  return !same;
}

void remove_unit(const sc::Context& ctx, const std::string& unit) {
  ctx.remove(link_path(unit));
  ctx.remove(unit_path(unit));
}

std::vector<std::string> unit_dir_files(const sc::Context& ctx) {
  return ctx.stat(kUnitDir, /*follow=*/true).is_dir() ? ctx.list_dir(kUnitDir) : std::vector<std::string>{};
}

sc::RunOptions live() {
  sc::RunOptions o;
  o.live = true;
  return o;
}

void daemon_reload(const sc::Context& ctx) {
  ctx.run_checked({"systemctl", "daemon-reload"}, live());
}

}  // namespace plugin_common::systemd_unit
