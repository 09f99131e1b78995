// The interface between the core and its SSH layer, a shared object of its
// own (PREFIX/lib/sc/core/ssh.so, built from core/ssh/) that links
// libssh. The core opens it on the first call to a peer, so that a local
// command never pays for libssh and OpenSSL (docs/ARCHITECTURE.md, rule 6).
//
// Both sides are built together from this tree with the same compiler and
// standard library, so C++ types cross; kSshLayerVersion guards against a
// mix of files from two builds. Nothing here may throw across the boundary.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sc::ssh {

/// Bumped whenever anything in this header changes.
inline constexpr int kSshLayerVersion = 3;

/// Name of the one symbol ssh.so exports: `Layer* sc_ssh_layer(int version)`,
/// returning a static object, or null when `version` is not its own.
inline constexpr const char* kEntryName = "sc_ssh_layer";

/// Where to connect and with what.
struct Target {
  std::string peer;     ///< as typed, for messages
  std::string host;     ///< host name, alias or address
  std::string user;     ///< empty: from ssh config, else the local user
  int port = 0;         ///< 0: from ssh config, else 22
  std::string ssh_dir;  ///< ~/.ssh of the user running sc (honours $HOME)
  int timeout_s = 2;    ///< connect (TCP and SSH handshake) timeout
};

/// What a connection may do beyond a plain, key-authenticated link.
struct ConnectMode {
  bool accept_new_key = false;  ///< unknown host key: ask Hooks::accept_host_key
  bool record_new_key = true;   ///< have Hooks::record_host_key add an accepted key (false under --dry-run)
  bool allow_password = false;  ///< key refused: ask the password once (password, then keyboard-interactive)
};

/// Why connecting failed, for callers that answer yes/no (`sshlink has`).
enum class FailKind { none, usage, unreachable, unknown_key, changed_key, refused, other };

/// Questions and reports the layer needs from the core.
class Hooks {
 public:
  virtual ~Hooks() = default;
  /// An unknown host key for `peer`: true to trust it. `what` reads like
  /// "ED25519 key SHA256:..." and `file` is the known_hosts file.
  virtual bool accept_host_key(const std::string& peer, const std::string& what, const std::string& file,
                               std::string* err) = 0;
  /// Adds an accepted key to `file` (the known_hosts file): `line` is its
  /// known_hosts entry. The core writes it, through its engine. False with
  /// *err when it could not.
  virtual bool record_host_key(const std::string& peer, const std::string& what, const std::string& file,
                               const std::string& line, std::string* err) = 0;
  /// The password of `account` ("user@host"), read without echo.
  virtual bool ask_password(const std::string& account, std::string* password, std::string* err) = 0;
  /// A diagnostic (SC_LOG_* level).
  virtual void log(int level, const std::string& message) = 0;
};

/// How a remote command ended.
struct ExecResult {
  int exit_code = -1;  ///< -1: killed by a signal, or no status received
  std::string signal;  ///< signal name when killed ("TERM")
  bool timed_out = false;
};

/// Receives a piece of a remote command's output as it arrives.
using Sink = std::function<void(std::string_view)>;

/// One authenticated SSH session to one peer.
class Connection {
 public:
  virtual ~Connection() = default;
  /// Runs `command` (a string for the peer user's shell) in a new channel of
  /// this session; `input` becomes its stdin (then EOF). Blocks until it
  /// ends or `timeout` (0: none) passes. False (and *err) when the channel
  /// failed; a command that ran and failed is true with its exit code.
  virtual bool exec(const std::string& command, std::string_view input, std::chrono::milliseconds timeout,
                    const Sink& out, const Sink& err_out, ExecResult* result, std::string* err) = 0;
  /// Runs `command` in a new channel of this session with its stdin read
  /// from `in_fd` (EOF sent when that ends) and its stdout and stderr
  /// written to `out_fd` and `err_fd`, until the command ends: a transport
  /// for a local program that speaks to the remote one (rsync's -e). The
  /// descriptors are left open. False (and *err) when the channel failed.
  virtual bool relay(const std::string& command, int in_fd, int out_fd, int err_fd, ExecResult* result,
                     std::string* err) = 0;
  /// True when this session was authenticated with a password (SC_PEER_ADD).
  virtual bool used_password() const = 0;
  /// "user@host:port" as actually connected (after ~/.ssh/config).
  virtual std::string account() const = 0;
};

/// The library's entry object.
class Layer {
 public:
  virtual ~Layer() = default;
  /// Connects, checks the host key, authenticates. On failure returns null
  /// with *err naming the peer, the reason and the fix, and *kind set.
  virtual std::unique_ptr<Connection> connect(const Target& target, const ConnectMode& mode, Hooks& hooks,
                                              FailKind* kind, std::string* err) = 0;
};

using EntryFn = Layer* (*)(int version);

}  // namespace sc::ssh
