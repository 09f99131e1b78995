// The four account files (passwd, shadow, group, gshadow) as tables of
// colon-separated entries: parsed, edited in memory, checked and turned back
// into text. Pure: no file access (account_store does that).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace useracct {

enum class File { passwd, shadow, group, gshadow };

/// "/etc/passwd"... (target-system path).
const char* path_of(File file);
/// Fields of an entry: 7, 9, 4 and 4 (passwd(5), shadow(5), group(5), gshadow(5)).
size_t field_count(File file);

using Row = std::vector<std::string>;

/// One account file. Lines it does not interpret (NIS "+"/"-" entries,
/// comments, blank lines) are kept verbatim and in place.
class Table {
 public:
  Table() = default;
  explicit Table(File file) : file_(file) {}

  /// Parses the text of `file`. On a malformed line returns nullopt and
  /// sets *err to "/etc/passwd line 3: ..." with the fix.
  static std::optional<Table> parse(File file, std::string_view text, std::string* err);

  /// The file's text: every line ends with a newline.
  std::string text() const;

  File file() const { return file_; }
  const Row* find(std::string_view name) const;
  Row* find(std::string_view name);
  /// Removes the entry named `name`; false when there is none.
  bool remove(std::string_view name);
  /// Adds an entry after the last one, before trailing NIS "+" lines.
  void append(Row row);
  /// Every entry, in file order.
  std::vector<const Row*> rows() const;
  std::vector<Row*> rows();

 private:
  struct Line {
    Row row;
    std::string raw;  // verbatim lines only
    bool verbatim = false;
  };
  File file_ = File::passwd;
  std::vector<Line> lines_;
};

/// The four files of one system.
struct Db {
  Table passwd{File::passwd};
  Table shadow{File::shadow};
  Table group{File::group};
  Table gshadow{File::gshadow};

  Table& table(File f);
  const Table& table(File f) const;
};

/// Everything wrong with `db`, one sentence each: duplicate names, empty
/// names, ids that are not numbers, fields holding ':' or a newline, too
/// few or too many fields. An edit is refused when it adds a problem that
/// the files did not have before (problems already present are left to
/// pwck/grpck and the administrator).
std::set<std::string> problems(const Db& db);

/// Splits "a,b,c" (empty text: no item).
std::vector<std::string> split_list(std::string_view text);
/// Joins with ','.
std::string join_list(const std::vector<std::string>& items);

}  // namespace useracct
