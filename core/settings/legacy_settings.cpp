#include "settings/legacy_settings.hpp"

#include <cstring>

#include "settings/settings_store.hpp"

namespace sc {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

// After an unquoted (or double-quoted) `$`, these make the shell expand
// something: names, positional and special parameters, ${...}, $(...), $[...].
bool starts_expansion(char c) {
  return c != '\0' && (is_name_char(c) || std::strchr("{([@*#?$!-", c) != nullptr);
}

std::string describe_expansion(char after_dollar) {
  switch (after_dollar) {
    case '(':
      return "\"$(\" (command substitution or arithmetic)";
    case '{':
      return "\"${\" (parameter expansion)";
    case '[':
      return "\"$[\" (arithmetic)";
    default:
      return std::string("\"$") + after_dollar + "\" (variable expansion)";
  }
}

// Why: error messages never quote the file's text beyond a setting's name,
// because a malformed line may well hold a password.
class LegacyParser {
 public:
  LegacyParser(std::string_view text, const std::string& label, std::string* err)
      : text_(text), label_(label), err_(err) {}

  bool run(std::map<std::string, std::string>* out) {
    out->clear();
    if (size_t nul = text_.find('\0'); nul != std::string_view::npos) {
      line_ = 1;
      for (size_t i = 0; i < nul; ++i) line_ += text_[i] == '\n';
      return fail(line_, "NUL byte; a shell file cannot hold one: remove it");
    }
    while (!at_end()) {
      skip_blanks();
      if (at_end()) break;
      char c = peek();
      if (c == '\n') {
        ++pos_;
        ++line_;
      } else if (c == '#') {
        skip_comment();
      } else if (!assignment(out)) {
        return false;
      }
    }
    return true;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  // '\0' past the end: run() has refused NUL bytes, so it is unambiguous.
  char peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  void skip_blanks() {
    while (is_blank(peek())) ++pos_;
  }
  void skip_comment() {
    while (!at_end() && peek() != '\n') ++pos_;
  }

  bool fail(int line, const std::string& what) {
    if (err_) *err_ = label_ + ":" + std::to_string(line) + ": " + what;
    return false;
  }

  bool assignment(std::map<std::string, std::string>* out) {
    if (text_.substr(pos_, 6) == "export" && is_blank(peek(6))) {
      pos_ += 6;
      skip_blanks();
    }
    size_t name_begin = pos_;
    while (is_name_char(peek())) ++pos_;
    std::string name(text_.substr(name_begin, pos_ - name_begin));
    if (peek() != '=' || name.empty() || !is_name_start(name[0])) {
      return fail(line_,
                  "not an assignment NAME=VALUE; the import reads only assignments, one per "
                  "line, NAME being letters, digits and _ (not starting with a digit) "
                  "followed by = without spaces: fix or remove this line");
    }
    ++pos_;
    int value_line = line_;
    std::string value;
    if (!parse_value(name, &value)) return false;
    skip_blanks();
    if (peek() == '#') skip_comment();
    if (!at_end() && peek() != '\n') {
      return fail(line_, "setting " + name +
                             ": unexpected text after the value; quote the whole value "
                             "(NAME='...') and write one assignment per line");
    }
    if (!valid_setting_value(value)) {
      return fail(value_line, "setting " + name +
                                  ": the value is not valid UTF-8; convert the file to UTF-8 "
                                  "(e.g. iconv -f latin1 -t utf-8) and run again");
    }
    (*out)[name] = std::move(value);
    return true;
  }

  // One shell word, up to an unquoted blank, newline or the end.
  bool parse_value(const std::string& name, std::string* value) {
    // The shell expands an unquoted `~` at the start of an assignment's value
    // and after each unquoted `:`.
    bool tilde_expands = true;
    for (;;) {
      char c = peek();
      if (at_end() || c == '\n' || is_blank(c)) return true;
      if (c == '\'') {
        if (!single_quoted(name, value)) return false;
        tilde_expands = false;
      } else if (c == '"') {
        if (!double_quoted(name, value)) return false;
        tilde_expands = false;
      } else if (c == '\\') {
        if (pos_ + 1 >= text_.size()) {
          return fail(line_, "setting " + name +
                                 ": backslash at the end of the file; remove it, or write a "
                                 "literal backslash as \\\\ or inside '...'");
        }
        char next = text_[pos_ + 1];
        pos_ += 2;
        if (next == '\n') {
          ++line_;  // line continuation: removed, nothing appended
        } else {
          *value += next;
          tilde_expands = false;
        }
      } else if (c == '$') {
        char next = peek(1);
        if (next == '\'' || next == '"') {
          return fail(line_, "setting " + name + ": $" + next + "..." + next +
                                 " quoting means different things in different shells; "
                                 "write the value in plain single quotes, NAME='...'");
        }
        if (starts_expansion(next)) return expansion_error(name, describe_expansion(next));
        *value += '$';
        ++pos_;
        tilde_expands = false;
      } else if (c == '`') {
        return expansion_error(name, "\"`\" (command substitution)");
      } else if (c == '~' && tilde_expands) {
        return fail(line_, "setting " + name +
                               ": an unquoted ~ would be expanded to a home directory; write "
                               "the full path, or put the value in single quotes "
                               "(NAME='~/...') to keep a literal ~");
      } else if (std::strchr(";&|<>()", c) != nullptr) {
        std::string what = (c == '(' && value->empty()) ? "arrays are not supported"
                                                        : std::string("unquoted '") + c + "' is a shell operator";
        return fail(line_, "setting " + name + ": " + what +
                               "; quote the whole value (NAME='...') and write one assignment "
                               "per line");
      } else {
        *value += c;
        ++pos_;
        tilde_expands = c == ':';
      }
    }
  }

  bool expansion_error(const std::string& name, const std::string& what) {
    return fail(line_, "setting " + name + ": " + what +
                           " would be computed by the shell, which an import cannot "
                           "reproduce; write the literal value in single quotes "
                           "(NAME='...'), or escape the character with a backslash");
  }

  bool single_quoted(const std::string& name, std::string* value) {
    int open_line = line_;
    size_t close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) {
      return fail(open_line, "setting " + name +
                                 ": unterminated single quote (opened on this line); close "
                                 "it with ', writing a ' inside a value as '\\''");
    }
    for (size_t i = pos_ + 1; i < close; ++i) {
      *value += text_[i];
      line_ += text_[i] == '\n';
    }
    pos_ = close + 1;
    return true;
  }

