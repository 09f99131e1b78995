// db: the PostgreSQL databases of modules (the original's db module), with
// names validated instead of pasted into SQL, passwords kept off every
// command line, and no command that drops data unasked.
#include <sys/random.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <sc/plugin.hpp>

#include "common/peer_name.hpp"
#include "common/sc_names.hpp"
#include "sql.hpp"

namespace {

using json = nlohmann::json;

struct Server {
  std::string host;  // socket directory
  std::string port;
  std::string admin;  // system user with peer access
};

Server server(sc::Context& ctx) {
  return {ctx.setting("DB_PGHOST").value_or("/var/run/postgresql"), ctx.setting("DB_PGPORT").value_or("5432"),
          ctx.setting("DB_PGADMIN").value_or("postgres")};
}

std::string identifier(const std::string& name) {
  std::string why;
  if (!db::valid_identifier(name, &why)) throw sc::Usage(why);
  return name;
}

/// argv running TOOL as the administrating system user against the server.
std::vector<std::string> as_admin(const Server& s, const std::string& tool, std::vector<std::string> args) {
  std::vector<std::string> argv = {"runuser", "-u", s.admin, "--", tool, "-h", s.host, "-p", s.port};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

/// A read-only query (names validated by the caller); psql -tA rows.
std::vector<std::string> query(sc::Context& ctx, const Server& s, const std::string& sql,
                               const std::string& database = "postgres") {
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = true;
  o.capture_err = true;
  o.input = sql;
  sc::RunResult r = ctx.run(as_admin(s, "psql", {"-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", database}), o);
  if (!r.ok())
    throw sc::Failure("PostgreSQL query failed: " + (r.err.empty() ? ctx.api()->last_error(ctx.host()) : r.err) +
                      "; is the server running? (sc db ready)");
  return db::lines(r.out);
}

/// Runs a script that changes the server (a planned action: not run under
/// --dry-run). The script travels on stdin, so secrets in it never reach a
/// command line.
void change(sc::Context& ctx, const Server& s, const std::string& script, const std::string& database = "postgres") {
  sc::RunOptions o;
  o.capture_out = true;
  o.capture_err = true;
  o.input = script;
  sc::RunResult r = ctx.run(as_admin(s, "psql", {"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database}), o);
  if (!r.ok()) throw sc::Failure("PostgreSQL refused the change: " + r.err);
}

bool server_ready(sc::Context& ctx, const Server& s) {
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = true;
  o.capture_err = true;
  o.timeout_ms = 10000;
  return ctx.run({"pg_isready", "-q", "-h", s.host, "-p", s.port}, o).ok();
}

void require_ready(sc::Context& ctx, const Server& s) {
  if (!server_ready(ctx, s))
    throw sc::Failure("the PostgreSQL server does not answer on " + s.host + " port " + s.port +
                      "; start it (pg_ctlcluster) or fix DB_PGHOST/DB_PGPORT, then check with `sc db ready`");
}

/// A libpq password file (mode 0600, removed when done): keeps a password
/// off command lines and out of the environment. A scratch file of this
/// machine's temporary directory, not a file of the target system: made
/// and removed here, not through the engine.
class PassFile {
 public:
  PassFile(const std::string& port, const std::string& database, const std::string& role, const std::string& pw) {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/sc-db-pgpass-XXXXXX";
    int fd = ::mkstemp(path_.data());  // created 0600
    if (fd < 0) throw sc::Failure("cannot create a temporary password file in " + path_);
    std::string line = "localhost:" + port + ":" + escape(database) + ":" + escape(role) + ":" + escape(pw) + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok) throw sc::Failure("cannot write the temporary password file " + path_);
  }
  ~PassFile() { ::unlink(path_.c_str()); }
  PassFile(const PassFile&) = delete;
  PassFile& operator=(const PassFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  static std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == ':' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  }
  std::string path_;
};

std::string read_stdin() {
  std::string data;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(STDIN_FILENO, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
  if (n < 0) throw sc::Failure("cannot read stdin");
  return data;
}

// ---- commands -------------------------------------------------------------

void setup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  int rc = ctx.call_shown("aptpackage", "ensure",
                          {"postgresql:/usr/bin/pg_lsclusters", "postgresql-client:psql", "xz-utils:xz"});
  if (rc != SC_OK) throw sc::Failure("PostgreSQL could not be installed (see above)");
  if (!ctx.dry_run()) require_ready(ctx, server(ctx));
}

void cleanup(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  for (const char* s : {"DB_PGHOST", "DB_PGPORT", "DB_PGADMIN"}) ctx.unset_setting(s);
}

int ready(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  return server_ready(ctx, server(ctx)) ? SC_OK : SC_FAIL;
}

/// Asked twice on a terminal, or the first line of stdin.
std::string password_from_user(sc::Context& ctx, const std::string& role) {
  if (!(ctx.mode() & SC_MODE_TTY))
    throw sc::Usage("no password for role " + role +
                    ": give it on stdin with --password-stdin, or run on a terminal to be asked");
  std::string pw = ctx.ask_secret("Password for database role " + role);
  if (ctx.ask_secret("Again") != pw) throw sc::Usage("the two passwords differ; nothing was changed");
  return pw;
}

const std::string kAddUsage = "sc db add USER [DATABASE] [--password-stdin] [--password-file FILE]";

void add(sc::Context& ctx) {
  std::vector<std::string> pos;
  std::optional<std::string> password;
  bool from_stdin = false;
  std::optional<std::string> password_file;
  const auto& args = ctx.args();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--password-file") {
      // A file of the target, named by its path: how another module hands
      // over a password it generated (a call into db cannot give it stdin).
      if (i + 1 >= args.size()) throw sc::Usage("--password-file needs a FILE; usage: " + kAddUsage);
      password_file = args[++i];
      continue;
    }
    if (a.rfind("--password", 0) == 0 && a != "--password-stdin")
      // Never from a command line: other users see it in ps, and it stays
      // in shell histories and logs. The value is not echoed.
      throw sc::Usage(
          "a password is never taken from the command line (--password...): other users can read it; "
          "give it on stdin with --password-stdin, or run on a terminal to be asked");
    if (a == "--password-stdin")
      from_stdin = true;
    else
      pos.push_back(a);
  }
  if (pos.empty() || pos.size() > 2) throw sc::Usage("usage: " + kAddUsage);
  const std::string role = identifier(pos[0]);
  const std::string database = identifier(pos.size() > 1 ? pos[1] : pos[0]);
  if (password_file) {
    const std::string& file = *password_file;
    if (file.empty() || file[0] != '/')
      throw sc::Usage("--password-file \"" + file +
                      "\" is not an absolute path; give the path of a file (mode 0600) holding the password");
    auto text = ctx.read_file(file);
    if (!text) throw sc::Usage("--password-file \"" + file + "\": cannot read this file (does it exist?)");
    password = text->substr(0, text->find('\n'));
    if (from_stdin) throw sc::Usage("give the password either with --password-stdin or with --password-file, not both");
  }
  if (from_stdin) {
    std::string in = read_stdin();
    password = in.substr(0, in.find('\n'));
  }
  if (!password) password = password_from_user(ctx, role);
  if (password->empty()) throw sc::Usage("the password of role " + role + " is empty; give a real one");
  if (password->find_first_of(std::string("\0\n\r", 3)) != std::string::npos)
    throw sc::Usage("the password contains a NUL byte or a line break; choose another");
  const Server s = server(ctx);
  require_ready(ctx, s);
  const auto has_role = query(ctx, s, "SELECT 1 FROM pg_roles WHERE rolname = " + db::quote_literal(role) + ";");
  const auto owner =
      query(ctx, s,
            "SELECT r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = " +
                db::quote_literal(database) + ";");
  if (!has_role.empty() && owner.size() == 1 && owner[0] == role) {
    // Everything exists: change nothing when the password already works.
    sc::RunOptions o;
    o.readonly = true;
    o.capture_out = o.capture_err = true;
    PassFile pass(s.port, database, role, *password);
    o.env = {"PGPASSFILE=" + pass.path(), "PGCONNECT_TIMEOUT=5"};
    sc::RunResult r = ctx.run({"psql", "-X", "-q", "-tA", "-w", "-h", "localhost", "-p", s.port, "-U", role, "-d",
                               database, "-c", "SELECT 1"},
                              o);
    if (r.ok()) {
      ctx.print("role " + role + " and database " + database + " are already set up\n");
      return;
    }
  }
  change(ctx, s, db::ensure_script(role, database, *password));
}

void del(sc::Context& ctx) {
  ctx.expect_args(1, 2, "USER [DATABASE]");
  const std::string role = identifier(ctx.args()[0]);
  const std::string database = identifier(ctx.arg(1, ctx.args()[0]));
  const Server s = server(ctx);
  require_ready(ctx, s);
  if (!ctx.ask_yes_no("Drop database " + database + " and role " + role + "? Their data is lost", false))
    throw sc::Failure("not confirmed; nothing was dropped (answer yes, or add --yes)");
  change(ctx, s, db::drop_script(role, database));
}

int has(sc::Context& ctx) {
  ctx.expect_args(1, 1, "DATABASE");
  const std::string database = identifier(ctx.args()[0]);
  const Server s = server(ctx);
  if (!server_ready(ctx, s)) return SC_FAIL;
  return query(ctx, s, "SELECT 1 FROM pg_database WHERE datname = " + db::quote_literal(database) + ";").empty()
             ? SC_FAIL
             : SC_OK;
}

void list(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  const Server s = server(ctx);
  require_ready(ctx, s);
  auto names =
      query(ctx, s, "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY 1;");
  std::string text;
  for (const auto& n : names) text += n + "\n";
  ctx.print(text);
  ctx.result(json(names).dump());
}

void backup(sc::Context& ctx) {
  ctx.expect_args(1, 2, "USER [DATABASE]");
  if (ctx.json()) throw sc::Usage("sc db backup writes binary data to stdout; run it without --json");
  const std::string role = identifier(ctx.args()[0]);
  const std::string database = identifier(ctx.arg(1, ctx.args()[0]));
  const Server s = server(ctx);
  require_ready(ctx, s);
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = o.capture_err = true;
  sc::RunResult roles = ctx.run(as_admin(s, "pg_dumpall", {"--roles-only"}), o);
  if (!roles.ok()) throw sc::Failure("pg_dumpall --roles-only failed: " + roles.err);
  std::string role_sql = db::role_lines(roles.out, role);
  if (role_sql.empty()) throw sc::Failure("role " + role + " does not exist; see `sc db list`");
  sc::RunResult dump = ctx.run(as_admin(s, "pg_dump", {"--no-tablespaces", "-d", database}), o);
  if (!dump.ok()) throw sc::Failure("pg_dump of " + database + " failed: " + dump.err);
  // The stream goes straight to our stdout (binary, so not through print).
  sc::RunOptions x;
  x.readonly = true;
  x.input = db::dump_header(role, database, role_sql) + dump.out;
  sc::RunResult xz = ctx.run({"xz", "-c", "-6"}, x);
  if (!xz.ok()) throw sc::Failure("xz failed: " + std::string(ctx.api()->last_error(ctx.host())));
}

void restore_data(sc::Context& ctx, const std::string& compressed, const std::string& what) {
  if (compressed.empty()) throw sc::Usage(what + " is empty: nothing to restore");
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = o.capture_err = true;
  o.input = compressed;
  sc::RunResult sqltext = ctx.run({"xz", "-dc"}, o);
  if (!sqltext.ok()) throw sc::Usage(what + " is not an xz stream made by `sc db backup`: " + sqltext.err);
  if (sqltext.out.rfind("-- sc db backup: ", 0) != 0)
    throw sc::Usage(what + " was not made by `sc db backup`; refusing to run it as the database administrator");
  const Server s = server(ctx);
  require_ready(ctx, s);
  change(ctx, s, sqltext.out);
}

void restorestream(sc::Context& ctx) {
  ctx.expect_args(0, 0, "");
  restore_data(ctx, read_stdin(), "stdin");
}

/// A password nobody knows, for one restore: letters and digits from the
/// kernel's random source.
std::string random_password() {
  unsigned char raw[24];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0) throw sc::Failure("no random bytes for a temporary password");
    got += static_cast<size_t>(n);
  }
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string pw;
  for (unsigned char c : raw) pw += digits[c % 62];
  return pw;
}

