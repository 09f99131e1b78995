// rsync over the run's own SSH session.
//
// rsync starts its transport itself (`-e COMMAND`, run as `COMMAND HOST
// REMOTE-COMMAND...`), and sc already holds an authenticated libssh session
// to the peer: a second login through OpenSSH would cost a key exchange and
// an authentication per copy (about 200 ms on loopback, most of a small
// backup) and could disagree with sc about known_hosts and keys. So the
// command sc gives rsync is sc itself in transport mode:
//
//   /proc/PID/exe --rsync-transport=FD HOST REMOTE-COMMAND...
//
// That process connects nothing: over FD, a socket inherited from the sc
// that started rsync, it hands its stdin, stdout and stderr (rsync's pipes)
// and the remote command to that sc, waits for the remote command's exit
// status and exits with it (255 when the transport failed, as ssh does).
// The sc side runs the command in a channel of its session and moves the
// data between the channel and those descriptors (ssh::Connection::relay).
#pragma once

#include <string>
#include <thread>

#include "ssh/ssh_layer.hpp"

namespace sc {

/// The option that selects transport mode; main() checks it first.
inline constexpr const char* kRsyncTransportOption = "--rsync-transport=";

/// Transport mode: argv as rsync gave it (argv[1] is the option). Returns
/// the exit status for main().
int rsync_transport_main(int argc, char** argv);

/// The sc side, for one rsync run: open(), give rsh() to rsync as -e,
/// start() before rsync runs, finish() (or the destructor) when it ended.
class RsyncTransport {
 public:
  RsyncTransport() = default;
  ~RsyncTransport();
  RsyncTransport(const RsyncTransport&) = delete;
  RsyncTransport& operator=(const RsyncTransport&) = delete;

  bool open(std::string* err);
  /// The value of rsync's -e (no characters that rsync's splitting changes).
  std::string rsh() const;
  /// Starts a thread that waits for the transport process, relays its
  /// command over `conn` and sends the exit status back. Nothing else may
  /// use `conn` until finish().
  void start(ssh::Connection& conn);
  /// Waits for that thread (at once when rsync never started its transport).
  void finish();
  /// Why the relay failed (empty when it did not); valid after finish().
  const std::string& error() const { return error_; }

 private:
  void serve(ssh::Connection& conn);

  std::thread thread_;
  int ours_ = -1;    // sc's end of the socket pair
  int theirs_ = -1;  // inherited by rsync and its transport process
  std::string error_;
};

}  // namespace sc
