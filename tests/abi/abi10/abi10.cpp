// Fixture: a module compiled against the frozen ABI 1.0 headers
// (tests/abi/plugin-1.0/sc/plugin.h and plugin.hpp, as of commit 34624a3),
// never against the current ones. The current core must load and run it:
// that is the promise of the 1.x ABI (sdk/docs/ABI.md).
#include <sc/plugin.hpp>
#include <string>

#if SC_ABI_MAJOR != 1 || SC_ABI_MINOR != 0
#error "abi10 must be built against the frozen ABI 1.0 header"
#endif

namespace {

void hello(sc::Context& ctx) {
  ctx.expect_args(1, 1, "NAME");
  ctx.print("hello " + ctx.arg(0) + " from an ABI 1.0 plugin\n");
}

// What a 1.0 plugin sees of a newer host: the host's ABI, and a service
// table at least as large as the one this plugin knows.
void host(sc::Context& ctx) {
  const sc_host_api* api = ctx.api();
  std::string r = "{\"host_abi\":\"" + std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor) +
                  "\",\"host_api_size\":" + std::to_string(api->struct_size) +
                  ",\"plugin_api_size\":" + std::to_string(sizeof(sc_host_api)) +
                  ",\"has_ask\":" + (SC_HAS_MEMBER(api, sc_host_api, ask) ? "true" : "false") +
                  ",\"call_size\":" + std::to_string(ctx.raw()->struct_size) + "}";
  ctx.result(r);
}

void write(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  std::string text = *ctx.setting("ABI10_TEXT") + "\n";
  ctx.make_dir("/etc");
  ctx.write_file("/etc/abi10.conf", text, sc::FileAttr::with_mode(0640));
  auto back = ctx.read_file("/etc/abi10.conf");
  if (!back || *back != text) throw sc::Failure("read back something else than was written");
  ctx.print("wrote " + std::to_string(text.size()) + " bytes\n");
}

void echo(sc::Context& ctx) {
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = true;
  std::vector<std::string> argv = {"echo"};
  for (const auto& a : ctx.args()) argv.push_back(a);
  ctx.print(ctx.run_checked(argv, o).out);
}

void fail(sc::Context&) {
  throw sc::Usage("abi10: refused on purpose");
}

void files(sc::Context& ctx) {
  ctx.print("/etc/abi10.conf\n");
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&hello>("hello"), sc::command<&host>("host"),
          sc::command<&write>("write"), sc::command<&echo>("echo"), sc::command<&fail>("fail"),
          sc::command<&files>("files"))
