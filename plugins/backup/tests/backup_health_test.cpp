// The status hook's rules (health.hpp): problems from the records and the
// time, and the facts, exactly.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../health.hpp"

using json = nlohmann::json;
using backup::EntryHealth;
using backup::Problem;
using backup::RunRecord;

namespace {

constexpr std::time_t kNow = 1796223845;  // 2026-12-02T15:04:05Z

RunRecord run(const std::string& entry, const std::string& period, std::time_t finished, bool ok,
              const std::string& error = "") {
  RunRecord r;
  r.entry = entry;
  r.period = period;
  r.started = finished - 90;
  r.finished = finished;
  r.ok = ok;
  r.error = error;
  if (ok) r.snapshot = backup::snapshot_name(r.started);
  return r;
}

EntryHealth health(const std::string& entry, const std::string& period, std::optional<RunRecord> last_run,
                   std::optional<RunRecord> last_success) {
  return EntryHealth{entry, period, std::move(last_run), std::move(last_success)};
}

}  // namespace

TEST_CASE("backup status: the periods and the ages", "[backup]") {
  CHECK(backup::period_seconds("hourly") == 3600);
  CHECK(backup::period_seconds("daily") == 86400);
  CHECK(backup::period_seconds("weekly") == 604800);
  CHECK(backup::period_seconds("monthly") == 31 * 86400);
  CHECK(backup::period_seconds("yearly") == 0);
  CHECK(backup::human_age(-5) == "0 s");
  CHECK(backup::human_age(40) == "40 s");
  CHECK(backup::human_age(600) == "10 min");
  CHECK(backup::human_age(5 * 3600) == "5 h");
  CHECK(backup::human_age(3 * 86400 + 5) == "3 days");
  CHECK(backup::start_command("c1:/srv/data", "daily") == "sc backup start c1:/srv/data daily");
  // A path may hold what a shell reads otherwise: quoted.
  CHECK(backup::start_command("c1:/srv/it's$x", "weekly") == "sc backup start 'c1:/srv/it'\\''s$x' weekly");
}

TEST_CASE("backup status: a recent success is no problem", "[backup]") {
  const RunRecord ok = run("c1", "daily", kNow - 3600, true);
  CHECK(backup::entry_problems(health("c1", "daily", ok, ok), kNow).empty());
  // Just under twice the period, each period.
  for (const char* p : {"hourly", "daily", "weekly"}) {
    INFO(p);
    const RunRecord r = run("c1", p, kNow - 2 * backup::period_seconds(p), true);
    CHECK(backup::entry_problems(health("c1", p, r, r), kNow).empty());
  }
}

TEST_CASE("backup status: a success older than twice the period is an error", "[backup]") {
  const RunRecord old = run("c1:/srv/data", "daily", kNow - 2 * 86400 - 1, true);
  CHECK(backup::entry_problems(health("c1:/srv/data", "daily", old, old), kNow) ==
        std::vector<Problem>{{"error",
                              "daily backup of c1:/srv/data: the last successful snapshot is 2 days old "
                              "(2026-11-30 15:04:04 UTC), more than twice the period (2 days)",
                              "sc backup start c1:/srv/data daily"}});
  const RunRecord weekly = run("c2", "weekly", kNow - 15 * 86400, true);
  auto p = backup::entry_problems(health("c2", "weekly", weekly, weekly), kNow);
  REQUIRE(p.size() == 1);
  CHECK(p[0].what ==
        "weekly backup of c2: the last successful snapshot is 15 days old (2026-11-17 15:04:05 UTC), "
        "more than twice the period (14 days)");
  CHECK(p[0].fix == "sc backup start c2 weekly");
  const RunRecord hourly = run("c3", "hourly", kNow - 3 * 3600, true);
  p = backup::entry_problems(health("c3", "hourly", hourly, hourly), kNow);
  REQUIRE(p.size() == 1);
  CHECK(p[0].what ==
        "hourly backup of c3: the last successful snapshot is 3 h old (2026-12-02 12:04:05 UTC), "
        "more than twice the period (2 h)");
}

TEST_CASE("backup status: a failed last run and no success yet are errors", "[backup]") {
  const RunRecord failed = run("c1", "daily", kNow - 600, false, "rsync: connection refused");
  // Never succeeded: both said.
  CHECK(backup::entry_problems(health("c1", "daily", failed, std::nullopt), kNow) ==
        std::vector<Problem>{
            {"error", "daily backup of c1: the last run (2026-12-02 14:54:05 UTC) failed: rsync: connection refused",
             "sc backup start c1 daily"},
            {"error", "daily backup of c1: no successful snapshot yet", "sc backup start c1 daily"}});
  // Failed after a recent success: the failure alone.
  const RunRecord ok = run("c1", "daily", kNow - 86400, true);
  CHECK(backup::entry_problems(health("c1", "daily", failed, ok), kNow) ==
        std::vector<Problem>{
            {"error", "daily backup of c1: the last run (2026-12-02 14:54:05 UTC) failed: rsync: connection refused",
             "sc backup start c1 daily"}});
  // Failed after an old success: both.
  const RunRecord old = run("c1", "daily", kNow - 5 * 86400, true);
  CHECK(backup::entry_problems(health("c1", "daily", failed, old), kNow).size() == 2);
  // Never run at all.
  CHECK(backup::entry_problems(health("c1", "daily", std::nullopt, std::nullopt), kNow) ==
        std::vector<Problem>{{"error", "daily backup of c1: no successful snapshot yet", "sc backup start c1 daily"}});
  // A failure without a recorded reason still says it failed.
  RunRecord silent = failed;
  silent.error.clear();
  CHECK(backup::entry_problems(health("c1", "daily", silent, ok), kNow)[0].what ==
        "daily backup of c1: the last run (2026-12-02 14:54:05 UTC) failed: no reason recorded");
}

TEST_CASE("backup status: the facts of an entry, exactly", "[backup]") {
  RunRecord first = run("c1:/srv/data", "daily", kNow - 2 * 86400, true);
  first.bytes = 1000;
  first.new_bytes = 1000;
  first.files = 10;
  RunRecord second = run("c1:/srv/data", "daily", kNow - 86400, true);
  second.bytes = 1200;
  second.new_bytes = 200;
  second.files = 11;
  const RunRecord failed = run("c1:/srv/data", "daily", kNow - 60, false, "No space left on device");
  json facts = backup::entry_facts(health("c1:/srv/data", "daily", failed, second), {first, second}, kNow);
  CHECK(facts == json::parse(R"({
    "entry": "c1:/srv/data", "period": "daily",
    "last_run": {"finished": 1796223785, "ok": false, "error": "No space left on device"},
    "last_success": 1796137445, "age_s": 86400,
    "history": [
      {"snapshot": "2026-11-30T15-02-35Z", "started": 1796050955, "finished": 1796051045,
       "size": 1000, "new_bytes": 1000, "files": 10, "duration_s": 90},
      {"snapshot": "2026-12-01T15-02-35Z", "started": 1796137355, "finished": 1796137445,
       "size": 1200, "new_bytes": 200, "files": 11, "duration_s": 90}]})"));
  // Nothing recorded yet: nulls and an empty history.
  facts = backup::entry_facts(health("c2", "weekly", std::nullopt, std::nullopt), {}, kNow);
  CHECK(facts == json::parse(R"({"entry": "c2", "period": "weekly", "last_run": null, "last_success": null,
                                 "age_s": null, "history": []})"));
  CHECK(plugin_common::status_hook::to_json({"error", "w", "f"}) ==
        json::parse(R"({"level": "error", "what": "w", "fix": "f"})"));
}
