#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../cron_line.hpp"
#include "engine/process.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

// A root with the files `crontask add` reads: a machine id, and cron
// already installed so that no package is planned.
void prepare_root(const TempDir& root) {
  write_text(root / "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
  write_text(root / "usr/sbin/cron", "#!/bin/sh\n", fs::perms(0755));
  fs::create_directories(root / "etc/cron.d");
}

// Cron's own handling of the command part of an entry (Debian's cron,
// do_command.c): "\%" becomes '%', an unescaped '%' ends the command, any
// other backslash stays.
std::string cron_translate(const std::string& cmd) {
  std::string out;
  bool escaped = false;
  for (char c : cmd) {
    if (escaped) {
      if (c == '%') out.pop_back();
      out += c;
      escaped = false;
      continue;
    }
    if (c == '\\') {
      escaped = true;
      out += c;
      continue;
    }
    if (c == '%') break;
    out += c;
  }
  return out;
}

// One numeric cron field: '*', or a comma list of N, N-M, with /STEP.
bool valid_time_field(const std::string& f, int lo, int hi) {
  size_t start = 0;
  while (start <= f.size()) {
    size_t end = f.find(',', start);
    if (end == std::string::npos) end = f.size();
    std::string item = f.substr(start, end - start);
    size_t slash = item.find('/');
    std::string range = item.substr(0, slash);
    if (slash != std::string::npos) {
      std::string step = item.substr(slash + 1);
      if (step.empty() || step.find_first_not_of("0123456789") != std::string::npos) return false;
    }
    if (range != "*") {
      size_t dash = range.find('-');
      for (const std::string& n : {range.substr(0, dash), dash == std::string::npos ? range : range.substr(dash + 1)}) {
        if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) return false;
        int v = std::stoi(n);
        if (v < lo || v > hi) return false;
      }
    }
    start = end + 1;
  }
  return !f.empty();
}

struct ParsedEntry {
  std::vector<std::string> time;  // five fields
  std::string user;
  std::string command;
};

// Parses the one entry of a cron.d file the way cron does: environment and
// comment lines skipped, five time fields, a user, the rest is the command.
ParsedEntry parse_entry(const std::string& file) {
  std::vector<ParsedEntry> entries;
  std::istringstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('='), sp = line.find(' ');
    if (eq != std::string::npos && (sp == std::string::npos || eq < sp)) continue;
    ParsedEntry e;
    size_t pos = 0;
    for (int i = 0; i < 6; ++i) {
      size_t end = line.find(' ', pos);
      REQUIRE(end != std::string::npos);
      std::string field = line.substr(pos, end - pos);
      if (i < 5)
        e.time.push_back(field);
      else
        e.user = field;
      pos = end + 1;
    }
    e.command = line.substr(pos);
    entries.push_back(e);
  }
  REQUIRE(entries.size() == 1);
  return entries[0];
}

// The words /bin/sh makes of a command (after cron's translation).
std::vector<std::string> shell_words(const std::string& command) {
  sc::ProcessSpec p;
  p.argv = {"/bin/sh", "-c", "printf '%s\\0' " + cron_translate(command)};
  p.capture_out = true;
  p.capture_err = true;
  sc::ProcessResult r = sc::run_process(p);
  INFO(r.err);
  REQUIRE(r.ok());
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < r.out.size()) {
    size_t nul = r.out.find('\0', pos);
    words.push_back(r.out.substr(pos, nul - pos));
    pos = nul + 1;
  }
  return words;
}

}  // namespace

