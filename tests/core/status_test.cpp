// `sc status`: this host at a glance (the pure document and text, then the
// built sc with the real modules under --root, on a pipe and a terminal).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "commands/status_view.hpp"
#include "test_paths.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

sc::ModuleReport module(const std::string& name, int ready, json status = nullptr) {
  sc::ModuleReport m;
  m.name = name;
  m.version = "1.0.0";
  m.ready = ready;
  m.status = std::move(status);
  return m;
}

json problems(const std::vector<json>& items) {
  json list = json::array();
  for (const auto& i : items) list.push_back(i);
  return {{"problems", list}, {"facts", json::object()}};
}

}  // namespace

TEST_CASE("status document: problems errors first, each with its module and fix", "[status]") {
  std::vector<sc::ModuleReport> mods = {
      module("backup", 1,
             problems({json{{"level", "warning"}, {"what", "old"}, {"fix", "sc backup start x daily"}},
                       json{{"level", "error"}, {"what", "failed"}, {"fix", "sc backup start y daily"}}})),
      module("mail", 0),
      module("files", -1),
      module("odd", 1, json::array({1, 2})),
  };
  sc::ModuleReport broken;
  broken.name = "broken";
  broken.unavailable = true;
  broken.why = "undefined symbol";
  mods.push_back(broken);
  sc::ModuleReport failing = module("tunnel", 1);
  failing.status_error = "the status hook failed (status 1)";
  mods.push_back(failing);
  json doc = sc::assemble_status("c1", "1.2.0", 1000, mods, {{"hostconf", "FQDN", "the name"}});

  CHECK(doc["host"] == "c1");
  CHECK(doc["version"] == "1.2.0");
  CHECK(doc["ok"] == false);
  const json& p = doc["problems"];
  REQUIRE(p.size() == 6);
  // Errors first (in module order), then warnings.
  CHECK(p[0] == json{{"level", "error"}, {"module", "backup"}, {"what", "failed"}, {"fix", "sc backup start y daily"}});
  CHECK(p[1]["module"] == "broken");
  CHECK_THAT(p[1]["what"].get<std::string>(), Contains("cannot be loaded: undefined symbol"));
  CHECK(p[2]["what"] == "old");
  CHECK(p[3]["module"] == "odd");
  CHECK(p[4]["module"] == "tunnel");
  CHECK(p[5]["fix"] == "sc settings set FQDN VALUE");
  CHECK(doc["settings_missing"][0]["name"] == "FQDN");
  CHECK(doc["modules"][1]["ready"] == false);
  CHECK(doc["modules"][2]["ready"].is_null());

  const std::string plain = sc::status_text(doc, false);
  CHECK(plain.find(
            "c1 (sc 1.2.0): 2 errors, 4 warnings\n  ERROR  backup: failed\n         fix: sc backup start y daily\n") ==
        0);
  CHECK(plain.find('\033') == std::string::npos);
  CHECK_THAT(plain, Contains("modules ready:        backup odd tunnel\n") && Contains("modules not set up:   mail\n") &&
                        Contains("modules (no check):   files\n") && Contains("modules not loadable: broken\n"));
  CHECK_THAT(sc::status_text(doc, true), Contains("\033[1;31mERROR  \033[0m"));

  json fine = sc::assemble_status("c1", "1.2.0", 1000, {module("backup", 1, problems({}))}, {});
  CHECK(fine["ok"] == true);
  CHECK(sc::status_text(fine, false).find("c1 (sc 1.2.0): all is fine\n") == 0);
}

TEST_CASE("status document: hostile texts from a module stay data", "[status]") {
  for (const auto& bad : hostile_strings()) {
    json doc = sc::assemble_status(bad, "1.0.0", 0,
                                   {module("m", 1, problems({json{{"level", bad}, {"what", bad}, {"fix", bad}}}))}, {});
    REQUIRE(doc["problems"].size() == (bad.empty() ? 0u : 1u));
    if (bad.empty()) continue;
    CHECK(doc["problems"][0]["level"] == "warning");  // an unknown level is a warning
    CHECK(doc["problems"][0]["what"] == bad);
    CHECK(json::parse(doc.dump()) == doc);
    // On the terminal, a module's text never drives it: no raw control
    // character but the newlines of the layout.
    const std::string text = sc::status_text(doc, false);
    for (unsigned char c : text) CHECK((c >= 0x20 || c == '\n'));
    CHECK(text.find("\x7f") == std::string::npos);
  }
  json forged = sc::assemble_status(
      "h", "1", 0,
      {module("m", 1, problems({json{{"level", "error"}, {"what", "a\x1b[2Jb\nfix: rm -rf /"}, {"fix", ""}}}))}, {});
  const std::string text = sc::status_text(forged, false);
  CHECK_THAT(text, Contains("\\e[2J") && !Contains("\nfix: rm"));
}

