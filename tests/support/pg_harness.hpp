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

 private:
  TempDir dir_;
  fs::path bin_;
  fs::path data_;
  fs::path socket_dir_;
  int port_ = 0;
};

}  // namespace sc::test
