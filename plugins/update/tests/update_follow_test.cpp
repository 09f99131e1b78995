// The pure parts of "code follows the master" (sc update follow, sc master
// update_sc): how an install is recognised, which files a host takes from
// its master, the master's list checked as hostile input, and the decision
// with its message for every case — the Debian-package case included, which
// the test machines cannot run for real (no sc package installed in /usr).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../release.hpp"

using Catch::Contains;
using nlohmann::json;
using namespace update_rel;

namespace {

const std::string kSum(64, 'a');

json good_list() {
  return json{{"version", "1.2.3"},
              {"kind", "local"},
              {"exe", "/usr/local/sbin/sc"},
              {"files",
               {{{"path", "usr/local/lib/sc/user.so"}, {"sha256", kSum}, {"mode", "0644"}},
                {{"path", "usr/local/lib/sc/core/ssh.so"}, {"sha256", kSum}, {"mode", "0644"}},
                {{"path", "usr/local/sbin/sc"}, {"sha256", std::string(64, 'B')}, {"mode", "0755"}}}}};
}

std::string refusal(const json& doc, bool files = true) {
  std::string why;
  auto r = parse_release(doc.dump(), files, &why);
  CHECK_FALSE(r);
  return why;
}

Version v(unsigned a, unsigned b, unsigned c) {
  Version x;
  x.major = a;
  x.minor = b;
  x.patch = c;
  return x;
}

}  // namespace

TEST_CASE("update follow: the install kind comes from the running sc's path", "[update]") {
  CHECK(kind_of_exe("/usr/local/sbin/sc") == Kind::local);
  CHECK(kind_of_exe("/usr/bin/sc") == Kind::debian);
  CHECK(kind_of_exe("/usr/sbin/sc") == Kind::debian);
  CHECK(kind_of_exe("/usr/local/bin/sc") == Kind::other);  // not where an install puts it
  CHECK(kind_of_exe("/work/build/core/sc") == Kind::other);
  CHECK(kind_of_exe("/usr/binx/sc") == Kind::other);
  for (Kind k : {Kind::local, Kind::debian, Kind::other}) CHECK(parse_kind(kind_name(k)) == k);
  CHECK_FALSE(parse_kind("usr"));
}

TEST_CASE("update follow: only sc's own files under /usr/local are taken from the master", "[update]") {
  std::string why;
  CHECK(followable("usr/local/sbin/sc", &why));
  CHECK(followable("usr/local/lib/sc/user.so", &why));
  CHECK(followable("usr/local/lib/sc/core/ssh.so", &why));
  CHECK_FALSE(followable("usr/local/lib/sc/", &why));
  CHECK_FALSE(followable("usr/local/lib/sc", &why));
  CHECK_FALSE(followable("usr/local/bin/sc", &why));
  CHECK_THAT(why, Contains("not one of sc's files"));
  CHECK_FALSE(followable("usr/local/lib/sc/../../../../etc/shadow", &why));
  CHECK_FALSE(followable("etc/shadow", &why));
  CHECK_FALSE(followable("/usr/local/sbin/sc", &why));
  CHECK_FALSE(followable("usr/local/lib/sc/a\nb.so", &why));
  CHECK_FALSE(followable("usr/local/lib/sc//x.so", &why));
}

TEST_CASE("update follow: the master's answer is checked as hostile input", "[update]") {
  std::string why;
  auto r = parse_release(good_list().dump(), true, &why);
  INFO(why);
  REQUIRE(r);
  CHECK(to_string(r->version) == "1.2.3");
  CHECK(r->kind == Kind::local);
  REQUIRE(r->files.size() == 3);
  CHECK(r->files[2].sha256 == std::string(64, 'b'));  // lower-cased
  CHECK(r->files[2].exec);
  CHECK_FALSE(r->files[0].exec);
  // Without files, the list is not needed.
  json bare = {{"version", "1.2.3"}, {"kind", "debian"}};
  REQUIRE(parse_release(bare.dump(), false, &why));

  CHECK_THAT(refusal("not json"), Contains("not a JSON object"));
  CHECK_THAT(refusal(json::array()), Contains("not a JSON object"));
  json d = good_list();
  d["version"] = "1.2";
  CHECK_THAT(refusal(d), Contains("not MAJOR.MINOR.PATCH"));
  d["version"] = 7;
  CHECK_THAT(refusal(d), Contains("no \"version\""));
  d = good_list();
  d["kind"] = "rpm";
  CHECK_THAT(refusal(d), Contains("kind"));
  d = good_list();
  d["files"] = json::array();
  CHECK_THAT(refusal(d), Contains("lists no files"));
  d = good_list();
  d["files"][0]["path"] = "etc/shadow";
  CHECK_THAT(refusal(d), Contains("outside /usr/local/"));
  d["files"][0]["path"] = "usr/local/bin/sc";
  CHECK_THAT(refusal(d), Contains("not one of sc's files"));
  d["files"][0]["path"] = "usr/local/lib/sc/../../../etc/shadow";
  CHECK_THAT(refusal(d), Contains("\"..\""));
  d = good_list();
  d["files"][1]["path"] = "usr/local/lib/sc/user.so";
  CHECK_THAT(refusal(d), Contains("listed twice"));
  d = good_list();
  d["files"][0]["sha256"] = std::string(63, 'a');
  CHECK_THAT(refusal(d), Contains("not 64 hex digits"));
  d["files"][0]["sha256"] = std::string(64, 'g');
  CHECK_THAT(refusal(d), Contains("not 64 hex digits"));
  d["files"][0]["sha256"] = kSum + " ";
  CHECK_THAT(refusal(d), Contains("not 64 hex digits"));
  d = good_list();
  d["files"][0]["mode"] = "4755";
  CHECK_THAT(refusal(d), Contains("not 0644 or 0755"));
  d = good_list();
  d["files"][0].erase("mode");
  CHECK_THAT(refusal(d), Contains("lacks"));
  d["files"][0] = "usr/local/sbin/sc";
  CHECK_THAT(refusal(d), Contains("lacks"));
  d["files"][0] = {{"path", 1}, {"sha256", kSum}, {"mode", "0644"}};
  CHECK_THAT(refusal(d), Contains("lacks"));
  d = good_list();
  d["files"] = "usr/local/sbin/sc";
  CHECK_THAT(refusal(d), Contains("lists no files"));
  d = good_list();
  d["files"].erase(2);
  CHECK_THAT(refusal(d), Contains("has no usr/local/sbin/sc"));
}

