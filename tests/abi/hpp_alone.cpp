// sc/plugin.hpp alone, warnings as errors (tests/CMakeLists.txt): the C++
// layer must be self-contained and clean in C++17.
#include <sc/plugin.hpp>

namespace {
void noop(sc::Context& ctx) {
  ctx.print("x");
}
int status(sc::Context&) {
  return SC_OK;
}
}  // namespace

#define SC_MODULE_NAME "alone"
SC_PLUGIN(SC_MODULE_NAME, "1.0.0", sc::command<&noop>("noop"), sc::command<&status>("status"))
