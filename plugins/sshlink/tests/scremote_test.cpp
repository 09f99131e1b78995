// sshlink scremote: the answers the ORIGINAL tool's clients get from a
// master running this sc, byte for byte (they read stdout with $(...)),
// with their exit statuses; the pure part and the built sc under --root.
#include "../scremote.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace sc::test;
using sshlink::scremote::answer;

namespace {

std::optional<std::string> values(const std::string& name) {
  if (name == "MASSMODE") return std::string("nfs4");
  if (name == "MASTER_MODE") return std::string("master");
  if (name == "ROUNDCUBE_PASSWORD") return std::string("s3cret");
  return std::nullopt;
}

}  // namespace

TEST_CASE("scremote: master buildnumber is the exact no-update answer of the original", "[sshlink]") {
  auto a = answer({"master", "buildnumber"}, values);
  // The original client compares its $(...) with exactly this text and then
  // keeps its own sc: any number would start its rsync --delete.
  CHECK(a.out == "Cannot find sc master buildnumber\n");
  CHECK(a.status == 1);
  // Extra words do not change it into a number.
  CHECK(answer({"master", "buildnumber", "x"}, values).out == "Cannot find sc master buildnumber\n");
}

TEST_CASE("scremote: MODULE settings lists the original's names, settings get its values", "[sshlink]") {
  CHECK(answer({"update", "settings"}, values).out == "SCUPDATEURL\n");
  CHECK(answer({"mass", "settings"}, values).out == "MASSBACKUP\nMASSMODE\n");
  CHECK(answer({"master", "settings"}, values).out == "MASTER\nMASTER_MODE\n");
  CHECK(answer({"ssl", "settings"}, values).out == "SSLCERT\nSSLKEY\n");
  CHECK(answer({"backup", "settings"}, values).out == "BACKUP_DIR\nBACKUP_LIST\n");
  CHECK(answer({"update", "settings"}, values).status == 0);
  // A module of the original without a settings function.
  auto n = answer({"aptpackage", "settings"}, values);
  CHECK(n.out == "Error: Cannot find sc aptpackage settings\n");
  CHECK(n.status == 1);

  auto g = answer({"settings", "get", "MASSMODE"}, values);
  CHECK(g.out == "nfs4\n");
  CHECK(g.status == 0);
  // Unset: the original prints an empty line and succeeds.
  CHECK(answer({"settings", "get", "MASSDIR_NOT_SET"}, values).out == "\n");
  CHECK(answer({"settings", "get", "MASSDIR_NOT_SET"}, values).status == 0);
  // A password never leaves.
  auto p = answer({"settings", "get", "ROUNDCUBE_PASSWORD"}, values);
  CHECK(p.out.empty());
  CHECK(p.status == 1);
  CHECK(p.note.find("s3cret") == std::string::npos);
}

TEST_CASE("scremote: what would change the master or is unknown gets the original's errors", "[sshlink]") {
  auto s = answer({"settings", "set", "MASTER_MODE", "client"}, values);
  CHECK(s.out == "Error: Cannot find sc settings set\n");
  CHECK(s.status == 1);
  CHECK(answer({"master", "setup"}, values).out == "Error: Cannot find sc master setup\n");
  CHECK(answer({"db", "backup", "u", "d"}, values).out == "Error: Cannot find sc db backup\n");
  CHECK(answer({"master"}, values).out == "Error: Cannot find sc master \n");
  auto m = answer({"nosuch", "x"}, values);
  CHECK(m.out == "Error: Required module nosuch not found\n");
  CHECK(m.status == 2);
  CHECK(answer({"broadcall", "settings"}, values).out == "Error: Required module broadcall not found\n");
  auto e = answer({}, values);
  CHECK(e.out.empty());
  CHECK(e.status == 1);
  CHECK(answer({"master", "_link"}, values).out ==
        "Cannot call master _link: private function\nError: Cannot find sc master _link\n");
}

TEST_CASE("scremote: hostile NAMEs and modules print nothing but the original's error", "[sshlink][hostile]") {
  int asked = 0;
  auto counting = [&](const std::string& n) {
    ++asked;
    return values(n);
  };
  for (const auto& h : hostile_strings()) {
    auto g = answer({"settings", "get", h}, counting);
    CHECK(g.status == 1);
    CHECK(g.out.empty());
    CHECK(g.note.find('\n') == std::string::npos);
    auto m = answer({h, "settings"}, counting);
    CHECK(m.status != 0);
  }
  for (const char* bad : {"a;b", "$(id)", "A B", "1A", "-n", "../etc", "A\nB", ""}) {
    auto g = answer({"settings", "get", bad}, counting);
    CHECK(g.out.empty());
    CHECK(g.status == 1);
  }
  CHECK(asked == 0);
}

namespace {

fs::path master_root(const TempDir& root) {
  write_text(root / "etc/hostname", "m\n");
  write_text(root / "etc/sc", "# sc-settings 1\nMASTER_MODE=\"master\"\nMASS_MODE=\"nfs4\"\n", fs::perms(0600));
  return root.path();
}

}  // namespace

TEST_CASE("scremote: the built sc answers byte for byte, changing nothing", "[sshlink]") {
  TempDir root;
  master_root(root);
  const std::string before = tree_hash(root.path());

  ScRun b = run_sc_rooted(root.path(), {"sshlink", "scremote", "master", "buildnumber"});
  CHECK(b.out == "Cannot find sc master buildnumber\n");
  CHECK(b.status == 1);
  CHECK(b.err.find("sc master adopt") == std::string::npos);  // said only with -v: it comes every 20 minutes

  ScRun s = run_sc_rooted(root.path(), {"sshlink", "scremote", "mass", "settings"});
  CHECK(s.out == "MASSBACKUP\nMASSMODE\n");
  CHECK(s.status == 0);

  ScRun w = run_sc_rooted(root.path(), {"sshlink", "scremote", "settings", "set", "MASTER_MODE", "client"});
  CHECK(w.out == "Error: Cannot find sc settings set\n");
  CHECK(w.status == 1);
  CHECK(w.err.find("sc master adopt HOST") != std::string::npos);

  ScRun u = run_sc_rooted(root.path(), {"sshlink", "scremote", "nosuch", "settings"});
  CHECK(u.out == "Error: Required module nosuch not found\n");
  CHECK(u.status == 2);

  // Words after the command reach it untouched, option-like ones too.
  ScRun o = run_sc_rooted(root.path(), {"sshlink", "scremote", "settings", "get", "--bogus"});
  CHECK(o.out.empty());
  CHECK(o.status == 1);

  // has_sc of the original asks `sc sshlink exec localhost exit 0`.
  CHECK(run_sc_rooted(root.path(), {"sshlink", "exec", "localhost", "exit", "0"}).status == 0);
  CHECK(run_sc_rooted(root.path(), {"sshlink", "exec", "localhost", "exit", "1"}).status == 1);

  CHECK(tree_hash(root.path()) == before);
}

TEST_CASE("scremote: settings get answers the value the original would hold (settings original)", "[sshlink]") {
  TempDir root;
  master_root(root);
  // MASS_MODE is ours; the original named it MASSMODE (contract: the core's
  // mapping table, sc settings original NAME).
  ScRun g = run_sc_rooted(root.path(), {"sshlink", "scremote", "settings", "get", "MASSMODE"});
  CHECK(g.out == "nfs4\n");
  CHECK(g.status == 0);
  ScRun u = run_sc_rooted(root.path(), {"sshlink", "scremote", "settings", "get", "MASTER"});
  CHECK(u.out == "\n");  // the master has no master: empty, as the original
  CHECK(u.status == 0);
}