/// `restore FILE --original`: a dump of the original tool, named
/// USER:DATABASE.xz (a backup's db/ directory). The role and the database
/// are those of the file's name and are made by this module: the role a
/// login role (its password hash carried over from the stream when it is
/// well-formed, else none), the database dropped and created afresh, owned
/// by it. Only pg_dump's part of the stream runs, as the role itself (over
/// TCP to localhost, with a one-time password) and with psql's
/// meta-commands shut off (\restrict), so the stream cannot reach beyond
/// the role's rights: its own DROP/CREATE/ALTER statements never run.
void restore_original(sc::Context& ctx, const std::string& file) {
  const std::string name = file.substr(file.find_last_of('/') + 1);
  std::string why;
  auto names = db::original_dump_names(name, &why);
  if (!names) throw sc::Usage("FILE \"" + file + "\" is not a dump of the original tool: " + why);
  const auto& [role, database] = *names;
  auto data = ctx.read_file(file);
  if (!data) throw sc::Usage("FILE \"" + file + "\": cannot read this database dump (does it exist?)");
  if (data->empty()) throw sc::Usage(file + " is empty: nothing to restore");
  sc::RunOptions x;
  x.readonly = true;
  x.capture_out = x.capture_err = true;
  x.input = *data;
  sc::RunResult text = ctx.run({"xz", "-dc"}, x);
  if (!text.ok()) throw sc::Usage(file + " is not an xz stream: " + text.err);
  auto dump = db::parse_original_dump(text.out, role, database, &why);
  if (!dump) throw sc::Usage(file + ": " + why + "; nothing was restored");
  const Server s = server(ctx);
  require_ready(ctx, s);
  if (!query(ctx, s, "SELECT 1 FROM pg_roles WHERE rolname = " + db::quote_literal(role) + " AND rolsuper;").empty())
    throw sc::Usage("role " + role + " is a superuser here: a dump is never restored with a superuser's rights; " +
                    "nothing was restored");
  if (!dump->password_hash)
    ctx.warn("role " + role + ": " +
             (dump->password_problem.empty() ? std::string("the dump holds no password") : dump->password_problem) +
             "; it is restored without one (set it with `sc db add " + role + " " + database + "`)");
  const std::string temporary = random_password();
  change(ctx, s, db::original_prepare_script(role, database, temporary));
  std::string failed;
  {
    // psql's own restriction key, unknown to the stream: every meta-command
    // the stream holds (\! runs a shell, \connect another database) is
    // refused.
    sc::RunOptions o;
    o.capture_out = o.capture_err = true;
    o.input = "\\restrict " + random_password() + "\n" + dump->dump;
    PassFile pass(s.port, database, role, temporary);
    o.env = {"PGPASSFILE=" + pass.path(), "PGCONNECT_TIMEOUT=10"};
    sc::RunResult r = ctx.run({"psql", "-X", "-q", "-w", "-h", "localhost", "-p", s.port, "-U", role, "-d", database,
                               "-v", "ON_ERROR_STOP=1"},
                              o);
    if (!r.ok()) failed = r.err.empty() ? ctx.last_error() : r.err;
  }
  // The one-time password goes, whatever happened.
  change(ctx, s, db::password_script(role, dump->password_hash));
  if (!failed.empty())
    throw sc::Failure("restoring " + file + " into database " + database + " as role " + role + " failed: " + failed);
  ctx.print((ctx.dry_run() ? "would restore" : "restored") + std::string(" database ") + database + " (role " + role +
            ") from " + file + "\n");
}

