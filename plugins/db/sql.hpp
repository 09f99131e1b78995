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

// ---- dumps of the original tool (its `db backup`, files BACKUP_DIR/HOST/db/USER:DB.xz)

/// The names in the name of an original dump file "USER:DATABASE.xz":
/// valid identifiers (valid_identifier), and neither a reserved role
/// ("postgres", "pg_...") nor a system database ("postgres", "template0",
/// "template1"). nullopt with *why otherwise.
std::optional<std::pair<std::string, std::string>> original_dump_names(std::string_view file_name, std::string* why);

/// True for a role password hash PostgreSQL stores as given: "md5" and 32
/// lower-case hex digits, or a SCRAM-SHA-256 verifier
/// ("SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY", base64 parts).
bool valid_password_hash(std::string_view hash);

/// What is taken from an original dump stream: the role's password hash
/// and pg_dump's part. Its own DROP/CREATE/ALTER statements are never run.
struct OriginalDump {
  std::optional<std::string> password_hash;  ///< from the role's ALTER ROLE ... PASSWORD line, well-formed
  std::string password_problem;              ///< why no hash was taken (empty: the stream had none)
  std::string dump;                          ///< everything after "\connect DATABASE", pg_dump's own
                                             ///< \restrict and \unrestrict lines left out
};

/// Splits the text of an original dump stream: a head made only of the
/// statements the original wrote (DROP DATABASE/ROLE, CREATE/ALTER/DROP
/// ROLE, CREATE DATABASE, comments, blank lines), then "\connect DATABASE"
/// (`database` as the file names it), then pg_dump's output. nullopt with
/// *why when the text is not such a stream.
std::optional<OriginalDump> parse_original_dump(std::string_view text, std::string_view role, std::string_view database,
                                                std::string* why);

/// Prepares the restore of an original dump: `role` made (or kept) a
/// login role whose password is `temporary`, `database` dropped when it
/// exists and created afresh, owned by `role`. Fed to psql on stdin.
std::string original_prepare_script(std::string_view role, std::string_view database, std::string_view temporary);

/// Sets the final password of `role`: the hash given, or none (NULL).
std::string password_script(std::string_view role, const std::optional<std::string>& hash);

/// Non-empty lines of psql -tA output.
std::vector<std::string> lines(std::string_view text);

/// Splits "user:database" entries of a module's `db` hook; nullopt when
/// the entry is malformed or a name is invalid.
std::optional<std::pair<std::string, std::string>> parse_db_entry(std::string_view entry);

}  // namespace db
