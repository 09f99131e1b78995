// The HTML report in a real browser: headless Chromium (Debian's chromium
// package, which CI installs: no skip) loads pages the renderer wrote. The
// test reads back
// - the DOM Chromium built (--dump-dom), through report_dom.py, a reader
//   made with Python's own HTML parser;
// - Chromium's console: with --enable-logging=stderr every console message
//   of a page (an uncaught exception, console.error, a violation of the
//   page's Content-Security-Policy) is a line "[...:INFO:CONSOLE:LINE]
//   "TEXT", source: URL (LINE)" on stderr;
// - Chromium's network log (--log-net-log): every request, with the site it
//   was made for; the page's are those made for the file:// site.
// A canary page, the report with an image from the network and a script
// that writes to the console, proves that both checks see what they look
// for with the Chromium at hand, so that they cannot pass by going blind.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../report_html.hpp"
#include "engine/process.hpp"
#include "report_fixture.hpp"
#include "test_support.hpp"

using namespace sc::test;
using namespace report_fixture;
using Catch::Contains;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

/// What Chromium made of a page.
struct Loaded {
  json dom;                           // report_dom.py's reading of the DOM
  std::vector<std::string> console;   // the page's console messages
  std::vector<std::string> requests;  // the URLs it asked the network for
  std::string err;                    // Chromium's stderr, for failure messages
};

/// Chromium's command line, isolated: a fresh profile in `scratch`, nothing
/// of the machine's user, no background traffic, and every host name made
/// unknown (nothing can leave the machine even if asked).
std::vector<std::string> chromium_argv(const TempDir& scratch) {
  INFO("the HTML report's browser test needs Debian's chromium: apt-get install chromium (.ci/install-deps)");
  REQUIRE(fs::exists(kChromium));
  fs::create_directories(scratch / "profile");
  return {kChromium,
          "--headless",
          "--no-sandbox",  // root, in a container
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + (scratch / "profile").string(),
          "--host-resolver-rules=MAP * ~NOTFOUND"};
}

sc::ProcessResult run_chromium(const TempDir& scratch, std::vector<std::string> argv) {
  fs::create_directories(scratch / "home");
  sc::ProcessSpec spec;
  spec.argv = std::move(argv);
  // Its crash reports and caches go to the scratch directory, not root's home.
  spec.env_add = {"HOME=" + (scratch / "home").string(), "XDG_CONFIG_HOME=" + (scratch / "home/.config").string(),
                  "XDG_CACHE_HOME=" + (scratch / "home/.cache").string()};
  spec.capture_out = true;
  spec.capture_err = true;
  spec.timeout = std::chrono::seconds(120);
  return sc::run_process(spec);
}

Loaded load(const fs::path& page) {
  TempDir scratch;
  std::vector<std::string> argv = chromium_argv(scratch);
  argv.insert(argv.end(), {"--enable-logging=stderr", "--v=0", "--log-net-log=" + (scratch / "netlog.json").string(),
                           "--dump-dom", "file://" + page.string()});
  sc::ProcessResult r = run_chromium(scratch, argv);
  Loaded l;
  l.err = r.err;
  INFO("chromium " << r.describe() << "\n" << r.err);
  REQUIRE(r.ok());
  REQUIRE_THAT(r.out, Contains("</html>"));

  write_text(scratch / "dom.html", r.out);
  const std::string reading =
      output_of({"python3", (fs::path(kSourceDir) / "plugins/master/tests/report_dom.py").string(),
                 (scratch / "dom.html").string()});
  l.dom = json::parse(reading);

  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);)
    if (line.find(":CONSOLE") != std::string::npos) l.console.push_back(line);

  const json net = json::parse(read_text(scratch / "netlog.json"), nullptr, false);
  REQUIRE(net.is_object());
  const json& type = net["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
  REQUIRE(type.is_number());
  for (const auto& e : net["events"]) {
    if (e.value("type", -1) != type.get<int>() || !e.contains("params")) continue;
    const json& p = e["params"];
    const std::string site = p.value("network_isolation_key", "") + " " + p.value("site_for_cookies", "");
    if (site.find("file://") != std::string::npos) l.requests.push_back(p.value("url", "?"));
  }
  return l;
}

