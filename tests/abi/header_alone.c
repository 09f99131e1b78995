/* Compiled alone, at the strictest warning levels, as C99, C11 and several
 * C++ standards (tests/CMakeLists.txt): sc/plugin.h must be self-contained
 * and clean for every plugin author. */
#include <sc/plugin.h>

/* Touch every public type and macro so that a typo in one is an error. */
static const sc_plugin* entry_type_check(sc_plugin_entry_fn fn) {
  return fn ? fn() : NULL;
}

int sc_header_alone_check(const sc_host_api* api);
int sc_header_alone_check(const sc_host_api* api) {
  sc_file_attr attr = {sizeof(sc_file_attr), 0644, NULL, NULL, SC_FILE_SECRET};
  sc_question q = {sizeof(sc_question), SC_ASK_YESNO, "ok?", "yes", NULL};
  sc_run run = {sizeof(sc_run), SC_RUN_READONLY, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, 0};
  sc_command cmd = {"x", NULL};
  (void)entry_type_check;
  (void)attr;
  (void)q;
  (void)run;
  (void)cmd;
  if (!SC_HAS_MEMBER(api, sc_host_api, ask)) return SC_USAGE;
  return (SC_PLUGIN_MIN_SIZE <= sizeof(sc_plugin) && SC_ABI_MAJOR == 1 && SC_PLUGIN_MAGIC != 0) ? SC_OK : SC_FAIL;
}
