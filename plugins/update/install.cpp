#include "install.hpp"

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "common/target.hpp"
#include "release.hpp"

namespace update_install {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  const char* base = ::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base == '/' ? base : "/tmp") + "/sc-update-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw sc::Failure("cannot create a temporary directory in " + tmpl);
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw sc::Failure("cannot read " + p.string());
  return ss.str();
}

sc::RunOptions quiet() {
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = o.capture_err = true;
  o.timeout_ms = 960000;
  return o;
}

bool install_tree(sc::Context& ctx, const fs::path& tree, std::vector<Item> items) {
  std::vector<std::string> order;
  std::map<std::string, bool> exec;
  for (const auto& i : items) {
    order.push_back(i.rel);
    exec[i.rel] = i.exec;
  }
  update_rel::order_for_install(&order);
  bool changed = false;
  for (const auto& rel : order) {
    const std::string target = "/" + rel;
    // Parents are made only when missing: an existing /usr/local/lib keeps
    // its mode and owner.
    std::vector<std::string> missing;
    for (fs::path p = fs::path(target).parent_path(); p != "/" && !plugin_common::target::exists(ctx, p.string());
         p = p.parent_path())
      missing.push_back(p.string());
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) ctx.make_dir(*it);
    const std::string data = slurp(tree / rel);
    changed = changed || ctx.read_file(target) != data;
    ctx.write_file(target, data, sc::FileAttr::with_mode(exec[rel] ? 0755 : 0644));
  }
  return changed;
}

std::string installed_sc(const sc::Context& ctx) {
  const std::string sc_path = std::string("/") + update_rel::kScPath;
  return ctx.rooted() ? ctx.resolve_path(sc_path) : sc_path;
}

sc::RunResult run_upgrade(sc::Context& ctx, const std::string& old) {
  const std::string sc_path = installed_sc(ctx);
  sc::RunResult r = ctx.run(update_rel::upgrade_argv(sc_path, ctx.rooted() ? ctx.root() : "", old));
  if (!r.ok())
    throw sc::Failure("the new sc is installed, but its upgrade step failed (" + sc_path + " update upgrade " + old +
                      "); fix the cause and run `sc update upgrade " + old + "` again");
  return r;
}

}  // namespace update_install