/// Text as a browser lays it out: runs of white space as one space, trimmed.
std::string squeezed(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

/// The chart of `entry` in the DOM's reading.
const json& chart_of(const json& dom, const std::string& entry) {
  for (const auto& c : dom["charts"])
    if (c["entry"] == entry) return c;
  FAIL("no chart of " << entry);
  throw std::logic_error("unreachable");
}

/// The snapshot names of the points of `series` in `chart`, in DOM order,
/// REQUIRing that their x grows.
std::vector<std::string> points_of(const json& chart, const std::string& series) {
  std::vector<std::string> names;
  double last_x = -1;
  for (const auto& p : chart["points"]) {
    if (p["series"] != series) continue;
    names.push_back(p["snapshot"].get<std::string>());
    CHECK(p["cx"].get<double>() > last_x);
    last_x = p["cx"].get<double>();
  }
  return names;
}

std::vector<std::string> names_in(const json& history) {
  std::vector<std::string> names;
  for (const auto& s : history) names.push_back(s["snapshot"].get<std::string>());
  return names;
}

const std::string kHostile = "<script>alert('x')</script> & \"ü名\"\nnew line";

json browser_fixture(const json& mass, const json& home) {
  json warn = json::array({{{"level", "warning"},
                            {"module", "unisonsync"},
                            {"what", "1 conflict not resolved </td></tr><tr><td>"},
                            {"fix", "sc unisonsync resolve 'manual:m:_home_a'"}}});
  json hostile_status = host_status(
      kHostile, warn,
      json::array({module(
          "unisonsync",
          {{"problems", warn},
           {"facts",
            {{"profiles", json::array({{{"name", "manual:m:_home_a"}, {"conflicts", json::array({kHostile})}}})}}}})}));
  json backup_status =
      host_status("b", json::array(),
                  json::array({module("backup", {{"problems", json::array()},
                                                 {"facts",
                                                  {{"entries", json::array({backup_entry("m:/srv/mass", mass),
                                                                            backup_entry("m:/home", home)})}}}})}));
  return cluster(json::array({
      host("c3", "client", "unreachable", nullptr, "ssh: connect to host c3 port 22: Connection refused"),
      host(kHostile, "client", "problems", hostile_status),
      host("laptop", "roaming", "away", nullptr, "no answer within the deadline (10 s)"),
      host("b", "backup", "ok", backup_status),
      host("m", "master", "ok", host_status("m", json::array(), json::array())),
  }));
}

}  // namespace