TEST_CASE("crontask: periods and arguments", "[crontask]") {
  for (const char* p : {"fast", "hourly", "daily", "weekly", "monthly"}) CHECK(crontask::valid_period(p));
  for (const char* p : {"", "Daily", "yearly", "daily "}) CHECK_FALSE(crontask::valid_period(p));

  CHECK(crontask::arg_problem("100%").empty());
  CHECK(crontask::arg_problem("it's \"quoted\" $(x) `y` ;|&<>*").empty());
  CHECK_THAT(crontask::arg_problem("a\nb"), Contains("control character"));
  CHECK_THAT(crontask::arg_problem("a\tb"), Contains("control character"));
  CHECK_THAT(crontask::arg_problem("a\\b"), Contains("backslash"));
  // `crontask list --json` failed on an entry it had accepted.
  CHECK(crontask::arg_problem("ünïcødé-名前").empty());
  CHECK_THAT(crontask::arg_problem("\xff\xfe"), Contains("UTF-8"));
  CHECK_THAT(crontask::arg_problem("a\xc3("), Contains("UTF-8"));
  CHECK_THAT(crontask::arg_problem("\xc0\xaf"), Contains("UTF-8"));      // overlong '/'
  CHECK_THAT(crontask::arg_problem("\xed\xa0\x80"), Contains("UTF-8"));  // a surrogate
  CHECK_THAT(crontask::arg_problem("\xe2\x82"), Contains("UTF-8"));      // cut short

  CHECK(crontask::cron_word("host.example.com:/srv") == "host.example.com:/srv");
  CHECK(crontask::cron_word("") == "''");
  CHECK(crontask::cron_word("with space") == "'with space'");
  CHECK(crontask::cron_word("it's") == "'it'\\''s'");
  CHECK(crontask::cron_word("100%") == "'100\\%'");
  CHECK(crontask::cron_word("$HOME") == "'$HOME'");
  CHECK(crontask::shell_word("100%") == "'100%'");
  CHECK(crontask::shell_word("plain") == "plain");

  CHECK(crontask::file_path("backup", "daily") == "/etc/cron.d/sc_backup_daily");
  CHECK(crontask::lock_path("backup", "daily") == "/run/lock/sc_backup_daily.lock");
  std::string m, p;
  CHECK(crontask::parse_file_name("sc_mass-2_weekly", &m, &p));
  CHECK(m == "mass-2");
  CHECK(p == "weekly");
  for (const char* bad : {"sc_backup", "sc_backup_yearly", "sc__daily", "backup_daily", "sc_Bad_daily",
                          "sc_backup_daily.dpkg-old", "sc_a_b_daily"})
    CHECK_FALSE(crontask::parse_file_name(bad, nullptr, nullptr));
}

TEST_CASE("crontask: schedules are stable, spread and in range", "[crontask]") {
  // Fixed expectations: the hash must not change between builds or hosts.
  CHECK(crontask::fnv1a("") == 0xcbf29ce484222325ull);
  CHECK(crontask::fnv1a("a") == 0xaf63dc4c8601ec8cull);
  const std::string id = "0123456789abcdef0123456789abcdef";
  CHECK(crontask::schedule(id, "backup", "daily") == crontask::schedule(id, "backup", "daily"));
  CHECK(crontask::schedule(id, "backup", "daily") != crontask::schedule("other-host", "backup", "daily"));
  std::set<std::string> minutes;
  for (const std::string host : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
    for (auto period : crontask::kPeriods) {
      std::string s = crontask::schedule(host, "backup", period);
      std::vector<std::string> f;
      std::istringstream in(s);
      for (std::string w; in >> w;) f.push_back(w);
      REQUIRE(f.size() == 5);
      INFO(s);
      CHECK(valid_time_field(f[0], 0, 59));
      if (period == "fast") {
        int first = std::stoi(f[0]);
        CHECK(f[0] == std::to_string(first) + "," + std::to_string(first + 20) + "," + std::to_string(first + 40));
        CHECK(f[1] == "*");
      } else if (period == "hourly") {
        CHECK(f[1] == "*");
        minutes.insert(f[0]);
      } else {
        int hour = std::stoi(f[1]);
        CHECK(hour >= 2);
        CHECK(hour <= 6);
      }
      CHECK(f[2] == (period == "monthly" ? "1" : "*"));
      CHECK(f[3] == "*");
      CHECK(f[4] == (period == "weekly" ? "6" : "*"));
    }
  }
  CHECK(minutes.size() > 1);  // hosts do not all start at the same minute
}

