// The HTML report of the whole cluster (`sc status --all --html FILE`): a
// pure function of the `--json` result of `sc master status --all`, so that
// the page is tested without hosts, and in a real browser from a fixture.
//
// The page is one self-contained HTML5 document: inline CSS and inline SVG,
// no script, no request of any kind (its Content-Security-Policy forbids
// every fetch, so a mistake shows as a console error rather than a request).
// Every string taken from the JSON is escaped as text; a field that is
// missing, null or of another type is shown as missing, never an exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace master {

/// The page for `all`, the result of `sc --json master status --all`
/// (issue 19's CONTRACTS.md, section 4). Stable hooks for tests and for
/// anyone who scrapes it: table#hosts tbody tr[data-peer][data-state] (one
/// row per host, in the order given), section#problems li.problem,
/// article.backup[data-host][data-entry] holding svg.backup-chart whose
/// points are circle[data-series][data-snapshot] (series "size",
/// "new_bytes", "duration_s"), section#conflicts li.conflict[data-host]
/// [data-profile], section#tunnels li.tunnel.
std::string render_report_html(const nlohmann::json& all);

/// Helpers of the page, tested on their own.
namespace report {

/// `text` escaped for HTML text and double-quoted attribute values: & < > "
/// ' as character references; bytes that are not UTF-8, and control
/// characters other than tab and newline, as U+FFFD.
std::string escape(std::string_view text);

/// Bytes in binary units, three significant digits: "0 B", "512 B",
/// "1.50 KiB", "12.3 MiB", "117 GiB".
std::string human_bytes(double bytes);

/// A duration for people: "42 s", "12 min 5 s", "3 h 05 min", "2 d 4 h".
std::string human_duration(double seconds);

/// "2026-11-26 08:00:00 UTC" for seconds since the epoch.
std::string utc_time(double epoch);

}  // namespace report

}  // namespace master
