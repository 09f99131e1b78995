// The pure part of `sc master status --all` and `sc master exec --all`
// (all_hosts.cpp): options, the children's argv, what each child's answer
// means, the order and the table, and exec's split of a child's stderr;
// fixture documents shaped as `sc --json status --local` prints them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../all_hosts.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;
namespace ah = master::all_hosts;

namespace {

std::string why_refused(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

/// A host's `sc --json status --local` document.
std::string status_doc(const std::string& host, const std::string& version, const json& problems) {
  json result = {{"host", host},
                 {"version", version},
                 {"time", 1796300000},
                 {"ok", problems.empty()},
                 {"problems", problems},
                 {"modules", json::array({{{"name", "backup"}, {"ready", true}}})},
                 {"settings_missing", json::array()}};
  return json{{"status", problems.empty() ? 0 : 1}, {"sc", version}, {"result", result}, {"log", json::array()}}.dump();
}

json problem(const std::string& level, const std::string& module, const std::string& what, const std::string& fix) {
  return {{"level", level}, {"module", module}, {"what", what}, {"fix", fix}};
}

ah::Answer answered(const std::string& out, int exit_code = 0, long long ms = 120) {
  ah::Answer a;
  a.out = out;
  a.exit_code = exit_code;
  a.elapsed_ms = ms;
  return a;
}

ah::Answer failed(const std::string& err, int exit_code = 1, long long ms = 40) {
  ah::Answer a;
  a.err = err;
  a.exit_code = exit_code;
  a.elapsed_ms = ms;
  return a;
}

const std::string kRefused =
    "FAILED: bad:1: sc --json status --local (cannot reach peer bad:1 (127.0.0.1 port 1): Connection refused; "
    "check the name and that sshd runs there (gave up after 2 s; the SSHLINK_CONNECT_TIMEOUT setting changes "
    "that))\nsc sshlink exec: 1 failed\nsc: error: cannot reach peer bad:1 (127.0.0.1 port 1): Connection "
    "refused; check the name and that sshd runs there (gave up after 2 s; the SSHLINK_CONNECT_TIMEOUT setting "
    "changes that)\n";

}  // namespace

TEST_CASE("all_hosts: the options of status --all and exec --all", "[master][all_hosts]") {
  CHECK(ah::wants_all({"--all"}));
  CHECK(ah::wants_all({"--hosts", "a,b", "--all"}));
  CHECK(ah::wants_all({"--deadline=3", "--all", "--html", "x.html"}));
  CHECK_FALSE(ah::wants_all({}));
  CHECK_FALSE(ah::wants_all({"local"}));
  CHECK_FALSE(ah::wants_all({"ls", "--all"}));       // exec: --all of the COMMAND
  CHECK_FALSE(ah::wants_all({"--hosts", "--all"}));  // the value of --hosts

  ah::StatusArgs s = ah::parse_status_args({"--all"});
  CHECK_FALSE(s.hosts);
  CHECK(s.html.empty());
  CHECK_FALSE(s.deadline_s);
  CHECK_FALSE(s.concurrency);
  s = ah::parse_status_args(
      {"--hosts", "c1,root@c2:2222,[::1]:22", "--all", "--html=/tmp/r.html", "--deadline", "3", "--concurrency=4"});
  CHECK(*s.hosts == std::vector<std::string>{"c1", "root@c2:2222", "[::1]:22"});
  CHECK(s.html == "/tmp/r.html");
  CHECK(*s.deadline_s == 3);
  CHECK(*s.concurrency == 4);

  using Args = std::vector<std::string>;
  CHECK_THAT(why_refused([] { ah::parse_status_args({"--all", "--local"}); }), Contains("takes no \"--local\""));
  CHECK_THAT(why_refused([] { ah::parse_status_args({"--all", "-x"}); }), Contains("unknown argument \"-x\""));
  CHECK_THAT(why_refused([] { ah::parse_status_args({"--all", "--hosts"}); }), Contains("--hosts needs a value"));
  CHECK_THAT(why_refused([] {
               ah::parse_status_args({"--all", "--deadline", "1", "--deadline=2"});
             }),
             Contains("--deadline is given twice"));
  for (const std::string bad : {"0", "3601", "-1", "1.5", "abc", "", "10s", "99999999999"})
    CHECK_THAT(why_refused([&] {
                 ah::parse_status_args({"--all", "--deadline", bad});
               }),
               Contains("is not a number of seconds from 1 to 3600"));
  for (const std::string bad : {"0", "257", "x"})
    CHECK_THAT(why_refused([&] { ah::parse_status_args({"--all", "--concurrency", bad}); }), Contains("from 1 to 256"));
  for (const std::string bad : {"", "-x.html", "dir/", "a\nb"})
    CHECK_THAT(why_refused([&] { ah::parse_status_args(Args{"--all", "--html", bad}); }), Contains("is not a FILE"));
  CHECK(ah::parse_deadline("3600", "X") == 3600);
  CHECK(ah::parse_concurrency("256", "X") == 256);

  // Hosts: peer names only, each once.
  CHECK_THAT(why_refused([] { ah::parse_host_list("c1,,c2"); }), Contains("has an empty name"));
  CHECK_THAT(why_refused([] { ah::parse_host_list("c1,c1"); }), Contains("names c1 twice"));
  for (const auto& bad : hostile_strings()) {
    INFO(bad);
    CHECK(why_refused([&] { ah::parse_host_list("c1," + bad); }) != "(accepted)");
  }
  CHECK_THAT(why_refused([] { ah::parse_host_list("-oProxyCommand=x"); }), Contains("is not a peer name"));

  ah::ExecArgs e = ah::parse_exec_args({"--all", "--hosts=c1", "ls", "--all", "-l"});
  CHECK(*e.hosts == std::vector<std::string>{"c1"});
  CHECK(e.command == std::vector<std::string>{"ls", "--all", "-l"});
  CHECK_FALSE(e.deadline_s);
  e = ah::parse_exec_args({"--deadline", "60", "--all", "--concurrency", "2", "sc", "--json", "status"});
  CHECK(*e.deadline_s == 60);
  CHECK(*e.concurrency == 2);
  CHECK(e.command == std::vector<std::string>{"sc", "--json", "status"});
  CHECK_THAT(why_refused([] { ah::parse_exec_args({"--all"}); }), Contains("the COMMAND to run is missing"));
  CHECK_THAT(why_refused([] { ah::parse_exec_args({"--all", "--hosts", "c1"}); }), Contains("COMMAND"));
  CHECK_THAT(why_refused([] { ah::parse_exec_args({"--all", ""}); }), Contains("the COMMAND is empty"));
  CHECK_THAT(why_refused([] {
               ah::parse_exec_args({"--all", "--html", "x", "ls"});
             }),
             Contains("unknown option \"--html\""));
}

TEST_CASE("all_hosts: the hosts asked and the children that ask them", "[master][all_hosts]") {
  const std::vector<master::HostEntry> registry = {
      {"c1", plugin_common::role::Role::client},
      {"root@s:2222", plugin_common::role::Role::standby},
      {"m", plugin_common::role::Role::client},  // this host itself: asked once
      {"r1", plugin_common::role::Role::roaming}};
  auto hosts = ah::hosts_to_ask("m", "master", registry, std::nullopt);
  REQUIRE(hosts.size() == 4);
  CHECK((hosts[0].peer == "m" && hosts[0].role == "master" && hosts[0].local));
  CHECK((hosts[1].peer == "c1" && hosts[1].role == "client" && !hosts[1].local));
  CHECK((hosts[2].peer == "root@s:2222" && hosts[2].role == "standby"));
  CHECK((hosts[3].peer == "r1" && hosts[3].role == "roaming"));
  hosts = ah::hosts_to_ask("m", "master", registry, std::vector<std::string>{"r1", "x9"});
  REQUIRE(hosts.size() == 3);
  CHECK((hosts[1].peer == "r1" && hosts[1].role == "roaming"));
  CHECK((hosts[2].peer == "x9" && hosts[2].role.empty()));
  CHECK(ah::hosts_to_ask("m", "master", {}, std::nullopt).size() == 1);

  // The connect timeout stays below the deadline.
  CHECK(ah::connect_timeout(2, 10) == 2);
  CHECK(ah::connect_timeout(30, 10) == 9);
  CHECK(ah::connect_timeout(5, 3) == 2);
  CHECK(ah::connect_timeout(5, 1) == 1);
  CHECK(ah::connect_timeout(0, 10) == 2);

  const ah::Host local{"m", "master", true}, peer{"root@c1:2222", "client", false};
  const ah::Child plain{"/usr/sbin/sc", "", ""}, rooted{"/usr/sbin/sc", "/tmp/root", "/opt/sc/lib"};
  using Argv = std::vector<std::string>;
  CHECK(ah::status_argv(plain, local, "sc", 2) == Argv{"/usr/sbin/sc", "--json", "status", "--local"});
  CHECK(ah::status_argv(rooted, local, "sc", 2) ==
        Argv{"/usr/sbin/sc", "--root", "/tmp/root", "--add-plugin-path", "/opt/sc/lib", "--json", "status", "--local"});
  CHECK(ah::status_argv(plain, peer, "/opt/sc/bin/sc", 3) == Argv{"/usr/sbin/sc", "--set", "SSHLINK_CONNECT_TIMEOUT=3",
                                                                  "sshlink", "exec", "root@c1:2222", "--",
                                                                  "/opt/sc/bin/sc", "--json", "status", "--local"});
  CHECK(ah::exec_argv(plain, peer, {"ls", "-l", "--json"}, 2) == Argv{"/usr/sbin/sc", "--set",
                                                                      "SSHLINK_CONNECT_TIMEOUT=2", "sshlink", "exec",
                                                                      "root@c1:2222", "--", "ls", "-l", "--json"});
  CHECK(ah::exec_argv({"/usr/sbin/sc", "/", ""}, local, {"true"}, 2) ==
        Argv{"/usr/sbin/sc", "--set", "SSHLINK_CONNECT_TIMEOUT=2", "sshlink", "exec", "localhost", "--", "true"});
}

TEST_CASE("all_hosts: a host's state from its child's answer", "[master][all_hosts]") {
  const ah::Host c1{"c1", "client", false}, m{"m", "master", true}, r1{"r1", "roaming", false};

  // All fine.
  json e = ah::host_entry(c1, answered(status_doc("c1", "1.2.0", json::array()), 0, 321), "1.2.0", 10);
  CHECK(e["peer"] == "c1");
  CHECK(e["role"] == "client");
  CHECK(e["state"] == "ok");
  CHECK(e["worst"].is_null());
  CHECK(e["problems"] == 0);
  CHECK(e["elapsed_ms"] == 321);
  CHECK(e["error"] == "");
  CHECK(e["status"]["host"] == "c1");
  CHECK(e["status"]["modules"][0]["name"] == "backup");
  CHECK(ah::severity(e) == 3);

  // Problems: the worst is the first error, whatever the order.
  const json two = {problem("warning", "unisonsync", "2 conflicts", "sc unisonsync resolve"),
                    problem("error", "backup", "the last backup of c1:/home failed", "sc backup run c1:/home")};
  e = ah::host_entry(c1, answered(status_doc("c1", "1.2.0", two), 1), "1.2.0", 10);
  CHECK(e["state"] == "problems");
  CHECK(e["problems"] == 2);
  CHECK(e["worst"] == problem("error", "backup", "the last backup of c1:/home failed", "sc backup run c1:/home"));
  CHECK(ah::severity(e) == 1);
  e = ah::host_entry(c1, answered(status_doc("c1", "1.2.0", json::array({two[0]})), 1), "1.2.0", 10);
  CHECK(e["worst"]["level"] == "warning");
  CHECK(ah::severity(e) == 2);

  // An older sc there: a warning added to its status, after its errors,
  // with the command that brings it to the master's version.
  e = ah::host_entry(c1, answered(status_doc("c1", "1.1.9", json::array({two[1], two[0]})), 1), "1.2.0", 10);
  CHECK(e["problems"] == 3);
  REQUIRE(e["status"]["problems"].size() == 3);
  CHECK(e["status"]["problems"][0]["module"] == "backup");
  CHECK(e["status"]["problems"][1] ==
        problem("warning", "master", "sc 1.1.9 there, 1.2.0 on the master", "sc sshlink exec c1 sc master update_sc"));
  CHECK(e["status"]["ok"] == false);
  CHECK(e["worst"]["module"] == "backup");
  e = ah::host_entry(c1, answered(status_doc("c1", "1.10.0", json::array())), "1.9.0", 10);
  CHECK(e["state"] == "problems");
  CHECK(e["worst"]["level"] == "warning");
  CHECK_THAT(e["worst"]["what"].get<std::string>(),
             Contains("sc 1.10.0 there, 1.9.0 on the master: this host is ahead"));
  CHECK(e["worst"]["fix"] == "");
  // This host is never skewed against itself.
  CHECK(ah::host_entry(m, answered(status_doc("m", "9.9.9", json::array())), "1.2.0", 10)["state"] == "ok");

  // No answer: why, from the child's error line.
  e = ah::host_entry({"bad:1", "client", false}, failed(kRefused), "1.2.0", 10);
  CHECK(e["state"] == "unreachable");
  CHECK(e["status"].is_null());
  CHECK(e["worst"].is_null());
  CHECK(e["error"] ==
        "cannot reach peer bad:1 (127.0.0.1 port 1): Connection refused; check the name and that sshd runs there "
        "(gave up after 2 s; the SSHLINK_CONNECT_TIMEOUT setting changes that)");
  CHECK(ah::severity(e) == 0);
  ah::Answer slow;
  slow.timed_out = true;
  slow.term_signal = 9;
  slow.elapsed_ms = 3001;
  e = ah::host_entry(c1, slow, "1.2.0", 3);
  CHECK(e["state"] == "unreachable");
  CHECK(e["error"] == "no answer within 3 s (stopped at the deadline)");
  CHECK(e["elapsed_ms"] == 3001);
  // A roaming host that does not answer is away, not a failure.
  e = ah::host_entry(r1, slow, "1.2.0", 3);
  CHECK(e["state"] == "away");
  CHECK(ah::severity(e) == 4);
  ah::Answer never;
  never.started = false;
  never.start_error = "/usr/sbin/sc: not found";
  CHECK(ah::host_entry(c1, never, "1.2.0", 3)["error"] == "/usr/sbin/sc: not found");
  // Something that is not sc's document.
  e = ah::host_entry(c1, answered("SC version 0.9 (bash)\n", 0), "1.2.0", 3);
  CHECK(e["state"] == "unreachable");
  CHECK(e["error"] == "no status came back (sc exited with status 0, and what it printed is not a JSON document)");
  e = ah::host_entry(c1, failed("sc: error: c1: sc: exited with status 127: sh: 1: sc: not found\n"), "1.2.0", 3);
  CHECK(e["error"] == "c1: sc: exited with status 127: sh: 1: sc: not found");
  // An error message over several lines (the continuation indented).
  CHECK(ah::child_error("x\nsc: error: first\n  second\n\tthird\nafter\n") == "first second third");
  CHECK(ah::child_error("nothing\n").empty());
  // sc answered, without a status: an sc older than `sc status`.
  e = ah::host_entry(
      c1, answered(json{{"status", 3}, {"sc", "1.0.0"}, {"error", "module \"status\" is not installed"}}.dump(), 3),
      "1.2.0", 3);
  CHECK(e["state"] == "problems");
  CHECK(e["status"].is_null());
  CHECK(e["worst"] == problem("error", "master", "sc 1.0.0 there gave no status: module \"status\" is not installed",
                              "sc sshlink exec c1 sc master update_sc"));
}

TEST_CASE("all_hosts: the result, worst first, and its table", "[master][all_hosts]") {
  const ah::Host m{"m", "master", true}, c1{"c1", "client", false}, c2{"c2", "client", false},
      r1{"r1", "roaming", false}, s{"s", "standby", false}, bad{"bad:1", "backup", false};
  ah::Answer away;
  away.timed_out = true;
  away.elapsed_ms = 3000;
  std::vector<json> entries = {
      ah::host_entry(m, answered(status_doc("m", "1.2.0", json::array()), 0, 250), "1.2.0", 3),
      ah::host_entry(r1, away, "1.2.0", 3),
      ah::host_entry(
          c1, answered(status_doc("c1", "1.2.0", json::array({problem("warning", "unisonsync", "1 conflict", "")})), 1),
          "1.2.0", 3),
      ah::host_entry(
          c2,
          answered(
              status_doc("c2", "1.2.0",
                         json::array({problem("error", "backup", "no backup since 3 d", "sc backup run c2:/home")})),
              1, 12500),
          "1.2.0", 3),
      ah::host_entry(bad, failed(kRefused), "1.2.0", 3),
      ah::host_entry(s, answered(status_doc("s", "1.2.0", json::array()), 0, 80), "1.2.0", 3),
  };
  const json all = ah::cluster_json("m", 1796300000, "1.2.0", 3, 16, entries);
  CHECK(all["master"] == "m");
  CHECK(all["time"] == 1796300000);
  CHECK(all["version"] == "1.2.0");
  CHECK(all["deadline_s"] == 3);
  CHECK(all["concurrency"] == 16);
  CHECK(all["ok"] == false);
  std::vector<std::string> order;
  for (const auto& h : all["hosts"]) order.push_back(h["peer"]);
  CHECK(order == std::vector<std::string>{"bad:1", "c2", "c1", "m", "s", "r1"});
  for (const auto& h : all["hosts"])
    for (const char* key : {"peer", "role", "state", "worst", "problems", "elapsed_ms", "error", "status"})
      CHECK(h.contains(key));

  CHECK(ah::cluster_text(all, false) ==
        "HOST   ROLE     STATE        PROBLEMS  TIME    WORST PROBLEM, OR WHY NO ANSWER\n"
        "bad:1  backup   unreachable  -         0.04 s  cannot reach peer bad:1 (127.0.0.1 port 1): Connection "
        "refused; check the name and that sshd runs there (gave up after 2 s; the SSHLINK_CONNECT_TIMEOUT setting "
        "changes that)\n"
        "c2     client   error        1         12.5 s  backup: no backup since 3 d  (fix: sc backup run c2:/home)\n"
        "c1     client   warning      1         0.12 s  unisonsync: 1 conflict\n"
        "m      master   ok           0         0.25 s\n"
        "s      standby  ok           0         0.08 s\n"
        "r1     roaming  away         -         3.00 s  not answering, a roaming host may be away: no answer within "
        "3 s (stopped at the deadline)\n"
        "6 hosts: 1 unreachable, 1 with errors, 1 with warnings, 2 ok, 1 away (deadline 3 s per host)\n");
  const std::string coloured = ah::cluster_text(all, true);
  CHECK_THAT(coloured, Contains("\033[1;31munreachable\033[0m  -"));
  CHECK_THAT(coloured, Contains("\033[33mwarning\033[0m"));
  CHECK_THAT(coloured, Contains("\033[32mok\033[0m"));
  CHECK_THAT(coloured, Contains("\033[36maway\033[0m"));

  // Every host ok or away: ok.
  const json fine = ah::cluster_json("m", 0, "1.2.0", 3, 16, {entries[0], entries[1], entries[5]});
  CHECK(fine["ok"] == true);
  CHECK(ah::cluster_json("m", 0, "1.2.0", 3, 16, {})["ok"] == true);

  // What hosts say reaches the terminal escaped.
  const json hostile = ah::cluster_json(
      "m", 0, "1.2.0", 3, 16,
      {ah::host_entry(
          c1,
          answered(status_doc("c1", "1.2.0", json::array({problem("error", "x\033[2J", "bad\nline\x7f", "rm\r")})), 1),
          "1.2.0", 3)});
  const std::string text = ah::cluster_text(hostile, false);
  CHECK(text.find('\033') == std::string::npos);
  CHECK_THAT(text, Contains("x\\x1b[2J: bad\\x0aline\\x7f  (fix: rm\\x0d)"));
  CHECK(ah::printable("tab\there") == "tab\\x09here");
  CHECK(ah::printable("ünïcødé") == "ünïcødé");
}

TEST_CASE("all_hosts: exec's child stderr, the command's lines apart from sc's report", "[master][all_hosts]") {
  ah::ChildStderr s;
  std::vector<std::string> report;
  // The command's lines pass at once; lines that may be sc's report wait.
  CHECK(s.add("warning: disk 91% full") == std::vector<std::string>{"warning: disk 91% full"});
  CHECK(s.add("sc: error: the command's own sc failed").empty());
  CHECK(s.add("  its second line").empty());
  CHECK(s.add("more of the command") ==
        std::vector<std::string>{"sc: error: the command's own sc failed", "  its second line", "more of the command"});
  CHECK(s.add("FAILED: c1: sh -c 'exit 3' (exited with status 3)").empty());
  CHECK(s.add("sc sshlink exec: 1 failed").empty());
  CHECK(s.add("sc: error: c1: sh: exited with status 3: oops").empty());
  CHECK(s.add("  and more").empty());
  CHECK(s.finish(&report).empty());
  CHECK(report == std::vector<std::string>{"FAILED: c1: sh -c 'exit 3' (exited with status 3)",
                                           "sc sshlink exec: 1 failed", "sc: error: c1: sh: exited with status 3: oops",
                                           "  and more"});

  // The command's last lines look like a report: only the last action and
  // summary start it.
  s.add("ran: fake");
  s.add("sc sshlink exec: fake");
  s.add("sc: error: the command's");
  s.add("ran: c1: thing");
  s.add("sc sshlink exec: 1 changed");
  CHECK(s.finish(&report) ==
        std::vector<std::string>{"ran: fake", "sc sshlink exec: fake", "sc: error: the command's"});
  CHECK(report == std::vector<std::string>{"ran: c1: thing", "sc sshlink exec: 1 changed"});

  // No report (a usage error of the child): everything is shown.
  s.add("sc: error: HOST is bad");
  CHECK(s.finish(&report) == std::vector<std::string>{"sc: error: HOST is bad"});
  CHECK(report.empty());
}

TEST_CASE("all_hosts: what exec --all says of each host", "[master][all_hosts]") {
  const ah::Host c1{"c1", "client", false}, r1{"r1", "roaming", false}, m{"m", "master", true};
  ah::ExecOutcome o = ah::exec_outcome(c1, answered("out\n"), {"ran: c1: true", "sc sshlink exec: 1 changed"}, {});
  CHECK(o.state == "ok");
  CHECK(*o.exit_code == 0);
  o = ah::exec_outcome(c1, failed(""),
                       {"FAILED: c1: sh -c 'exit 3' (exited with status 3)", "sc sshlink exec: 1 failed",
                        "sc: error: c1: sh: exited with status 3"},
                       {});
  CHECK(o.state == "failed");
  CHECK(*o.exit_code == 3);
  CHECK(o.reason == "exited with status 3");
  o = ah::exec_outcome(
      m, failed(""), {"FAILED: kill -9 $$ (ended without an exit status (killed?))", "sc sshlink exec: 1 failed"}, {});
  CHECK(o.state == "failed");
  CHECK_FALSE(o.exit_code);
  std::vector<std::string> refused;
  for (size_t start = 0, end; (end = kRefused.find('\n', start)) != std::string::npos; start = end + 1)
    refused.push_back(kRefused.substr(start, end - start));
  o = ah::exec_outcome(c1, failed(kRefused), refused, {});
  CHECK(o.state == "unreachable");
  CHECK_THAT(o.reason, Contains("Connection refused"));
  CHECK(ah::exec_outcome(r1, failed(kRefused), refused, {}).state == "away");
  ah::Answer slow;
  slow.timed_out = true;
  o = ah::exec_outcome(c1, slow, {}, 5);
  CHECK(o.state == "failed");
  CHECK(o.reason == "stopped at the deadline of 5 s (killed)");

  const std::vector<ah::Host> hosts = {m, c1, r1, {"c2", "client", false}};
  const std::vector<ah::ExecOutcome> outcomes = {{"ok", 0, ""},
                                                 {"failed", 3, "exited with status 3"},
                                                 {"away", std::nullopt, "cannot reach peer r1"},
                                                 {"unreachable", std::nullopt, "cannot reach peer c2"}};
  CHECK(ah::exec_failures(hosts, outcomes) ==
        "failed on 2 of 4 hosts: c1 (exited with status 3), c2 (unreachable: cannot reach peer c2)");
  CHECK(ah::exec_away(hosts, outcomes) ==
        "not run on roaming hosts that do not answer (away): r1 (cannot reach peer r1)");
  CHECK(ah::exec_failures({m}, {{"ok", 0, ""}}).empty());
  CHECK(ah::exec_away({m}, {{"ok", 0, ""}}).empty());

  CHECK(ah::command_text({"sh", "-c", "echo it's; ls", "a=b", ""}) == "sh -c 'echo it'\\''s; ls' a=b ''");
  CHECK(ah::command_text({"printf", "a\nb"}) == "printf 'a\\x0ab'");
}

// ---- the commands, run by the built sc under --root ------------------------------

namespace {

fs::path fanout_root(const TempDir& root, const std::string& settings = "") {
  write_text(root / "etc/hostname", "node1\n");
  write_text(root / "etc/sc", "# sc-settings 1\nSSHLINK_CONNECT_TIMEOUT=\"2\"\n" + settings, fs::perms(0600));
  fs::create_directories(root / "srv");
  return root.path();
}

json document(const ScRun& r) {
  auto doc = json::parse(r.out, nullptr, false);
  INFO(r.out << r.err);
  REQUIRE(doc.is_object());
  return doc;
}

}  // namespace

TEST_CASE("master status --all and exec --all under --root: bad input refused, nothing changed",
          "[master][all_hosts]") {
  TempDir root;
  fanout_root(root);
  for (const auto& bad : hostile_strings()) {
    check_refused(root.path(), "master", {"status", "--all", "--hosts", bad}, "--hosts");
    check_refused(root.path(), "master", {"exec", "--all", "--hosts", "c1," + bad, "touch", "/srv/ran"}, "--hosts");
  }
  check_refused(root.path(), "master", {"status", "--all", "--deadline", "0"}, "--deadline");
  check_refused(root.path(), "master", {"status", "--all", "--concurrency", "1000"}, "--concurrency");
  check_refused(root.path(), "master", {"status", "--all", "local"}, "local");
  check_refused(root.path(), "master", {"status", "--all", "--html", "/nonexistent/r.html"}, "does not exist");
  check_refused(root.path(), "master", {"status", "--all", "--html", "/srv"}, "is a directory");
  check_refused(root.path(), "master", {"exec", "--all"}, "COMMAND");
  check_refused(root.path(), "master", {"exec", "--all", "--html", "x", "ls"}, "unknown option");
  // Without --all, the commands are the ones they were.
  check_refused(root.path(), "master", {"status", "--hosts=c1"}, "sc status --all for the whole cluster");
  CHECK(run_sc_rooted(root.path(), {"master", "status", "--help"}).status == 0);
  CHECK_THAT(run_sc_rooted(root.path(), {"master", "exec", "--help"}).out, Contains("--all"));

  // A host with a master keeps no list: it names the hosts, or asks the
  // master.
  TempDir client;
  fanout_root(client, "MASTER_MODE=\"client\"\nMASTER_HOST=\"m\"\n");
  check_refused(client.path(), "master", {"status", "--all"}, "the list of hosts is kept on its master");
  check_refused(client.path(), "master", {"exec", "--all", "true"}, "the list of hosts is kept on its master");
}

TEST_CASE("master status --all under --root: this host and a host that refuses, the page only planned under --dry-run",
          "[master][all_hosts]") {
  TempDir root;
  fanout_root(root, "MASTER_HOSTS=\"127.0.0.1:1=client\"\n");
  ScRun r = run_sc_rooted(root.path(), {"--json", "master", "status", "--all", "--deadline", "5"});
  CHECK(r.status == 1);
  const json all = document(r)["result"];
  CHECK(all["master"] == "node1");
  CHECK(all["deadline_s"] == 5);
  CHECK(all["concurrency"] == 16);
  CHECK(all["ok"] == false);
  REQUIRE(all["hosts"].size() == 2);
  CHECK(all["hosts"][0]["peer"] == "127.0.0.1:1");
  CHECK(all["hosts"][0]["role"] == "client");
  CHECK(all["hosts"][0]["state"] == "unreachable");
  CHECK_THAT(all["hosts"][0]["error"].get<std::string>(), Contains("Connection refused"));
  // This host, asked through its own `sc status --local` under the root.
  CHECK(all["hosts"][1]["peer"] == "node1");
  CHECK(all["hosts"][1]["role"] == "master");
  CHECK(all["hosts"][1]["status"]["host"] == "node1");

  const std::string before = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--dry-run", "master", "status", "--all", "--html", "/srv/cluster.html"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("would change: write /srv/cluster.html"));
  CHECK(tree_hash(root.path()) == before);
  r = run_sc_rooted(root.path(), {"master", "status", "--all", "--html", "/srv/cluster.html"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("127.0.0.1:1  client  unreachable"));
  CHECK_THAT(read_text(root.path() / "srv/cluster.html"), Contains("127.0.0.1:1"));

  // exec --all under --dry-run: said, nothing run.
  r = run_sc_rooted(root.path(), {"--dry-run", "master", "exec", "--all", "touch", "/srv/flag"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "would run `touch /srv/flag` on 2 hosts: node1 (here), 127.0.0.1:1\n");
  CHECK_THAT(r.err, Contains("would run: 127.0.0.1:1: touch /srv/flag"));
  CHECK_FALSE(fs::exists(root.path() / "srv/flag"));
}

TEST_CASE("master status --all: the state in colour on a terminal, not with NO_COLOR", "[master][all_hosts]") {
  TempDir root;
  fanout_root(root, "MASTER_HOSTS=\"127.0.0.1:1=client\"\n");
  const char* was = std::getenv("NO_COLOR");
  const std::string saved = was ? was : "";
  const std::vector<std::string> args = {"--plugin-path", kPluginDir, "--root", root.path().string(),
                                         "master",        "status",   "--all"};
  ::unsetenv("NO_COLOR");
  ScRun r = run_sc_tty(args, {});
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("\033[1;31munreachable\033[0m"));
  ::setenv("NO_COLOR", "1", 1);
  r = run_sc_tty(args, {});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Contains("127.0.0.1:1  client  unreachable"));
  CHECK(r.out.find("\033[") == std::string::npos);
  if (was)
    ::setenv("NO_COLOR", saved.c_str(), 1);
  else
    ::unsetenv("NO_COLOR");
}
