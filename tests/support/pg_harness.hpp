// A private PostgreSQL cluster for a test: initdb into a temporary
// directory, a server on a free loopback port and its own socket directory,
// stopped and removed at the end. Needs root (it runs the server as the
// postgres system user) and the postgresql package.
#pragma once

#include <string>
#include <vector>

#include "test_support.hpp"

namespace sc::test {

class PgCluster {
 public:
  PgCluster();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  int port() const { return port_; }
  const fs::path& socket_dir() const { return socket_dir_; }
  /// `--set` arguments pointing the db module at this cluster.
  std::vector<std::string> set_args() const;
  /// Runs SQL as the postgres superuser in `database`; returns psql -tA output.
  std::string psql(const std::string& sql, const std::string& database = "postgres") const;
  /// Runs PostgreSQL's TOOL (pg_dump, pg_dumpall...) as postgres against
  /// this cluster; its output (the test fails when it fails).
  std::string tool(const std::string& name, const std::vector<std::string>& args) const;

 private:
  TempDir dir_;
  fs::path bin_;
  fs::path data_;
  fs::path socket_dir_;
  int port_ = 0;
};

/// The stream the ORIGINAL tool's `db backup ROLE DATABASE` wrote (before
/// its `xz -c -8`), from `pg`'s real server: `DROP DATABASE IF EXISTS`,
/// `DROP ROLE IF EXISTS`, the role's lines of `pg_dumpall --roles-only`
/// (those its `grep -P '^(?:CREATE|DROP|ALTER) ROLE ROLE'` kept), `CREATE
/// DATABASE ... OWNER=...`, `\connect DATABASE`, then `pg_dump
/// --no-tablespaces DATABASE`.
std::string original_db_backup(const PgCluster& pg, const std::string& role, const std::string& database);

}  // namespace sc::test
