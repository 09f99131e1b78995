// scanner: the generated SANE and scanbd text against expected text, the
// checks of every setting, setup/cleanup under --root (idempotent, the
// host's own lines kept), and the scan pipeline for real with SANE's
// virtual backends: `test` (a pattern) and `pnm` (a page with words, so
// the PDF's text layer is checked with pdftotext).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "../scanner_conf.hpp"
#include "engine/process.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;
using nlohmann::json;

TEST_CASE("scanner: sc's block of saned.conf and net.conf keeps the host's lines", "[scanner]") {
  const std::string host = "# saned.conf\n# Access list\nscanner.example.org\n";
  const std::string with = scanner::merge_block(host, {"h1", "10.1.0.0/24"});
  CHECK(with == host + "# BEGIN synccluster scanner (written by `sc scanner setup`, do not edit)\nh1\n10.1.0.0/24\n" +
                    "# END synccluster scanner\n");
  CHECK(scanner::block_lines(with) == std::vector<std::string>{"h1", "10.1.0.0/24"});
  // Replaced, not added twice; removed whole; a missing final newline added.
  CHECK(scanner::merge_block(with, {"h2"}) == host + std::string(scanner::kBegin) + "\nh2\n" + scanner::kEnd + "\n");
  CHECK(scanner::merge_block(with, {}) == host);
  CHECK(scanner::merge_block("a\nb", {}) == "a\nb\n");
  CHECK(scanner::merge_block("", {"m"}) == std::string(scanner::kBegin) + "\nm\n" + scanner::kEnd + "\n");
  CHECK(scanner::block_lines(host).empty());
}

TEST_CASE("scanner: what a saned client, a device, options, languages, users and directories may be", "[scanner]") {
  for (const char* ok : {"h1", "m.example.org", "127.0.0.2", "10.1.0.0/24", "192.168.1.0/32", "::1", "fe80::1"})
    CHECK(scanner::client_problem(ok).empty());
  for (const char* bad : {"", "+", "10.1.0.0/7", "10.1.0.0/33", "h1/24", "10.1.0.0/", "a b", "-x", "h;1", "1.2.3.4/ab"})
    CHECK_FALSE(scanner::client_problem(bad).empty());
  CHECK_THAT(scanner::client_problem("+"), Contains("every host"));

  for (const char* ok : {"test", "net:m:test:0", "genesys:libusb:001:004", "pnm:0", "airscan:e0:HP/x"})
    CHECK(scanner::device_problem(ok).empty());
  for (const char* bad : {"", "-d", "a b", "x;y", "$(x)", "0abc"}) CHECK_FALSE(scanner::device_problem(bad).empty());

  std::vector<std::string> argv;
  std::string why;
  REQUIRE(scanner::parse_options("  --mode=Gray --resolution 200 -x 215  -y 297 ", &argv, &why));
  CHECK(argv == std::vector<std::string>{"--mode=Gray", "--resolution", "200", "-x", "215", "-y", "297"});
  REQUIRE(scanner::parse_options("", &argv, &why));
  CHECK(argv.empty());
  for (const char* bad : {"--format=png", "-o x", "--output-file=/tmp/x", "-dtest", "--device-name=x", "--batch", "-L",
                          "--mode='Gray'", "--mode=$(x)", "200 --mode=Gray", "--help", "-n"}) {
    INFO(bad);
    CHECK_FALSE(scanner::parse_options(bad, &argv, &why));
    CHECK_FALSE(why.empty());
  }

  for (const char* ok : {"eng", "eng+fra", "chi_sim"}) CHECK(scanner::lang_problem(ok).empty());
  for (const char* bad : {"", "+eng", "eng+", "eng++fra", "../x", "eng fra"})
    CHECK_FALSE(scanner::lang_problem(bad).empty());

  for (const char* ok : {"alice", "_svc", "bob-2"}) CHECK(scanner::user_problem(ok).empty());
  for (const char* bad : {"", "Alice", "-x", "a b", "../root", "a:b", std::string(33, 'a').c_str()})
    CHECK_FALSE(scanner::user_problem(bad).empty());

  for (const char* ok : {"/srv/mass/scan", "/srv/mass/a/b_c-d.e"}) CHECK(scanner::dir_problem(ok).empty());
  for (const char* bad : {"/srv/mass", "/srv/mass/", "/srv/scan", "/srv/mass/../etc", "/srv/mass//x", "/srv/mass/./x",
                          "/srv/mass/a b", "srv/mass/x", "/srv/mass/x;y"})
    CHECK_FALSE(scanner::dir_problem(bad).empty());
}

