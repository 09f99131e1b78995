#include "session/global_options.hpp"

#include <sstream>

namespace sc {

namespace po = boost::program_options;

po::options_description global_options() {
  po::options_description d("Global options (allowed anywhere before `--`)");
  d.add_options()("root", po::value<std::string>()->value_name("DIR"),
                  "act on the tree under DIR instead of / (settings in DIR/etc/sc); live actions such as service "
                  "restarts are recorded, not run")(
      "dry-run,n", "change nothing and run nothing that changes anything: print the plan")(
      "diff", "show file changes as unified diffs (secrets hidden)")(
      "json", "print one JSON document with output, result, actions and log")(
      "yes,y", "answer yes to yes/no questions and accept defaults without a terminal")(
      "set", po::value<std::vector<std::string>>()->value_name("NAME=VALUE")->composing(),
      "give setting NAME for this run (repeatable); kept when the command asks for that setting")(
      "plugin-path", po::value<std::vector<std::string>>()->value_name("DIR")->composing(),
      "look for plugins in DIR instead of the default search path (repeatable, in order)")(
      "add-plugin-path", po::value<std::vector<std::string>>()->value_name("DIR")->composing(),
      "look for plugins in DIR first, then in the search path (repeatable, in order): a module under "
      "development beside the installed ones")("verbose,v", "show unchanged items and debug messages")(
      "help,h", "show help (for the module or command given, if any)")("version", "show sc's version and ABI");
  return d;
}

std::string global_options_help() {
  std::ostringstream ss;
  ss << global_options();
  return ss.str();
}

}  // namespace sc
