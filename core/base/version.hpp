// The version of this sc, in a translation unit of its own
// (core/base/version.cpp): a build with another version number (the test
// executables sc_next_minor and sc_next_major of core/CMakeLists.txt, which
// the code-follows-the-master tests run) recompiles that one file and
// relinks, nothing else.
#pragma once

namespace sc {

/// "MAJOR.MINOR.PATCH" of this sc (the project's version); static storage.
const char* version();

}  // namespace sc