TEST_CASE("update follow: the decision and its message for each case", "[update]") {
  const std::vector<std::string> pkgs = debian_packages({"user", "master", "user"});
  CHECK(pkgs == std::vector<std::string>{"synccluster", "synccluster-plugin-master", "synccluster-plugin-user"});
  CHECK(apt_upgrade_command(pkgs) ==
        "apt-get update && apt-get install --only-upgrade synccluster synccluster-plugin-master "
        "synccluster-plugin-user");
  const std::string exe = "/usr/local/sbin/sc";

  FollowPlan p = plan_follow("m", v(1, 2, 3), Kind::local, exe, v(1, 2, 3), Kind::local, exe, {});
  CHECK(p.action == FollowAction::same);
  CHECK_FALSE(p.failure);

  p = plan_follow("m", v(1, 2, 3), Kind::local, exe, v(1, 2, 2), Kind::local, exe, {});
  CHECK(p.action == FollowAction::peer_older);
  CHECK_THAT(p.message, Contains("m runs sc 1.2.2, older than 1.2.3 here"));

  p = plan_follow("m", v(1, 2, 3), Kind::local, exe, v(2, 0, 0), Kind::local, exe, {});
  CHECK(p.action == FollowAction::newer_major);
  CHECK(p.failure);
  CHECK_THAT(p.message, Contains("refusing to update sc 1.2.3 to 2.0.0 from m"));
  CHECK_THAT(p.message, Contains("sc update upgrade 1.2.3"));
  // A newer major is refused whatever the install.
  CHECK(plan_follow("m", v(1, 2, 3), Kind::debian, "/usr/bin/sc", v(2, 0, 0), Kind::local, exe, pkgs).action ==
        FollowAction::newer_major);
  // An older major on the master is only older.
  CHECK(plan_follow("m", v(2, 0, 0), Kind::local, exe, v(1, 9, 9), Kind::local, exe, {}).action ==
        FollowAction::peer_older);

  // A Debian install here: never written; the skew and the apt command.
  p = plan_follow("m", v(1, 2, 3), Kind::debian, "/usr/bin/sc", v(1, 3, 0), Kind::local, exe, pkgs);
  CHECK(p.action == FollowAction::debian_here);
  CHECK_FALSE(p.failure);
  CHECK_THAT(p.message, Contains("m runs sc 1.3.0, this host 1.2.3 from Debian packages (/usr/bin/sc)"));
  CHECK_THAT(p.message, Contains("`" + apt_upgrade_command(pkgs) + "`"));
  CHECK_THAT(p.message, Contains("sc update upgrade 1.2.3"));

  p = plan_follow("m", v(1, 2, 3), Kind::other, "/work/build/core/sc", v(1, 3, 0), Kind::local, exe, {});
  CHECK(p.action == FollowAction::other_here);
  CHECK_THAT(p.message, Contains("/work/build/core/sc"));

  p = plan_follow("m", v(1, 2, 3), Kind::local, exe, v(1, 3, 0), Kind::debian, "/usr/bin/sc", {});
  CHECK(p.action == FollowAction::peer_not_local);
  CHECK_THAT(p.message, Contains("m runs sc 1.3.0 from /usr/bin/sc"));

  p = plan_follow("m", v(1, 2, 3), Kind::local, exe, v(1, 2, 4), Kind::local, exe, {});
  CHECK(p.action == FollowAction::install);
  CHECK(p.message == "updating sc 1.2.3 to 1.2.4 from m");
}
