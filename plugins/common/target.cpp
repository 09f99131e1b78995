#include "common/target.hpp"

namespace plugin_common::target {

bool exists(const sc::Context& ctx, const std::string& path) {
  try {
    return ctx.stat(path).exists();
  } catch (const sc::Usage&) {
    return false;
  }
}

bool executable(const sc::Context& ctx, const std::string& path) {
  try {
    const sc::PathInfo i = ctx.stat(path, /*follow=*/true);
    return i.is_file() && (i.mode & 0111) != 0;
  } catch (const sc::Usage&) {
    return false;
  }
}

}  // namespace plugin_common::target
