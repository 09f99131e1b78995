#include "follow.hpp"

#include <stdlib.h>

#include <nlohmann/json.hpp>

namespace master_follow {

namespace {

using nlohmann::json;

constexpr const char* kInstalledSc = "/usr/local/sbin/sc";
/// Status of a call whose module is not installed.
constexpr int kNotInstalled = 3;

}  // namespace

void version(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  json r = {{"version", ctx.sc_version()}, {"kind", nullptr}, {"exe", nullptr}};
  auto doc = json::parse(ctx.call("update", "release").json, nullptr, false);
  if (doc.is_object() && doc.value("status", SC_FAIL) == SC_OK && doc["result"].is_object()) {
    r["kind"] = doc["result"].value("kind", json(nullptr));
    r["exe"] = doc["result"].value("exe", json(nullptr));
  }
  ctx.print(ctx.sc_version() + "\n");
  ctx.result(r.dump());
}

bool follow(sc::Context& ctx, const std::string& host, bool required) {
  if (const char* done = ::getenv(kFollowedEnv); done && *done) {
    ctx.info(std::string("sc was updated to ") + done + " from " + host + " in this run: not compared again");
    return false;
  }
  sc::CallResult r = ctx.call("update", "follow", {host});
  auto doc = json::parse(r.json, nullptr, false);
  if (doc.is_object() && doc["output"].is_string()) ctx.print(doc["output"].get<std::string>());
  const std::string error = doc.is_object() && doc["error"].is_string() ? doc["error"].get<std::string>() : "failed";
  // Not a requirement of the module (a required module is set up with it,
  // and update's setup asks for a release URL): a host without it pulls
  // with the sc it has, and says so.
  if (r.status == kNotInstalled) {
    const std::string why = "this host cannot follow its master's sc: the update module is not installed (" + error +
                            "); install it (package synccluster-plugin-update)";
    if (required) throw sc::Failure(why);
    ctx.warn(why);
    return false;
  }
  if (r.status != SC_OK) throw sc::Failure(error);
  return doc.is_object() && doc["result"].is_object() && doc["result"].value("action", "") == "installed";
}

void rerun(sc::Context& ctx, const std::vector<std::string>& args) {
  // The new sc must say it is the version just installed, else a re-run
  // would only start the same comparison again.
  sc::RunOptions probe;
  probe.readonly = true;
  probe.capture_out = probe.capture_err = true;
  sc::RunResult v = ctx.run({kInstalledSc, "--json", "--version"}, probe);
  auto vdoc = json::parse(v.out, nullptr, false);
  const std::string now = vdoc.is_object() && vdoc["version"].is_string() ? vdoc["version"].get<std::string>() : "";
  if (!v.ok() || now.empty())
    throw sc::Failure(std::string("the new sc was installed, but ") + kInstalledSc + " --version fails: " + v.err +
                      "; run `sc update upgrade " + ctx.sc_version() + "` once it is fixed");
  sc::RunOptions o;
  o.env = {std::string(kFollowedEnv) + "=" + now};
  const bool json_mode = (ctx.mode() & SC_MODE_JSON) != 0;
  std::vector<std::string> argv = {kInstalledSc};
  if (json_mode) {
    argv.push_back("--json");
    o.capture_out = true;
  }
  argv.push_back("--");
  argv.insert(argv.end(), args.begin(), args.end());
  ctx.info("the rest runs with the new sc " + now);
  sc::RunResult r = ctx.run(argv, o);
  if (json_mode) {
    auto doc = json::parse(r.out, nullptr, false);
    if (doc.is_object()) {
      if (doc["output"].is_string()) ctx.print(doc["output"].get<std::string>());
      ctx.result(json{{"updated_to", now}, {"rerun", doc}}.dump());
    }
  }
  if (!r.ok())
    throw sc::Failure("sc was updated to " + now + ", then `sc " + args.front() + " " + args.at(1) +
                      "` with it failed (status " + std::to_string(r.exit_code) + ", see above)");
}

}  // namespace master_follow
