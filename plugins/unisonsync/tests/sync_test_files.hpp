// Helpers of the unisonsync tests, on loopback and on the test cluster:
// files with a chosen age, the conflict copies unison leaves, the JSON
// document of an `sc --json` run.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace unisonsync_test {

// File names every test synchronises: spaces, quotes, a newline, non-ASCII.
inline const std::string kOdd = "it's \"odd\"\nname é";

/// Writes `content` at `p` (seen from the test) with modification time now + `age` seconds.
inline void put(const sc::test::fs::path& p, const std::string& content, int age) {
  sc::test::write_text(p, content);
  const std::time_t t = std::time(nullptr) + age;
  struct timespec ts[2] = {{t, 0}, {t, 0}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), ts, 0) == 0);
}

/// Names in `dir` that start with `prefix` and are conflict copies, sorted.
inline std::vector<std::string> copies(const sc::test::fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : sc::test::fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind(prefix + " (conflict", 0) == 0) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The JSON document an `sc --json` run printed.
inline nlohmann::json doc(const sc::test::ScRun& r) {
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  INFO(r.out << r.err);
  REQUIRE(j.is_object());
  return j;
}

}  // namespace unisonsync_test
