#include "cli/cli.hpp"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <set>

#include "base/fd.hpp"
#include "base/version.hpp"
#include "commands/commands.hpp"

namespace sc {

namespace po = boost::program_options;
using json = nlohmann::json;

namespace {

// Splits global options from the words: scans with the option table, so
// that options taking a value consume it, and stops at `--`. Options the
// table does not know belong to the module's command.
bool split_globals(int argc, const char* const* argv, const po::options_description& desc,
                   std::vector<std::string>* globals_out, std::vector<std::string>* words, std::string* err) {
  std::vector<std::string>& globals = *globals_out;
  bool rest = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (rest || a.size() < 2 || a[0] != '-') {
      words->push_back(std::move(a));
      continue;
    }
    if (a == "--") {
      rest = true;
      continue;
    }
    std::string name;
    bool inline_value = false;
    if (a.rfind("--", 0) == 0) {
      name = a.substr(2, a.find('=') - 2);
      inline_value = a.find('=') != std::string::npos;
    } else {
      name = a.substr(0, 2);  // program_options names short options "-v"
      inline_value = a.size() > 2;
    }
    const po::option_description* o = desc.find_nothrow(name, false, false, false);
    if (!o && a.rfind("--", 0) != 0) {
      // Bundled short flags such as -ny.
      bool all_flags = true;
      for (size_t k = 1; k < a.size() && all_flags; ++k) {
        auto* f = desc.find_nothrow(std::string("-") + a[k], false, false, false);
        all_flags = f && f->semantic()->max_tokens() == 0;
      }
      if (all_flags) {
        for (size_t k = 1; k < a.size(); ++k) globals.push_back(std::string("-") + a[k]);
        continue;
      }
    }
    if (!o) {
      // Not ours: an option of the module's command.
      words->push_back(std::move(a));
      continue;
    }
    globals.push_back(a);
    if (o->semantic()->max_tokens() > 0 && !inline_value) {
      if (i + 1 >= argc) {
        *err = "option " + a + " needs a value; see `sc --help`";
        return false;
      }
      globals.push_back(argv[++i]);
    }
  }
  return true;
}

// The parsed global options into *out, checked.
bool apply_globals(const po::variables_map& vm, CommandLine* out, std::string* err) {
  GlobalOptions& o = out->options;
  if (vm.count("root")) {
    std::string root = vm["root"].as<std::string>();
    if (root.empty()) {
      *err = "--root needs a directory";
      return false;
    }
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(root, ec);
    if (ec || !std::filesystem::is_directory(abs, ec)) {
      *err = "--root " + root + ": not a directory; create it first";
      return false;
    }
    o.root = abs.lexically_normal();
    if (o.root.string().size() > 1 && o.root.string().back() == '/') o.root = o.root.parent_path();
  }
  o.dry_run = vm.count("dry-run") > 0;
  o.diff = vm.count("diff") > 0;
  o.json = vm.count("json") > 0;
  o.yes = vm.count("yes") > 0;
  o.verbose = vm.count("verbose") > 0;
  out->help = vm.count("help") > 0;
  out->version = vm.count("version") > 0;
  if (vm.count("plugin-path"))
    for (const auto& d : vm["plugin-path"].as<std::vector<std::string>>()) {
      std::error_code ec;
      o.plugin_dirs.push_back(std::filesystem::absolute(d, ec));
    }
  if (vm.count("add-plugin-path"))
    for (const auto& d : vm["add-plugin-path"].as<std::vector<std::string>>()) {
      std::error_code ec;
      o.plugin_dirs_first.push_back(std::filesystem::absolute(d, ec));
    }
  if (vm.count("set"))
    for (const auto& item : vm["set"].as<std::vector<std::string>>()) {
      auto eq = item.find('=');
      std::string name = item.substr(0, eq);
      if (eq == std::string::npos || !valid_setting_name(name)) {
        // The value is never echoed: it may be a secret.
        *err = (eq == std::string::npos ? std::string("--set without '='") : "--set " + name + "=...") +
               ": expected NAME=VALUE with NAME in upper case (e.g. --set FQDN=host.example.com)";
        return false;
      }
      std::string value = item.substr(eq + 1);
      if (!valid_setting_value(value)) {
        *err = "--set " + name + ": the value is not valid UTF-8 text (or holds a NUL byte); give it as UTF-8";
        return false;
      }
      o.overrides[name] = std::move(value);
    }
  return true;
}

}  // namespace

bool parse_command_line(int argc, const char* const* argv, CommandLine* out, std::string* err) {
  const po::options_description desc = global_options();
  std::vector<std::string> globals;
  if (!split_globals(argc, argv, desc, &globals, &out->words, err)) return false;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(globals).options(desc).style(po::command_line_style::unix_style).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    *err = std::string(e.what()) + "; see `sc --help`";
    return false;
  }
  return apply_globals(vm, out, err);
}

namespace {

// Where the words of the command line lead: help, a core command, or a
// module's command. Fills `frame` and returns the exit status.
int dispatch(Session& session, const CommandLine& cl, Frame& frame) {
  const std::vector<std::string>& words = cl.words;
  const bool help_asked = cl.help || (!words.empty() && words[0] == "help") ||
                          (words.size() >= 2 && words[1] == "help" && !session.core_command(words[0]));
  if (words.empty() || help_asked) {
    // sc help [MODULE [COMMAND]], sc MODULE help, sc MODULE [COMMAND] --help
    std::vector<std::string> topic;
    for (const auto& w : words)
      if (w != "help" && topic.size() < 2) topic.push_back(w);
    frame.module = "help";
    frame.command = "help";
    int status = core_help(session, frame, topic);
    return words.empty() && !cl.help ? kExitUsage : status;  // bare `sc` is a usage error
  }
  if (const CoreCommand* core = session.core_command(words[0])) {
    frame.module = core->name;
    frame.command = words.size() > 1 && words[1].rfind('-', 0) != 0 ? words[1] : "";
    return core->run(session, frame, {words.begin() + 1, words.end()});
  }
  frame.module = words[0];
  if (!valid_module_name(words[0])) {
    frame.error = "\"" + words[0] +
                  "\" is not a module name (lower-case letters, digits and '-', starting with a "
                  "letter); see `sc help` for the installed modules";
    return kExitUsage;
  }
  if (words.size() < 2) {
    std::string err;
    if (!session.manifest(words[0], &err)) {
      frame.error = err;
      return kExitUnavailable;
    }
    frame.error = "missing command: usage: sc " + words[0] + " COMMAND [ARGS...]; see `sc " + words[0] + " help`";
    return kExitUsage;
  }
  frame.command = words[1];
  return session.run_top(&frame, {words.begin() + 2, words.end()});
}

}  // namespace

int run_command_line(const CommandLine& cl) {
  const std::string abi = std::to_string(SC_ABI_MAJOR) + "." + std::to_string(SC_ABI_MINOR);
  if (cl.version) {
    Output out(cl.options.json, false);
    if (cl.options.json)
      out.emit_document({{"version", sc::version()}, {"abi", abi}});
    else
      out.text(std::string("sc ") + sc::version() + " (plugin ABI " + abi + ")\n");
    return out.check_stdout(kExitOk);
  }
  Session session(cl.options, core_commands());
  Frame frame;
  frame.capture = cl.options.json;
  frame.status = dispatch(session, cl, frame);
  RunFacts facts;
  facts.version = sc::version();
  facts.dry_run = cl.options.dry_run;
  facts.root = cl.options.root.string();
  return session.output().finish(frame, facts);
}

}  // namespace sc
