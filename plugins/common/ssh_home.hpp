// Where the SSH identity of the user running sc lives on the target system:
// the home directory whose ~/.ssh holds our keys and known_hosts. Shared by
// sshlink (the files a backup keeps) and sshshare (the IdentityFile and
// UserKnownHostsFile of its fstab entries), so that both name the same
// files. Needs ABI 1.0 (read_file).
#pragma once

#include <sc/plugin.hpp>
#include <string>

#include "common/openssh.hpp"

namespace plugin_common::ssh_home {

/// The home directory, on the target system, of the user running sc: $HOME
/// on the running system (the core's SSH layer honours it too); under
/// --root, that user's home in ROOT's /etc/passwd (root's is /root when the
/// file does not say). "" when there is none.
std::string target_home(const sc::Context& ctx);

/// target_home() + "/.ssh", without a doubled '/'; "" when there is no home.
std::string target_ssh_dir(const sc::Context& ctx);

/// sc's SSH identity on the target system, as OpenSSH's client takes it:
/// target_ssh_dir(), the private keys of it the core would try, whether a
/// config file is there.
openssh::Identity identity(const sc::Context& ctx);

/// openssh::cpu_has_aes() of this machine (/proc/cpuinfo; false when it
/// cannot be read).
bool cpu_has_aes();

}  // namespace plugin_common::ssh_home
