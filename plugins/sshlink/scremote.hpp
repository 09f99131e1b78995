// The answers this sc gives, as a master, to the ORIGINAL bash tool's
// clients during a switch-over: they ask their master over SSH with
// `ssh MASTER sc sshlink scremote MODULE COMMAND ARGS...` and read its
// stdout with $(...). Read-only: a question about this host gets the answer
// the original would have printed (computed from our settings); anything
// that would change this host, or that we do not answer, gets the error
// text an old original master prints for a command it lacks, so the client
// fails (or carries on) as it would against that old master.
//
// The one answer that matters most: `master buildnumber` is answered
// exactly "Cannot find sc master buildnumber", the text on which the
// original client's update step says "does not support update" and goes on
// running its own sc. Any number would make it rsync --delete this host's
// /usr/local/sbin/sc and /usr/local/lib/sc over its own install (see
// README, "Clients of the original tool").
//
// Pure: no host services; plugin_tests checks every answer byte for byte.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sshlink::scremote {

/// What to print and return.
struct Answer {
  std::string out;   ///< stdout, byte for byte what the original would print
  int status = 0;    ///< exit status
  std::string note;  ///< for stderr (never read by the original's $(...)); empty: none
};

/// The value the original would hold for its setting NAME on this host
/// (`sc settings original NAME`); nullopt when it would have none.
using OriginalValue = std::function<std::optional<std::string>(const std::string& name)>;

/// The answer to `sc sshlink scremote ARGS...`.
Answer answer(const std::vector<std::string>& args, const OriginalValue& value);

/// The setting names the original's module MODULE lists (its `settings`
/// function), in its order; nullopt when that module has no such function
/// or is not one of the original's modules.
std::optional<std::vector<std::string>> original_module_settings(const std::string& module);

/// True for a module of the original tool (a file of its lib directory).
bool original_module(const std::string& module);

/// Settings of the original holding a password: never sent.
bool original_secret(const std::string& name);

}  // namespace sshlink::scremote
