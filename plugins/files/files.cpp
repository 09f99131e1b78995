// files: a module's files, from a peer (pull) or from a backup
// (restoremodule). Which files belong to a module is that module's answer to
// the `files` hook (the original's files module).
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

#include "common/apt_ensure.hpp"
#include "common/peer_name.hpp"
#include "common/sc_names.hpp"
#include "common/target.hpp"
#include "file_list.hpp"

namespace {

using nlohmann::json;

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

std::string error_of(const std::string& captured) {
  auto doc = json::parse(captured, nullptr, false);
  return doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
}

/// Status 3 from a call of sshlink: the module (or the SSH layer) is missing.
[[noreturn]] void no_sshlink(const std::string& what, const std::string& error) {
  throw sc::Failure(what + " needs sshlink (not installed/not built yet): " + error + "; install sc's sshlink module");
}

void pull(sc::Context& ctx) {
  ctx.expect_args(2, 2, "MODULE HOST[:/DIR]");
  const std::string module = plugin_common::sc_names::checked_module_name(ctx.args()[0]);
  // HOST[:/DIR] as sshlink getfiles takes it: DIR is where the peer's tree
  // lives (default /). The peer name itself is checked by sshlink.
  const std::string& source = ctx.args()[1];
  const std::string host = source.substr(0, source.find(":/"));
  if (std::any_of(source.begin(), source.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    throw sc::Usage("HOST[:/DIR] \"" + source + "\" contains a control character");
  if (host != "localhost") plugin_common::peer_name::checked(host, "HOST");

  sc::CallResult r = ctx.call("sshlink", "sc", {host, module, "files"});
  if (r.status == 3) no_sshlink("sc files pull", error_of(r.json));
  if (r.status == SC_USAGE) throw sc::Usage(error_of(r.json));
  if (r.status != SC_OK)
    throw sc::Failure("cannot get the file list of " + module + " from " + host + ": " + error_of(r.json));
  std::string why;
  auto list = files_mod::parse_file_list(r.json, &why);
  if (!list) throw sc::Failure("module " + module + " on " + host + ": " + why);
  if (list->empty()) {
    ctx.print("module " + module + " on " + host + " lists no files: nothing to copy\n");
    return;
  }
  std::vector<std::string> args = {source, "/"};
  args.insert(args.end(), list->begin(), list->end());
  r = ctx.call("sshlink", "getfiles", args);
  if (r.status == 3) no_sshlink("sc files pull", error_of(r.json));
  if (r.status != SC_OK)
    throw sc::Failure("copying the files of " + module + " from " + host + " failed: " + error_of(r.json));
  ctx.print("copied " + std::to_string(list->size()) + " path(s) of " + module + " from " + source + "\n");
  ctx.result(json{{"module", module}, {"peer", host}, {"paths", *list}}.dump());
}

void restoremodule(sc::Context& ctx) {
  ctx.expect_args(2, 2, "MODULE SOURCE");
  const std::string module = plugin_common::sc_names::checked_module_name(ctx.args()[0]);
  const std::string& raw_source = ctx.args()[1];
  if (!files_mod::valid_path(raw_source) || files_mod::clean_path(raw_source) == "/")
    throw sc::Usage("\"" + raw_source +
                    "\" is not a backup directory: give the absolute path of a backup (holding fs/)");
  const std::string fs_dir = files_mod::clean_path(raw_source) + "/fs";
  if (!ctx.stat(fs_dir, /*follow=*/true).is_dir())
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
  for (const auto& p : *list)
    (plugin_common::target::exists(ctx, fs_dir + (p == "/" ? "" : p)) ? present : absent).push_back(p);
  for (const auto& p : absent) ctx.warn("not in the backup, not restored: " + p);
  if (present.empty()) {
    ctx.print("the backup holds none of the files of " + module + "\n");
    ctx.result(json{{"module", module}, {"restored", json::array()}, {"absent", absent}}.dump());
    return;
  }
  plugin_common::apt_ensure::ensure(ctx, {"rsync:rsync"});
  sc::RunOptions o;
  o.input = files_mod::files_from(present);
  sc::RunResult r = ctx.run(files_mod::restore_argv(ctx.resolve_path(fs_dir), ctx.resolve_path("/")), o);
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

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&pull>("pull"), sc::command<&restoremodule>("restoremodule"))
