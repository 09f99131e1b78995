// Finding and opening ssh.so, the SSH layer, on first use.
#pragma once

#include <string>

#include "ssh/ssh_layer.hpp"

namespace sc {

/// The SSH layer of this sc: ssh.so next to the running executable
/// (build_config.hpp: relative path, installed path, build-tree path), with
/// the same file checks as plugins (owned by root, not writable by others,
/// loaded through the descriptor that was checked). Opened once per
/// process and never unloaded: libssh and OpenSSL register process-exit
/// handlers that must stay mapped. Returns null with *err naming the paths
/// tried and the fix.
ssh::Layer* ssh_layer(std::string* err);

}  // namespace sc