TEST_CASE("crontask: the exact cron.d file, and reading it back", "[crontask]") {
  crontask::Task t;
  t.module = "backup";
  t.period = "daily";
  t.schedule = "17 4 * * *";
  t.sc_binary = "/usr/local/sbin/sc";
  t.args = {"host.example.com:/srv", "it's 100%"};
  CHECK(crontask::cron_file(t) ==
        "# Written by `sc crontask add`; remove it with `sc crontask del`.\n"
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
        "17 4 * * * root /usr/bin/flock -w 30 -E 1 /run/lock/sc_backup_daily.lock /usr/local/sbin/sc backup cron "
        "daily host.example.com:/srv 'it'\\''s 100\\%'\n");
  auto back = crontask::parse_cron_file(crontask::cron_file(t));
  REQUIRE(back);
  CHECK(back->module == "backup");
  CHECK(back->period == "daily");
  CHECK(back->schedule == "17 4 * * *");
  CHECK(back->sc_binary == "/usr/local/sbin/sc");
  CHECK(back->args == t.args);

  CHECK_FALSE(crontask::parse_cron_file("# nothing\n"));
  CHECK_FALSE(crontask::parse_cron_file("17 4 * * * root /usr/bin/something else\n"));
  CHECK_FALSE(crontask::parse_cron_file("17 4 * * * root /usr/bin/flock -w 30 -E 1 /x /sc backup cron daily %\n"));

  // Longer than cron accepts: refused rather than cut.
  t.args = {std::string(990, 'a')};
  CHECK_THROWS_AS(crontask::cron_file(t), std::invalid_argument);
}

TEST_CASE("crontask: cron and sh give every argument back exactly", "[crontask]") {
  std::vector<std::string> args;
  for (const auto& h : hostile_strings())
    if (crontask::arg_problem(h).empty()) args.push_back(h);
  for (const char* more : {"100%", "%s%%", "'%'", "\"%\"", "%", "a b  c", "#not-a-comment", "~root", "-E"})
    args.emplace_back(more);
  crontask::Task t;
  t.module = "backup";
  t.period = "weekly";
  t.schedule = crontask::schedule("host", "backup", "weekly");
  t.sc_binary = "/opt/s c/100%/sc";
  t.args = args;
  const std::string file = crontask::cron_file(t);
  ParsedEntry e = parse_entry(file);
  REQUIRE(e.time.size() == 5);
  CHECK(valid_time_field(e.time[0], 0, 59));
  CHECK(valid_time_field(e.time[1], 0, 23));
  CHECK(valid_time_field(e.time[2], 1, 31));
  CHECK(valid_time_field(e.time[3], 1, 12));
  CHECK(valid_time_field(e.time[4], 0, 7));
  CHECK(e.user == "root");
  std::vector<std::string> expected = {
      "/usr/bin/flock",   "-w",     "30",   "-E",    "1", "/run/lock/sc_backup_weekly.lock",
      "/opt/s c/100%/sc", "backup", "cron", "weekly"};
  expected.insert(expected.end(), args.begin(), args.end());
  CHECK(shell_words(e.command) == expected);
  // Cron's translation only dropped the escapes: the whole command reached sh.
  size_t escapes = 0;
  for (size_t i = e.command.find("\\%"); i != std::string::npos; i = e.command.find("\\%", i + 1)) ++escapes;
  CHECK(escapes >= 6);
  CHECK(cron_translate(e.command).size() == e.command.size() - escapes);
  auto back = crontask::parse_cron_file(file);
  REQUIRE(back);
  CHECK(back->args == args);
  CHECK(back->sc_binary == "/opt/s c/100%/sc");
}

