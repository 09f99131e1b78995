#include "sql.hpp"

#include <algorithm>

#include "common/text_split.hpp"

namespace db {

bool valid_identifier(std::string_view name, std::string* why) {
  auto fail = [&](const std::string& w) {
    if (why) *why = "\"" + std::string(name) + "\" is not a valid database or role name: " + w;
    return false;
  };
  if (name.empty()) return fail("it is empty");
  if (name.size() > 63) return fail("it is longer than 63 characters");
  if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return fail("start it with a lower-case letter or '_'");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return fail("use only lower-case letters, digits and '_'");
  return true;
}

std::string quote_ident(std::string_view name) {
  return "\"" + std::string(name) + "\"";
}

std::string quote_literal(std::string_view text) {
  std::string s = "'";
  for (char c : text) {
    if (c == '\'') s += '\'';
    s += c;
  }
  return s + "'";
}

namespace {

/// The login role ROLE with PASSWORD (the role made, or its password
/// changed): statements psql runs with \gexec.
std::string login_role_script(std::string_view role, std::string_view password) {
  const std::string r = quote_ident(role), pw = quote_literal(password);
  return "SET standard_conforming_strings = on;\n"
         "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " +
         quote_literal(role) +
         ")\n"
         "  THEN 'ALTER ROLE " +
         r + " WITH LOGIN PASSWORD ' || " + quote_literal(pw) +
         "\n"
         "  ELSE 'CREATE ROLE " +
         r + " WITH LOGIN PASSWORD ' || " + quote_literal(pw) +
         " END\n"
         "\\gexec\n";
}

}  // namespace

std::string ensure_script(std::string_view role, std::string_view database, std::string_view password) {
  const std::string r = quote_ident(role), d = quote_ident(database);
  // psql runs this with ON_ERROR_STOP; \gexec runs each generated statement
  // (CREATE DATABASE cannot run inside a DO block).
  return login_role_script(role, password) + "SELECT 'CREATE DATABASE " + d + " OWNER " + r +
         "'\n"
         "  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = " +
         quote_literal(database) +
         ")\n"
         "\\gexec\n"
         "ALTER DATABASE " +
         d + " OWNER TO " + r + ";\n";
}

std::string drop_script(std::string_view role, std::string_view database) {
  return "DROP DATABASE IF EXISTS " + quote_ident(database) + ";\nDROP ROLE IF EXISTS " + quote_ident(role) + ";\n";
}

std::string role_lines(std::string_view roles_dump, std::string_view role) {
  const std::string plain(role), quoted = quote_ident(role);
  std::string out;
  for (const auto& line : lines(roles_dump)) {
    for (const char* verb : {"CREATE ROLE ", "ALTER ROLE "}) {
      std::string v = verb;
      if (line.compare(0, v.size(), v) != 0) continue;
      std::string_view rest = std::string_view(line).substr(v.size());
      for (const std::string& name : {plain, quoted}) {
        if (rest.substr(0, name.size()) == name &&
            (rest.size() == name.size() || rest[name.size()] == ' ' || rest[name.size()] == ';')) {
          out += line + "\n";
          goto next_line;
        }
      }
    }
  next_line:;
  }
  return out;
}

std::string dump_header(std::string_view role, std::string_view database, std::string_view role_sql) {
  return "-- sc db backup: role " + std::string(role) + ", database " + std::string(database) +
         "\n"
         "SET standard_conforming_strings = on;\n"
         "DROP DATABASE IF EXISTS " +
         quote_ident(database) +
         ";\n"
         "DROP ROLE IF EXISTS " +
         quote_ident(role) + ";\n" + std::string(role_sql) + "CREATE DATABASE " + quote_ident(database) + " OWNER " +
         quote_ident(role) +
         ";\n"
         "\\connect " +
         quote_ident(database) + "\n";
}

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool base64_part(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
          c == '='))
      return false;
  return true;
}

/// A line without its trailing '\r' and blanks.
std::string_view trimmed(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line;
}

