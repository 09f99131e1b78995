#include "account_db.hpp"

#include <algorithm>
#include <map>

#include "common/text_split.hpp"

namespace useracct {
namespace {

const char* editor_of(File f) {
  switch (f) {
    case File::passwd:
      return "vipw";
    case File::shadow:
      return "vipw -s";
    case File::group:
      return "vigr";
    case File::gshadow:
      return "vigr -s";
  }
  return "an editor";
}

bool is_number(std::string_view s) {
  return !s.empty() && s.size() <= 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoull(std::string(s)) < 4294967295ull;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = text.find(sep, start);
    out.emplace_back(text.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

/// Names in `a` missing from `b`, as "... x ..." sentences.
void unmatched(const Table& a, const Table& b, const char* what, const char* other, std::set<std::string>* out) {
  std::set<std::string> names;
  for (const Row* r : b.rows()) names.insert((*r)[0]);
  for (const Row* r : a.rows())
    if (!names.count((*r)[0]))
      out->insert(std::string(path_of(a.file())) + ": " + what + " \"" + (*r)[0] + "\" has no entry in " + other);
}

}  // namespace

const char* path_of(File file) {
  switch (file) {
    case File::passwd:
      return "/etc/passwd";
    case File::shadow:
      return "/etc/shadow";
    case File::group:
      return "/etc/group";
    case File::gshadow:
      return "/etc/gshadow";
  }
  return "";
}

size_t field_count(File file) {
  switch (file) {
    case File::passwd:
      return 7;
    case File::shadow:
      return 9;
    case File::group:
    case File::gshadow:
      return 4;
  }
  return 0;
}

std::optional<Table> Table::parse(File file, std::string_view text, std::string* err) {
  Table t(file);
  const std::vector<std::string_view> lines = plugin_common::text_split::lines(text);
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string_view line = lines[n];
    const size_t number = n + 1;
    Line l;
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') {
      l.verbatim = true;
      l.raw = std::string(line);
    } else {
      l.row = split(line, ':');
      if (l.row.size() != field_count(file) || l.row[0].empty()) {
        if (err)
          *err = std::string(path_of(file)) + " line " + std::to_string(number) + ": expected " +
                 std::to_string(field_count(file)) + " fields separated by ':' and a name, found " +
                 std::to_string(l.row.size()) + " fields; fix the file with `" + editor_of(file) + "`";
        return std::nullopt;
      }
    }
    t.lines_.push_back(std::move(l));
  }
  return t;
}

std::string Table::text() const {
  std::string out;
  for (const auto& l : lines_) {
    if (l.verbatim) {
      out += l.raw;
    } else {
      for (size_t i = 0; i < l.row.size(); ++i) out += (i ? ":" : "") + l.row[i];
    }
    out += '\n';
  }
  return out;
}

const Row* Table::find(std::string_view name) const {
  for (const auto& l : lines_)
    if (!l.verbatim && l.row[0] == name) return &l.row;
  return nullptr;
}

Row* Table::find(std::string_view name) {
  return const_cast<Row*>(static_cast<const Table*>(this)->find(name));
}

bool Table::remove(std::string_view name) {
  auto it = std::find_if(lines_.begin(), lines_.end(), [&](const Line& l) { return !l.verbatim && l.row[0] == name; });
  if (it == lines_.end()) return false;
  lines_.erase(it);
  return true;
}

void Table::append(Row row) {
  Line l;
  l.row = std::move(row);
  // After the last entry, so that NIS "+" lines at the end stay last.
  auto last = std::find_if(lines_.rbegin(), lines_.rend(), [](const Line& x) { return !x.verbatim; });
  lines_.insert(last == lines_.rend() ? lines_.end() : last.base(), std::move(l));
}

std::vector<const Row*> Table::rows() const {
  std::vector<const Row*> out;
  for (const auto& l : lines_)
    if (!l.verbatim) out.push_back(&l.row);
  return out;
}

std::vector<Row*> Table::rows() {
  std::vector<Row*> out;
  for (auto& l : lines_)
    if (!l.verbatim) out.push_back(&l.row);
  return out;
}

Table& Db::table(File f) {
  switch (f) {
    case File::passwd:
      return passwd;
    case File::shadow:
      return shadow;
    case File::group:
      return group;
    case File::gshadow:
      return gshadow;
  }
  return passwd;
}

const Table& Db::table(File f) const {
  return const_cast<Db*>(this)->table(f);
}

std::set<std::string> problems(const Db& db) {
  std::set<std::string> out;
  for (File f : {File::passwd, File::shadow, File::group, File::gshadow}) {
    const Table& t = db.table(f);
    const std::string where = path_of(f);
    std::map<std::string, int> seen;
    for (const Row* r : t.rows()) {
      const Row& row = *r;
      if (row.size() != field_count(f)) {
        out.insert(where + ": an entry has " + std::to_string(row.size()) + " fields");
        continue;
      }
      if (row[0].empty()) out.insert(where + ": an entry has no name");
      if (++seen[row[0]] == 2) out.insert(where + ": \"" + row[0] + "\" appears more than once");
      for (const auto& field : row)
        if (field.find_first_of(std::string(":\n\0", 3)) != std::string::npos)
          out.insert(where + ": an entry of \"" + row[0] + "\" holds ':', a newline or a NUL byte");
      if (f == File::passwd && (!is_number(row[2]) || !is_number(row[3])))
        out.insert(where + ": user \"" + row[0] + "\" has a uid or gid that is not a number");
      if (f == File::group && !is_number(row[2]))
        out.insert(where + ": group \"" + row[0] + "\" has a gid that is not a number");
    }
  }
  unmatched(db.passwd, db.shadow, "user", "/etc/shadow", &out);
  unmatched(db.shadow, db.passwd, "user", "/etc/passwd", &out);
  unmatched(db.group, db.gshadow, "group", "/etc/gshadow", &out);
  unmatched(db.gshadow, db.group, "group", "/etc/group", &out);
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  if (text.empty()) return {};
  return split(text, ',');
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace useracct
