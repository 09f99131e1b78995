// Pure parts of the db module: identifier checks, SQL quoting, the SQL it
// sends, and the shape of a dump stream. No I/O here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace db {

/// PostgreSQL role and database names we create: lower-case letters,
/// digits and '_', starting with a letter or '_', at most 63 bytes. Anything
/// else (quotes, ';', spaces, upper case) is refused, never escaped into SQL.
bool valid_identifier(std::string_view name, std::string* why);

/// "name" as a quoted identifier (a reserved word such as "user" stays
/// usable). Only for names that passed valid_identifier.
std::string quote_ident(std::string_view name);

/// 'text' as a standard SQL string literal (quotes doubled; backslashes are
/// literal with standard_conforming_strings, which the scripts switch on).
std::string quote_literal(std::string_view text);

/// The script that makes sure `role` can log in with `password` and owns
/// `database`: creates what is missing, updates the password of an existing
/// role, never drops anything. Fed to psql on stdin, never on argv.
std::string ensure_script(std::string_view role, std::string_view database, std::string_view password);

/// Drops `database`, then `role`.
std::string drop_script(std::string_view role, std::string_view database);

/// The lines of `pg_dumpall --roles-only` that create and configure `role`
/// (CREATE ROLE / ALTER ROLE, the name quoted or not), each with its newline.
std::string role_lines(std::string_view roles_dump, std::string_view role);

/// Head of a dump stream: drops and re-creates the role and the database,
/// then connects to it; pg_dump's output follows.
std::string dump_header(std::string_view role, std::string_view database, std::string_view role_sql);

/// Non-empty lines of psql -tA output.
std::vector<std::string> lines(std::string_view text);

/// Splits "user:database" entries of a module's `db` hook; nullopt when
/// the entry is malformed or a name is invalid.
std::optional<std::pair<std::string, std::string>> parse_db_entry(std::string_view entry);

}  // namespace db
