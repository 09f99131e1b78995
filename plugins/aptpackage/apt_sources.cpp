#include "apt_sources.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>
#include <utility>

#include "common/text_split.hpp"

namespace aptpackage {

namespace {

constexpr std::string_view kHeader =
    "# Written by `sc aptpackage setup`: Debian components and suites this host's\n"
    "# own sources lack. `sc aptpackage cleanup` removes this file; setup rewrites it.\n";

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (is_space(s[i]) || s[i] == '\n')) ++i;
    size_t j = i;
    while (j < s.size() && !is_space(s[j]) && s[j] != '\n') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// One word of a one-line entry starting at `i`; a cdrom URI keeps its
// bracketed label, which may contain spaces.
std::string_view next_word(std::string_view line, size_t* i) {
  while (*i < line.size() && is_space(line[*i])) ++*i;
  size_t start = *i;
  if (line.substr(start, 7) == "cdrom:[") {
    size_t close = line.find(']', start);
    *i = close == std::string_view::npos ? line.size() : close;
  }
  while (*i < line.size() && !is_space(line[*i])) ++*i;
  return line.substr(start, *i - start);
}

bool disabled_value(std::string_view v) {
  std::string l = lower(trim(v));
  return l == "no" || l == "false" || l == "0" || l == "off" || l == "without" || l == "disable";
}

std::string normalized_uri(std::string_view uri) {
  std::string u(uri);
  while (u.size() > 1 && u.back() == '/') u.pop_back();
  return u;
}

struct Key {
  std::string type, uri, suite;
  bool operator<(const Key& o) const { return std::tie(type, uri, suite) < std::tie(o.type, o.uri, o.suite); }
};

}  // namespace

