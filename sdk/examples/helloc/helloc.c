/* helloc: an example sc module in plain C99, using only <sc/plugin.h>.
 * Build with the Makefile beside it (pkg-config sc-sdk). */
#include <sc/plugin.h>
#include <stdio.h>

/* From the Makefile, which reads them from manifest.json: the descriptor
 * must report the manifest's name, version and ABI minor. */
#ifndef SC_MODULE_NAME
#error "build with the Makefile: it defines SC_MODULE_NAME, SC_MODULE_VERSION and SC_PLUGIN_ABI_MINOR"
#endif

/* sc greet [NAME] */
static int greet(const sc_call* call) {
  const sc_host_api* api = call->api;
  char* greeting = NULL;
  char line[512];
  if (call->argc > 1) {
    snprintf(call->error, call->error_size, "too many arguments; usage: sc helloc greet [NAME]");
    return SC_USAGE;
  }
  /* The manifest's default applies when the setting is unset; the value
   * belongs to the host and is released with api->free. */
  if (api->setting_get(call->host, "HELLOC_GREETING", 0, &greeting) != SC_OK) {
    snprintf(call->error, call->error_size, "%s", api->last_error(call->host));
    return SC_FAIL;
  }
  snprintf(line, sizeof line, "%s, %s!\n", greeting, call->argc == 1 ? call->argv[0] : "world");
  api->free(greeting);
  api->print(call->host, line);
  return SC_OK;
}

/* sc helloc info: a structured result (the "result" field under --json). */
static int info(const sc_call* call) {
  const sc_host_api* api = call->api;
  char json[256];
  if (call->argc != 0) {
    snprintf(call->error, call->error_size, "info takes no arguments");
    return SC_USAGE;
  }
  /* version() is part of ABI 1.0: no SC_HAS_MEMBER test needed. Members
   * added in later minors would need one, since this module declares 1.0. */
  snprintf(json, sizeof json, "{\"sc\":\"%s\",\"host_abi\":\"%u.%u\",\"module_abi\":\"%d.%d\"}",
           api->version(call->host), (unsigned)api->abi_major, (unsigned)api->abi_minor, SC_ABI_MAJOR,
           SC_PLUGIN_ABI_MINOR);
  return api->result(call->host, json);
}

static const sc_command commands[] = {{"greet", greet}, {"info", info}};

static const sc_plugin descriptor = {
    SC_PLUGIN_MAGIC,
    SC_ABI_MAJOR,
    SC_PLUGIN_ABI_MINOR,
    sizeof(sc_plugin),
    SC_MODULE_NAME,
    SC_MODULE_VERSION,
    commands,
    sizeof commands / sizeof commands[0],
    NULL, /* init */
    NULL  /* fini */
};

SC_EXPORT const sc_plugin* sc_plugin_entry(void) {
  return &descriptor;
}
