// The HTML report (report_html.cpp) as a pure function: escaping, hosts
// that did not answer, an empty cluster, JSON of the wrong shape, and the
// chart's points. report_html_browser_test.cpp loads it in Chromium.
#include "../report_html.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "report_fixture.hpp"
#include "test_support.hpp"

using namespace sc::test;
using namespace report_fixture;
using Catch::Contains;
using master::render_report_html;

namespace {

/// How many times `needle` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

/// The names of every tag in `page`: a string from the JSON that escaped
/// escaping would add one (<script>, <img>...).
std::set<std::string> tag_names(const std::string& page) {
  std::set<std::string> names;
  static const std::regex tag("<(/?)([A-Za-z!][A-Za-z0-9-]*)");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), tag); it != std::sregex_iterator(); ++it)
    names.insert((*it)[2].str());
  return names;
}

/// The tags the report is made of.
const std::set<std::string> kOwnTags = {"!DOCTYPE", "html",    "head",   "meta",    "title",   "style", "body", "main",
                                        "header",   "div",     "h1",     "h2",      "h3",      "b",     "time", "ul",
                                        "li",       "section", "table",  "thead",   "tbody",   "tr",    "th",   "td",
                                        "span",     "code",    "p",      "article", "svg",     "g",     "text", "line",
                                        "polyline", "polygon", "circle", "details", "summary", "footer"};

/// True when `s` is well-formed UTF-8 (nlohmann's dump refuses anything else).
bool valid_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

/// A cluster where every string the page shows is `s`.
json hostile_cluster(const std::string& s) {
  json problems = json::array({{{"level", "error"}, {"module", s}, {"what", s}, {"fix", s}}});
  json history = daily_history(3, s);
  json backup = backup_entry(s, history);
  backup["period"] = s;
  backup["last_run"] = {{"finished", kNow - 60}, {"ok", false}, {"error", s}};
  json modules = json::array(
      {module("backup", {{"problems", problems}, {"facts", {{"entries", json::array({backup})}}}}),
       module("unisonsync", {{"problems", json::array()},
                             {"facts", {{"profiles", json::array({{{"name", s}, {"conflicts", json::array({s})}}})}}}}),
       module("lifeline", {{"problems", json::array()},
                           {"facts", {{"tunnels", json::array({{{"name", s}, {"up", false}, {"detail", s}}})}}}})});
  json status = host_status(s, problems, modules, s);
  status["settings_missing"] = json::array({{{"module", s}, {"name", s}, {"fix", s}}});
  json answered = host(s, s, "problems", status, "");
  answered["worst"] = {{"level", s}, {"module", s}, {"what", s}, {"fix", s}};
  json gone = host(s, s, s, nullptr, s);
  return cluster(json::array({answered, gone}), s);
}

}  // namespace

