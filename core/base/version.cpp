#include "base/version.hpp"

// SC_VERSION is defined for this file alone by the object library that
// compiles it (core/CMakeLists.txt: sc_version, or a test build's own).
#ifndef SC_VERSION
#error "SC_VERSION must be defined (core/CMakeLists.txt defines it)"
#endif

namespace sc {

const char* version() {
  return SC_VERSION;
}

}  // namespace sc
