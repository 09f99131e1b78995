// Debian's daemons a test runs in a host of the test cluster, where no
// systemd starts them (tests/support/CLUSTER.md): nginx, Apache, Postfix,
// Dovecot, spamd. Started with their output in the host's
// /root/daemons.log; stopped by the destructor whatever happens to the
// test, and waited for, so that their ports are free for the next test
// (the hosts share the machine's network, /run and /var/spool: a test that
// uses this is tagged [services], see tests/CMakeLists.txt).
//
//   sc::test::Daemons daemons(c, "m");
//   daemons.start("postfix");          // postfix start, in m
//   daemons.start("dovecot");
//   daemons.stop("postfix");           // now (e.g. the old master's)
#pragma once

#include <string>
#include <vector>

#include "cluster.hpp"

namespace sc::test {

class Daemons {
 public:
  Daemons(const Cluster& c, std::string host);
  /// Stops every daemon still running, in reverse order, and waits (30 s
  /// at most) until their processes are gone.
  ~Daemons();
  Daemons(const Daemons&) = delete;
  Daemons& operator=(const Daemons&) = delete;

  /// The daemons this knows: nginx, apache2, postfix, dovecot, spamd.
  static const std::vector<std::string>& known();
  /// Starts one (its usual start command in the host); a REQUIRE fails
  /// with the daemons' log when the command does.
  void start(const std::string& name);
  /// Stops one now and waits until its process is gone.
  void stop(const std::string& name);
  /// The host's /root/daemons.log.
  std::string log() const;

 private:
  const Cluster& c_;
  std::string host_;
  std::vector<std::string> running_;
};

/// tests/support/mail_client.py run in `host` (send, submit, imap,
/// webmail: its docstring says how); the network is the machine's, so it
/// reaches any host's address.
sc::ProcessResult mail_client(const Cluster& c, const std::string& host, const std::vector<std::string>& args);

/// Messages in a Maildir folder (its new/ and cur/), as seen from the test.
int maildir_messages(const fs::path& folder);

/// Waits, 60 s at most, until the Maildir folder holds `count` messages.
bool mail_delivered(const fs::path& folder, int count);

/// `apache2 -t` on a minimal server configuration that includes `snippet`,
/// with the modules Debian's default configuration enables (what a
/// module's Apache snippet must pass before any host sees it).
sc::ProcessResult apache_check(const std::string& snippet);

}  // namespace sc::test