TEST_CASE("report html: escape, bytes, durations and times", "[master][html]") {
  using namespace master::report;
  CHECK(escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(escape("&amp;") == "&amp;amp;");
  CHECK(escape("ünïcødé-名前 😀") == "ünïcødé-名前 😀");
  CHECK(escape("new\nline\ttab") == "new\nline\ttab");
  const std::string bad = "\xEF\xBF\xBD";
  CHECK(escape(std::string("nul\0x", 5)) == "nul" + bad + "x");
  CHECK(escape("\x01\x1b[31m\x7f") == bad + bad + "[31m" + bad);
  CHECK(escape("\xC2\x85") == bad);                            // NEL, a C1 control
  CHECK(escape("a\xFFz") == "a" + bad + "z");                  // not UTF-8
  CHECK(escape("\xC0\xAF") == bad + bad);                      // overlong '/'
  CHECK(escape("\xED\xA0\x80") == bad + bad + bad);            // a surrogate
  CHECK(escape("\xF4\x90\x80\x80") == bad + bad + bad + bad);  // past U+10FFFF
  CHECK(escape("\xE2\x82") == bad + bad);                      // cut short

  CHECK(human_bytes(0) == "0 B");
  CHECK(human_bytes(512) == "512 B");
  CHECK(human_bytes(1536) == "1.50 KiB");
  CHECK(human_bytes(12.3 * 1024 * 1024) == "12.3 MiB");
  CHECK(human_bytes(117 * kGiB) == "117 GiB");
  CHECK(human_bytes(-2048) == "-2.00 KiB");
  CHECK(human_bytes(std::nan("")) == "?");

  CHECK(human_duration(42) == "42 s");
  CHECK(human_duration(120) == "2 min");
  CHECK(human_duration(725) == "12 min 5 s");
  CHECK(human_duration(3 * 3600 + 5 * 60) == "3 h 05 min");
  CHECK(human_duration(2 * 86400 + 4 * 3600 + 59) == "2 d 4 h");
  CHECK(human_duration(-1) == "?");

  CHECK(utc_time(0) == "1970-01-01 00:00:00 UTC");
  CHECK(utc_time(kNow) == "2026-12-03 10:00:00 UTC");
  CHECK(utc_time(1e300) == "?");
}

TEST_CASE("report html: every string from the JSON is shown as text", "[master][html]") {
  std::vector<std::string> hostile = hostile_strings();
  for (const char* s :
       {"<script>alert(1)</script>", "</title><script>alert(2)</script>", "\"><img src=x onerror=alert(3)>",
        "' onmouseover='alert(4)", "</style><b>x</b>", "<!-- comment", "]]><svg onload=alert(5)>", "&amp;&lt;&#60;",
        "ctl\x01\x1b[0m\x7f", "bad \xFF\xFE utf-8", "c1 \xC2\x85 nel", "\r\ncarriage", "javascript:alert(6)"})
    hostile.push_back(s);
  for (const auto& s : hostile) {
    INFO("hostile string: " << json(s).dump(-1, ' ', false, json::error_handler_t::replace));
    const std::string page = render_report_html(hostile_cluster(s));
    // The page is the page: its own tags only, valid UTF-8, no control
    // character but newline, tab and carriage return.
    const auto tags = tag_names(page);
    for (const auto& t : tags) {
      INFO("tag <" << t << ">");
      CHECK(kOwnTags.count(t) == 1);
    }
    CHECK(valid_utf8(page));
    CHECK(std::none_of(page.begin(), page.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return (u < 0x20 && u != '\n' && u != '\t' && u != '\r') || u == 0x7f;
    }));
    CHECK(count_of(page, "<tr data-peer=") == 2);
    // Shown, escaped, wherever it goes (text and attributes alike).
    const std::string shown = master::report::escape(s);
    if (!s.empty()) {
      CHECK(count_of(page, "<td class=\"peer\">" + shown + "</td>") == 2);
      CHECK(count_of(page, "data-peer=\"" + shown + "\"") >= 2);
      CHECK_THAT(page, Contains("<span class=\"what\">" + shown + "</span>"));
      CHECK_THAT(page, Contains("<code>" + shown + "</code>"));
      CHECK_THAT(page, Contains("data-entry=\"" + shown + "\""));
      CHECK_THAT(page, Contains("data-snapshot=\"" + shown));
      CHECK_THAT(page, Contains("data-profile=\"" + shown + "\""));
    }
    if (s.find_first_of("<>&\"'") != std::string::npos) CHECK(page.find(s) == std::string::npos);
  }
}