TEST_CASE("report html: headless Chromium shows every host and one point per snapshot, with no console error",
          "[master][html]") {
  const json mass = daily_history(9);
  const json home = daily_history(4, "home-");
  const json all = browser_fixture(mass, home);
  TempDir dir;
  write_text(dir / "report.html", master::render_report_html(all));
  const Loaded l = load(dir / "report.html");
  INFO(l.dom.dump(1));

  CHECK(l.console == std::vector<std::string>{});
  CHECK(l.requests == std::vector<std::string>{});
  CHECK(l.dom["fetching"] == json::array());
  CHECK_THAT(l.dom["csp"].get<std::string>(), Contains("default-src 'none'"));
  CHECK(l.dom["title"] == "Cluster status of m at 2026-12-03 10:00:00 UTC");

  // The hosts, in the order given, each its own row; the hostile name is
  // text, whole (its quotes, its <script>, its newline).
  const json& rows = l.dom["rows"];
  REQUIRE(rows.size() == all["hosts"].size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const json& h = all["hosts"][i];
    CHECK(rows[i]["peer"] == h["peer"]);
    CHECK(rows[i]["state"] == h["state"]);
    REQUIRE(rows[i]["cells"].size() == 7);
    CHECK(rows[i]["cells"][0] == squeezed(h["peer"].get<std::string>()));
    CHECK(rows[i]["cells"][1] == h["role"]);
  }
  CHECK(rows[0]["cells"][4] == "did not answer: ssh: connect to host c3 port 22: Connection refused");
  CHECK(rows[1]["cells"][4] == "warning unisonsync 1 conflict not resolved </td></tr><tr><td>");
  CHECK(rows[1]["cells"][5] == "sc unisonsync resolve 'manual:m:_home_a'");
  CHECK(rows[2]["cells"][4] == "away (a roaming host): no answer within the deadline (10 s)");
  CHECK(rows[3]["cells"][3] == "1.2.0");

  // One chart per backup entry; in each series exactly one point per
  // snapshot, at the snapshot's time (x grows with it).
  REQUIRE(l.dom["charts"].size() == 2);
  for (const auto& [entry, history] : {std::pair<std::string, json>{"m:/srv/mass", mass}, {"m:/home", home}}) {
    INFO(entry);
    const json& chart = chart_of(l.dom, entry);
    CHECK(chart["host"] == "b");
    CHECK(chart["points"].size() == 3 * history.size());
    for (const char* series : {"size", "new_bytes", "duration_s"}) {
      INFO(series);
      CHECK(points_of(chart, series) == names_in(history));
    }
    std::set<std::string> axis;
    for (const auto& t : chart["axis"]) axis.insert(t.get<std::string>());
    CHECK(axis.count("snapshot time (UTC)") == 1);
    CHECK(std::any_of(axis.begin(), axis.end(),
                      [](const std::string& t) { return t.find(" GiB") != std::string::npos; }));
    CHECK(std::any_of(axis.begin(), axis.end(), [](const std::string& t) {
      return t.find(" s") != std::string::npos || t.find(" min") != std::string::npos;
    }));
  }

  // Every host's problems with their fixes; the unison conflict.
  std::vector<std::string> problems;
  for (const auto& p : l.dom["problems"])
    problems.push_back(p["peer"].get<std::string>() + ": " + p["text"].get<std::string>());
  CHECK(problems == std::vector<std::string>{
                        "c3: error did not answer: ssh: connect to host c3 port 22: Connection refused",
                        kHostile + ": warning unisonsync 1 conflict not resolved </td></tr><tr><td> fix: sc unisonsync "
                                   "resolve 'manual:m:_home_a'"});
  REQUIRE(l.dom["conflicts"].size() == 1);
  CHECK(l.dom["conflicts"][0]["host"] == kHostile);
  CHECK(l.dom["conflicts"][0]["profile"] == "manual:m:_home_a");
  CHECK_THAT(l.dom["conflicts"][0]["text"].get<std::string>(), Contains(squeezed(kHostile)));
}

TEST_CASE("report html: the README's example cluster in headless Chromium", "[master][html]") {
  const json all = json::parse(read_text(fs::path(kSourceDir) / "plugins/master/tests/report_example.json"));
  TempDir dir;
  write_text(dir / "report.html", master::render_report_html(all));
  const Loaded l = load(dir / "report.html");
  INFO(l.dom.dump(1));
  CHECK(l.console == std::vector<std::string>{});
  CHECK(l.requests == std::vector<std::string>{});
  CHECK(l.dom["fetching"] == json::array());
  REQUIRE(l.dom["rows"].size() == all["hosts"].size());
  for (std::size_t i = 0; i < all["hosts"].size(); ++i) CHECK(l.dom["rows"][i]["peer"] == all["hosts"][i]["peer"]);
  std::size_t charts = 0;
  for (const auto& h : all["hosts"]) {
    if (!h["status"].is_object()) continue;
    for (const auto& m : h["status"]["modules"]) {
      if (m["name"] != "backup") continue;
      for (const auto& e : m["status"]["facts"]["entries"]) {
        ++charts;
        INFO(e["entry"]);
        const json& chart = chart_of(l.dom, e["entry"].get<std::string>());
        for (const char* series : {"size", "new_bytes", "duration_s"})
          CHECK(points_of(chart, series) == names_in(e["history"]));
      }
    }
  }
  CHECK(charts == 3);
  CHECK(l.dom["charts"].size() == charts);
}

