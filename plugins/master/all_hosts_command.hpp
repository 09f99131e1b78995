// The commands `sc master status --all` and `sc master exec --all` (see
// all_hosts.hpp): options and settings read, the children run through
// plugins/common/fan_out, the answers reported.
#pragma once

#include <functional>
#include <sc/plugin.hpp>
#include <string>
#include <vector>

#include "registry.hpp"

namespace master::all_hosts {

/// What the master module knows of this host for the fan-out.
struct Cluster {
  std::string self_role;  ///< this host's role ("master" when MASTER_MODE is unset)
  bool on_master = true;  ///< the registry is kept here (the master, or a host with no role)
  /// The registry (MASTER_HOSTS), read when needed; throws when it is bad.
  std::function<std::vector<HostEntry>()> registry;
};

/// `sc master status --all [--hosts A,B] [--html FILE] [--deadline
/// SECONDS] [--concurrency N]`: SC_OK when every host is ok (or away),
/// SC_FAIL otherwise.
int status_all(sc::Context& ctx, const Cluster& cluster);

/// `sc master exec --all [--hosts A,B] [--deadline SECONDS] [--concurrency
/// N] COMMAND [ARGS...]`.
int exec_all(sc::Context& ctx, const Cluster& cluster);

}  // namespace master::all_hosts