  bool double_quoted(const std::string& name, std::string* value) {
    int open_line = line_;
    ++pos_;
    for (;;) {
      if (at_end()) {
        return fail(open_line, "setting " + name +
                                   ": unterminated double quote (opened on this line); close "
                                   "it with \", writing a \" inside a value as \\\"");
      }
      char c = peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        char next = peek(1);
        if (next == '$' || next == '`' || next == '"' || next == '\\') {
          *value += next;
          pos_ += 2;
        } else if (next == '\n') {
          pos_ += 2;
          ++line_;
        } else {
          // POSIX: any other backslash inside double quotes is literal. At
          // the end of the text the loop reports the unterminated quote.
          *value += '\\';
          ++pos_;
        }
        continue;
      }
      if (c == '$' && starts_expansion(peek(1))) {
        return expansion_error(name, describe_expansion(peek(1)));
      }
      if (c == '`') return expansion_error(name, "\"`\" (command substitution)");
      if (c == '\n') ++line_;
      *value += c;
      ++pos_;
    }
  }

  std::string_view text_;
  const std::string& label_;
  std::string* err_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

bool valid_shell_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0])) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

bool parse_legacy_settings(std::string_view text, const std::string& file_label,
                           std::map<std::string, std::string>* out, std::string* err) {
  // A file edited on Windows ends its lines with CR LF: the CR belongs to
  // the line end, not to the values.
  if (text.find("\r\n") != std::string_view::npos) {
    std::string unix_text;
    unix_text.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i)
      if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) unix_text += text[i];
    return LegacyParser(unix_text, file_label, err).run(out);
  }
  return LegacyParser(text, file_label, err).run(out);
}

}  // namespace sc
