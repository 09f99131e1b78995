// Naming the module when a plugin crashes the process.
#pragma once

namespace sc {

/// Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT that
/// print which module (and command) was running, then let the signal take
/// its default course (core dump, exit status 128+N).
void install_crash_handlers();

/// While alive, a crash is reported as happening in `module` during
/// `activity` ("setup", "loading"...). Nested scopes restore the outer one.
/// Both strings must outlive the scope.
class CrashScope {
 public:
  CrashScope(const char* module, const char* activity);
  ~CrashScope();
  CrashScope(const CrashScope&) = delete;
  CrashScope& operator=(const CrashScope&) = delete;

 private:
  const char* prev_module_;
  const char* prev_activity_;
};

}  // namespace sc
