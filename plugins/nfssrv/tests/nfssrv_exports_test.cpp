// nfssrv's pure functions: the exact /etc/exports and ganesha.conf texts,
// the clients they are for, stable export ids and the choice of server.
#include <catch2/catch.hpp>

#include "../exports.hpp"
#include "test_support.hpp"

using namespace sc::test;
using Catch::Contains;

namespace {

const std::string kHeader =
    "# Written by sc nfssrv from the settings NFSSRV_EXPORTS and NFSSRV_CLIENTS: change them with\n"
    "# `sc nfssrv add|del PATH` and `sc nfssrv allow|deny CLIENT`; edits made here are replaced.\n";

const std::string kGaneshaHeader =
    "# Written by sc nfssrv from the settings NFSSRV_EXPORTS and NFSSRV_CLIENTS (and NFSSRV_GANESHA_PORT,\n"
    "# NFSSRV_GANESHA_BIND): change them with\n"
    "# `sc nfssrv add|del PATH` and `sc nfssrv allow|deny CLIENT`; edits made here are replaced.\n";

}  // namespace

TEST_CASE("nfssrv: clients", "[nfssrv]") {
  for (const char* ok : {"c1", "c1.example.com", "10.0.0.1", "10.0.0.0/24", "0.0.0.0/0", "fd00::1", "fd00::/64",
                         "::ffff:10.0.0.1", "A-1.b"}) {
    INFO(ok);
    CHECK(nfssrv::client_problem(ok).empty());
  }
  CHECK_THAT(nfssrv::client_problem("*"), Contains("wildcards are refused"));
  CHECK_THAT(nfssrv::client_problem("*.example.com"), Contains("wildcards are refused"));
  CHECK_THAT(nfssrv::client_problem("10.0.0.0/33"), Contains("prefix length is 0 to 32"));
  CHECK_THAT(nfssrv::client_problem("fd00::/129"), Contains("prefix length is 0 to 128"));
  CHECK_THAT(nfssrv::client_problem("host/24"), Contains("a network is an IP address"));
  for (const std::string bad : {"", "a b", "a(rw)", "a,b", "@netgroup", "-a", "a..b", "300.0.0.1", "10.0.0.0/",
                                "10.0.0.0/024", "a_b", "g::z", "ünï"}) {
    INFO(bad);
    CHECK_FALSE(nfssrv::client_problem(bad).empty());
  }
  for (const auto& bad : hostile_strings()) CHECK_FALSE(nfssrv::client_problem(bad).empty());
  for (const char* ok : {"127.0.0.1", "0.0.0.0", "::", "fd00::1"}) CHECK(nfssrv::valid_address(ok));
  for (const char* bad : {"", "host.example.com", "10.0.0.0/8", "1.2.3", "localhost", "::g"})
    CHECK_FALSE(nfssrv::valid_address(bad));
  CHECK(nfssrv::list_items("  /home\t/srv/mass /home \n") == std::vector<std::string>{"/home", "/srv/mass"});
  CHECK(nfssrv::join_items({"/home", "/srv/mass"}) == "/home /srv/mass");
  CHECK(nfssrv::list_items("").empty());
}

TEST_CASE("nfssrv: /etc/exports", "[nfssrv]") {
  nfssrv::Exports e;
  e.paths = {"/home", "/srv/mass"};
  e.missing = {"/srv/media"};
  e.clients = {"c1.example.com", "10.0.0.0/24"};
  CHECK(nfssrv::exports_file(e) == kHeader +
                                       "# /srv/media is not a directory on this host: not exported.\n"
                                       "/home c1.example.com(rw,sync,no_subtree_check) "
                                       "10.0.0.0/24(rw,sync,no_subtree_check)\n"
                                       "/srv/mass c1.example.com(rw,sync,no_subtree_check) "
                                       "10.0.0.0/24(rw,sync,no_subtree_check)\n");
  // Without clients nothing is exported: a line without clients would go
  // to every host.
  e.clients.clear();
  CHECK(nfssrv::exports_file(e) == kHeader +
                                       "# /srv/media is not a directory on this host: not exported.\n"
                                       "# No client is allowed (sc nfssrv allow CLIENT): nothing is exported.\n");
  CHECK(nfssrv::exports_file({}) == kHeader +
                                        "# No directory to export (sc nfssrv add PATH).\n"
                                        "# No client is allowed (sc nfssrv allow CLIENT): nothing is exported.\n");
  CHECK(nfssrv::written_by_sc(nfssrv::exports_file({})));
  CHECK_FALSE(nfssrv::has_content(nfssrv::exports_file({})));
  CHECK_FALSE(nfssrv::written_by_sc("/srv *(rw)\n"));
  CHECK(nfssrv::has_content("# Debian's file\n\n  /srv *(rw)\n"));
  CHECK_FALSE(nfssrv::has_content("# /etc/exports: the access control list\n#\n\n"));
}

