#include "test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace sc::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/sc-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // A test may have made parts read-only: make everything removable first.
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

ScRun run_sc(const std::vector<std::string>& args, const std::string* input,
             const std::vector<std::string>& env) {
  ProcessSpec spec;
  spec.argv.push_back(kScBinary);
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.capture_out = spec.capture_err = true;
  spec.env_add = env;
  if (input) spec.input = *input;
  spec.timeout = std::chrono::milliseconds(120000);
  ProcessResult r = run_process(spec);
  if (!r.started) throw std::runtime_error("cannot run sc: " + r.error);
  return {r.term_signal ? 128 + r.term_signal : r.exit_code, r.out, r.err};
}

ScRun run_sc_rooted(const fs::path& root, const std::vector<std::string>& args,
                    const std::string* input) {
  std::vector<std::string> all = {"--plugin-path", kPluginDir, "--root", root.string()};
  all.insert(all.end(), args.begin(), args.end());
  return run_sc(all, input);
}

void write_text(const fs::path& path, const std::string& text, fs::perms mode) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot write " + path.string());
  f << text;
  f.close();
  fs::permissions(path, mode);
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string tree_hash(const fs::path& dir) {
  std::vector<std::string> rows;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::end(it); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    std::ostringstream row;
    row << fs::relative(it->path(), dir).string() << '\t' << std::oct << st.st_mode << std::dec
        << '\t' << st.st_uid << ':' << st.st_gid << '\t';
    if (S_ISLNK(st.st_mode))
      row << fs::read_symlink(it->path()).string();
    else if (S_ISREG(st.st_mode))
      row << std::hash<std::string>{}(read_text(it->path())) << '/' << st.st_size;
    rows.push_back(row.str());
  }
  std::sort(rows.begin(), rows.end());
  std::string all;
  for (const auto& r : rows) all += r + '\n';
  return all;
}

const std::vector<std::string>& hostile_strings() {
  static const std::vector<std::string> v = {
      "it's",         "a\"b",          "x; rm -rf /", "$(touch /tmp/pwned)", "`id`",
      "new\nline",    "with space",    "ünïcødé-名前", "../../etc",          "-rf",
      "a|b&c>d<e",    "*",             "$HOME",       "\\back\\slash",       "",
  };
  return v;
}

}  // namespace sc::test
