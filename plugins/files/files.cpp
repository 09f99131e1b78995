// files: a module's files, from a peer (pull) or from a backup
// (restoremodule). Which files belong to a module is that module's answer to
// the `files` hook (the original's files module).
#include <sc/plugin.hpp>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "../utils/apt_ensure.hpp"
#include "file_list.hpp"

namespace {

using nlohmann::json;

std::string checked_module(const std::string& name) {
  if (!files_mod::valid_module_name(name))
    throw sc::Usage("\"" + name + "\" is not a module name (lower-case letters, digits and '-', starting with a letter)");
  return name;
}

/// Runs MODULE's `files` hook; nullopt when the module has none.
std::optional<std::vector<std::string>> module_files(sc::Context& ctx, const std::string& module) {
  sc::CallResult r = ctx.call(module, "files");
  auto doc = json::parse(r.json, nullptr, false);
  std::string error = doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "";
  if (r.status == SC_USAGE && error.find("has no command \"files\"") != std::string::npos) return std::nullopt;
  if (r.status != SC_OK)
    throw sc::Failure("cannot get the file list of module " + module + ": " + (error.empty() ? "it failed" : error));
  std::string why;
  auto list = files_mod::parse_file_list(r.json, &why);
  if (!list) throw sc::Failure("module " + module + ": " + why);
  return list;
}

void pull(sc::Context& ctx) {
  ctx.expect_args(2, 2, "MODULE HOST");
  const std::string module = checked_module(ctx.args()[0]);
  const std::string& host = ctx.args()[1];
  if (host.empty() || host[0] == '-' || host.find_first_of(" \t\n;|&$`'\"\\*?<>(){}") != std::string::npos)
    throw sc::Usage("\"" + host + "\" is not a host name (host, user@host or host:port)");
  throw sc::Failure("sc files pull needs sshlink (not installed/not built yet): it copies the files of " + module +
                    " from " + host + " with rsync over SSH");
}

void restoremodule(sc::Context& ctx) {
  ctx.expect_args(2, 2, "MODULE SOURCE");
  const std::string module = checked_module(ctx.args()[0]);
  const std::string& raw_source = ctx.args()[1];
  if (!files_mod::valid_path(raw_source) || files_mod::clean_path(raw_source) == "/")
    throw sc::Usage("\"" + raw_source + "\" is not a backup directory: give the absolute path of a backup (holding fs/)");
  const std::string fs_dir = files_mod::clean_path(raw_source) + "/fs";
  std::string fs_real = ctx.resolve_path(fs_dir);
  struct stat st {};
  if (::stat(fs_real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw sc::Usage(fs_dir + " is not a directory: is " + raw_source + " a backup made by sc?");

  auto list = module_files(ctx, module);
  if (!list) {
    ctx.print("module " + module + " has no files hook: nothing to restore\n");
    ctx.result(json{{"module", module}, {"restored", json::array()}}.dump());
    return;
  }
  // A path the backup lacks would make rsync fail with status 23: left out,
  // and said.
  std::vector<std::string> present, absent;
  for (const auto& p : *list) {
    struct stat ps {};
    bool here = false;
    try {
      here = ::lstat(ctx.resolve_path(fs_dir + (p == "/" ? "" : p)).c_str(), &ps) == 0;
    } catch (const sc::Usage&) {
    }
    (here ? present : absent).push_back(p);
  }
  for (const auto& p : absent) ctx.warn("not in the backup, not restored: " + p);
  if (present.empty()) {
    ctx.print("the backup holds none of the files of " + module + "\n");
    ctx.result(json{{"module", module}, {"restored", json::array()}, {"absent", absent}}.dump());
    return;
  }
  apt_ensure::ensure(ctx, {"rsync:rsync"});
  sc::RunOptions o;
  o.input = files_mod::files_from(present);
  sc::RunResult r = ctx.run(files_mod::restore_argv(fs_real, ctx.resolve_path("/")), o);
  if (!r.ok()) {
    if (r.exit_code > 0)
      throw sc::Failure("restoring the files of " + module + " failed: rsync exited with status " +
                        std::to_string(r.exit_code) + " (" + files_mod::rsync_status_text(r.exit_code) +
                        "); see its messages above");
    throw sc::Failure("restoring the files of " + module + " failed: rsync " +
                      (r.term_signal ? "was killed by signal " + std::to_string(r.term_signal)
                                     : std::string("could not be started")));
  }
  ctx.print(std::string(r.ran ? "restored " : "would restore ") + std::to_string(present.size()) + " path(s) of " +
            module + " from " + raw_source + "\n");
  ctx.result(json{{"module", module}, {"restored", present}, {"absent", absent}}.dump());
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION,
          sc::command<&pull>("pull"),
          sc::command<&restoremodule>("restoremodule"))