TEST_CASE("report html: a host that did not answer has status null", "[master][html]") {
  json unreachable =
      host("c3", "client", "unreachable", nullptr, "ssh: connect to host c3 port 22: Connection refused");
  json away = host("laptop", "roaming", "away", nullptr, "no answer within the deadline (10 s)");
  json ok = host("c1", "client", "ok", host_status("c1", json::array(), json::array()));
  const std::string page = render_report_html(cluster(json::array({unreachable, away, ok})));

  CHECK(count_of(page, "<tr data-peer=") == 3);
  CHECK_THAT(page, Contains("<tr data-peer=\"c3\" data-state=\"unreachable\"><td class=\"peer\">c3</td>"));
  CHECK_THAT(page, Contains("<tr data-peer=\"laptop\" data-state=\"away\">"));
  // Its version is unknown, its error is its worst problem.
  CHECK_THAT(page, Contains("<td class=\"version muted\">—</td><td class=\"worst\">did not answer: ssh: connect to "
                            "host c3 port 22: Connection refused</td>"));
  // A problem of its own in the problems section; an away host is none.
  CHECK_THAT(page, Contains("<div class=\"group\" data-peer=\"c3\">"));
  CHECK_THAT(page, Contains("<span class=\"what\">did not answer: ssh: connect to host c3 port 22: Connection "
                            "refused</span>"));
  CHECK(count_of(page, "<li class=\"problem\"") == 1);
  CHECK_THAT(page, Contains("away (a roaming host): no answer within the deadline (10 s)"));
  CHECK(count_of(page, "<article class=\"backup\"") == 0);
  CHECK_THAT(page, Contains("<div class=\"verdict bad\" id=\"verdict\">1 host needs attention</div>"));

  // The master's own row with every field missing but its name.
  const std::string bare = render_report_html(json{{"hosts", json::array({{{"peer", "x"}}})}});
  CHECK_THAT(bare, Contains("<tr data-peer=\"x\" data-state=\"\"><td class=\"peer\">x</td>"));
  CHECK_THAT(bare, Contains("<span class=\"what\">did not answer: no status</span>"));
}