TEST_CASE("sc status on a host with no role: all is fine, exit 0, plain on a pipe", "[status][cli]") {
  TempDir root;
  ScRun r = run_sc_rooted(root.path(), {"status"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("all is fine") && Contains("modules not set up:") && Contains("master"));
  CHECK(r.out.find('\033') == std::string::npos);
  r = run_sc_rooted(root.path(), {"--json", "status", "--local"});
  json doc = json::parse(r.out);
  CHECK(doc["status"] == 0);
  CHECK(doc["result"]["ok"] == true);
  CHECK(doc["result"]["problems"].empty());
  bool master_seen = false;
  for (const auto& m : doc["result"]["modules"])
    if (m["name"] == "master") {
      master_seen = true;
      CHECK(m["ready"] == false);
      CHECK(m["status"]["facts"]["role"].is_null());
    }
  CHECK(master_seen);
}

TEST_CASE("sc status: a role set but not in place is an error with its fix, exit 1", "[status][cli]") {
  TempDir root;
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "MASTER_MODE", "client"}).status == 0);
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "MASTER_HOST", "127.0.0.1:1"}).status == 0);
  const std::string before = tree_hash(root.path());
  ScRun r = run_sc_rooted(root.path(), {"--json", "status", "--local"});
  json doc = json::parse(r.out);
  CHECK(r.status == 1);
  const json& p = doc["result"]["problems"];
  REQUIRE(!p.empty());
  CHECK(p[0]["module"] == "master");
  CHECK(p[0]["level"] == "error");
  CHECK(p[0]["fix"] == "sc master setup");
  // --local: the master is not contacted, so nothing is said of it.
  for (const auto& item : p) CHECK_THAT(item["what"].get<std::string>(), !Contains("does not answer"));
  // Without --local the master (nothing listens there) is said to be silent.
  r = run_sc_rooted(root.path(), {"--set", "SSHLINK_CONNECT_TIMEOUT=2", "status"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("ERROR  master: the role client is not (or no longer) in place") &&
                        Contains("fix: sc master setup") &&
                        Contains("WARN   master: the master 127.0.0.1:1 does not answer") &&
                        Contains("fix: sc sshlink add 127.0.0.1:1"));
  CHECK_THAT(r.err, Contains("problem"));
  CHECK(tree_hash(root.path()) == before);  // a look only
}

TEST_CASE("sc status: colours on a terminal, none with NO_COLOR", "[status][cli]") {
  TempDir root;
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "MASTER_MODE", "master"}).status == 0);
  const std::vector<std::string> args = {"--plugin-path", kPluginDir, "--root", root.path().string(), "status"};
  ScRun r = run_sc_tty(args, {});
  CHECK_THAT(r.out, Contains("\033[1;31mERROR  \033[0mmaster: the role master is not"));
  ::setenv("NO_COLOR", "1", 1);
  r = run_sc_tty(args, {});
  ::unsetenv("NO_COLOR");
  CHECK_THAT(r.out, Contains("ERROR  master: the role master is not"));
  CHECK(r.out.find("\033[") == std::string::npos);
}

TEST_CASE("sc status: a module that cannot be loaded is a problem, bad arguments are refused", "[status][cli]") {
  TempDir root;
  ScRun r = run_sc_fixtures(root.path(), {"--json", "status"});
  json doc = json::parse(r.out);
  CHECK(r.status == 1);
  bool no_entry = false;
  for (const auto& p : doc["result"]["problems"])
    if (p["module"] == "no-entry-ready") {
      no_entry = true;
      CHECK_THAT(p["what"].get<std::string>(), Contains("cannot be loaded"));
    }
  CHECK(no_entry);
  for (const auto& bad : hostile_strings()) {
    r = run_sc_rooted(root.path(), {"status", bad});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Contains("unknown argument"));
  }
}

TEST_CASE("sc status as a user: a warning that what only root reads was not checked", "[status][cli]") {
  // setpriv (util-linux) runs the built sc as nobody, on this machine's /.
  sc::ProcessResult r = run_captured({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", built_sc_path(),
                                      "--plugin-path", kPluginDir, "status", "--local"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Contains("WARN   sc status runs as a user: what only root may read was not checked\n") &&
                        Contains("fix: sudo sc status"));
}