void restore(sc::Context& ctx) {
  std::vector<std::string> pos;
  bool original = false;
  for (const auto& a : ctx.args()) {
    if (a == "--original")
      original = true;
    else
      pos.push_back(a);
  }
  if (pos.size() != 1) throw sc::Usage("usage: sc db restore FILE [--original]");
  const std::string& file = pos[0];
  if (file.empty() || file[0] != '/')
    throw sc::Usage("FILE \"" + file + "\" is not an absolute path; give the path of a dump made by `sc db backup`" +
                    (original ? " (or, with --original, by the original tool)" : ""));
  if (original) return restore_original(ctx, file);
  auto data = ctx.read_file(file);
  if (!data) throw sc::Usage("FILE \"" + file + "\": cannot read this database dump (does it exist?)");
  restore_data(ctx, *data, file);
}

void sql(sc::Context& ctx) {
  std::vector<std::string> pos;
  std::string file;
  bool given_file = false;
  const auto& a = ctx.args();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--file" && i + 1 < a.size()) {
      file = a[++i];
      given_file = true;
    } else {
      pos.push_back(a[i]);
    }
  }
  if (pos.empty() || pos.size() > 2) throw sc::Usage("usage: sc db sql USER [DATABASE] [--file FILE]");
  const std::string role = identifier(pos[0]);
  const std::string database = identifier(pos.size() > 1 ? pos[1] : pos[0]);
  // --file is read before anything else: a bad one is a usage error
  // whatever the state of the server.
  std::optional<std::string> script;
  if (given_file) {
    if (file.empty() || file[0] != '/')
      throw sc::Usage("--file \"" + file + "\" is not an absolute path; give the path of an SQL script");
    script = ctx.read_file(file);
    if (!script) throw sc::Usage("--file \"" + file + "\": cannot read this SQL script (does it exist?)");
  }
  const Server s = server(ctx);
  require_ready(ctx, s);
  // The administrator connects and becomes the role: objects belong to the
  // role, and no password is needed or exposed.
  sc::RunOptions o;
  o.env = {"PGOPTIONS=-c role=" + role};
  std::vector<std::string> args = {"-X", "-d", database};
  if (script) {
    o.input = *script;
    o.capture_err = true;
    args.insert(args.end(), {"-q", "-v", "ON_ERROR_STOP=1"});
  } else {
    o.interactive = true;
  }
  sc::RunResult r = ctx.run(as_admin(s, "psql", args), o);
  if (!r.ok()) throw sc::Failure("psql as " + role + " failed" + (r.err.empty() ? std::string() : ": " + r.err));
}

