// Catch2's main() for every test binary. SIGPIPE is ignored, as sc itself
// ignores it: a test that feeds a child's stdin must see EPIPE (and fail
// with a message) when the child exits early, not die of the signal with
// no message (seen under load, when a child exited before reading all).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <csignal>

int main(int argc, char* argv[]) {
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
