#include "pg_harness.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace sc::test {

namespace {

ProcessResult run_checked(const std::vector<std::string>& argv, const std::string& what,
                          const std::optional<std::string>& input = std::nullopt) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.capture_out = spec.capture_err = true;
  spec.input = input;
  spec.timeout = std::chrono::milliseconds(60000);
  ProcessResult r = run_process(spec);
  if (!r.ok()) throw std::runtime_error(what + " failed: " + r.describe() + ": " + r.err + r.out);
  return r;
}

fs::path postgres_bin() {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin/initdb")) found.push_back(e.path() / "bin");
  if (found.empty()) throw std::runtime_error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)");
  std::sort(found.begin(), found.end());
  return found.back();
}

}  // namespace

PgCluster::PgCluster() : bin_(postgres_bin()) {
  passwd* pg = ::getpwnam("postgres");
  if (!pg) throw std::runtime_error("no postgres system user");
  data_ = dir_ / "data";
  socket_dir_ = dir_ / "run";
  fs::create_directories(data_);
  fs::create_directories(socket_dir_);
  for (const auto& p : {dir_.path(), data_, socket_dir_})
    if (::chown(p.c_str(), pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("chown " + p.string());
  fs::permissions(data_, fs::perms(0700));
  port_ = free_loopback_port();
  run_checked({"runuser", "-u", "postgres", "--", (bin_ / "initdb").string(), "-D", data_.string(), "-U", "postgres",
               "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"},
              "initdb");
  run_checked(
      {"runuser", "-u", "postgres", "--", (bin_ / "pg_ctl").string(), "-D", data_.string(), "-l",
       (dir_ / "server.log").string(), "-w", "-t", "60", "-o",
       "-p " + std::to_string(port_) + " -k " + socket_dir_.string() + " -c listen_addresses=127.0.0.1 -c fsync=off",
       "start"},
      "pg_ctl start");
}

PgCluster::~PgCluster() {
  ProcessSpec spec;
  spec.argv = {"runuser", "-u",        "postgres", "--",  (bin_ / "pg_ctl").string(), "-D", data_.string(),
               "-m",      "immediate", "-w",       "stop"};
  spec.capture_out = spec.capture_err = true;
  spec.timeout = std::chrono::milliseconds(30000);
  run_process(spec);
}

std::vector<std::string> PgCluster::set_args() const {
  return {"--set", "DB_PGHOST=" + socket_dir_.string(), "--set", "DB_PGPORT=" + std::to_string(port_)};
}

std::string PgCluster::psql(const std::string& sql, const std::string& database) const {
  return run_checked({"runuser", "-u", "postgres", "--", (bin_ / "psql").string(), "-X", "-q", "-tA", "-v",
                      "ON_ERROR_STOP=1", "-h", socket_dir_.string(), "-p", std::to_string(port_), "-d", database},
                     "psql", sql)
      .out;
}

std::string PgCluster::tool(const std::string& name, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"runuser",
                                   "-u",
                                   "postgres",
                                   "--",
                                   (bin_ / name).string(),
                                   "-h",
                                   socket_dir_.string(),
                                   "-p",
                                   std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_checked(argv, name).out;
}

std::string original_db_backup(const PgCluster& pg, const std::string& role, const std::string& database) {
  std::string stream = "DROP DATABASE IF EXISTS " + database + ";\nDROP ROLE IF EXISTS " + role + ";\n";
  std::istringstream roles(pg.tool("pg_dumpall", {"--roles-only"}));
  for (std::string line; std::getline(roles, line);)
    for (const char* verb : {"CREATE ROLE ", "DROP ROLE ", "ALTER ROLE "})
      if (line.rfind(verb + role, 0) == 0) {
        stream += line + "\n";
        break;
      }
  stream += "CREATE DATABASE " + database + " OWNER=" + role + ";\n\\connect " + database + "\n";
  return stream + pg.tool("pg_dump", {"--no-tablespaces", database});
}

}  // namespace sc::test
