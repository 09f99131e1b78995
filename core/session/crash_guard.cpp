#include "session/crash_guard.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>
#include <initializer_list>

#include "modules/manifest.hpp"

namespace sc {
namespace {

// Read by the signal handler: plain pointers to strings that outlive the
// scope that set them.
volatile const char* g_module = nullptr;
volatile const char* g_activity = nullptr;

void put(const char* s) {
  if (s) {
    ssize_t ignored = ::write(STDERR_FILENO, s, ::strlen(s));
    (void)ignored;
  }
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV (invalid memory access)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGABRT:
      return "SIGABRT (aborted)";
    default:
      return "a fatal signal";
  }
}

void on_fatal(int sig) {
  // Only async-signal-safe calls from here on.
  const char* module = const_cast<const char*>(g_module);
  const char* activity = const_cast<const char*>(g_activity);
  if (module) {
    put("sc: module ");
    put(module);
    put(" crashed with ");
    put(signal_name(sig));
    if (activity) {
      put(" while ");
      put(activity);
    }
    put("; the module is faulty: report it to its maintainer, or reinstall it (package ");
    put(kModulePackagePrefix);
    put(module);
    put(")\n");
  } else {
    put("sc: crashed with ");
    put(signal_name(sig));
    put("; this is a bug in sc: please report it\n");
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void install_crash_handlers() {
  // Our own stack, so that a stack overflow in a plugin is reported too.
  static char alt_stack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof alt_stack;
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_fatal;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

CrashScope::CrashScope(const char* module, const char* activity)
    : prev_module_(const_cast<const char*>(g_module)), prev_activity_(const_cast<const char*>(g_activity)) {
  g_module = module;
  g_activity = activity;
}

CrashScope::~CrashScope() {
  g_module = prev_module_;
  g_activity = prev_activity_;
}

}  // namespace sc
