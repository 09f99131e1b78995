// The command line: global options anywhere before `--`, then MODULE
// COMMAND ARGS. Core commands (help, plugins, settings) are built in.
#pragma once

#include <string>
#include <vector>

#include "session/session.hpp"

namespace sc {

/// The parsed command line.
struct CommandLine {
  GlobalOptions options;
  bool help = false;
  bool version = false;
  std::vector<std::string> words;  ///< MODULE COMMAND ARGS...
};

/// Parses argv. On a usage error returns false with *err naming the
/// option and the fix.
bool parse_command_line(int argc, const char* const* argv, CommandLine* out, std::string* err);

/// Text of the global options, for `sc help`.
std::string global_options_help();

/// Runs a parsed command line; returns the process exit status.
int run_command_line(const CommandLine& cl);

// Core commands, each writing into `frame` (text and result) and
// returning an exit status. Implemented in help.cpp and core_commands.cpp.
int core_help(Session& s, Frame& frame, const std::vector<std::string>& topic);
int core_plugins(Session& s, Frame& frame, const std::vector<std::string>& args);
int core_settings(Session& s, Frame& frame, const std::vector<std::string>& args);
/// `sc broadcast [--ready-only] HOOK [ARGS...]`: every module's HOOK, the
/// captured results as the result (how a peer answers "every module's
/// files" in one call).
int core_broadcast(Session& s, Frame& frame, const std::vector<std::string>& args);

/// Appends text to a core command's frame (captured or shown).
void frame_print(Session& s, Frame& frame, const std::string& text);

}  // namespace sc