TEST_CASE("nfssrv: NFS-Ganesha export ids are stable", "[nfssrv]") {
  auto two = nfssrv::export_ids({"/home", "/srv/mass"});
  auto three = nfssrv::export_ids({"/srv/media", "/srv/mass", "/home"});
  CHECK(two.at("/home") == three.at("/home"));
  CHECK(two.at("/srv/mass") == three.at("/srv/mass"));
  CHECK(two.at("/home") != two.at("/srv/mass"));
  for (const auto& [path, id] : three) CHECK(id >= 1);
  // Two paths whose ids collide: the one sorted first keeps it, the other
  // takes the next.
  const std::uint16_t want = nfssrv::export_ids({"/d0"}).at("/d0");
  std::string other;
  for (int i = 1; i < 2000000 && other.empty(); ++i)
    if (nfssrv::export_ids({"/d" + std::to_string(i)}).begin()->second == want) other = "/d" + std::to_string(i);
  REQUIRE_FALSE(other.empty());
  auto both = nfssrv::export_ids({other, "/d0"});
  CHECK(both.at("/d0") == want);
  CHECK(both.at(other) == static_cast<std::uint16_t>(want % 65535 + 1));
}

TEST_CASE("nfssrv: ganesha.conf", "[nfssrv]") {
  nfssrv::Exports e;
  e.paths = {"/home"};
  e.missing = {"/srv/mass"};
  e.clients = {"c1.example.com", "10.0.0.0/24"};
  const auto id = std::to_string(nfssrv::export_ids({"/home"}).at("/home"));
  CHECK(nfssrv::ganesha_conf(e, {20490, "127.0.0.1"}) == kGaneshaHeader +
                                                             "# /srv/mass is not a directory on this host: not "
                                                             "exported.\n"
                                                             "\n"
                                                             "NFS_CORE_PARAM {\n"
                                                             "    # NFSv4 over TCP only: no rpcbind, no NLM, no "
                                                             "RQUOTA.\n"
                                                             "    Protocols = 4;\n"
                                                             "    NFS_Port = 20490;\n"
                                                             "    Bind_addr = 127.0.0.1;\n"
                                                             "    Enable_NLM = false;\n"
                                                             "    Enable_RQUOTA = false;\n"
                                                             "}\n"
                                                             "\n"
                                                             "EXPORT {\n"
                                                             "    Export_Id = " +
                                                             id +
                                                             ";\n"
                                                             "    Path = \"/home\";\n"
                                                             "    Pseudo = \"/home\";\n"
                                                             "    Protocols = 4;\n"
                                                             "    Transports = TCP;\n"
                                                             "    SecType = sys;\n"
                                                             "    Squash = Root_Squash;\n"
                                                             "    Anonymous_Uid = 65534;\n"
                                                             "    Anonymous_Gid = 65534;\n"
                                                             "    Access_Type = None;\n"
                                                             "    FSAL {\n"
                                                             "        Name = VFS;\n"
                                                             "    }\n"
                                                             "    CLIENT {\n"
                                                             "        Clients = c1.example.com, 10.0.0.0/24;\n"
                                                             "        Protocols = 4;\n"
                                                             "        Access_Type = RW;\n"
                                                             "    }\n"
                                                             "}\n");
  // Every address, no export without clients.
  CHECK(nfssrv::ganesha_conf({}, {}) == kGaneshaHeader +
                                            "# No directory to export (sc nfssrv add PATH).\n"
                                            "# No client is allowed (sc nfssrv allow CLIENT): nothing is exported.\n"
                                            "\n"
                                            "NFS_CORE_PARAM {\n"
                                            "    # NFSv4 over TCP only: no rpcbind, no NLM, no RQUOTA.\n"
                                            "    Protocols = 4;\n"
                                            "    NFS_Port = 2049;\n"
                                            "    Enable_NLM = false;\n"
                                            "    Enable_RQUOTA = false;\n"
                                            "}\n");
  CHECK(nfssrv::written_by_sc(nfssrv::ganesha_conf({}, {})));
  // What a reload cannot change.
  CHECK(nfssrv::ganesha_core_block(nfssrv::ganesha_conf(e, {20490, "127.0.0.1"})) ==
        "NFS_CORE_PARAM {\n"
        "    # NFSv4 over TCP only: no rpcbind, no NLM, no RQUOTA.\n"
        "    Protocols = 4;\n"
        "    NFS_Port = 20490;\n"
        "    Bind_addr = 127.0.0.1;\n"
        "    Enable_NLM = false;\n"
        "    Enable_RQUOTA = false;\n"
        "}\n");
  CHECK(nfssrv::ganesha_core_block(nfssrv::ganesha_conf(e, {})) ==
        nfssrv::ganesha_core_block(nfssrv::ganesha_conf({}, {})));
  CHECK(nfssrv::ganesha_core_block("# Debian's sample, all comments\n").empty());
}

TEST_CASE("nfssrv: which server", "[nfssrv]") {
  std::string why;
  const std::string with_nfsd = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\tnfsd\n";
  const std::string without = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\tnfs4\n";
  CHECK(nfssrv::choose_server("auto", with_nfsd, false, &why) == nfssrv::Server::kernel);
  CHECK_THAT(why, Contains("nfsd in /proc/filesystems"));
  CHECK(nfssrv::choose_server("auto", without, true, &why) == nfssrv::Server::kernel);
  CHECK_THAT(why, Contains("can be loaded"));
  CHECK(nfssrv::choose_server("auto", without, false, &why) == nfssrv::Server::ganesha);
  CHECK_THAT(why, Contains("NFS-Ganesha serves the exports"));
  CHECK(nfssrv::choose_server("ganesha", with_nfsd, true, &why) == nfssrv::Server::ganesha);
  CHECK(why == "NFSSRV_SERVER is ganesha");
  CHECK(nfssrv::choose_server("kernel", without, false, &why) == nfssrv::Server::kernel);
  CHECK(nfssrv::server_name(nfssrv::Server::ganesha) == "ganesha");
}
