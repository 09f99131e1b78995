// The host-services table (sc_host_api) plugins call back into.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/executor.hpp"
#include "sc/plugin.h"

namespace sc {
class Session;
struct Frame;
struct Manifest;

/// The table handed to every plugin; static, one per process.
const sc_host_api* host_api();
}  // namespace sc

/// A clone started by clone_start() (ABI 1.2), owned by the invocation's
/// sc_host until clone_finish().
struct sc_clone {
  std::unique_ptr<sc::CloneJob> job;
};

/// What a plugin's `sc_host*` points to: the session, the running command's
/// frame and its module. One per command invocation; the clones it still
/// holds when the command returns are discarded with it.
struct sc_host {
  sc::Session* session;
  sc::Frame* frame;
  std::shared_ptr<const sc::Manifest> manifest;
  std::string last_error;
  std::vector<std::unique_ptr<sc_clone>> clones;
};