TEST_CASE("scanner: the pipeline's argv, file names, scanbd's files and the button script", "[scanner]") {
  CHECK(scanner::scanimage_argv("test", {"--mode=Gray"}, "/tmp/x/page.tiff") ==
        std::vector<std::string>{"scanimage", "--device-name=test", "--mode=Gray", "--format=tiff",
                                 "--output-file=/tmp/x/page.tiff"});
  CHECK(scanner::scanimage_argv("", {}, "/t/p.tiff") ==
        std::vector<std::string>{"scanimage", "--format=tiff", "--output-file=/t/p.tiff"});
  CHECK(scanner::tesseract_argv("/t/p.tiff", "/t/p", "eng+fra") ==
        std::vector<std::string>{"tesseract", "/t/p.tiff", "/t/p", "-l", "eng+fra", "pdf"});
  CHECK(scanner::scan_file_name("20261203-090000", 1) == "scan-20261203-090000.pdf");
  CHECK(scanner::scan_file_name("20261203-090000", 3) == "scan-20261203-090000-3.pdf");

  CHECK(scanner::scanbd_device_conf("genesys:libusb.1", "/etc/scanbd/scripts/synccluster-scan") ==
        "# Written by `sc scanner setup`: the scan button runs `sc scanner scan`.\n"
        "device synccluster {\n"
        "  filter = \"^genesys:libusb\\.1.*\"\n"
        "  desc = \"synccluster scanner\"\n"
        "  action scan {\n"
        "    filter = \"^scan.*\"\n"
        "    numerical-trigger {\n"
        "      from-value = 1\n"
        "      to-value = 0\n"
        "    }\n"
        "    desc = \"Scan to a searchable PDF\"\n"
        "    script = \"/etc/scanbd/scripts/synccluster-scan\"\n"
        "  }\n"
        "}\n");
  CHECK_THAT(scanner::scanbd_device_conf("", "/s"), Contains("filter = \"^.*\"\n"));
  const std::string conf = "global {\n}\ninclude(scanner.d/hp.conf)\n";
  const std::string with = scanner::scanbd_with_include(conf);
  CHECK(with == conf + "include(scanner.d/synccluster.conf)\n");
  CHECK(scanner::scanbd_with_include(with) == with);
  CHECK(scanner::scanbd_without_include(with) == conf);
  CHECK(scanner::trigger_script("/usr/local/sbin/sc") ==
        "#!/bin/sh\n# Written by `sc scanner setup`: run by scanbd when the scan button is pressed.\n"
        "exec /usr/local/sbin/sc scanner scan\n");
}

namespace {

/// A target root with SANE's and scanbd's files as Debian ships them, and
/// the users root and alice (uid 4242).
void make_target(const fs::path& root) {
  fs::create_directories(root / "etc/sane.d");
  write_text(root / "etc/sane.d/saned.conf", "# saned.conf\n# the host's own line:\nscanner-admin.example.org\n");
  write_text(root / "etc/sane.d/net.conf", "# net.conf\nconnect_timeout = 60\n");
  write_text(root / "etc/sane.d/dll.conf", "net\n");
  fs::create_directories(root / "etc/scanbd");
  write_text(root / "etc/scanbd/scanbd.conf", "global {\n}\ninclude(scanner.d/hp.conf)\n");
  write_text(root / "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:4242:4242::/home/alice:/bin/sh\n");
  write_text(root / "etc/group", "root:x:0:\nalice:x:4242:\n");
}

/// SANE_CONFIG_DIR for the duration of a test: the virtual backends only.
class SaneConfig {
 public:
  explicit SaneConfig(const std::string& backend) {
    write_text(dir_.path() / "dll.conf", backend + "\n");
    // scanbd reads it after dropping root for the user saned.
    fs::permissions(dir_.path(), fs::perms(0755));
    ::setenv("SANE_CONFIG_DIR", dir_.path().c_str(), 1);
  }
  ~SaneConfig() { ::unsetenv("SANE_CONFIG_DIR"); }
  SaneConfig(const SaneConfig&) = delete;
  SaneConfig& operator=(const SaneConfig&) = delete;

