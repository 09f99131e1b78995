/* Benchmark plugin for bench/master_bench.sh: a module with a `sync` hook,
 * as the original's modules had, built ten times under different names
 * (BENCH_NAME). Its hook does what most of theirs did: import its own
 * settings from the master (`sc sshlink importsettings MASTER MODULE`),
 * over the pull's one SSH connection. Never installed. */
#include <sc/plugin.h>

static int sync_hook(const sc_call* call) {
  if (call->argc != 2) return SC_USAGE;
  const char* argv[] = {call->argv[0], BENCH_NAME};
  char* captured = NULL;
  int rc = call->api->call(call->host, "sshlink", "importsettings", 2, argv, &captured);
  if (captured) call->api->free(captured);
  return rc;
}

static const sc_command commands[] = {{"sync", sync_hook}};

static const sc_plugin descriptor = {SC_PLUGIN_MAGIC,
                                     SC_ABI_MAJOR,
                                     SC_PLUGIN_ABI_MINOR,
                                     sizeof(sc_plugin),
                                     BENCH_NAME,
                                     "1.0.0",
                                     commands,
                                     1,
                                     NULL,
                                     NULL};

SC_EXPORT const sc_plugin* sc_plugin_entry(void) {
  return &descriptor;
}
