// The command line: global options anywhere before `--`, then MODULE
// COMMAND ARGS, dispatched to help, a core command (commands/) or a
// module; the run's report comes from Output::finish().
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

/// Runs a parsed command line; returns the process exit status.
int run_command_line(const CommandLine& cl);

}  // namespace sc