 private:
  TempDir dir_;
};

std::vector<fs::path> pdfs_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  return out;
}

}  // namespace

TEST_CASE("scanner setup in local mode under --root: saned for the named hosts, scanbd's button, idempotent",
          "[scanner]") {
  TempDir root;
  make_target(root.path());
  const std::string saned_before = read_text(root / "etc/sane.d/saned.conf");
  ScRun r0 = run_sc_rooted(root.path(), {"--json", "scanner", "files"});
  REQUIRE(r0.status == 0);
  CHECK(json::parse(r0.out)["result"] == json::array());
  // --dry-run changes nothing.
  const std::string untouched = tree_hash(root.path());
  r0 = run_sc_rooted(root.path(),
                     {"--dry-run", "--set", "SCANNER_MODE=local", "--set", "SCANNER_CLIENTS=c1", "scanner", "setup"});
  INFO(r0.err);
  REQUIRE(r0.status == 0);
  CHECK_THAT(r0.err, Contains("would change: write /etc/sane.d/saned.conf"));
  CHECK(tree_hash(root.path()) == untouched);
  ScRun r = run_sc_rooted(root.path(),
                          {"--json", "--set", "SCANNER_MODE=local", "--set", "SCANNER_CLIENTS=c1 127.0.0.1 10.1.0.0/24",
                           "--set", "SCANNER_DEVICE=test", "scanner", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/sane.d/saned.conf") ==
        saned_before + scanner::kBegin + "\nc1\n127.0.0.1\n10.1.0.0/24\n" + scanner::kEnd + "\n");
  CHECK(read_text(root / "etc/sane.d/net.conf") == "# net.conf\nconnect_timeout = 60\n");
  CHECK(read_text(root / "etc/scanbd/scanbd.conf") ==
        "global {\n}\ninclude(scanner.d/hp.conf)\ninclude(scanner.d/synccluster.conf)\n");
  CHECK(read_text(root / "etc/scanbd/scanner.d/synccluster.conf") ==
        scanner::scanbd_device_conf("test", scanner::kTrigger));
  CHECK(read_text(root / "etc/scanbd/scripts/synccluster-scan") == scanner::trigger_script(built_sc_path()));
  CHECK((fs::status(root / "etc/scanbd/scripts/synccluster-scan").permissions() & fs::perms::owner_exec) !=
        fs::perms::none);
  CHECK(fs::is_directory(root / "srv/mass/scan"));
  CHECK(fs::exists(root / "etc/systemd/system/sc_daemon_scanner.service"));
  const auto runs = run_actions(r);
  CHECK(std::find(runs.begin(), runs.end(), "systemctl enable saned.socket recorded") != runs.end());

  // The button script is a script /bin/sh reads.
  CHECK(output_of({"sh", "-n", (root / "etc/scanbd/scripts/synccluster-scan").string()}).empty());

  // Idempotent: the second setup changes nothing.
  const std::string hash = tree_hash(root.path());
  r = run_sc_rooted(root.path(), {"--json", "scanner", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);
  CHECK(tree_hash(root.path()) == hash);

  r = run_sc_rooted(root.path(), {"--json", "scanner", "files"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["result"] ==
        json::array({"/etc/sane.d/saned.conf", "/etc/sane.d/net.conf", "/etc/scanbd/scanbd.conf",
                     "/etc/scanbd/scanner.d/synccluster.conf", "/etc/scanbd/scripts/synccluster-scan"}));

  // A change of the hosts replaces sc's block only.
  r = run_sc_rooted(root.path(), {"--set", "SCANNER_CLIENTS=c2", "scanner", "setup"});
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/sane.d/saned.conf") == saned_before + scanner::kBegin + "\nc2\n" + scanner::kEnd + "\n");

  // Remote mode takes local mode's files away and points net.conf at the host.
  r = run_sc_rooted(root.path(), {"--set", "SCANNER_MODE=remote", "--set", "SCANNER_HOST=m", "scanner", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/sane.d/saned.conf") == saned_before);
  CHECK(read_text(root / "etc/sane.d/net.conf") ==
        "# net.conf\nconnect_timeout = 60\n" + std::string(scanner::kBegin) + "\nm\n" + scanner::kEnd + "\n");
  CHECK_FALSE(fs::exists(root / "etc/scanbd/scripts/synccluster-scan"));
  CHECK_FALSE(fs::exists(root / "etc/scanbd/scanner.d/synccluster.conf"));
  CHECK_FALSE(fs::exists(root / "etc/systemd/system/sc_daemon_scanner.service"));
  CHECK(read_text(root / "etc/scanbd/scanbd.conf") == "global {\n}\ninclude(scanner.d/hp.conf)\n");
  r = run_sc_rooted(root.path(), {"--json", "scanner", "setup"});
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["summary"]["changed"] == 0);

  // Cleanup: the host's own lines stay, sc's go, the settings are forgotten.
  r = run_sc_rooted(root.path(), {"scanner", "cleanup"});
  REQUIRE(r.status == 0);
  CHECK(read_text(root / "etc/sane.d/net.conf") == "# net.conf\nconnect_timeout = 60\n");
  CHECK(read_text(root / "etc/sane.d/saned.conf") == saned_before);
  CHECK(run_sc_rooted(root.path(), {"scanner", "ready"}).status == 1);
}

TEST_CASE("scanner setup refuses bad settings and changes nothing", "[scanner]") {
  TempDir root;
  make_target(root.path());
  const std::string before = tree_hash(root.path());
  const std::vector<std::vector<std::string>> bad = {
      {"SCANNER_MODE=local", "SCANNER_CLIENTS=+"},
      {"SCANNER_MODE=local", "SCANNER_CLIENTS=h1 10.0.0.0/4"},
      {"SCANNER_MODE=local", "SCANNER_CLIENTS=h1", "SCANNER_DIR=/etc"},
      {"SCANNER_MODE=local", "SCANNER_CLIENTS=h1", "SCANNER_OPTIONS=--format=png"},
      {"SCANNER_MODE=local", "SCANNER_CLIENTS=h1", "SCANNER_LANG=../x"},
      {"SCANNER_MODE=local", "SCANNER_CLIENTS=h1", "SCANNER_USER=nobody-here"},
      {"SCANNER_MODE=local", "SCANNER_CLIENTS=h1", "SCANNER_DEVICE=x;y"},
      {"SCANNER_MODE=remote", "SCANNER_HOST=-oProxyCommand=x"},
      {"SCANNER_MODE=remote", "SCANNER_HOST=a b"},
  };
  for (const auto& sets : bad) {
    std::vector<std::string> args;
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    args.insert(args.end(), {"scanner", "setup"});
    ScRun r = run_sc_rooted(root.path(), args);
    INFO(sets.back() << "\n" << r.err);
    CHECK(r.status == 2);
    CHECK_FALSE(r.err.empty());
    CHECK(tree_hash(root.path()) == before);
  }
  for (const std::string& host : hostile_strings()) {
    ScRun r = run_sc_rooted(root.path(),
                            {"--set", "SCANNER_MODE=remote", "--set", "SCANNER_HOST=" + host, "scanner", "setup"});
    INFO(host << "\n" << r.err);
    CHECK(r.status == 2);
    CHECK(tree_hash(root.path()) == before);
  }
}

TEST_CASE("scanner scan with SANE's test backend: a PDF with tesseract's text layer, owned by its user", "[scanner]") {
  TempDir root;
  make_target(root.path());
  SaneConfig sane("test");
  const std::vector<std::string> sets = {"--set", "SCANNER_DEVICE=test", "--set",
                                         "SCANNER_OPTIONS=--mode=Gray --resolution=50"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), sets.begin(), sets.end());
    return run_sc_rooted(root.path(), args);
  };
  // --dry-run scans nothing and writes nothing.
  const std::string before = tree_hash(root.path());
  ScRun r = with({"--dry-run", "scanner", "scan", "alice"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(tree_hash(root.path()) == before);

  r = with({"--json", "scanner", "scan", "alice"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const json res = json::parse(r.out)["result"];
  const std::string file = res["file"];
  CHECK(res["owner"] == "alice");
  CHECK(file.rfind("/srv/mass/scan/alice/scan-", 0) == 0);
  const fs::path pdf = root / file.substr(1);
  REQUIRE(fs::is_regular_file(pdf));
  struct stat st {};
  REQUIRE(::stat(pdf.c_str(), &st) == 0);
  CHECK(st.st_uid == 4242u);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((root / "srv/mass/scan/alice").c_str(), &st) == 0);
  CHECK(st.st_uid == 4242u);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK_THAT(output_of({"pdfinfo", pdf.string()}), Contains("Producer:        Tesseract"));
  // tesseract's invisible text layer is in a font of its own.
  CHECK_THAT(output_of({"pdffonts", pdf.string()}), Contains("GlyphLessFont"));
  CHECK(pdfs_in(root / "srv/mass/scan/alice").size() == 1);

  // A second scan in the same second gets its own name; the shared one is root's.
  r = with({"scanner", "scan", "alice"});
  REQUIRE(r.status == 0);
  CHECK(pdfs_in(root / "srv/mass/scan/alice").size() == 2);
  r = with({"scanner", "scan"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto shared = pdfs_in(root / "srv/mass/scan/shared");
  REQUIRE(shared.size() == 1);
  REQUIRE(::stat(shared[0].c_str(), &st) == 0);
  CHECK(st.st_uid == 0u);
  CHECK((st.st_mode & 0777) == 0644);

  // SCANNER_USER: the button's scans go to that user's directory.
  r = with({"--set", "SCANNER_USER=alice", "scanner", "scan"});
  REQUIRE(r.status == 0);
  CHECK(pdfs_in(root / "srv/mass/scan/alice").size() == 3);

  // A failed scan leaves nothing: no partial PDF, no scratch file.
  const std::string hash = tree_hash(root.path());
  r = with({"--set", "SCANNER_DEVICE=nosuch", "scanner", "scan", "alice"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("scanimage failed"));
  CHECK_THAT(r.err, Contains("nothing was written"));
  CHECK(tree_hash(root.path()) == hash);
  // An OCR language that is not installed fails at tesseract: nothing either.
  r = with({"--set", "SCANNER_LANG=zzz", "scanner", "scan", "alice"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("tesseract failed"));
  CHECK(tree_hash(root.path()) == hash);

  // An unknown user is refused before anything is scanned.
  r = with({"scanner", "scan", "bob"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("no such user"));
  CHECK(tree_hash(root.path()) == hash);
}

TEST_CASE("scanner scan of a page with words (SANE's pnm backend): pdftotext reads them back", "[scanner]") {
  TempDir root, work;
  make_target(root.path());
  // A page with words: a hand-written PDF, drawn by pdftoppm into the PGM
  // file that SANE's pnm backend scans.
  const std::string stream = "BT /F1 28 Tf 20 40 Td (Hello scanner) Tj ET";
  std::vector<std::string> objs = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string text = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objs.size(); ++i) {
    offsets.push_back(text.size());
    text += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  const size_t xref = text.size();
  text += "xref\n0 6\n0000000000 65535 f \n";
  for (size_t o : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    text += line;
  }
  text += "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  write_text(work / "page.pdf", text);
  output_of({"pdftoppm", "-r", "200", "-gray", "-singlefile", (work / "page.pdf").string(), (work / "page").string()});
  REQUIRE(fs::exists(work / "page.pgm"));

  SaneConfig sane("pnm");
  ScRun r = run_sc_rooted(root.path(), {"--set", "SCANNER_DEVICE=pnm:0", "--set",
                                        "SCANNER_OPTIONS=--filename=" + (work / "page.pgm").string(), "--json",
                                        "scanner", "scan", "alice"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  const std::string file = json::parse(r.out)["result"]["file"];
  CHECK_THAT(output_of({"pdftotext", (root / file.substr(1)).string(), "-"}), Contains("Hello scanner"));
}

TEST_CASE("scanner ready and daemon say what is missing, daemon refuses --root", "[scanner]") {
  TempDir root;
  make_target(root.path());
  ScRun r = run_sc_rooted(root.path(), {"scanner", "ready"});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("SCANNER_MODE is not set"));
  r = run_sc_rooted(root.path(), {"scanner", "daemon"});
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Contains("without --root"));

  // The status hook: not in use, nothing to say; set up in settings only,
  // each missing part an error whose fix is setup; SCANNER_HOST unused in
  // local mode, used in remote mode.
  r = run_sc_rooted(root.path(), {"--json", "scanner", "status"});
  REQUIRE(r.status == 0);
  nlohmann::json st = nlohmann::json::parse(r.out)["result"];
  CHECK(st["problems"].empty());
  CHECK(st["unused_settings"] == nlohmann::json::array({"SCANNER_HOST"}));
  REQUIRE(run_sc_rooted(root.path(), {"settings", "set", "SCANNER_MODE", "remote"}).status == 0);
  st = nlohmann::json::parse(run_sc_rooted(root.path(), {"--json", "scanner", "status", "local"}).out)["result"];
  REQUIRE(st["problems"].size() == 1);
  CHECK(st["problems"][0]["what"] == "the scanner (remote): SCANNER_HOST is not set: run `sc scanner setup`");
  CHECK(st["problems"][0]["fix"] == "sc scanner setup");
  CHECK(st["unused_settings"].empty());
  CHECK(run_sc_rooted(root.path(), {"scanner", "status", "remote"}).status == 2);
}

TEST_CASE("scanner: scanbd reads sc's files and gives the test device sc's scan action", "[scanner]") {
  // Debian's scanbd.conf and device files, then sc's lines; scanbd itself
  // parses them (a parse error ends it at once) and says which section it
  // took for each device it polls.
  TempDir root;
  make_target(root.path());
  fs::copy("/etc/scanbd/scanbd.conf", root / "etc/scanbd/scanbd.conf", fs::copy_options::overwrite_existing);
  fs::copy("/etc/scanbd/scanner.d", root / "etc/scanbd/scanner.d", fs::copy_options::recursive);
  ScRun r = run_sc_rooted(root.path(), {"--set", "SCANNER_MODE=local", "--set", "SCANNER_CLIENTS=c1", "--set",
                                        "SCANNER_DEVICE=test", "scanner", "setup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  SaneConfig sane("test");
  sc::ProcessSpec spec;
  spec.argv = {"scanbd", "-f", "-d7", "-c", (root / "etc/scanbd/scanbd.conf").string()};
  spec.capture_out = spec.capture_err = true;
  spec.timeout = std::chrono::milliseconds(3000);
  sc::ProcessResult p = sc::run_process(spec);
  INFO(p.out << p.err);
  CHECK(p.timed_out);  // still polling: it took the configuration
  CHECK_THAT(p.out + p.err, Contains("found 1 local action for device test:0 [synccluster]"));
  CHECK_THAT(p.out + p.err, Contains("checking action scan with filter: ^scan.*"));
}
