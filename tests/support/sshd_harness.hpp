// A real OpenSSH server on loopback for tests of everything that talks to
// peers: sshd on a free 127.0.0.1 port with a temporary host key, its
// authorized keys in a temporary directory and LogLevel VERBOSE, stopped at
// the end. The "peer" is this machine seen through that sshd: its `sc` is
// the one just built, run with its own --root (a wrapper found first in the
// PATH that sshd's SetEnv gives every session), so it has its own /etc/sc.
// The client side uses a temporary HOME: root's real ~/.ssh is never read
// or written.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace sc::test {

/// Creates an ed25519 key pair at `key` (and key.pub) with ssh-keygen.
void make_ssh_key(const fs::path& key, const std::string& comment = "sc-test");

/// Whole content of a public key file, without its trailing newline.
std::string public_key_line(const fs::path& pub);

/// The SHA256 fingerprint of a public key file ("SHA256:...").
std::string key_fingerprint(const fs::path& pub);

class SshdHarness {
 public:
  struct Options {
    bool password_auth = false;  ///< PasswordAuthentication yes
    /// Sessions get HOME=dir()/peer-home (SetEnv): the peer's shell reads
    /// no start-up file of the real root. Off for tests that need each
    /// account's own home (installing keys in ~/.ssh).
    bool peer_home = true;
    std::vector<std::string> extra_config;  ///< more sshd_config lines
    /// Plugin directories the peer's sc searches after the built plugins
    /// (e.g. kFixtureDir, for modules only tests have).
    std::vector<std::string> peer_plugin_dirs;
  };

  /// Starts sshd (throws when it cannot). The client HOME gets an ed25519
  /// key authorized for root and a known_hosts line for the server.
  SshdHarness();
  explicit SshdHarness(Options options);
  ~SshdHarness();
  SshdHarness(const SshdHarness&) = delete;
  SshdHarness& operator=(const SshdHarness&) = delete;

  int port() const { return port_; }
  /// "root@127.0.0.1:PORT"
  std::string peer() const;
  /// Everything lives under this directory.
  const fs::path& dir() const { return tmp_.path(); }
  /// The client's HOME (HOME/.ssh: id_ed25519, known_hosts).
  fs::path home() const { return dir() / "home"; }
  fs::path known_hosts() const { return home() / ".ssh/known_hosts"; }
  /// --root of the client's sc and of the peer's sc.
  fs::path client_root() const { return dir() / "client-root"; }
  fs::path peer_root() const { return dir() / "peer-root"; }
  /// The server's public host key file.
  fs::path host_key_pub() const { return dir() / "ssh_host_ed25519_key.pub"; }
  /// The known_hosts line of the server: "[127.0.0.1]:PORT ssh-ed25519 ...".
  std::string host_key_line() const;
  /// Authorizes a public key for `user` (appends to its authorized_keys).
  void authorize(const fs::path& pub, const std::string& user = "root") const;

  /// Runs the client's sc: HOME set, built plugins, --root client_root().
  ScRun sc(const std::vector<std::string>& args, const std::string* input = nullptr) const;
  /// Runs the peer's sc locally (to prepare or inspect its settings).
  ScRun peer_sc(const std::vector<std::string>& args) const;

  /// sshd's log so far, and how many "Accepted publickey" lines it holds
  /// (one per authenticated SSH connection).
  std::string log() const;
  int accepted_publickey() const;

 private:
  void start();
  void stop();

  Options options_;
  TempDir tmp_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// A throwaway local account with a known password (useradd, chpasswd),
/// its home under `home_parent`; removed (userdel) on destruction.
class TestUser {
 public:
  TestUser(const fs::path& home_parent, std::string password);
  ~TestUser();
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;
  const std::string& name() const { return name_; }
  const std::string& password() const { return password_; }
  const fs::path& home() const { return home_; }

 private:
  std::string name_;
  std::string password_;
  fs::path home_;
};

/// Sets an environment variable of this (test) process for a scope.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::unique_ptr<std::string> old_;
};

}  // namespace sc::test