void getpw(sc::Context& ctx) {
  ctx.expect_args(1, 1, "USER");
  const std::string role = identifier(ctx.args()[0]);
  const Server s = server(ctx);
  require_ready(ctx, s);
  auto rows = query(ctx, s, "SELECT rolpassword FROM pg_authid WHERE rolname = " + db::quote_literal(role) + ";");
  if (rows.empty()) throw sc::Failure("role " + role + " does not exist or has no password");
  ctx.print(rows[0] + "\n");
  ctx.result(json(rows[0]).dump());
}

/// Copies MODULE's databases (its `db` hook on HOST) from HOST into the
/// local server: each one a `db backup` stream from the peer, restored here.
void pull(sc::Context& ctx) {
  ctx.expect_args(2, 2, "MODULE HOST");
  const std::string module = plugin_common::sc_names::checked_module_name(ctx.args()[0]),
                    host = plugin_common::peer_name::checked(ctx.args()[1], "HOST");
  sc::CallResult listed = ctx.peer_sc(host, {module, "db"}, /*readonly=*/true);
  json doc = json::parse(listed.json, nullptr, false);
  if (listed.status != SC_OK || !doc.is_object())
    throw sc::Failure("cannot get the databases of " + module + " from " + host + ": " +
                      (doc.is_object() ? doc.value("error", json("no answer")).dump() : std::string("no answer")));
  json entries = doc.value("result", json::array());
  if (!entries.is_array()) throw sc::Failure("the db hook of " + module + " on " + host + " did not return a list");
  const std::string remote_sc = ctx.setting("SSHLINK_REMOTE_SC").value_or("sc");
  for (const auto& item : entries) {
    auto entry = item.is_string() ? db::parse_db_entry(item.get<std::string>()) : std::nullopt;
    if (!entry)
      throw sc::Failure("the db hook of " + module + " on " + host + " returned " + item.dump() +
                        ", not USER:DATABASE");
    sc::RunOptions o;
    o.readonly = true;
    o.capture_out = o.capture_err = true;
    sc::RunResult dump = ctx.peer_run(host, {remote_sc, "db", "backup", entry->first, entry->second}, o);
    if (!dump.ok())
      throw sc::Failure("dump of database " + entry->second + " on " + host +
                        " failed: " + (dump.err.empty() ? ctx.last_error() : dump.err));
    restore_data(ctx, dump.out, "the dump of " + entry->second + " from " + host);
    ctx.print("database " + entry->second + " copied from " + host + "\n");
  }
}

}  // namespace

SC_PLUGIN(SC_MODULE_NAME, SC_MODULE_VERSION, sc::command<&setup>("setup"), sc::command<&cleanup>("cleanup"),
          sc::command<&ready>("ready"), sc::command<&add>("add"), sc::command<&del>("del"), sc::command<&has>("has"),
          sc::command<&list>("list"), sc::command<&backup>("backup"), sc::command<&restorestream>("restorestream"),
          sc::command<&restore>("restore"), sc::command<&sql>("sql"), sc::command<&getpw>("getpw"),
          sc::command<&pull>("pull"))
