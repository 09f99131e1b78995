// The status hook through the built sc, under --root: status.json and each
// snapshot's backup.json seeded as a backup server keeps them, the JSON
// result read back (health.hpp holds the rules, tested exactly beside).
#include <catch2/catch.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "../snapshots.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using json = nlohmann::json;

namespace {

/// A run's record as `backup start` writes it (snapshot/backup.json, and
/// each period's entry of status.json).
json record(const std::string& entry, const std::string& period, std::time_t started, std::time_t finished, bool ok,
            const std::string& error, std::uint64_t bytes, std::uint64_t new_bytes, std::uint64_t files) {
  return {{"entry", entry},     {"period", period},          {"snapshot", ok ? backup::snapshot_name(started) : ""},
          {"started", started}, {"finished", finished},      {"ok", ok},
          {"error", error},     {"warnings", json::array()}, {"files", files},
          {"bytes", bytes},     {"new_bytes", new_bytes},    {"databases", json::array()}};
}

/// A complete snapshot of `entry_dir`/`period` with its backup.json.
void snapshot(const fs::path& entry_dir, const json& rec) {
  const fs::path dir = entry_dir / rec["period"].get<std::string>() / rec["snapshot"].get<std::string>();
  fs::create_directories(dir / "fs");
  write_text(dir / "backup.json", rec.dump(2) + "\n", fs::perms(0600));
}

json result_of(const ScRun& r) {
  INFO(r.out << r.err);
  json doc = json::parse(r.out, nullptr, false);
  REQUIRE(doc.is_object());
  return doc["result"];
}

}  // namespace

