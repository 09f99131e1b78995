// version: which sc this host runs (the original's `sc version show`).
#include <nlohmann/json.hpp>
#include <sc/plugin.hpp>

namespace {

void show(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const sc_host_api* api = ctx.api();
  nlohmann::json r = {{"sc", ctx.sc_version()},
                      {"abi", std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor)}};
  ctx.print(ctx.sc_version() + "\n");
  ctx.result(r.dump());
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&show>("show"))
