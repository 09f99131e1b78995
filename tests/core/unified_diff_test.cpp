#include "engine/unified_diff.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>

#include "test_support.hpp"

using sc::unified_diff;

namespace {

// What `diff -U<context> --label a --label b OLD NEW` prints; nullopt when
// no GNU diff can be run.
std::optional<std::string> gnu_diff(const sc::test::TempDir& dir, const std::string& a, const std::string& b,
                                    int context) {
  sc::test::write_text(dir / "old", a);
  sc::test::write_text(dir / "new", b);
  sc::ProcessSpec spec;
  spec.argv = {"diff",
               "-U" + std::to_string(context),
               "--label",
               "a/f",
               "--label",
               "b/f",
               (dir / "old").string(),
               (dir / "new").string()};
  spec.capture_out = spec.capture_err = true;
  sc::ProcessResult r = sc::run_process(spec);
  if (!r.started || r.exit_code > 1) return std::nullopt;
  return r.out;
}

std::string lines(std::initializer_list<const char*> items, bool final_newline = true) {
  std::string s;
  size_t i = 0;
  for (const char* item : items) {
    s += item;
    if (++i < items.size() || final_newline) s += '\n';
  }
  return s;
}

}  // namespace

TEST_CASE("equal texts give no diff") {
  CHECK(unified_diff("", "", "a", "b").empty());
  CHECK(unified_diff("x\ny\n", "x\ny\n", "a", "b").empty());
  CHECK(unified_diff("no newline", "no newline", "a", "b").empty());
}

TEST_CASE("a changed line in the middle, with three lines of context") {
  std::string old_text = lines({"1", "2", "3", "4", "5", "6", "7", "8", "9"});
  std::string new_text = lines({"1", "2", "3", "4", "five", "6", "7", "8", "9"});
  CHECK(unified_diff(old_text, new_text, "a/etc/x", "b/etc/x") ==
        "--- a/etc/x\n"
        "+++ b/etc/x\n"
        "@@ -2,7 +2,7 @@\n"
        " 2\n"
        " 3\n"
        " 4\n"
        "-5\n"
        "+five\n"
        " 6\n"
        " 7\n"
        " 8\n");
}

TEST_CASE("a new file diffs against /dev/null") {
  CHECK(unified_diff("", "one\ntwo\n", "/dev/null", "b/etc/new") ==
        "--- /dev/null\n"
        "+++ b/etc/new\n"
        "@@ -0,0 +1,2 @@\n"
        "+one\n"
        "+two\n");
  CHECK(unified_diff("gone\n", "", "a/etc/old", "/dev/null") ==
        "--- a/etc/old\n"
        "+++ /dev/null\n"
        "@@ -1 +0,0 @@\n"
        "-gone\n");
}

TEST_CASE("a missing newline at the end is marked") {
  CHECK(unified_diff("a\nb", "a\nb\n", "a/f", "b/f") ==
        "--- a/f\n"
        "+++ b/f\n"
        "@@ -1,2 +1,2 @@\n"
        " a\n"
        "-b\n"
        "\\ No newline at end of file\n"
        "+b\n");
  CHECK(unified_diff("x\nend", "y\nend", "a/f", "b/f") ==
        "--- a/f\n"
        "+++ b/f\n"
        "@@ -1,2 +1,2 @@\n"
        "-x\n"
        "+y\n"
        " end\n"
        "\\ No newline at end of file\n");
}

TEST_CASE("distant changes make separate hunks, close ones merge") {
  std::string old_text, new_text;
  for (int i = 1; i <= 20; ++i) {
    old_text += std::to_string(i) + "\n";
    new_text += (i == 2 || i == 18 ? "x" : std::to_string(i)) + "\n";
  }
  CHECK(unified_diff(old_text, new_text, "a", "b", 1) ==
        "--- a\n+++ b\n"
        "@@ -1,3 +1,3 @@\n 1\n-2\n+x\n 3\n"
        "@@ -17,3 +17,3 @@\n 17\n-18\n+x\n 19\n");
  CHECK(unified_diff(old_text, new_text, "a", "b", 8) ==
        "--- a\n+++ b\n"
        "@@ -1,20 +1,20 @@\n 1\n-2\n+x\n 3\n 4\n 5\n 6\n 7\n 8\n 9\n 10\n 11\n 12\n 13\n 14\n"
        " 15\n 16\n 17\n-18\n+x\n 19\n 20\n");
  CHECK(unified_diff("a\nb\n", "a\nc\n", "a", "b", 0) == "--- a\n+++ b\n@@ -2 +2 @@\n-b\n+c\n");
}

TEST_CASE("binary content gives diff's one-liner") {
  CHECK(unified_diff(std::string("a\0b", 3), "ab", "a/bin", "b/bin") == "Binary files a/bin and b/bin differ\n");
  CHECK(unified_diff(std::string("a\0b", 3), std::string("a\0b", 3), "a", "b").empty());
}

TEST_CASE("byte-exact with GNU diff -u on generated cases") {
  sc::test::TempDir dir;
  if (!gnu_diff(dir, "a\n", "b\n", 3)) {
    WARN("GNU diff not available: comparison skipped");
    return;
  }
  std::mt19937 rng(20261126);
  auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  int compared = 0;
  for (int round = 0; round < 250; ++round) {
    // Few distinct lines make ties and repeated lines (the hard cases); a
    // few rounds use independent texts.
    const unsigned alphabet = 1 + pick(round % 5 == 0 ? 40 : 8);
    const unsigned count = pick(round % 10 == 0 ? 300 : 40);
    std::vector<std::string> a;
    for (unsigned i = 0; i < count; ++i) a.push_back(std::string(1 + pick(2), char('a' + pick(alphabet))));
    std::vector<std::string> b = a;
    if (round % 7 == 3) {
      b.clear();
      for (unsigned i = 0, n = pick(200); i < n; ++i) b.push_back(std::string(1, char('a' + pick(alphabet))));
    } else {
      for (unsigned e = 0, n = pick(8); e < n; ++e) {
        size_t pos = b.empty() ? 0 : pick(static_cast<unsigned>(b.size()));
        std::string line(1, char('a' + pick(alphabet + 3)));
        switch (pick(3)) {
          case 0:
            b.insert(b.begin() + static_cast<long>(pos), line);
            break;
          case 1:
            if (!b.empty()) b.erase(b.begin() + static_cast<long>(pos));
            break;
          default:
            if (!b.empty()) b[pos] = line;
            break;
        }
      }
    }
    auto join = [&](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& l : v) s += l + "\n";
      if (!s.empty() && pick(4) == 0) s.pop_back();  // no newline at the end
      return s;
    };
    std::string old_text = join(a), new_text = join(b);
    const int context = static_cast<int>(pick(5));
    auto want = gnu_diff(dir, old_text, new_text, context);
    REQUIRE(want);
    INFO("round " << round << " context " << context << "\n--- old:\n" << old_text << "\n--- new:\n" << new_text);
    CHECK(unified_diff(old_text, new_text, "a/f", "b/f", context) == *want);
    ++compared;
  }
  CHECK(compared == 250);
}
