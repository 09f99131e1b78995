#include "cli/cli.hpp"

#include <boost/program_options.hpp>
#include <set>

#include "build_config.hpp"

namespace sc {

namespace po = boost::program_options;
using json = nlohmann::json;

namespace {

po::options_description global_options() {
  po::options_description d("Global options (allowed anywhere before `--`)");
  d.add_options()
      ("root", po::value<std::string>()->value_name("DIR"),
       "act on the tree under DIR instead of / (settings in DIR/etc/sc); live actions such as service "
       "restarts are recorded, not run")
      ("dry-run,n", "change nothing and run nothing that changes anything: print the plan")
      ("diff", "show file changes as unified diffs (secrets hidden)")
      ("json", "print one JSON document with output, result, actions and log")
      ("yes,y", "answer yes to yes/no questions and accept defaults without a terminal")
      ("set", po::value<std::vector<std::string>>()->value_name("NAME=VALUE")->composing(),
       "give setting NAME for this run (repeatable); kept when the command asks for that setting")
      ("plugin-path", po::value<std::vector<std::string>>()->value_name("DIR")->composing(),
       "look for plugins in DIR instead of the default search path (repeatable, in order)")
      ("verbose,v", "show unchanged items and debug messages")
      ("help,h", "show help (for the module or command given, if any)")
      ("version", "show sc's version and ABI");
  return d;
}

}  // namespace

std::string global_options_help() {
  std::ostringstream ss;
  ss << global_options();
  return ss.str();
}

bool parse_command_line(int argc, const char* const* argv, CommandLine* out, std::string* err) {
  const po::options_description desc = global_options();
  // Split global options from the words: scan with the option table, so
  // that options taking a value consume it, and stop at `--`.
  std::vector<std::string> globals;
  bool rest = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (rest || a.size() < 2 || a[0] != '-') {
      out->words.push_back(std::move(a));
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
      out->words.push_back(std::move(a));
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

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(globals).options(desc).style(po::command_line_style::unix_style).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    *err = std::string(e.what()) + "; see `sc --help`";
    return false;
  }
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
  if (vm.count("set"))
    for (const auto& item : vm["set"].as<std::vector<std::string>>()) {
      auto eq = item.find('=');
      std::string name = item.substr(0, eq);
      if (eq == std::string::npos || !valid_setting_name(name)) {
        *err = "--set " + item + ": expected NAME=VALUE with NAME in upper case (e.g. --set FQDN=host.example.com)";
        return false;
      }
      o.overrides[name] = item.substr(eq + 1);
    }
  return true;
}

void frame_print(Session& s, Frame& frame, const std::string& text) {
  frame.printed = true;
  if (frame.capture)
    frame.output += text;
  else
    s.output().text(text);
}

int run_command_line(const CommandLine& cl) {
  if (cl.version) {
    std::string v = std::string("sc ") + build::kVersion + " (plugin ABI " + std::to_string(SC_ABI_MAJOR) + "." +
                    std::to_string(SC_ABI_MINOR) + ")\n";
    if (cl.options.json)
      Output(true, false).emit_document({{"version", build::kVersion},
                                         {"abi", std::to_string(SC_ABI_MAJOR) + "." + std::to_string(SC_ABI_MINOR)}});
    else
      write_all(1, v);
    return kExitOk;
  }
  Session session(cl.options);
  Frame frame;
  std::vector<std::string> words = cl.words;
  frame.capture = cl.options.json;
  int status;
  if (words.empty() || words[0] == "help" || cl.help ||
      (words.size() >= 2 && words[1] == "help" && words[0] != "settings" && words[0] != "plugins")) {
    // sc help [MODULE [COMMAND]], sc MODULE help, sc MODULE [COMMAND] --help
    std::vector<std::string> topic;
    for (const auto& w : words)
      if (w != "help" && topic.size() < 2) topic.push_back(w);
    frame.module = "help";
    frame.command = "help";
    status = core_help(session, frame, topic);
    if (words.empty() && !cl.help) status = kExitUsage;  // bare `sc` is a usage error
  } else if (words[0] == "broadcast") {
    frame.module = "broadcast";
    frame.command = words.size() > 1 ? words[1] : "";
    status = core_broadcast(session, frame, {words.begin() + 1, words.end()});
  } else if (words[0] == "plugins") {
    frame.module = "plugins";
    frame.command = "list";
    status = core_plugins(session, frame, {words.begin() + 1, words.end()});
  } else if (words[0] == "settings") {
    frame.module = "settings";
    frame.command = words.size() > 1 ? words[1] : "";
    status = core_settings(session, frame, {words.begin() + 1, words.end()});
  } else if (!valid_module_name(words[0])) {
    frame.module = words[0];
    frame.error = "\"" + words[0] + "\" is not a module name (lower-case letters, digits and '-', starting with a "
                  "letter); see `sc help` for the installed modules";
    status = kExitUsage;
  } else if (words.size() < 2) {
    frame.module = words[0];
    std::string err;
    if (!session.manifest(words[0], &err)) {
      frame.error = err;
      status = kExitUnavailable;
    } else {
      frame.error = "missing command: usage: sc " + words[0] + " COMMAND [ARGS...]; see `sc " + words[0] + " help`";
      status = kExitUsage;
    }
  } else {
    frame.module = words[0];
    frame.command = words[1];
    status = session.run_top(&frame, {words.begin() + 2, words.end()});
  }
  frame.status = status;

  const ActionSummary& sum = session.output().summary();
  if (cl.options.json) {
    json doc = frame.to_json();
    doc["sc"] = build::kVersion;
    doc["module"] = frame.module;
    doc["command"] = frame.command;
    doc["dry_run"] = cl.options.dry_run;
    doc["root"] = cl.options.root.string();  // paths in the result are under it
    doc["actions"] = session.output().actions();
    doc["summary"] = sum.to_json();
    doc["log"] = session.output().log_entries();
    session.output().emit_document(doc);
    return status;
  }
  if (!frame.output.empty()) write_all(1, frame.output);
  if (frame.result && !frame.printed && frame.output.empty()) {
    // The command printed nothing: show its result.
    const json& r = *frame.result;
    std::string text;
    if (r.is_string())
      text = r.get<std::string>() + "\n";
    else if (r.is_array() && std::all_of(r.begin(), r.end(), [](const json& e) { return e.is_string(); }))
      for (const auto& e : r) text += e.get<std::string>() + "\n";
    else if (!r.is_null())
      text = r.dump(2) + "\n";
    write_all(1, text);
  }
  if (sum.total() > 0 && status != kExitUsage) {
    std::string label = "sc " + frame.module + (frame.command.empty() ? "" : " " + frame.command);
    write_all(1, label + (cl.options.dry_run ? " (dry run)" : "") + ": " + sum.text() + "\n");
  }
  if (status != kExitOk && !frame.error.empty()) {
    session.output().log(SC_LOG_ERROR, "", frame.error);
  }
  for (const auto& w : session.catalog().warnings()) session.output().log(SC_LOG_WARN, "", w);
  return status;
}

}  // namespace sc
