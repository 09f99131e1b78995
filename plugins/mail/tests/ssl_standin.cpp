// A stand-in of the ssl module for the mail module's tests (see
// tests/mail_test_support.hpp): its two settings, nothing that acts.
#include <sc/plugin.hpp>

namespace {

void paths(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  ctx.print(ctx.setting("SSLCERT").value_or("") + "\n" + ctx.setting("SSLKEY").value_or("") + "\n");
}

}  // namespace

SC_PLUGIN("ssl", "1.0.0", sc::command<&paths>("paths"))