/// "\restrict KEY" or "\unrestrict KEY" as pg_dump writes them (KEY: letters and digits).
bool restrict_line(std::string_view line) {
  for (std::string_view cmd : {"\\restrict ", "\\unrestrict "}) {
    if (!starts_with(line, cmd)) continue;
    std::string_view key = line.substr(cmd.size());
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
  }
  return false;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> original_dump_names(std::string_view file_name, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<std::pair<std::string, std::string>> {
    if (why) *why = w;
    return std::nullopt;
  };
  const std::string_view suffix = ".xz";
  if (file_name.size() <= suffix.size() || file_name.substr(file_name.size() - suffix.size()) != suffix)
    return fail("its name does not end in .xz (the original tool named its dumps USER:DATABASE.xz)");
  const std::string_view base = file_name.substr(0, file_name.size() - suffix.size());
  const size_t colon = base.find(':');
  if (colon == std::string_view::npos)
    return fail("its name is not USER:DATABASE.xz (no ':' between the role and the database)");
  const std::string role(base.substr(0, colon)), database(base.substr(colon + 1));
  std::string w;
  if (!valid_identifier(role, &w) || !valid_identifier(database, &w)) return fail(w);
  if (role == "postgres" || starts_with(role, "pg_"))
    return fail("role \"" + role + "\" is reserved by PostgreSQL; an original dump is restored as its role");
  if (database == "postgres" || database == "template0" || database == "template1")
    return fail("database \"" + database + "\" is a system database of PostgreSQL");
  return std::make_pair(role, database);
}

bool valid_password_hash(std::string_view hash) {
  if (starts_with(hash, "md5")) {
    std::string_view hex = hash.substr(3);
    return hex.size() == 32 &&
           std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  }
  const std::string_view scram = "SCRAM-SHA-256$";
  if (!starts_with(hash, scram)) return false;
  std::string_view rest = hash.substr(scram.size());
  const size_t colon = rest.find(':'), dollar = rest.find('$');
  if (colon == std::string_view::npos || dollar == std::string_view::npos || dollar < colon) return false;
  std::string_view iter = rest.substr(0, colon), salt = rest.substr(colon + 1, dollar - colon - 1),
                   keys = rest.substr(dollar + 1);
  if (iter.empty() || iter.size() > 9 ||
      !std::all_of(iter.begin(), iter.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const size_t kc = keys.find(':');
  if (kc == std::string_view::npos) return false;
  return base64_part(salt) && base64_part(keys.substr(0, kc)) && base64_part(keys.substr(kc + 1));
}

std::optional<OriginalDump> parse_original_dump(std::string_view text, std::string_view role, std::string_view database,
                                                std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<OriginalDump> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (text.find('\0') != std::string_view::npos) return fail("it holds a NUL byte: it is not an SQL dump");
  const std::string want_plain = "\\connect " + std::string(database),
                    want_quoted = "\\connect " + quote_ident(database);
  std::string head;
  size_t pos = 0, line_no = 0;
  bool connected = false;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    const size_t next = end == std::string_view::npos ? text.size() : end + 1;
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trimmed(text.substr(pos, end - pos));
    pos = next;
    ++line_no;
    if (line == want_plain || line == want_quoted) {
      connected = true;
      break;
    }
    if (line.empty() || starts_with(line, "--")) continue;
    bool known = false;
    for (std::string_view verb : {"DROP DATABASE IF EXISTS ", "DROP ROLE IF EXISTS ", "DROP ROLE ", "CREATE ROLE ",
                                  "ALTER ROLE ", "CREATE DATABASE "})
      known = known || starts_with(line, verb);
    if (!known || line.back() != ';') {
      std::string shown(line.substr(0, 60));
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      return fail("line " + std::to_string(line_no) + " (\"" + shown +
                  "\") is not one the original tool wrote before \"\\connect " + std::string(database) +
                  "\": not an original dump of database " + std::string(database));
    }
    head += std::string(line) + "\n";
  }
  if (!connected)
    return fail("it has no line \"\\connect " + std::string(database) + "\": not an original dump of database " +
                std::string(database) + " (is the file named after another database?)");
  OriginalDump out;
  // The role's password: the last ALTER ROLE line of the role naming one.
  for (const auto& line : lines(role_lines(head, role))) {
    if (!starts_with(line, "ALTER ROLE ")) continue;
    const size_t at = line.find(" PASSWORD ");
    if (at == std::string::npos) continue;
    std::string_view value = std::string_view(line).substr(at + 10);
    if (starts_with(value, "NULL")) {
      out.password_hash.reset();
      out.password_problem.clear();
      continue;
    }
    const size_t close = value.size() > 1 && value[0] == '\'' ? value.find('\'', 1) : std::string_view::npos;
    std::string_view hash = close == std::string_view::npos ? std::string_view() : value.substr(1, close - 1);
    if (close == std::string_view::npos || value.substr(close + 1) != ";" || !valid_password_hash(hash)) {
      out.password_hash.reset();
      out.password_problem =
          "its ALTER ROLE line holds no password hash sc can carry over (md5... or SCRAM-SHA-256$...)";
      continue;
    }
    out.password_hash = std::string(hash);
    out.password_problem.clear();
  }
  // pg_dump's part, less its own \restrict lines (the restore puts its own
  // first), never inside the data of a COPY.
  bool in_copy = false;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    const size_t next = end == std::string_view::npos ? text.size() : end + 1;
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, next - pos), line = trimmed(text.substr(pos, end - pos));
    pos = next;
    if (in_copy) {
      if (line == "\\.") in_copy = false;
    } else if (starts_with(line, "COPY ") && line.size() > 12 && line.substr(line.size() - 12) == " FROM stdin;") {
      in_copy = true;
    } else if (restrict_line(line)) {
      continue;
    }
    out.dump += raw;
  }
  return out;
}

std::string original_prepare_script(std::string_view role, std::string_view database, std::string_view temporary) {
  const std::string r = quote_ident(role), d = quote_ident(database);
  return login_role_script(role, temporary) + "DROP DATABASE IF EXISTS " + d + ";\nCREATE DATABASE " + d + " OWNER " +
         r + ";\n";
}

std::string password_script(std::string_view role, const std::optional<std::string>& hash) {
  return "SET standard_conforming_strings = on;\nALTER ROLE " + quote_ident(role) + " WITH PASSWORD " +
         (hash ? quote_literal(*hash) : std::string("NULL")) + ";\n";
}

std::vector<std::string> lines(std::string_view text) {
  return plugin_common::text_split::nonempty_lines(text, plugin_common::text_split::Cr::strip);
}

std::optional<std::pair<std::string, std::string>> parse_db_entry(std::string_view entry) {
  size_t colon = entry.find(':');
  std::string user(entry.substr(0, colon));
  std::string database = colon == std::string_view::npos ? user : std::string(entry.substr(colon + 1));
  if (!valid_identifier(user, nullptr) || !valid_identifier(database, nullptr)) return std::nullopt;
  return std::make_pair(user, database);
}

}  // namespace db
