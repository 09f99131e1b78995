// The global options of `sc` (allowed anywhere before `--`): what they
// are, their help text, and the values a run holds. The command line
// (cli/) splits argv and parses them with this table; `sc help` prints it.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sc {

/// The global options of one run.
struct GlobalOptions {
  std::filesystem::path root = "/";
  bool dry_run = false;
  bool diff = false;
  bool json = false;
  bool yes = false;
  bool verbose = false;
  std::vector<std::filesystem::path> plugin_dirs;        ///< empty: the default search path
  std::vector<std::filesystem::path> plugin_dirs_first;  ///< --add-plugin-path: searched before the rest
  std::map<std::string, std::string> overrides;          ///< --set NAME=VALUE
};

/// The table of global options, for parsing (boost::program_options).
boost::program_options::options_description global_options();

/// Text of the global options, for `sc help`.
std::string global_options_help();

}  // namespace sc
