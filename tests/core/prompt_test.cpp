// Questions on a real (pseudo-)terminal: prompts, choices, yes/no, no echo
// for secrets, re-asking after a bad answer, and storing the answers.
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {
std::vector<std::string> at(const fs::path& root, std::vector<std::string> args) {
  std::vector<std::string> all = {"--plugin-path", kFixtureDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}
}  // namespace

TEST_CASE("a missing setting is asked on the terminal and stored", "[prompt]") {
  TempDir root;
  ScRun r = run_sc_tty(at(root.path(), {"probe", "get", "PROBE_PATH", "prompt"}),
                       {{"A directory: ", "relative/path\n"}, {"A directory: ", "/srv/data\n"}});
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("is not an absolute path"));  // asked again after a bad answer
  CHECK_THAT(read_text(root / "etc/sc"), Contains("PROBE_PATH=\"/srv/data\""));
  // Asked once: the next run uses the stored value without a question.
  r = run_sc_tty(at(root.path(), {"probe", "get", "PROBE_PATH", "prompt"}), {});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("/srv/data") && !Contains("A directory"));
}

TEST_CASE("choices are offered by number or by value", "[prompt]") {
  TempDir root;
  ScRun r = run_sc_tty(at(root.path(), {"probe", "get", "PROBE_CHOICE", "prompt"}),
                       {{"Choice: ", "7\n"}, {"Choice: ", "2\n"}});
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("1) alpha") && Contains("3) gamma") && Contains("Please answer with one of"));
  CHECK_THAT(read_text(root / "etc/sc"), Contains("PROBE_CHOICE=\"beta\""));
}

TEST_CASE("yes/no questions and defaults", "[prompt]") {
  TempDir root;
  ScRun r = run_sc_tty(at(root.path(), {"probe", "ask", "yesno", "Really?", "yes"}), {{"Really? [Y/n] ", "\n"}});
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("answer=yes"));
  r = run_sc_tty(at(root.path(), {"probe", "ask", "yesno", "Really?"}),
                 {{"Really? [y/N] ", "maybe\n"}, {"yes or no", "y\n"}});
  CHECK_THAT(r.out, Contains("answer=yes"));
  r = run_sc_tty(at(root.path(), {"probe", "ask", "text", "Name?", "bob"}), {{"Name? [bob]: ", "\n"}});
  CHECK_THAT(r.out, Contains("answer=bob"));
}

TEST_CASE("secrets are read without echo", "[prompt]") {
  TempDir root;
  ScRun r = run_sc_tty(at(root.path(), {"probe", "ask", "secret", "Password"}), {{"Password: ", "hunter2\n"}});
  INFO(r.out);
  CHECK(r.status == 0);
  auto answer = r.out.find("answer=hunter2");
  REQUIRE(answer != std::string::npos);
  CHECK(r.out.substr(0, answer).find("hunter2") == std::string::npos);
}

TEST_CASE("without a terminal nothing is guessed", "[prompt]") {
  TempDir root;
  ScRun r = run_sc(at(root.path(), {"probe", "ask", "yesno", "Really?"}));
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Contains("no terminal") && Contains("--yes"));
  r = run_sc(at(root.path(), {"--yes", "probe", "ask", "yesno", "Really?"}));
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Contains("answer=yes"));
  r = run_sc(at(root.path(), {"--yes", "probe", "ask", "secret", "Password"}));
  CHECK(r.status == 1);
}
