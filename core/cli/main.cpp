// sc: parse the command line, run it, exit with its status.
#include <signal.h>

#include <cstring>
#include <exception>

#include "base/fd.hpp"
#include "base/text.hpp"
#include "cli/cli.hpp"
#include "peers/rsync_transport.hpp"
#include "session/crash_guard.hpp"
#include "ui/output.hpp"

int main(int argc, char** argv) {
  // A closed pipe to a child program must be an error we report, not our death.
  ::signal(SIGPIPE, SIG_IGN);
  // rsync started by this sc runs it again as its transport (rsync_transport.hpp).
  if (argc > 1 && std::strncmp(argv[1], sc::kRsyncTransportOption, std::strlen(sc::kRsyncTransportOption)) == 0)
    return sc::rsync_transport_main(argc, argv);
  sc::install_crash_handlers();
  try {
    sc::CommandLine cl;
    std::string err;
    if (!sc::parse_command_line(argc, argv, &cl, &err)) {
      sc::write_all(2, "sc: " + sc::printable(err, sc::Newlines::indent) + "\n");
      return sc::kExitUsage;
    }
    return sc::run_command_line(cl);
  } catch (const std::exception& e) {
    sc::write_all(2, "sc: internal error: " + sc::printable(e.what()) + "; please report this bug\n");
  } catch (...) {
    sc::write_all(2, "sc: internal error (unknown exception); please report this bug\n");
  }
  return sc::kExitFailure;
}
