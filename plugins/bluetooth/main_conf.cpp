#include "main_conf.hpp"

#include <nlohmann/json.hpp>
#include <vector>

namespace bluetooth_conf {

namespace {

using nlohmann::json;

constexpr std::string_view kLine = "AutoEnable=true";
constexpr std::string_view kBlanks = " \t";

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(kBlanks);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(std::string_view(" \t\r"));
  return s.substr(b, e - b + 1);
}

/// One line of the file: its text and its terminator ("\n" or "\r\n", or
/// "" for a last line without one).
struct Line {
  std::string_view body;
  std::string_view eol;
};

std::vector<Line> split(std::string_view text) {
  std::vector<Line> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      out.push_back({text.substr(pos), {}});
      break;
    }
    size_t end = nl > pos && text[nl - 1] == '\r' ? nl - 1 : nl;  // CRLF: "\r\n" is the terminator
    out.push_back({text.substr(pos, end - pos), text.substr(end, nl + 1 - end)});
    pos = nl + 1;
  }
  return out;
}

std::string join(const std::vector<Line>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l.body;
    out += l.eol;
  }
  return out;
}

/// A group header's name ("[Policy]" -> "Policy"), or nullopt.
std::optional<std::string_view> group_of(std::string_view body) {
  std::string_view t = trim(body);
  if (t.size() < 2 || t.front() != '[' || t.back() != ']') return std::nullopt;
  return t.substr(1, t.size() - 2);
}

/// The key of a `key=value` line (GLib: leading blanks skipped, blanks
/// before '=' removed), or nullopt for a comment, a blank line or a header.
std::optional<std::string_view> key_of(std::string_view body, std::string_view* value = nullptr) {
  std::string_view t = trim(body);
  if (t.empty() || t.front() == '#' || t.front() == '[') return std::nullopt;
  size_t eq = t.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  if (value) *value = trim(t.substr(eq + 1));
  return trim(t.substr(0, eq));
}

/// `#AutoEnable=...` or `# AutoEnable = ...`: where Debian's file names the key.
bool commented_key(std::string_view body) {
  std::string_view t = trim(body);
  if (t.empty() || t.front() != '#') return false;
  t.remove_prefix(1);
  auto k = key_of(t);
  return k && *k == "AutoEnable";
}

/// Where [Policy] and its AutoEnable are.
struct Where {
  std::optional<size_t> header;   ///< index of the [Policy] line
  std::optional<size_t> key;      ///< index of its AutoEnable line
  std::optional<size_t> comment;  ///< index of its last commented AutoEnable
};

Where locate(const std::vector<Line>& lines) {
  Where w;
  bool in_policy = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (auto g = group_of(lines[i].body)) {
      in_policy = *g == "Policy";
      if (in_policy) {
        if (w.header)
          throw Unsupported(std::string(kMainConf) +
                            " has two [Policy] sections; merge them into one by hand, then run setup again");
        w.header = i;
      }
      continue;
    }
    if (!in_policy) continue;
    if (auto k = key_of(lines[i].body); k && *k == "AutoEnable") {
      if (w.key)
        throw Unsupported(std::string(kMainConf) +
                          " sets AutoEnable twice in [Policy]; keep one line by hand, then run setup again");
      w.key = i;
    } else if (commented_key(lines[i].body)) {
      w.comment = i;
    }
  }
  return w;
}

}  // namespace

bool is_true(std::string_view value) {
  return value == "true" || value == "1";
}

std::optional<std::string> auto_enable(std::string_view text) {
  std::vector<Line> lines = split(text);
  Where w = locate(lines);
  if (!w.key) return std::nullopt;
  std::string_view value;
  key_of(lines[*w.key].body, &value);
  return std::string(value);
}

Edit enable(std::string_view text, bool exists) {
  Edit e;
  if (!exists) {
    e.text = std::string("[Policy]\n") + std::string(kLine) + "\n";
    e.record = json{{"kind", "created"}, {"text", e.text}}.dump();
    e.changed = true;
    return e;
  }
  std::vector<Line> lines = split(text);
  Where w = locate(lines);
  if (w.key) {
    std::string_view value;
    key_of(lines[*w.key].body, &value);
    if (value == "true") {
      e.text = std::string(text);
      return e;
    }
    e.record = json{{"kind", "replaced"}, {"line", std::string(lines[*w.key].body)}}.dump();
    lines[*w.key].body = kLine;
    e.text = join(lines);
    e.changed = true;
    return e;
  }
  if (w.header) {
    size_t after = w.comment.value_or(*w.header);
    // The new line ends as the line before it did (CRLF in a CRLF file).
    const std::string_view eol = lines[after].eol;
    const bool eol_added = eol.empty();
    if (eol_added) lines[after].eol = "\n";
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(after) + 1, Line{kLine, eol});
    e.record = json{{"kind", "inserted"}, {"eol_added", eol_added}}.dump();
    e.text = join(lines);
    e.changed = true;
    return e;
  }
  std::string appended;
  if (!text.empty() && text.back() != '\n') appended += "\n";
  if (!text.empty()) appended += "\n";
  appended += "[Policy]\n" + std::string(kLine) + "\n";
  e.text = std::string(text) + appended;
  e.record = json{{"kind", "appended"}, {"text", appended}}.dump();
  e.changed = true;
  return e;
}

Restore restore(std::string_view text, std::string_view record) {
  json r = json::parse(record, nullptr, false);
  if (!r.is_object() || !r.contains("kind") || !r["kind"].is_string())
    throw Unsupported(std::string(kRecord) + " is not a record sc wrote; remove it and fix AutoEnable by hand");
  const std::string kind = r["kind"];
  auto str = [&](const char* name) -> std::string {
    if (!r.contains(name) || !r[name].is_string())
      throw Unsupported(std::string(kRecord) + " is not a record sc wrote; remove it and fix AutoEnable by hand");
    return r[name];
  };
  Restore out;
  out.text = std::string(text);
  if (kind == "created" || kind == "appended") {
    const std::string added = str("text");
    if (text.size() >= added.size() && text.substr(text.size() - added.size()) == added) {
      out.text = std::string(text.substr(0, text.size() - added.size()));
      out.remove_file = kind == "created" && out.text.empty();
      out.changed = true;
      return out;
    }
    // Written to since: only the line sc added goes, the rest stays.
  } else if (kind != "replaced" && kind != "inserted") {
    throw Unsupported(std::string(kRecord) + " is not a record sc wrote; remove it and fix AutoEnable by hand");
  }
  const std::string previous = kind == "replaced" ? str("line") : std::string();  // outlives `lines`
  if (previous.find_first_of("\n\r") != std::string::npos)
    throw Unsupported(std::string(kRecord) + " is not a record sc wrote; remove it and fix AutoEnable by hand");
  std::vector<Line> lines = split(text);
  Where w = locate(lines);
  if (!w.key) {
    out.note = "AutoEnable is no longer in [Policy] of " + std::string(kMainConf) + ": left as is";
    return out;
  }
  std::string_view value;
  key_of(lines[*w.key].body, &value);
  if (value != "true") {
    out.note = "AutoEnable was changed to \"" + std::string(value) + "\" since setup: left as is";
    return out;
  }
  if (kind == "replaced") {
    lines[*w.key].body = previous;
  } else {
    const bool last_without_eol = lines[*w.key].eol.empty();
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(*w.key));
    if (kind == "inserted" && last_without_eol && r.value("eol_added", false) && *w.key > 0 && *w.key == lines.size())
      lines[*w.key - 1].eol = {};
  }
  out.text = join(lines);
  out.changed = true;
  return out;
}

}  // namespace bluetooth_conf