TEST_CASE("report html: the browser test's checks see a console error and a request (canary pages)", "[master][html]") {
  const std::string page = master::render_report_html(browser_fixture(daily_history(3), daily_history(2)));
  const std::string canary =
      "<img src=\"http://sc-report-canary.invalid/pixel.png\"><script>console.error(\"sc-report-canary\")</script>";
  auto with_canary = [&](std::string p, bool keep_csp) {
    if (!keep_csp) {
      const auto at = p.find("<meta http-equiv=\"Content-Security-Policy\"");
      REQUIRE(at != std::string::npos);
      p.erase(at, p.find('>', at) + 1 - at);
    }
    const auto body_end = p.rfind("</body>");
    REQUIRE(body_end != std::string::npos);
    return p.insert(body_end, canary);
  };
  TempDir dir;

  // Without the page's policy: the script's message is in the console, the
  // image a request.
  write_text(dir / "open.html", with_canary(page, false));
  Loaded open = load(dir / "open.html");
  std::string said;
  for (const auto& line : open.console) said += line + "\n";
  CHECK_THAT(said, Contains("\"sc-report-canary\""));
  CHECK(open.requests == std::vector<std::string>{"http://sc-report-canary.invalid/pixel.png"});
  CHECK(open.dom["fetching"].dump() ==
        R"(["<img>","src='http://sc-report-canary.invalid/pixel.png' on <img>","<script>"])");

  // With it (the report as written): both refused before anything runs or
  // leaves, and each refusal is a console error.
  write_text(dir / "guarded.html", with_canary(page, true));
  Loaded guarded = load(dir / "guarded.html");
  said.clear();
  for (const auto& line : guarded.console) said += line + "\n";
  CHECK(guarded.console.size() >= 2);
  CHECK_THAT(said, Contains("Content Security Policy"));
  CHECK_THAT(said, Contains("http://sc-report-canary.invalid/pixel.png"));
  CHECK_THAT(said, !Contains("\"sc-report-canary\""));  // the script never ran
  CHECK(guarded.requests == std::vector<std::string>{});
}

/// Width and height of the PNG image `png` (its IHDR chunk), or 0x0.
std::pair<unsigned, unsigned> png_size(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || png.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be32 = [&](std::size_t at) {
    unsigned v = 0;
    for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(png[at + k]);
    return v;
  };
  return {be32(16), be32(20)};
}

// The README's screenshot is made by this test: with SC_REPORT_SCREENSHOT=1
// in its environment it also writes docs/status-report.png (after a change
// of the page's look):
//   SC_REPORT_SCREENSHOT=1 build/tests/plugin_tests "report html: a screenshot*"
TEST_CASE("report html: a screenshot of the example cluster, as in the README", "[master][html]") {
  const json all = json::parse(read_text(fs::path(kSourceDir) / "plugins/master/tests/report_example.json"));
  TempDir scratch;
  write_text(scratch / "report.html", master::render_report_html(all));
  const fs::path png = scratch / "status-report.png";
  std::vector<std::string> argv = chromium_argv(scratch);
  argv.insert(argv.end(), {"--hide-scrollbars", "--window-size=1200,1400", "--screenshot=" + png.string(),
                           "file://" + (scratch / "report.html").string()});
  sc::ProcessResult r = run_chromium(scratch, argv);
  INFO(r.describe() << "\n" << r.err);
  REQUIRE(r.ok());
  REQUIRE(fs::exists(png));
  const std::string shot = read_text(png);
  CHECK(png_size(shot) == std::pair<unsigned, unsigned>{1200, 1400});
  CHECK(shot.size() < 300 * 1024);

  const fs::path readme_png = fs::path(kSourceDir) / "docs/status-report.png";
  const char* update = std::getenv("SC_REPORT_SCREENSHOT");
  if (update && std::string(update) == "1") fs::copy_file(png, readme_png, fs::copy_options::overwrite_existing);
  // The README's copy: the same size and as small.
  const std::string committed = read_text(readme_png);
  CHECK(png_size(committed) == std::pair<unsigned, unsigned>{1200, 1400});
  CHECK(committed.size() < 300 * 1024);
}
