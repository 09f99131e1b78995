// The host-services table (sc_host_api) plugins call back into.
#pragma once

#include <memory>
#include <string>

#include "sc/plugin.h"

namespace sc {
class Session;
struct Frame;
struct Manifest;

/// The table handed to every plugin; static, one per process.
const sc_host_api* host_api();
}  // namespace sc

/// What a plugin's `sc_host*` points to: the session, the running command's
/// frame and its module. One per command invocation.
struct sc_host {
  sc::Session* session;
  sc::Frame* frame;
  std::shared_ptr<const sc::Manifest> manifest;
  std::string last_error;
};
