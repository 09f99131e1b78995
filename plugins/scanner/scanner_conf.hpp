// Pure text of the scanner module: sc's own block in SANE's saned.conf and
// net.conf, scanbd's device section and include line, the button's action
// script, and the argv of the scan pipeline (scanimage, then tesseract).
// Everything here is tested against expected text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scanner {

inline constexpr const char* kSanedConf = "/etc/sane.d/saned.conf";
inline constexpr const char* kNetConf = "/etc/sane.d/net.conf";
inline constexpr const char* kScanbdConf = "/etc/scanbd/scanbd.conf";
inline constexpr const char* kScanbdDeviceConf = "/etc/scanbd/scanner.d/synccluster.conf";
/// The button's script, in scanbd's own script directory (per host, /etc).
inline constexpr const char* kTrigger = "/etc/scanbd/scripts/synccluster-scan";
inline constexpr const char* kBegin = "# BEGIN synccluster scanner (written by `sc scanner setup`, do not edit)";
inline constexpr const char* kEnd = "# END synccluster scanner";
inline constexpr const char* kScanbdInclude = "include(scanner.d/synccluster.conf)";
inline constexpr const char* kMassRoot = "/srv/mass/";

/// `existing` without sc's block (kBegin..kEnd), then, when `lines` is not
/// empty, the block holding them at the end. The host's other lines are
/// kept as they are; a missing final newline is added.
std::string merge_block(std::string_view existing, const std::vector<std::string>& lines);

/// The lines of sc's block in `text` (empty when there is none).
std::vector<std::string> block_lines(std::string_view text);

/// Why `client` cannot stand on a saned.conf line, or "": a host name, an
/// IPv4 address, an IPv4 subnet ADDRESS/PREFIX (PREFIX 8 to 32) or an IPv6
/// address. "+" (every host) and anything else are refused.
std::string client_problem(std::string_view client);

/// Why `device` is not a SANE device name sc accepts (letters, digits and
/// "_:.-/", starting with a letter), or "".
std::string device_problem(std::string_view device);

/// scanimage options from SCANNER_OPTIONS: words split on blanks, each an
/// option ("-x", "--mode=Gray") or its value, of letters, digits and
/// "-=._:,/" (no quoting is needed: they are argv words, never a shell's). Output options (--format, -o, --output-file,
/// -d, --device-name,
/// --batch...) are sc's and refused. False with *why naming the word.
bool parse_options(std::string_view text, std::vector<std::string>* out, std::string* why);

/// Why `lang` is not a tesseract language list (letters, digits, '_' and
/// '+' between names, e.g. "eng" or "eng+fra"), or "".
std::string lang_problem(std::string_view lang);

/// Why `name` is not a user name sc accepts ([a-z_][a-z0-9_-]*, at most 32
/// bytes), or "".
std::string user_problem(std::string_view name);

/// Why `dir` is not a scan directory: an absolute path under /srv/mass, of
/// letters, digits and "/._-", without "." or ".." components; or "".
std::string dir_problem(std::string_view dir);

/// scanimage ... --format=tiff --output-file=OUT (device first when set).
std::vector<std::string> scanimage_argv(const std::string& device, const std::vector<std::string>& options,
                                        const std::string& out);

/// tesseract IN OUTBASE -l LANG pdf: writes OUTBASE.pdf, a PDF with the
/// image and a text layer.
std::vector<std::string> tesseract_argv(const std::string& in, const std::string& out_base, const std::string& lang);

/// "scan-STAMP.pdf", or "scan-STAMP-N.pdf" for n > 1.
std::string scan_file_name(const std::string& stamp, int n);

/// scanbd's section for the device: a button action running `script`.
/// An empty device matches any.
std::string scanbd_device_conf(const std::string& device, const std::string& script);

/// scanbd.conf with sc's include line once at the end, other lines kept.
std::string scanbd_with_include(std::string_view existing);

/// scanbd.conf without sc's include line.
std::string scanbd_without_include(std::string_view existing);

/// The script scanbd runs when the button is pressed: `sc scanner scan`.
std::string trigger_script(const std::string& sc_path);

}  // namespace scanner
