// aptpackage: reading APT sources in both formats (one-line sources.list and
// deb822 .sources) and planning the extra contrib/backports sources that
// `sc aptpackage setup` writes. Pure functions, tested against exact text.
//
// The host's own source files are only read, never rewritten: the additions
// go to sc's own files (kOneLineFile for entries that came from one-line
// files, kDeb822File for those from deb822 files), each entry a copy of the
// Debian entry it extends (same types, URIs and options such as Signed-By,
// which APT requires to agree for one URI and suite) with only the missing
// components or the backports suite. `cleanup` removes the two files.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aptpackage {

/// sc's own source files (not read as input).
inline constexpr const char* kOneLineFile = "/etc/apt/sources.list.d/sc.list";
inline constexpr const char* kDeb822File = "/etc/apt/sources.list.d/sc.sources";
/// Files the original tool wrote (possibly malformed): removed by setup and cleanup.
inline constexpr const char* kLegacyFiles[] = {"/etc/apt/sources.list.d/sc_backports.list",
                                               "/etc/apt/sources.list.d/sc_contrib.list"};

/// One source entry: a line of a one-line file, or a stanza of a deb822 file.
struct SourceEntry {
  enum class Format { one_line, deb822 };
  Format format = Format::one_line;
  std::string where;  ///< "FILE:LINE" for messages
  bool enabled = true;
  std::vector<std::string> types;  ///< "deb" and/or "deb-src"
  std::vector<std::string> uris;
  std::vector<std::string> suites;
  std::vector<std::string> components;
  /// one-line: the option words as written between [ ], e.g. "arch=amd64".
  std::vector<std::string> options;
  /// deb822: every other field, as written (continuation lines included,
  /// comments left out), e.g. "Signed-By: /usr/share/keyrings/x.gpg".
  std::vector<std::string> fields;
};

/// Parses a one-line file (sources.list(5)): `type [options] uri suite
/// [component...]`, '#' starting a comment. Lines it cannot read are skipped
/// and described in `problems`.
std::vector<SourceEntry> parse_one_line(std::string_view text, const std::string& file,
                                        std::vector<std::string>* problems);

/// Parses a deb822 file: stanzas separated by blank lines, "Name: value"
/// fields with indented continuation lines, '#' comment lines. Stanzas
/// without Types, URIs or Suites are skipped and described in `problems`.
std::vector<SourceEntry> parse_deb822(std::string_view text, const std::string& file,
                                      std::vector<std::string>* problems);

/// Formats entries back: one line each (format one_line), or one stanza
/// each (format deb822). Used for sc's own files.
std::string format_one_line(const std::vector<SourceEntry>& entries);
std::string format_deb822(const std::vector<SourceEntry>& entries);

/// What setup wants on top of the host's sources.
struct Wanted {
  std::string codename;                 ///< e.g. "bookworm"
  std::vector<std::string> components;  ///< e.g. {"contrib"}
  bool backports = true;
};

/// What setup writes: the content of sc's two files ("" when one is not
/// needed) and the entries added, for the report.
struct Plan {
  std::string one_line_text;
  std::string deb822_text;
  std::vector<SourceEntry> added;
  bool found_debian = false;  ///< some enabled Debian archive entry exists
};

/// True for a Debian archive entry setup may extend: enabled, type deb or
/// deb-src, a URI naming Debian (not a cdrom), a suite of the release
/// (codename or stable/oldstable/testing, bare or -updates, -security,
/// -backports, -proposed-updates).
bool is_debian_suite(std::string_view suite, std::string_view codename);
bool is_debian_uri(std::string_view uri);

/// Plans the additions: for every Debian (type, URI, suite) that has "main",
/// the wanted components it lacks; for every bare release suite without a
/// backports counterpart, that counterpart with main and the wanted
/// components. Nothing is added twice, whatever the number of entries.
Plan plan_sources(const std::vector<SourceEntry>& entries, const Wanted& wanted);

/// VERSION_CODENAME of an os-release file (or the name in parentheses of
/// VERSION="12 (bookworm)"); "" when neither is there.
std::string os_release_codename(std::string_view os_release);

/// True for a file name APT reads in sources.list.d with the given
/// extension (".list" or ".sources"): only [A-Za-z0-9_.-] characters.
bool apt_reads_file(std::string_view name, std::string_view extension);

}  // namespace aptpackage
