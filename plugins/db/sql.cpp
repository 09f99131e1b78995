#include "sql.hpp"

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

std::string ensure_script(std::string_view role, std::string_view database, std::string_view password) {
  const std::string r = quote_ident(role), d = quote_ident(database), pw = quote_literal(password);
  // psql runs this with ON_ERROR_STOP; \gexec runs each generated statement
  // (CREATE DATABASE cannot run inside a DO block).
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
         "\\gexec\n"
         "SELECT 'CREATE DATABASE " +
         d + " OWNER " + r +
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
