// The C side of the host services: converts between the ABI's C types and
// the session, and turns every failure into a status plus last_error().
#include "session/host_services.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/version.hpp"
#include "engine/rooted_path.hpp"
#include "peers/peers.hpp"
#include "session/session.hpp"

namespace sc {
namespace {

using json = nlohmann::json;

// A copy that may hold NULs (the caller knows its size).
char* dup_bytes(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

char* dup_string(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

int fail(sc_host* h, int status, std::string message) {
  h->last_error = std::move(message);
  return status;
}

std::vector<std::string> arg_vector(int argc, const char* const* argv) {
  std::vector<std::string> v;
  for (int i = 0; i < argc && argv && argv[i]; ++i) v.emplace_back(argv[i]);
  return v;
}

const std::string& module_name(sc_host* h) {
  return h->frame->module;
}

// Every entry point checks its pointers: a NULL from a plugin is a usage
// error, not a crash of the host.
#define SC_REQUIRE(cond, what) \
  if (!(cond)) return fail(h, SC_USAGE, std::string(__func__) + ": " + (what))

void api_free(void* p) {
  std::free(p);
}

const char* api_last_error(sc_host* h) {
  return h ? h->last_error.c_str() : "no host";
}

uint32_t api_mode(sc_host* h) {
  const GlobalOptions& o = h->session->options();
  uint32_t m = 0;
  if (o.dry_run) m |= SC_MODE_DRY_RUN;
  if (o.diff) m |= SC_MODE_DIFF;
  if (o.json) m |= SC_MODE_JSON;
  if (o.yes) m |= SC_MODE_YES;
  if (o.verbose) m |= SC_MODE_VERBOSE;
  if (o.root != "/") m |= SC_MODE_ROOTED;
  if (h->session->prompter().interactive()) m |= SC_MODE_TTY;
  return m;
}

const char* api_root(sc_host* h) {
  return h->session->executor().options().root.c_str();
}

const char* api_version(sc_host*) {
  return sc::version();
}

void api_print(sc_host* h, const char* text) {
  if (!text) return;
  h->frame->printed = true;
  if (h->frame->capture)
    h->frame->output += text;
  else
    h->session->output().text(text);
}

int api_result(sc_host* h, const char* text) {
  SC_REQUIRE(text, "json is NULL");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(h, SC_USAGE, "result: not valid JSON");
  h->frame->result = std::move(j);
  return SC_OK;
}

void api_log(sc_host* h, int level, const char* message) {
  if (message) h->session->output().log(level, module_name(h), h->session->executor().redact(message));
}

int api_setting_get(sc_host* h, const char* name, uint32_t flags, char** value) {
  SC_REQUIRE(name && value, "name or value is NULL");
  *value = nullptr;
  SettingQuery q;
  q.prompt = flags & SC_SETTING_PROMPT;
  q.no_default = flags & SC_SETTING_NO_DEFAULT;
  std::string v, err;
  int rc = h->session->settings().get(module_name(h), name, q, &v, &err);
  if (rc != SC_OK) return fail(h, rc, err);
  *value = dup_string(v);
  return *value ? SC_OK : fail(h, SC_FAIL, "out of memory");
}

int api_setting_set(sc_host* h, const char* name, const char* value) {
  SC_REQUIRE(name && value, "name or value is NULL");
  std::string err;
  int rc = h->session->settings().set(module_name(h), name, value, &err);
  return rc == SC_OK ? SC_OK : fail(h, rc, err);
}

int api_setting_unset(sc_host* h, const char* name) {
  SC_REQUIRE(name, "name is NULL");
  std::string err;
  int rc = h->session->settings().unset(module_name(h), name, &err);
  return rc == SC_OK ? SC_OK : fail(h, rc, err);
}

int api_call(sc_host* h, const char* module, const char* command, int argc, const char* const* argv, char** captured) {
  SC_REQUIRE(module && command && argc >= 0, "module or command is NULL");
  if (captured) *captured = nullptr;
  Frame f;
  f.module = module;
  f.command = command;
  f.capture = captured != nullptr || h->frame->capture;
  int rc;
  if (const CoreCommand* core = h->session->core_command(f.module); core && core->callable) {
    // A command of the core (ABI 1.1): `settings` reaches every module's
    // settings, as on the command line (sshlink importsettings); `help
    // MODULE` gives a module's manifest as JSON without loading it.
    std::vector<std::string> args = arg_vector(argc, argv);
    args.insert(args.begin(), command);
    rc = f.status = core->run(*h->session, f, args);
  } else {
    rc = h->session->run(&f, arg_vector(argc, argv));
  }
  if (captured) {
    *captured = dup_string(f.to_json().dump());
  } else if (!f.output.empty()) {
    api_print(h, f.output.c_str());  // the caller's own output is captured
  }
  if (rc != 0) h->last_error = module + std::string(" ") + command + ": " + (f.error.empty() ? "failed" : f.error);
  return rc;
}

int api_broadcast(sc_host* h, const char* hook, int argc, const char* const* argv, int ready_only, char** captured) {
  SC_REQUIRE(hook && argc >= 0, "hook is NULL");
  if (captured) *captured = nullptr;
  json results;
  int rc = h->session->broadcast(hook, arg_vector(argc, argv), ready_only != 0,
                                 captured || h->frame->capture ? &results : nullptr);
  if (captured) {
    *captured = dup_string(results.dump());
  } else if (h->frame->capture) {
    for (const auto& r : results) h->frame->output += r.value("output", "");
  }
  if (rc != 0) h->last_error = std::string("hook ") + hook + " failed in at least one module";
  return rc;
}

int api_run(sc_host* h, sc_run* run) {
  SC_REQUIRE(run && run->struct_size >= offsetof(sc_run, exit_code) && run->argv && run->argv[0],
             "run, its size or its argv is invalid");
  const bool has_outputs = run->struct_size >= sizeof(sc_run);
  RunSpec spec;
  for (const char* const* a = run->argv; *a; ++a) spec.process.argv.emplace_back(*a);
  for (const char* const* e = run->env; e && *e; ++e) spec.process.env_add.emplace_back(*e);
  if (run->cwd) spec.process.cwd = run->cwd;
  if (run->input) spec.process.input = std::string(run->input, run->input_size);
  spec.process.timeout = std::chrono::milliseconds(run->timeout_ms);
  spec.process.capture_out = (run->flags & SC_RUN_CAPTURE_OUT) && has_outputs;
  spec.process.capture_err = (run->flags & SC_RUN_CAPTURE_ERR) && has_outputs;
  spec.process.out_to_err = h->session->options().json || h->frame->capture;
  if (run->flags & SC_RUN_INTERACTIVE) {
    if (run->input) return fail(h, SC_USAGE, "run: SC_RUN_INTERACTIVE and input exclude each other");
    spec.process.inherit_stdin = true;
  }
  spec.readonly = run->flags & SC_RUN_READONLY;
  spec.live = run->flags & SC_RUN_LIVE;
  spec.secret_args = run->flags & SC_RUN_SECRET_ARGS;
  ProcessResult result;
  bool ran = false;
  std::string err;
  bool ok = h->session->executor().run(spec, &result, &ran, &err);
  if (has_outputs) {
    run->exit_code = ran ? result.exit_code : -1;
    run->term_signal = result.term_signal;
    run->ran = ran ? 1 : 0;
    run->out = spec.process.capture_out ? dup_string(result.out) : nullptr;
    run->out_size = spec.process.capture_out ? result.out.size() : 0;
    run->err = spec.process.capture_err ? dup_string(result.err) : nullptr;
    run->err_size = spec.process.capture_err ? result.err.size() : 0;
  }
  return ok ? SC_OK : fail(h, SC_FAIL, err);
}

FileSpec file_spec(const sc_file_attr* a, uint32_t default_mode) {
  FileSpec s;
  s.mode = default_mode;
  if (!a || a->struct_size < offsetof(sc_file_attr, flags) + sizeof(a->flags)) return s;
  s.mode = a->mode;
  if (a->owner) s.owner = a->owner;
  if (a->group) s.group = a->group;
  s.secret = a->flags & SC_FILE_SECRET;
  s.keep_attrs = a->flags & SC_FILE_KEEP_ATTRS;
  return s;
}

int status_of(sc_host* h, bool ok, const std::string& err) {
  return ok ? SC_OK : fail(h, SC_FAIL, err);
}

int api_write_file(sc_host* h, const char* path, const char* data, size_t size, const sc_file_attr* attr) {
  SC_REQUIRE(path && (data || size == 0), "path or data is NULL");
  std::string err;
  bool ok =
      h->session->executor().write_file(path, std::string_view(data ? data : "", size), file_spec(attr, 0644), &err);
  return status_of(h, ok, err);
}

int api_remove(sc_host* h, const char* path, uint32_t flags) {
  SC_REQUIRE(path, "path is NULL");
  std::string err;
  return status_of(h, h->session->executor().remove(path, flags & SC_REMOVE_RECURSIVE, &err), err);
}

int api_make_dir(sc_host* h, const char* path, const sc_file_attr* attr) {
  SC_REQUIRE(path, "path is NULL");
  std::string err;
  return status_of(h, h->session->executor().make_dir(path, file_spec(attr, 0755), &err), err);
}

int api_symlink(sc_host* h, const char* target, const char* path) {
  SC_REQUIRE(target && path, "target or path is NULL");
  std::string err;
  return status_of(h, h->session->executor().symlink(target, path, &err), err);
}

int api_set_attr(sc_host* h, const char* path, const sc_file_attr* attr) {
  SC_REQUIRE(path && attr, "path or attr is NULL");
  std::string err;
  return status_of(h, h->session->executor().set_attr(path, file_spec(attr, 0644), &err), err);
}

int api_read_file(sc_host* h, const char* path, char** data, size_t* size) {
  SC_REQUIRE(path && data, "path or data is NULL");
  *data = nullptr;
  if (size) *size = 0;
  std::string content, err;
  if (!h->session->executor().read_file(path, &content, &err)) return fail(h, SC_FAIL, err);
  *data = dup_string(content);
  if (size) *size = content.size();
  return SC_OK;
}

int api_resolve_path(sc_host* h, const char* path, char** real) {
  SC_REQUIRE(path && real, "path or real is NULL");
  *real = nullptr;
  std::filesystem::path out;
  std::string err;
  if (!h->session->executor().resolve(path, &out, &err)) return fail(h, SC_USAGE, err);
  *real = dup_string(out.string());
  return SC_OK;
}

int api_ask(sc_host* h, const sc_question* q, char** answer) {
  SC_REQUIRE(q && answer && q->prompt && q->struct_size >= offsetof(sc_question, choices) + sizeof(q->choices),
             "question or answer is invalid");
  *answer = nullptr;
  Question question;
  question.prompt = q->prompt;
  if (q->default_value) question.default_value = q->default_value;
  switch (q->kind) {
    case SC_ASK_TEXT:
      question.kind = Question::Kind::text;
      break;
    case SC_ASK_YESNO:
      question.kind = Question::Kind::yes_no;
      break;
    case SC_ASK_CHOICE:
      question.kind = Question::Kind::choice;
      break;
    case SC_ASK_SECRET:
      question.kind = Question::Kind::secret;
      break;
    default:
      return fail(h, SC_USAGE, "ask: unknown question kind " + std::to_string(q->kind));
  }
  for (const char* const* c = q->choices; c && *c; ++c) question.choices.emplace_back(*c);
  if (question.kind == Question::Kind::choice && question.choices.empty())
    return fail(h, SC_USAGE, "ask: a choice question needs choices");
  std::string value, err;
  if (!h->session->prompter().ask(question, &value, &err)) return fail(h, SC_FAIL, err);
  if (question.kind == Question::Kind::secret) h->session->executor().add_secret(value);
  *answer = dup_string(value);
  return SC_OK;
}

// ---- peers (ABI 1.1) ---------------------------------------------------------

int api_peer_connect(sc_host* h, const char* peer, uint32_t flags) {
  SC_REQUIRE(peer, "peer is NULL");
  std::string err;
  int rc = h->session->peers().link(peer, flags & SC_PEER_ADD, &err);
  return rc == SC_OK ? SC_OK : fail(h, rc, err);
}

int api_peer_run(sc_host* h, const char* peer, sc_run* run) {
  SC_REQUIRE(peer && run && run->struct_size >= offsetof(sc_run, exit_code) && run->argv && run->argv[0],
             "peer, run, its size or its argv is invalid");
  if (run->flags & SC_RUN_INTERACTIVE)
    return fail(h, SC_USAGE, "peer_run: SC_RUN_INTERACTIVE is not supported on a peer (give `input` instead)");
  const bool has_outputs = run->struct_size >= sizeof(sc_run);
  PeerRunSpec spec;
  for (const char* const* a = run->argv; *a; ++a) spec.argv.emplace_back(*a);
  for (const char* const* e = run->env; e && *e; ++e) spec.env.emplace_back(*e);
  if (run->cwd) spec.cwd = run->cwd;
  if (run->input) spec.input.assign(run->input, run->input_size);
  spec.timeout = std::chrono::milliseconds(run->timeout_ms);
  spec.readonly = run->flags & SC_RUN_READONLY;
  spec.capture_out = (run->flags & SC_RUN_CAPTURE_OUT) && has_outputs;
  spec.capture_err = (run->flags & SC_RUN_CAPTURE_ERR) && has_outputs;
  spec.secret_args = run->flags & SC_RUN_SECRET_ARGS;
  spec.out_to_err = h->session->options().json || h->frame->capture;
  PeerRunResult result;
  std::string err;
  int rc = h->session->peers().run(peer, spec, &result, &err);
  if (has_outputs) {
    run->exit_code = result.ran ? result.exit_code : -1;
    run->term_signal = 0;
    run->ran = result.ran ? 1 : 0;
    run->out = spec.capture_out ? dup_string(result.out) : nullptr;
    run->out_size = spec.capture_out ? result.out.size() : 0;
    run->err = spec.capture_err ? dup_string(result.err) : nullptr;
    run->err_size = spec.capture_err ? result.err.size() : 0;
  }
  return rc == SC_OK ? SC_OK : fail(h, rc, err);
}

int api_peer_sc(sc_host* h, const char* peer, int argc, const char* const* argv, uint32_t flags, char** document) {
  SC_REQUIRE(peer && argc > 0 && argv && document, "peer, argv or document is invalid");
  *document = nullptr;
  std::optional<json> doc;
  std::string err;
  int rc = h->session->peers().call_sc(peer, arg_vector(argc, argv), flags & SC_RUN_READONLY,
                                       flags & SC_RUN_SECRET_ARGS, &doc, &err);
  if (doc) *document = dup_string(doc->dump(-1, ' ', false, json::error_handler_t::replace));
  if (rc != SC_OK) h->last_error = err;
  return rc;
}

int api_peer_fetch(sc_host* h, sc_fetch* fetch) {
  SC_REQUIRE(
      fetch && fetch->struct_size >= offsetof(sc_fetch, exit_code) && fetch->peer && fetch->target_dir && fetch->paths,
      "fetch, its size, peer, target_dir or paths is invalid");
  const bool has_outputs = fetch->struct_size >= offsetof(sc_fetch, ran) + sizeof(fetch->ran);
  PeerFetchSpec spec;
  spec.peer = fetch->peer;
  if (fetch->source_dir) spec.source_dir = fetch->source_dir;
  spec.target_dir = fetch->target_dir;
  for (const char* const* p = fetch->paths; *p; ++p) spec.paths.emplace_back(*p);
  for (const char* const* x = fetch->excludes; x && *x; ++x) spec.excludes.emplace_back(*x);
  spec.bwlimit_kbps = fetch->bwlimit_kbps;
  spec.delete_extraneous = fetch->flags & SC_FETCH_DELETE;
  spec.exact = fetch->flags & SC_FETCH_EXACT;
  spec.compare = fetch->flags & SC_FETCH_COMPARE;
  spec.list_only = fetch->flags & SC_FETCH_LIST_ONLY;
  const bool report = (fetch->flags & SC_FETCH_REPORT) && SC_HAS_MEMBER(fetch, sc_fetch, report_size);
  spec.report = report;
  if (SC_HAS_MEMBER(fetch, sc_fetch, link_dest) && fetch->link_dest) spec.link_dest = fetch->link_dest;
  spec.out_to_err = h->session->options().json || h->frame->capture;
  PeerFetchResult result;
  std::string err;
  int rc = h->session->peers().fetch(spec, &result, &err);
  if (has_outputs) {
    fetch->exit_code = result.exit_code;
    fetch->ran = result.ran ? 1 : 0;
  }
  if (SC_HAS_MEMBER(fetch, sc_fetch, differs)) fetch->differs = result.differs ? 1 : 0;
  if (SC_HAS_MEMBER(fetch, sc_fetch, report_size)) {
    fetch->report = nullptr;
    fetch->report_size = 0;
    if (report && !result.items.empty()) {
      std::string records;
      for (const auto& item : result.items) {
        for (const std::string* field : {&item.change, &item.checksum}) records.append(*field).push_back('\0');
        records.append(std::to_string(item.size)).push_back('\0');
        records.append(item.path).push_back('\0');
      }
      fetch->report = dup_bytes(records);
      fetch->report_size = records.size();
    }
  }
  return rc == SC_OK ? SC_OK : fail(h, rc, err);
}

int api_rename(sc_host* h, const char* from, const char* to) {
  SC_REQUIRE(from && to, "from or to is NULL");
  std::string err;
  return status_of(h, h->session->executor().rename(from, to, &err), err);
}

// ---- reading the target, and the tree clone (ABI 1.2) ------------------------

int api_stat_path(sc_host* h, const char* path, uint32_t flags, sc_path_info* info) {
  SC_REQUIRE(path && info && info->struct_size >= offsetof(sc_path_info, link) + sizeof(info->link),
             "path or info is invalid");
  info->link = nullptr;
  rooted_fs::Node node;
  std::string err;
  std::vector<std::string> comps;
  if (!split_target_path(path, &comps, &err)) return fail(h, SC_USAGE, err);
  if (!h->session->executor().stat(path, flags & SC_STAT_FOLLOW, &node, &err)) return fail(h, SC_FAIL, err);
  switch (node.type) {
    case rooted_fs::NodeType::missing:
      info->type = SC_PATH_MISSING;
      break;
    case rooted_fs::NodeType::file:
      info->type = SC_PATH_FILE;
      break;
    case rooted_fs::NodeType::dir:
      info->type = SC_PATH_DIR;
      break;
    case rooted_fs::NodeType::symlink:
      info->type = SC_PATH_SYMLINK;
      break;
    case rooted_fs::NodeType::other:
      info->type = SC_PATH_OTHER;
      break;
  }
  info->mode = node.mode;
  info->uid = node.uid;
  info->gid = node.gid;
  info->reserved = 0;
  info->size = node.type == rooted_fs::NodeType::symlink ? node.link.size() : node.size;
  info->mtime = node.mtime;
  if (node.type == rooted_fs::NodeType::symlink) info->link = dup_string(node.link);
  return SC_OK;
}

int api_list_dir(sc_host* h, const char* path, char** names, size_t* size) {
  SC_REQUIRE(path && names && size, "path, names or size is NULL");
  *names = nullptr;
  *size = 0;
  std::vector<std::string> list, comps;
  std::string err;
  if (!split_target_path(path, &comps, &err)) return fail(h, SC_USAGE, err);
  if (!h->session->executor().list_dir(path, &list, &err)) return fail(h, SC_FAIL, err);
  std::string joined;
  for (const auto& n : list) joined.append(n).push_back('\0');
  if (!joined.empty()) {
    *names = dup_bytes(joined);
    if (!*names) return fail(h, SC_FAIL, "out of memory");
    *size = joined.size();
  }
  return SC_OK;
}

int api_open_read(sc_host* h, const char* path, int* fd) {
  SC_REQUIRE(path && fd, "path or fd is NULL");
  *fd = -1;
  std::vector<std::string> comps;
  std::string err;
  if (!split_target_path(path, &comps, &err)) return fail(h, SC_USAGE, err);
  Fd opened;
  if (!h->session->executor().open_read(path, &opened, &err)) return fail(h, SC_FAIL, err);
  *fd = opened.release();
  return SC_OK;
}

int api_clone_start(sc_host* h, const char* from, const char* to, sc_clone** clone) {
  SC_REQUIRE(from && to && clone, "from, to or clone is NULL");
  *clone = nullptr;
  std::vector<std::string> comps;
  std::string err;
  if (!split_target_path(from, &comps, &err) || !split_target_path(to, &comps, &err)) return fail(h, SC_USAGE, err);
  auto job = h->session->executor().clone_start(from, to, &err);
  if (!job) return fail(h, SC_FAIL, err);
  h->clones.push_back(std::make_unique<sc_clone>(sc_clone{std::move(job)}));
  *clone = h->clones.back().get();
  return SC_OK;
}

int api_clone_finish(sc_host* h, sc_clone* clone, uint32_t flags, const char* const* skip, sc_clone_stats* stats) {
  auto it = std::find_if(h->clones.begin(), h->clones.end(), [clone](const auto& c) { return c.get() == clone; });
  SC_REQUIRE(clone && it != h->clones.end(), "clone is not a clone of this command in progress");
  std::unique_ptr<sc_clone> owned = std::move(*it);
  h->clones.erase(it);
  std::vector<std::string> skipped = arg_vector(INT32_MAX, skip);
  tree_clone::Stats s;
  std::string err;
  bool ok = h->session->executor().clone_finish(std::move(owned->job), flags & SC_CLONE_DISCARD, skipped, &s, &err);
  if (stats && stats->struct_size >= offsetof(sc_clone_stats, skipped) + sizeof(stats->skipped)) {
    stats->reserved = 0;
    stats->linked = s.linked;
    stats->copied = s.copied;
    stats->dirs = s.dirs;
    stats->skipped = s.skipped;
  }
  return ok ? SC_OK : fail(h, SC_FAIL, err);
}

#undef SC_REQUIRE

const sc_host_api kApi = {
    sizeof(sc_host_api),
    SC_ABI_MAJOR,
    SC_ABI_MINOR,
    api_free,
    api_last_error,
    api_mode,
    api_root,
    api_version,
    api_print,
    api_result,
    api_log,
    api_setting_get,
    api_setting_set,
    api_setting_unset,
    api_call,
    api_broadcast,
    api_run,
    api_write_file,
    api_remove,
    api_make_dir,
    api_symlink,
    api_set_attr,
    api_read_file,
    api_resolve_path,
    api_ask,
    api_peer_connect,
    api_peer_run,
    api_peer_sc,
    api_peer_fetch,
    api_rename,
    api_stat_path,
    api_list_dir,
    api_open_read,
    api_clone_start,
    api_clone_finish,
};

}  // namespace

const sc_host_api* host_api() {
  return &kApi;
}

}  // namespace sc