TEST_CASE("report html: an empty cluster, and JSON of the wrong shape", "[master][html]") {
  const std::string empty = render_report_html(cluster(json::array()));
  CHECK(empty.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  CHECK(empty.size() > 1000);
  CHECK(empty.substr(empty.size() - 8) == "</html>\n");
  CHECK_THAT(empty, Contains("<title>Cluster status of m at 2026-12-03 10:00:00 UTC</title>"));
  CHECK_THAT(empty, Contains("<table id=\"hosts\">"));
  CHECK_THAT(empty, Contains("<tbody>\n</tbody>"));
  CHECK_THAT(empty, Contains("No host in this report."));
  CHECK_THAT(empty, Contains("No problem on any host that answered."));
  CHECK_THAT(empty, Contains("No unresolved conflict."));
  CHECK_THAT(empty, Contains("All hosts are fine"));

  // Whatever the JSON holds, a page and no exception.
  json weird_history = {{"entry", "m:/x"},
                        {"last_run", "yesterday"},
                        {"age_s", "old"},
                        {"history", json::array({"text",
                                                 5,
                                                 nullptr,
                                                 {{"size", "big"}, {"started", "x"}},
                                                 {{"snapshot", 3}, {"size", -5}, {"duration_s", 1e308}}})}};
  json far = {
      {"entry", "m:/y"},
      {"history",
       json::array({{{"snapshot", "a"}, {"finished", 1e20}, {"size", 1e308}, {"new_bytes", 1e308}},
                    {{"snapshot", "b"}, {"finished", std::nextafter(1e20, 2e20)}, {"size", 1e308}, {"new_bytes", 0}},
                    {{"snapshot", "c"}, {"finished", -1.7e308}, {"size", -1e308}},
                    {{"snapshot", "d"}, {"finished", 1.7e308}, {"duration_s", 1e308}}})}};
  const std::vector<json> shapes = {
      json(),
      json::array({1, 2}),
      json("text"),
      json{{"hosts", 5}, {"master", {{"a", 1}}}, {"time", "soon"}, {"ok", "yes"}},
      json{{"hosts", json::array({5, "x", nullptr, json::array(), {{"status", "x"}, {"worst", 3}, {"peer", 4}}})}},
      json{{"hosts",
            json::array(
                {{{"peer", "b"},
                  {"state", "problems"},
                  {"elapsed_ms", -3},
                  {"status",
                   {{"problems", {{"level", 1}}},
                    {"modules",
                     json::array({module("backup", {{"facts", 7}}), module("backup", {{"facts", {{"entries", 3}}}}),
                                  module("backup", {{"facts", {{"entries", {weird_history}}}}})})}}}}})}},
      json{{"time", 1e300}, {"deadline_s", std::nan("")}, {"hosts", json::array()}},
      // Times past any calendar: two one step of a double apart, two at the
      // ends of what a double holds; sizes and durations as large.
      json{{"hosts",
            json::array({host("b", "backup", "ok",
                              host_status("b", json::array(),
                                          json::array({module("backup", {{"facts", {{"entries", {far}}}}})})))})}},
  };
  for (const auto& doc : shapes) {
    INFO(doc.dump());
    std::string page;
    REQUIRE_NOTHROW(page = render_report_html(doc));
    CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(page.substr(page.size() - 8) == "</html>\n");
    for (const auto& t : tag_names(page)) CHECK(kOwnTags.count(t) == 1);
  }
}

TEST_CASE("report html: one point per snapshot per series, in time order", "[master][html]") {
  json history = daily_history(7);
  history[3].erase("duration_s");  // a snapshot without a duration: no point in that series
  json b = host(
      "b", "backup", "ok",
      host_status("b", json::array(),
                  json::array({module(
                      "backup", {{"problems", json::array()},
                                 {"facts", {{"entries", json::array({backup_entry("m:/srv/mass", history)})}}}})})));
  const std::string page = render_report_html(cluster(json::array({b})));
  CHECK(count_of(page, "<svg class=\"backup-chart\"") == 1);
  CHECK(count_of(page, "<circle class=\"pt\" data-series=\"size\" data-snapshot=") == 7);
  CHECK(count_of(page, "<circle class=\"pt\" data-series=\"new_bytes\" data-snapshot=") == 7);
  CHECK(count_of(page, "<circle class=\"pt\" data-series=\"duration_s\" data-snapshot=") == 6);
  // Each point at its snapshot's time: x grows with time, the newest on the right.
  std::regex pt("data-series=\"size\" data-snapshot=\"([^\"]*)\" data-value=\"[0-9]+\" cx=\"([0-9.]+)\"");
  std::vector<double> xs;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), pt); it != std::sregex_iterator(); ++it)
    xs.push_back(std::stod((*it)[2].str()));
  REQUIRE(xs.size() == 7);
  CHECK(std::is_sorted(xs.begin(), xs.end()));
  CHECK(xs.front() < 100);
  CHECK(xs.back() > 500);
  // Axes with labels: values in their unit, dates, the axis' name.
  CHECK_THAT(page, Contains(" GiB</text>"));
  CHECK_THAT(page, Contains(" min</text>"));
  CHECK_THAT(page, Contains(">Nov 27</text>"));
  CHECK_THAT(page, Contains("snapshot time (UTC)"));
  CHECK_THAT(page, Contains("<text class=\"ptitle\""));
  // The numbers under the chart, one row per snapshot.
  CHECK(count_of(page, "<tr><td><code>2026-") == 7);

  // An entry with no snapshot yet: said, no chart.
  b["status"]["modules"][0]["status"]["facts"]["entries"][0] = backup_entry("m:/home", json::array());
  const std::string none = render_report_html(cluster(json::array({b})));
  CHECK(count_of(none, "<svg class=\"backup-chart\"") == 0);
  CHECK_THAT(none, Contains("No snapshot yet."));
}

TEST_CASE("report html: a page of its own, that fetches and runs nothing", "[master][html]") {
  const std::string page =
      render_report_html(json::parse(read_text(fs::path(kSourceDir) / "plugins/master/tests/report_example.json")));
  CHECK_THAT(page, Contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
                            "'unsafe-inline'; base-uri 'none'; form-action 'none'\">"));
  for (const char* never : {"<script", "<link", "<img", "<iframe", "<object", "<embed", " src=", "href=", "url(",
                            "@import", "http:", "https:"}) {
    INFO(never);
    CHECK(page.find(never) == std::string::npos);
  }
  CHECK_FALSE(std::regex_search(page, std::regex(" on[a-z]+=")));
  CHECK(page.size() < 200 * 1024);
}