TEST_CASE("crontask add, has, list, del and cleanup under --root", "[crontask]") {
  TempDir root;
  prepare_root(root);
  const std::string before = tree_hash(root.path());

  // Dry run: nothing written.
  ScRun r = run_sc_rooted(root.path(), {"--dry-run", "crontask", "add", "backup", "daily"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.err, Contains("would change: write /etc/cron.d/sc_backup_daily"));
  CHECK(tree_hash(root.path()) == before);

  r = run_sc_rooted(root.path(), {"crontask", "add", "backup", "daily"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string sched = crontask::schedule("0123456789abcdef0123456789abcdef", "backup", "daily");
  const fs::path file = root / "etc/cron.d/sc_backup_daily";
  CHECK(read_text(file) ==
        "# Written by `sc crontask add`; remove it with `sc crontask del`.\n"
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" +
            sched + " root /usr/bin/flock -w 30 -E 1 /run/lock/sc_backup_daily.lock " + built_sc_path() +
            " backup cron daily\n");
  CHECK((fs::status(file).permissions() & fs::perms::all) == fs::perms(0644));

  // A second run changes nothing.
  r = run_sc_rooted(root.path(), {"--json", "crontask", "add", "backup", "daily"});
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["status"] == 0);
  CHECK(doc["summary"]["changed"] == 0);
  CHECK(doc["summary"]["ok"].get<int>() >= 2);

  // Arguments, hostile ones included, are stored so that they come back.
  r = run_sc_rooted(root.path(), {"crontask", "add", "unisonsync", "fast", "it's", "$(touch /tmp/pwned)", "100%"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto task = crontask::parse_cron_file(read_text(root / "etc/cron.d/sc_unisonsync_fast"));
  REQUIRE(task);
  CHECK(task->args == std::vector<std::string>{"it's", "$(touch /tmp/pwned)", "100%"});
  CHECK(task->sc_binary == built_sc_path());

  // has: exit status and JSON.
  CHECK(run_sc_rooted(root.path(), {"crontask", "has", "backup", "daily"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"crontask", "has", "backup"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"crontask", "has", "backup", "hourly"}).status == 1);
  CHECK(run_sc_rooted(root.path(), {"crontask", "has", "mail", "daily"}).status == 1);
  CHECK(nlohmann::json::parse(
            run_sc_rooted(root.path(), {"--json", "crontask", "has", "backup", "daily"}).out)["result"] == true);
  CHECK(nlohmann::json::parse(
            run_sc_rooted(root.path(), {"--json", "crontask", "has", "mail", "daily"}).out)["result"] == false);

  // A file sc did not write is listed, and kept apart from the others.
  write_text(root / "etc/cron.d/sc_mail_weekly", "5 5 * * 6 root echo hand-written\n");
  write_text(root / "etc/cron.d/popularity-contest", "1 1 * * * root true\n");
  r = run_sc_rooted(root.path(), {"crontask", "list"});
  CHECK(r.status == 0);
  CHECK(r.out == "backup daily\t(" + sched +
                     ")\nmail weekly\t(not written by sc crontask add: check /etc/cron.d/sc_mail_weekly)\n" +
                     "unisonsync fast 'it'\\''s' '$(touch /tmp/pwned)' '100%'\t(" +
                     crontask::schedule("0123456789abcdef0123456789abcdef", "unisonsync", "fast") + ")\n");
  doc = nlohmann::json::parse(run_sc_rooted(root.path(), {"--json", "crontask", "list"}).out);
  REQUIRE(doc["result"].size() == 3);
  CHECK(doc["result"][0] == nlohmann::json({{"module", "backup"},
                                            {"period", "daily"},
                                            {"file", "/etc/cron.d/sc_backup_daily"},
                                            {"schedule", sched},
                                            {"args", nlohmann::json::array()}}));
  CHECK(doc["result"][1]["schedule"].is_null());
  CHECK(doc["result"][2]["args"] == nlohmann::json({"it's", "$(touch /tmp/pwned)", "100%"}));

  // del with and without a period.
  r = run_sc_rooted(root.path(), {"crontask", "add", "backup", "hourly"});
  REQUIRE(r.status == 0);
  r = run_sc_rooted(root.path(), {"crontask", "del", "backup", "hourly"});
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_backup_hourly"));
  CHECK(fs::exists(file));
  r = run_sc_rooted(root.path(), {"crontask", "add", "backup", "weekly"});
  REQUIRE(r.status == 0);
  r = run_sc_rooted(root.path(), {"crontask", "del", "backup"});
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists(file));
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_backup_weekly"));
  r = run_sc_rooted(root.path(), {"--json", "crontask", "del", "backup"});
  CHECK(nlohmann::json::parse(r.out)["summary"]["changed"] == 0);

  // cleanup removes sc's tasks only.
  const std::string before_cleanup = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "crontask", "cleanup"});
  CHECK(r.status == 0);
  CHECK(tree_hash(root.path()) == before_cleanup);
  r = run_sc_rooted(root.path(), {"crontask", "cleanup"});
  CHECK(r.status == 0);
  CHECK(fs::exists(root / "etc/cron.d/popularity-contest"));
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_unisonsync_fast"));
  CHECK_FALSE(fs::exists(root / "etc/cron.d/sc_mail_weekly"));
  CHECK(run_sc_rooted(root.path(), {"crontask", "list"}).out.empty());
}

TEST_CASE("crontask refuses bad input and changes nothing", "[crontask]") {
  TempDir root;
  prepare_root(root);
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    check_refused(root.path(), "crontask", args, message);
  };
  for (const auto& bad : hostile_strings()) {
    refused({"add", bad, "daily"}, "is not a module name");
    refused({"del", bad}, "is not a module name");
    refused({"has", bad, "daily"}, "is not a module name");
    refused({"add", "backup", bad}, "is not a period");
  }
  for (const std::string bad : {"a/b", "..", "back up", "sc_x", "Backup"})
    refused({"add", bad, "daily"}, "is not a module name");
  refused({"add", "backup", "yearly"}, "use fast, hourly, daily, weekly or monthly");
  refused({"del", "backup", "yearly"}, "is not a period");
  refused({"add", "backup", "daily", "new\nline"}, "cannot be passed through cron");
  refused({"add", "backup", "daily", "\\back\\slash"}, "backslash");
  refused({"add", "backup", "daily", std::string(1000, 'x')}, "cron accepts at most");
  refused({"add", "backup"}, "usage: sc crontask add MODULE PERIOD [ARGS...]");
  refused({"add"}, "missing argument");
  refused({"del"}, "missing argument");
  refused({"has", "backup", "daily", "x"}, "too many arguments");
  refused({"list", "x"}, "too many arguments");
}

TEST_CASE("crontask add installs cron when it is missing", "[crontask]") {
  TempDir root;
  write_text(root / "etc/machine-id", "feed\n");
  fs::create_directories(root / "var/lib/apt/lists");
  write_text(root / "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", "");
  ScRun r = run_sc_rooted(root.path(), {"--json", "crontask", "add", "mail", "daily"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(run_actions(r) == std::vector<std::string>{"apt-get install -y --no-install-recommends cron recorded"});
  CHECK(fs::exists(root / "etc/cron.d/sc_mail_daily"));
  // /etc/cron.d did not exist: it was made with the usual mode.
  CHECK((fs::status(root / "etc/cron.d").permissions() & fs::perms::all) == fs::perms(0755));

  // Another cron daemon (cronie, systemd-cron) is as good: nothing installed.
  TempDir other;
  write_text(other / "usr/sbin/crond", "", fs::perms(0755));
  r = run_sc_rooted(other.path(), {"--json", "crontask", "add", "mail", "daily"});
  REQUIRE(r.status == 0);
  const auto doc = nlohmann::json::parse(r.out);
  for (const auto& a : doc["actions"]) CHECK(a["kind"] != "run");
  CHECK(fs::exists(other / "etc/cron.d/sc_mail_daily"));
}
