/* Benchmark plugin: a minimal module built many times under different
 * names (BENCH_NAME) to measure discovery, loading and hook broadcast. */
#include <sc/plugin.h>

static int hook(const sc_call* call) {
  (void)call;
  return SC_OK;
}

static int fire(const sc_call* call) {
  /* Broadcast the hook to every installed module declaring it. */
  return call->api->broadcast(call->host, "benchhook", 0, NULL, 0, NULL);
}

static int hello(const sc_call* call) {
  call->api->print(call->host, "hello\n");
  return SC_OK;
}

static const sc_command commands[] = {{"benchhook", hook}, {"fire", fire}, {"hello", hello}};

static const sc_plugin descriptor = {SC_PLUGIN_MAGIC,
                                     SC_ABI_MAJOR,
                                     SC_PLUGIN_ABI_MINOR,
                                     sizeof(sc_plugin),
                                     BENCH_NAME,
                                     "1.0.0",
                                     commands,
                                     3,
                                     NULL,
                                     NULL};

SC_EXPORT const sc_plugin* sc_plugin_entry(void) {
  return &descriptor;
}
