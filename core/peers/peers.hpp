// Other hosts, for one `sc` run: one SSH connection per peer, opened at
// first use through the SSH layer (ssh.so) and reused by every call; remote
// commands and remote `sc` calls; linking a new peer; copying files from a
// peer with rsync. The peer services of the ABI (peer_connect, peer_run,
// peer_sc, peer_fetch) are thin wrappers of this class.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/executor.hpp"
#include "peers/peer_address.hpp"
#include "peers/rsync_command.hpp"
#include "settings/settings.hpp"
#include "ssh/ssh_layer.hpp"
#include "ui/output.hpp"
#include "ui/prompt.hpp"

namespace sc {

/// What the peers need to know of the run.
struct PeersOptions {
  bool dry_run = false;  ///< changes on peers and in ~/.ssh are only planned
  bool yes = false;      ///< trust a new host key without asking; passed on to the peer's sc
};

/// A command to run on a peer (see sc_run).
struct PeerRunSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  ///< "NAME=VALUE", set with env(1)
  std::string cwd;               ///< entered first when not empty
  std::string input;             ///< stdin (then EOF)
  std::chrono::milliseconds timeout{0};
  bool readonly = false;  ///< runs under --dry-run, not an action
  bool capture_out = false, capture_err = false;
  bool secret_args = false;  ///< reports show argv[0] only
  bool out_to_err = false;   ///< relayed stdout goes to our stderr (--json, nested calls)
};

struct PeerRunResult {
  bool ran = false;
  int exit_code = -1;
  std::string out, err;  ///< when captured
};

/// A copy from a peer (see sc_fetch).
struct PeerFetchSpec {
  std::string peer;
  std::string source_dir = "/";
  std::string target_dir;  ///< target-system path
  std::vector<std::string> paths, excludes;
  unsigned bwlimit_kbps = 0;
  bool delete_extraneous = false;
  bool exact = false;      ///< --numeric-ids --hard-links
  std::string link_dest;   ///< target-system path of an earlier copy, or empty
  bool compare = false;    ///< only find out whether the copy would change target_dir
  bool report = false;     ///< list each item rsync copied (would copy) with its checksum
  bool list_only = false;  ///< exactly the listed paths: directories made, not entered
  bool out_to_err = false;
};

/// How a copy went.
struct PeerFetchResult {
  int exit_code = -1;  ///< rsync's status; -1 when it did not run
  bool ran = false;
  bool differs = true;           ///< with compare: the copy would change something
  std::vector<RsyncItem> items;  ///< with report (or compare): what rsync listed
};

/// Every method returns SC_OK, SC_FAIL or SC_USAGE (bad peer name or
/// input) with *err naming the peer, the reason and the fix.
class Peers {
 public:
  /// `target`: the engine of the target tree (where copies land); `home`:
  /// the engine of this machine's own file system, for the SSH identity of
  /// the user running sc (the same object unless --root is given). Every
  /// collaborator outlives the object.
  Peers(PeersOptions opts, Executor& target, Executor& home, Output& output, Prompter& prompter, Settings& settings);
  ~Peers();
  Peers(const Peers&) = delete;
  Peers& operator=(const Peers&) = delete;

  /// Connects (or reuses the connection). `add`: link the peer (SC_PEER_ADD).
  int link(const std::string& peer, bool add, std::string* err);
  /// Runs a command on the peer.
  int run(const std::string& peer, const PeerRunSpec& spec, PeerRunResult* result, std::string* err);
  /// Runs `sc --json ... -- args` on the peer; *doc receives its document
  /// (nullopt when there is none: then SC_FAIL). Returns the peer's status.
  int call_sc(const std::string& peer, const std::vector<std::string>& args, bool readonly, bool secret_args,
              std::optional<nlohmann::json>* doc, std::string* err);
  /// Copies (or with spec.compare, only compares) files from a peer with
  /// rsync over the peer's connection.
  int fetch(const PeerFetchSpec& spec, PeerFetchResult* result, std::string* err);

  /// ~/.ssh of the user running sc: $HOME/.ssh, or the password
  /// database's home when HOME is unset.
  static std::string ssh_dir();
  /// The name of the user running sc (root when unknown).
  static std::string user_name();

 private:
  struct State {
    std::unique_ptr<ssh::Connection> conn;
    std::string error;  // a failed connection is not retried in this run
    int status = 0;
    ssh::FailKind kind = ssh::FailKind::none;
  };
  class Hooks;

  /// A new connection to `addr` (not kept); null with *err and *kind.
  std::unique_ptr<ssh::Connection> connect_fresh(const PeerAddress& addr, const ssh::ConnectMode& mode,
                                                 ssh::FailKind* kind, std::string* err);
  /// The connection for `peer`, connecting if needed; null with *err.
  ssh::Connection* connection(const PeerAddress& addr, const ssh::ConnectMode& mode, int* status, std::string* err,
                              ssh::FailKind* kind = nullptr);
  /// The rsync command of a fetch, checked; SC_OK or SC_USAGE with *err.
  int fetch_command(const PeerFetchSpec& spec, RsyncFetch* f, std::string* err);

  // Linking a new peer (sshlink add), in linking.cpp.
  int add(const PeerAddress& addr, std::string* err);
  bool ensure_key(std::string* pub_key_file, std::string* err);
  int install_key(const PeerAddress& addr, ssh::Connection* conn, const std::string& pub_file, std::string* err);

  ssh::Target make_target(const PeerAddress& addr) const;
  int connect_timeout() const;
  std::string remote_sc() const;
  std::string setting(const std::string& name, const std::string& fallback) const;
  void record(const std::string& kind, const std::string& target, ActionState state, const std::string& detail);

  PeersOptions opts_;
  Executor& target_;
  Executor& home_;
  Output& output_;
  Prompter& prompter_;
  Settings& settings_;
  std::map<std::string, State> peers_;
};

}  // namespace sc