TEST_CASE("backup status hook: entries, history and problems from the records", "[backup]") {
  TempDir root;
  fs::create_directories(root / "etc");
  fs::create_directories(root / "srv/backup");

  // Not a backup server (no list): nothing to say.
  ScRun r = run_sc_rooted(root.path(), {"--json", "backup", "status"});
  CHECK(r.status == 0);
  CHECK(result_of(r) == json::parse(R"({"problems": [], "facts": {"entries": []}})"));

  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "BACKUP_DIR", "/srv/backup"}).status == 0);
  REQUIRE(
      run_sc_rooted(root.path(), {"settings", "set", "BACKUP_LIST", "daily:c1:/srv/data weekly:c2 hourly:c3"}).status ==
      0);
  const std::time_t now = std::time(nullptr);

  // c1:/srv/data daily: two snapshots, the last an hour ago; a third whose
  // record is damaged (left out, said), a .partial (never history) and a
  // weekly snapshot (another period's).
  const fs::path c1 = root / "srv/backup/c1/fs-%2Fsrv%2Fdata";
  const json c1_old = record("c1:/srv/data", "daily", now - 86400 - 3600, now - 86400 - 3000, true, "", 5000, 5000, 7);
  const json c1_new = record("c1:/srv/data", "daily", now - 3700, now - 3600, true, "", 5200, 300, 8);
  snapshot(c1, c1_old);
  snapshot(c1, c1_new);
  const std::string damaged = backup::snapshot_name(now - 7200);
  fs::create_directories(c1 / "daily" / damaged);
  write_text(c1 / "daily" / damaged / "backup.json", "{not json");
  fs::create_directories(c1 / "daily" / (backup::snapshot_name(now - 60) + ".partial"));
  snapshot(c1, record("c1:/srv/data", "weekly", now - 5 * 86400, now - 5 * 86400 + 50, true, "", 1, 1, 1));
  write_text(c1 / "status.json",
             json{{"last_run", {{"daily", c1_new}}}, {"last_success", {{"daily", c1_new}}}}.dump(2) + "\n");

  // c2 weekly (a whole host): the last run failed ten minutes ago, the last
  // success is 20 days old.
  const fs::path c2 = root / "srv/backup/c2/host";
  const json c2_ok = record("c2", "weekly", now - 20 * 86400 - 500, now - 20 * 86400, true, "", 9000, 9000, 90);
  const json c2_failed =
      record("c2", "weekly", now - 700, now - 600, false, "rsync failed: connection refused", 0, 0, 0);
  snapshot(c2, c2_ok);
  write_text(c2 / "status.json",
             json{{"last_run", {{"weekly", c2_failed}}}, {"last_success", {{"weekly", c2_ok}}}}.dump(2) + "\n");
  // c3 hourly: never run.

  const std::string before = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--json", "backup", "status"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("/srv/backup/c1/fs-%2Fsrv%2Fdata/daily/" + damaged +
                             "/backup.json is not a backup record: snapshot left out of the history"));
  json res = result_of(r);
  CHECK(res["problems"] ==
        json::array({{{"level", "error"},
                      {"what", "weekly backup of c2: the last run (" + backup::human_time(now - 600) +
                                   ") failed: rsync failed: connection refused"},
                      {"fix", "sc backup start c2 weekly"}},
                     {{"level", "error"},
                      {"what", "weekly backup of c2: the last successful snapshot is 20 days old (" +
                                   backup::human_time(now - 20 * 86400) + "), more than twice the period (14 days)"},
                      {"fix", "sc backup start c2 weekly"}},
                     {{"level", "error"},
                      {"what", "hourly backup of c3: no successful snapshot yet"},
                      {"fix", "sc backup start c3 hourly"}}}));

  // The facts; age_s is measured against the hook's own clock, a little
  // after `now`.
  json entries = res["facts"]["entries"];
  REQUIRE(entries.size() == 3);
  for (auto& e : entries) {
    if (e["age_s"].is_null()) continue;
    const std::int64_t age = e["age_s"].get<std::int64_t>();
    const std::int64_t expected = now - e["last_success"].get<std::int64_t>();
    CHECK(age >= expected);
    CHECK(age <= expected + 600);
    e.erase("age_s");
  }
  auto item = [](const json& rec) {
    return json{{"snapshot", rec["snapshot"]},
                {"started", rec["started"]},
                {"finished", rec["finished"]},
                {"size", rec["bytes"]},
                {"new_bytes", rec["new_bytes"]},
                {"files", rec["files"]},
                {"duration_s", rec["finished"].get<std::int64_t>() - rec["started"].get<std::int64_t>()}};
  };
  CHECK(entries[0] == json{{"entry", "c1:/srv/data"},
                           {"period", "daily"},
                           {"last_run", {{"finished", now - 3600}, {"ok", true}, {"error", ""}}},
                           {"last_success", now - 3600},
                           {"history", json::array({item(c1_old), item(c1_new)})}});
  CHECK(entries[1] ==
        json{{"entry", "c2"},
             {"period", "weekly"},
             {"last_run", {{"finished", now - 600}, {"ok", false}, {"error", "rsync failed: connection refused"}}},
             {"last_success", now - 20 * 86400},
             {"history", json::array({item(c2_ok)})}});
  CHECK(entries[2] == json{{"entry", "c3"},
                           {"period", "hourly"},
                           {"last_run", nullptr},
                           {"last_success", nullptr},
                           {"age_s", nullptr},
                           {"history", json::array()}});

  // The text, one line per entry.
  r = run_sc_rooted(root.path(), {"backup", "status", "local"});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("daily\tc1:/srv/data\tlast success " + backup::human_time(now - 3600)));
  CHECK_THAT(r.out, Contains("weekly\tc2\tlast success " + backup::human_time(now - 20 * 86400) +
                             " (20 days ago)\t2 problem(s)\n"));
  CHECK_THAT(r.out, Contains("hourly\tc3\tno success yet\t1 problem(s)\n"));
  // `local` and --dry-run change nothing of the answer; nothing is written.
  r = run_sc_rooted(root.path(), {"--json", "--dry-run", "backup", "status", "local"});
  CHECK(r.status == 0);
  CHECK(result_of(r)["problems"] == res["problems"]);
  CHECK(tree_hash(root.path()) == before);

  // Any other argument is refused.
  r = run_sc_rooted(root.path(), {"backup", "status", "remote"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("argument \"remote\" is not \"local\""));
  CHECK(tree_hash(root.path()) == before);
}