std::vector<SourceEntry> parse_one_line(std::string_view text, const std::string& file,
                                        std::vector<std::string>* problems) {
  std::vector<SourceEntry> out;
  auto lines = plugin_common::text_split::lines(text, plugin_common::text_split::Cr::strip);
  for (size_t n = 0; n < lines.size(); ++n) {
    const std::string where = file + ":" + std::to_string(n + 1);
    auto problem = [&](const std::string& why) {
      if (problems) problems->push_back(where + ": " + why + " (line ignored)");
    };
    std::string_view line = lines[n];
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    SourceEntry e;
    e.format = SourceEntry::Format::one_line;
    e.where = where;
    size_t i = 0;
    std::string type(next_word(line, &i));
    if (type != "deb" && type != "deb-src") {
      problem("unknown type \"" + type + "\"");
      continue;
    }
    e.types = {type};
    while (i < line.size() && is_space(line[i])) ++i;
    if (i < line.size() && line[i] == '[') {
      size_t close = line.find(']', i);
      if (close == std::string_view::npos) {
        problem("'[' without ']'");
        continue;
      }
      e.options = words(line.substr(i + 1, close - i - 1));
      i = close + 1;
    }
    std::string uri(next_word(line, &i));
    std::string suite(next_word(line, &i));
    if (uri.empty() || suite.empty()) {
      problem("no URI or no suite");
      continue;
    }
    e.uris = {uri};
    e.suites = {suite};
    for (std::string_view w = next_word(line, &i); !w.empty(); w = next_word(line, &i)) e.components.emplace_back(w);
    if (suite.back() != '/' && e.components.empty()) {
      problem("no component after the suite");
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<SourceEntry> parse_deb822(std::string_view text, const std::string& file,
                                      std::vector<std::string>* problems) {
  std::vector<SourceEntry> out;
  struct Field {
    std::string name, raw, value;
  };
  std::vector<Field> fields;
  size_t stanza_line = 0;
  bool bad = false;
  auto problem = [&](size_t line, const std::string& why) {
    if (problems) problems->push_back(file + ":" + std::to_string(line) + ": " + why + " (stanza ignored)");
  };
  auto finish = [&]() {
    if (fields.empty() || bad) {
      fields.clear();
      bad = false;
      return;
    }
    SourceEntry e;
    e.format = SourceEntry::Format::deb822;
    e.where = file + ":" + std::to_string(stanza_line);
    bool has_types = false, has_uris = false, has_suites = false;
    for (const auto& f : fields) {
      std::string name = lower(f.name);
      if (name == "types") {
        e.types = words(f.value);
        has_types = true;
      } else if (name == "uris") {
        e.uris = words(f.value);
        has_uris = true;
      } else if (name == "suites") {
        e.suites = words(f.value);
        has_suites = true;
      } else if (name == "components") {
        e.components = words(f.value);
      } else if (name == "enabled") {
        e.enabled = !disabled_value(f.value);
      } else {
        e.fields.push_back(f.raw);
      }
    }
    fields.clear();
    if (!has_types || !has_uris || !has_suites || e.types.empty() || e.uris.empty() || e.suites.empty()) {
      problem(stanza_line, "no Types, URIs or Suites");
      return;
    }
    out.push_back(std::move(e));
  };
  auto lines = plugin_common::text_split::lines(text, plugin_common::text_split::Cr::strip);
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    if (trim(line).empty()) {
      finish();
      continue;
    }
    if (line.front() == '#') continue;
    if (is_space(line.front())) {
      if (fields.empty()) {
        if (!bad) problem(n + 1, "continuation line without a field");
        bad = true;
        continue;
      }
      fields.back().raw += "\n" + std::string(line);
      std::string_view cont = trim(line);
      if (cont != ".") fields.back().value += "\n" + std::string(cont);
      continue;
    }
    size_t colon = line.find(':');
    std::string_view name = colon == std::string_view::npos ? std::string_view() : trim(line.substr(0, colon));
    if (name.empty() || std::any_of(name.begin(), name.end(), [](char c) { return is_space(c); })) {
      if (!bad) problem(n + 1, "\"" + std::string(trim(line)) + "\" is not a \"Name: value\" field");
      bad = true;
      continue;
    }
    if (fields.empty() && !bad) stanza_line = n + 1;
    if (!bad &&
        std::any_of(fields.begin(), fields.end(), [&](const Field& f) { return lower(f.name) == lower(name); })) {
      problem(n + 1, "field " + std::string(name) + " is given twice");
      bad = true;
      continue;
    }
    fields.push_back({std::string(name), std::string(line), std::string(trim(line.substr(colon + 1)))});
  }
  finish();
  return out;
}

std::string format_one_line(const std::vector<SourceEntry>& entries) {
  std::string out;
  for (const auto& e : entries)
    for (const auto& type : e.types)
      for (const auto& uri : e.uris)
        for (const auto& suite : e.suites) {
          out += type;
          if (!e.options.empty()) out += " [" + join(e.options) + "]";
          out += " " + uri + " " + suite;
          if (!e.components.empty()) out += " " + join(e.components);
          out += "\n";
        }
  return out;
}

std::string format_deb822(const std::vector<SourceEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (!out.empty()) out += "\n";
    out += "Types: " + join(e.types) + "\n";
    out += "URIs: " + join(e.uris) + "\n";
    out += "Suites: " + join(e.suites) + "\n";
    if (!e.components.empty()) out += "Components: " + join(e.components) + "\n";
    for (const auto& f : e.fields) out += f + "\n";
  }
  return out;
}

bool is_debian_suite(std::string_view suite, std::string_view codename) {
  static const char* const kSuffixes[] = {"", "-updates", "-security", "-backports", "-proposed-updates"};
  for (std::string_view base :
       {codename, std::string_view("stable"), std::string_view("oldstable"), std::string_view("testing")}) {
    if (base.empty() || suite.substr(0, base.size()) != base) continue;
    std::string_view rest = suite.substr(base.size());
    for (const char* s : kSuffixes)
      if (rest == s) return true;
  }
  return false;
}

bool is_debian_uri(std::string_view uri) {
  std::string l = lower(uri);
  return l.find("debian") != std::string::npos && l.rfind("cdrom:", 0) != 0;
}

Plan plan_sources(const std::vector<SourceEntry>& entries, const Wanted& wanted) {
  Plan plan;
  std::map<Key, std::set<std::string>> covered;
  for (const auto& e : entries) {
    if (!e.enabled) continue;
    for (const auto& t : e.types)
      for (const auto& u : e.uris)
        for (const auto& s : e.suites)
          covered[{t, normalized_uri(u), s}].insert(e.components.begin(), e.components.end());
  }

  std::vector<SourceEntry> one_line, deb822;
  for (const auto& e : entries) {
    if (!e.enabled) continue;
    // (type, uri) pairs of this entry that belong to Debian's archive.
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& t : e.types)
      for (const auto& u : e.uris)
        if ((t == "deb" || t == "deb-src") && is_debian_uri(u)) pairs.emplace_back(t, u);
    if (pairs.empty()) continue;

    std::vector<SourceEntry> adds;
    // Adds `comps_for(pair)` for `suite`; one entry when every pair of the
    // entry needs the same, else one per pair (types and URIs multiply).
    auto add_group = [&](const std::string& suite, const std::vector<std::vector<std::string>>& comps) {
      bool uniform = pairs.size() == e.types.size() * e.uris.size() &&
                     std::all_of(comps.begin(), comps.end(), [&](const auto& c) { return c == comps.front(); });
      auto make = [&](std::vector<std::string> types, std::vector<std::string> uris, std::vector<std::string> c) {
        SourceEntry a = e;
        a.types = std::move(types);
        a.uris = std::move(uris);
        a.suites = {suite};
        a.components = std::move(c);
        adds.push_back(std::move(a));
      };
      if (uniform && !comps.front().empty()) {
        make(e.types, e.uris, comps.front());
      } else if (!uniform) {
        // Per type, the URIs that lack the same components share an entry.
        for (const auto& t : e.types) {
          std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> by_comps;  // comps -> uris
          for (size_t i = 0; i < pairs.size(); ++i) {
            if (pairs[i].first != t || comps[i].empty()) continue;
            auto it =
                std::find_if(by_comps.begin(), by_comps.end(), [&](const auto& g) { return g.first == comps[i]; });
            if (it == by_comps.end())
              by_comps.push_back({comps[i], {pairs[i].second}});
            else
              it->second.push_back(pairs[i].second);
          }
          for (auto& [c, uris] : by_comps) make({t}, uris, c);
        }
      }
      for (size_t i = 0; i < pairs.size(); ++i)
        covered[{pairs[i].first, normalized_uri(pairs[i].second), suite}].insert(comps[i].begin(), comps[i].end());
    };

    for (const auto& s : e.suites) {
      if (!is_debian_suite(s, wanted.codename)) continue;
      std::vector<std::vector<std::string>> missing;
      for (const auto& [t, u] : pairs) {
        const auto& have = covered[{t, normalized_uri(u), s}];
        std::vector<std::string> m;
        if (have.count("main")) {
          plan.found_debian = true;
          for (const auto& c : wanted.components)
            if (!have.count(c)) m.push_back(c);
        }
        missing.push_back(std::move(m));
      }
      add_group(s, missing);
    }
    if (wanted.backports) {
      for (const auto& s : e.suites) {
        if (s.find('-') != std::string::npos || !is_debian_suite(s, wanted.codename)) continue;
        const std::string bp = s + "-backports";
        std::vector<std::vector<std::string>> missing;
        for (const auto& [t, u] : pairs) {
          std::vector<std::string> m;
          if (covered[{t, normalized_uri(u), s}].count("main") && covered[{t, normalized_uri(u), bp}].empty()) {
            m.push_back("main");
            for (const auto& c : wanted.components)
              if (c != "main") m.push_back(c);
          }
          missing.push_back(std::move(m));
        }
        add_group(bp, missing);
      }
    }
    // deb822 entries differing only in their suite, or only in their type,
    // become one (a stanza lists several of each).
    std::vector<SourceEntry> merged;
    for (auto& a : adds) {
      bool joined = false;
      if (a.format == SourceEntry::Format::deb822)
        for (auto& m : merged) {
          if (m.uris != a.uris || m.components != a.components) continue;
          if (m.types == a.types) {
            m.suites.push_back(a.suites.front());
          } else if (m.suites == a.suites) {
            m.types.insert(m.types.end(), a.types.begin(), a.types.end());
          } else {
            continue;
          }
          joined = true;
          break;
        }
      if (!joined) merged.push_back(std::move(a));
    }
    for (auto& a : merged) {
      plan.added.push_back(a);
      (a.format == SourceEntry::Format::one_line ? one_line : deb822).push_back(std::move(a));
    }
  }
  if (!one_line.empty()) plan.one_line_text = std::string(kHeader) + format_one_line(one_line);
  if (!deb822.empty()) plan.deb822_text = std::string(kHeader) + format_deb822(deb822);
  return plan;
}

std::string os_release_codename(std::string_view os_release) {
  std::string version;
  for (std::string_view line : plugin_common::text_split::lines(os_release, plugin_common::text_split::Cr::strip)) {
    line = trim(line);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = line.substr(0, eq), value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (name == "VERSION_CODENAME" && !value.empty()) return std::string(value);
    if (name == "VERSION") version = std::string(value);
  }
  size_t open = version.find('('), close = version.find(')');
  if (open != std::string::npos && close != std::string::npos && close > open + 1) {
    std::string name = version.substr(open + 1, close - open - 1);
    if (std::all_of(name.begin(), name.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)); }))
      return name;
  }
  return {};
}

bool apt_reads_file(std::string_view name, std::string_view extension) {
  if (name.size() <= extension.size() || name.substr(name.size() - extension.size()) != extension) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace aptpackage
