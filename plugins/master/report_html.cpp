#include "report_html.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
#include <utility>
#include <vector>

namespace master {

using nlohmann::json;

namespace report {

namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

/// `v` with `decimals` digits after the point, whatever the C locale says
/// (SVG coordinates need a '.').
std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "0";
  std::array<char, 400> buf{};  // the largest double in full, and decimals
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  if (ec != std::errc()) return "0";
  std::string s(buf.data(), end);
  if (s == "-0" || s.rfind("-0.", 0) == 0) {
    // "-0.0": a rounded tiny negative number is zero.
    if (s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  }
  return s;
}

}  // namespace

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            out += kReplacement;
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: copied when well formed (no overlong form, no
    // surrogate, at most U+10FFFF), else one U+FFFD per bad byte.
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    }
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0u) != 0x80u) ok = false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if (ok && len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok && len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ok = false;
    if (!ok) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (cp <= 0x9F)  // C1 control characters
      out += kReplacement;
    else
      out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string human_bytes(double bytes) {
  if (!std::isfinite(bytes)) return "?";
  if (bytes < 0) return "-" + human_bytes(-bytes);
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::size_t k = 0;
  double v = bytes;
  while (v >= 1024 && k + 1 < std::size(units)) {
    v /= 1024;
    ++k;
  }
  if (k == 0) return fixed(std::round(v), 0) + " B";
  // Three significant digits; 1023.9 KiB stays "1024 KiB" rather than
  // jumping a unit mid-rounding.
  const int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
  return fixed(v, decimals) + " " + units[k];
}

std::string human_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e15) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  auto two = [](long long v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min" + (s % 60 ? " " + std::to_string(s % 60) + " s" : "");
  if (s < 86400) return std::to_string(s / 3600) + " h " + two(s % 3600 / 60) + " min";
  return std::to_string(s / 86400) + " d" + (s % 86400 / 3600 ? " " + std::to_string(s % 86400 / 3600) + " h" : "");
}

namespace {

/// The broken-down UTC time of `epoch`, when it is a time at all.
std::optional<std::tm> utc_tm(double epoch) {
  // Years 1 to 9999 or so; gmtime_r copes with more, strftime's output not.
  if (!std::isfinite(epoch) || epoch < -6e10 || epoch > 2.5e11) return std::nullopt;
  auto t = static_cast<std::time_t>(std::floor(epoch));
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return std::nullopt;
  return tm;
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string two_digits(int v) {
  return (v < 10 ? "0" : "") + std::to_string(v);
}

}  // namespace

std::string utc_time(double epoch) {
  auto tm = utc_tm(epoch);
  if (!tm) return "?";
  return std::to_string(tm->tm_year + 1900) + "-" + two_digits(tm->tm_mon + 1) + "-" + two_digits(tm->tm_mday) + " " +
         two_digits(tm->tm_hour) + ":" + two_digits(tm->tm_min) + ":" + two_digits(tm->tm_sec) + " UTC";
}

}  // namespace report

namespace {

using report::escape;
using report::fixed;
using report::human_bytes;
using report::human_duration;
using report::utc_time;

/// "2026-11-26 08:00 UTC": utc_time to the minute, where space is short.
std::string short_time(double epoch) {
  std::string t = utc_time(epoch);
  if (t.size() == 23) t.erase(16, 3);
  return t;
}

// --- reading the JSON: every accessor copes with a missing field, null, or
// a value of another type ---------------------------------------------------

const json& empty_array() {
  static const json a = json::array();
  return a;
}

const json& null_value() {
  static const json n;
  return n;
}

const json& field(const json& j, const char* key) {
  if (!j.is_object()) return null_value();
  auto it = j.find(key);
  return it == j.end() ? null_value() : *it;
}

const json& array_of(const json& j, const char* key) {
  const json& v = field(j, key);
  return v.is_array() ? v : empty_array();
}

std::string text_of(const json& j, const char* key) {
  const json& v = field(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

std::optional<double> number_of(const json& j, const char* key) {
  const json& v = field(j, key);
  if (v.is_number()) {
    double d = v.get<double>();
    if (std::isfinite(d)) return d;
  }
  return std::nullopt;
}

/// The hook result of module `name` on a host (its status document's
/// modules[].status), or null.
const json& module_status(const json& host, const char* name) {
  for (const auto& m : array_of(field(host, "status"), "modules"))
    if (m.is_object() && text_of(m, "name") == name) return field(m, "status");
  return null_value();
}

/// The level of a problem as a CSS class suffix: error, warning, or other.
std::string level_class(const std::string& level) {
  if (level == "error" || level == "warning") return level;
  return "other";
}

// --- the chart of a backup entry -------------------------------------------

struct Series {
  const char* key;    // the history field, and data-series
  const char* title;  // shown above the panel
  bool bytes;         // bytes, else seconds
  bool zero_based;    // the value axis starts at 0
};

constexpr std::array<Series, 3> kSeries{{
    {"size", "Snapshot size", true, false},
    {"new_bytes", "New bytes", true, true},
    {"duration_s", "Duration", false, true},
}};

struct Snapshot {
  std::string name;
  std::optional<double> time;  // finished, else started
  std::array<std::optional<double>, kSeries.size()> value;
};

struct Tick {
  double value;
  std::string label;
};

/// The smallest of 1, 2, 5 times a power of ten that is at least `x`.
double nice_step(double x) {
  if (!(x > 0)) return 1;
  const double e = std::pow(10.0, std::floor(std::log10(x)));
  const double f = x / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

/// Y axis from `lo` (0, or a round value under the smallest) to at least
/// `hi`: two to five ticks in one unit.
std::vector<Tick> value_ticks(double lo, double hi, bool bytes) {
  double unit = 1;
  const char* name = bytes ? "B" : "s";
  if (bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    std::size_t k = 0;
    while (hi / unit >= 1024 && k + 1 < std::size(units)) {
      unit *= 1024;
      ++k;
    }
    name = units[k];
  } else if (hi >= 3 * 86400) {
    unit = 86400;
    name = "d";
  } else if (hi >= 2 * 3600) {
    unit = 3600;
    name = "h";
  } else if (hi >= 120) {
    unit = 60;
    name = "min";
  }
  const double a = lo / unit;
  const double b = hi / unit;
  double step = nice_step((b - a) / 4);
  if (unit == 1) step = std::max(step, 1.0);   // no fraction of a byte or a second
  step = std::max(step, nice_step(b / 1000));  // nor digits past the third
  double bottom = 0;
  double top = 0;
  for (int widen = 0; widen < 4; ++widen) {  // at most five ticks: 1, 2, 5, 10... as far as needed
    bottom = std::floor(a / step + 1e-9) * step;
    top = std::ceil(b / step - 1e-9) * step;
    if ((top - bottom) / step <= 4.001) break;
    step = nice_step(step * 1.5);
  }
  if (!(top > bottom)) top = bottom + step;
  const int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  std::vector<Tick> ticks;
  for (int i = 0; bottom + i * step <= top + step / 1000 && i < 12; ++i)
    ticks.push_back({(bottom + i * step) * unit, fixed(bottom + i * step, decimals) + " " + name});
  return ticks;
}

/// Time ticks between t0 and t1 at a round step, labelled in UTC.
std::vector<Tick> time_ticks(double t0, double t1) {
  const double span = t1 - t0;
  if (!(span > 0)) return {};
  static const double steps[] = {60,         300,        900,         1800,       3600,      3 * 3600,
                                 6 * 3600,   12 * 3600,  86400,       2 * 86400,  7 * 86400, 14 * 86400,
                                 30 * 86400, 91 * 86400, 182 * 86400, 365 * 86400};
  double step = 0;
  for (double s : steps)
    if (span / s <= 6) {
      step = s;
      break;
    }
  if (step == 0) step = std::ceil(span / 6 / (365 * 86400.0)) * 365 * 86400;
  auto first_tm = report::utc_tm(t0);
  auto last_tm = report::utc_tm(t1);
  const bool one_year = first_tm && last_tm && first_tm->tm_year == last_tm->tm_year;
  if (!first_tm || !last_tm) return {};  // not a time of any calendar
  std::vector<Tick> ticks;
  const double first = std::ceil(t0 / step) * step;
  for (int i = 0; i < 12 && first + i * step <= t1; ++i) {
    const double t = first + i * step;
    auto tm = report::utc_tm(t);
    if (!tm) break;
    std::string label;
    if (!one_year)
      label = std::to_string(tm->tm_year + 1900) + "-" + report::two_digits(tm->tm_mon + 1) + "-" +
              report::two_digits(tm->tm_mday);
    else
      label = std::string(report::kMonths[tm->tm_mon]) + " " + std::to_string(tm->tm_mday);
    if (step < 86400) label += " " + report::two_digits(tm->tm_hour) + ":" + report::two_digits(tm->tm_min);
    ticks.push_back({t, label});
  }
  return ticks;
}

// Geometry of a chart, in the SVG's user units (CSS pixels at full width).
constexpr double kWidth = 560;
constexpr double kLeft = 66;  // room for the value labels
constexpr double kRight = 14;
constexpr double kTop = 6;
constexpr double kTitle = 22;  // the panel's title row
constexpr double kPlot = 78;   // the panel's plot height
constexpr double kGap = 12;
constexpr double kAxis = 38;  // time labels under the last panel
constexpr double kInset = 8;  // points kept off the plot's left and right edges

std::string chart_svg(const std::string& host, const std::string& entry, const std::vector<Snapshot>& snaps) {
  // Time on the x axis when every snapshot has one; else the snapshots
  // evenly spaced in the order given.
  bool by_time = std::all_of(snaps.begin(), snaps.end(), [](const Snapshot& s) { return s.time.has_value(); });
  double t0 = 0;
  double t1 = 0;
  if (by_time && !snaps.empty()) {
    t0 = t1 = *snaps.front().time;
    for (const auto& s : snaps) {
      t0 = std::min(t0, *s.time);
      t1 = std::max(t1, *s.time);
    }
    by_time = std::isfinite(t1 - t0);  // else no scale fits them: in order
  }
  const double plot_w = kWidth - kLeft - kRight;
  auto x_of = [&](std::size_t i) {
    double f = 0.5;
    if (by_time) {
      if (t1 > t0) f = (*snaps[i].time - t0) / (t1 - t0);
    } else if (snaps.size() > 1) {
      f = static_cast<double>(i) / static_cast<double>(snaps.size() - 1);
    }
    return kLeft + kInset + f * (plot_w - 2 * kInset);
  };
  auto x_of_time = [&](double t) { return kLeft + kInset + (t - t0) / (t1 - t0) * (plot_w - 2 * kInset); };
  const double panels = static_cast<double>(kSeries.size()) * (kTitle + kPlot + kGap) - kGap;
  const double height = kTop + panels + kAxis;
  const double radius = snaps.size() > 120 ? 1.6 : snaps.size() > 40 ? 2.4 : 3.6;

  // The order in which lines join the points: by x.
  std::vector<std::size_t> order(snaps.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x_of(a) < x_of(b); });

  std::vector<Tick> xticks = by_time ? time_ticks(t0, t1) : std::vector<Tick>{};

  std::string o;
  o += "<svg class=\"backup-chart\" viewBox=\"0 0 " + fixed(kWidth, 0) + " " + fixed(height, 0) +
       "\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" data-host=\"" + escape(host) + "\" data-entry=\"" +
       escape(entry) + "\" aria-label=\"" +
       escape("History of the backup " + entry + " on " + host + ": snapshot size, new bytes and duration") + "\">\n";
  for (std::size_t k = 0; k < kSeries.size(); ++k) {
    const Series& series = kSeries[k];
    const double top = kTop + static_cast<double>(k) * (kTitle + kPlot + kGap) + kTitle;
    const double bottom = top + kPlot;
    std::optional<double> min;
    std::optional<double> max;
    std::optional<double> latest;
    for (std::size_t i : order)
      if (snaps[i].value[k]) {
        min = std::min(min.value_or(*snaps[i].value[k]), *snaps[i].value[k]);
        max = std::max(max.value_or(0), *snaps[i].value[k]);
        latest = snaps[i].value[k];
      }
    // New bytes and durations from zero; the size from a round value under
    // the smallest, so that its growth shows (it is labelled).
    const double lo = series.zero_based || !min ? 0 : *min;
    const std::vector<Tick> yticks = value_ticks(lo, max.value_or(0), series.bytes);
    const double ybottom = yticks.front().value;
    const double ytop = yticks.back().value;
    auto y_of = [&](double v) { return bottom - std::clamp((v - ybottom) / (ytop - ybottom), 0.0, 1.0) * kPlot; };
    auto shown = [&](double v) { return series.bytes ? human_bytes(v) : human_duration(v); };

    o += "<g class=\"panel s-" + std::string(series.key) + "\" data-series=\"" + series.key + "\">\n";
    o += "<text class=\"ptitle\" x=\"" + fixed(kLeft, 0) + "\" y=\"" + fixed(top - 8, 1) + "\">" + series.title +
         "</text>";
    if (latest)
      o += "<text class=\"plast\" x=\"" + fixed(kWidth - kRight, 0) + "\" y=\"" + fixed(top - 8, 1) +
           "\" text-anchor=\"end\">latest " + escape(shown(*latest)) + "</text>";
    o += "\n<g class=\"grid\">";
    for (const auto& t : yticks) {
      const double y = y_of(t.value);
      o += "<line x1=\"" + fixed(kLeft, 0) + "\" x2=\"" + fixed(kWidth - kRight, 0) + "\" y1=\"" + fixed(y, 1) +
           "\" y2=\"" + fixed(y, 1) + "\"/>";
    }
    for (const auto& t : xticks) {
      const double x = x_of_time(t.value);
      o += "<line x1=\"" + fixed(x, 1) + "\" x2=\"" + fixed(x, 1) + "\" y1=\"" + fixed(top, 1) + "\" y2=\"" +
           fixed(bottom, 1) + "\"/>";
    }
    o += "</g>\n<g class=\"axis y\">";
    for (const auto& t : yticks)
      o += "<text x=\"" + fixed(kLeft - 6, 0) + "\" y=\"" + fixed(y_of(t.value) + 4, 1) + "\" text-anchor=\"end\">" +
           escape(t.label) + "</text>";
    o += "</g>\n";
    o += "<line class=\"baseline\" x1=\"" + fixed(kLeft, 0) + "\" x2=\"" + fixed(kWidth - kRight, 0) + "\" y1=\"" +
         fixed(bottom, 1) + "\" y2=\"" + fixed(bottom, 1) + "\"/>\n";

    // The line through the points (and, for the size, the area under it).
    std::string points;
    std::size_t count = 0;
    double first_x = 0;
    double last_x = 0;
    for (std::size_t i : order)
      if (snaps[i].value[k]) {
        const double x = x_of(i);
        if (count++ == 0) first_x = x;
        last_x = x;
        points += fixed(x, 1) + "," + fixed(y_of(*snaps[i].value[k]), 1) + " ";
      }
    if (count > 1) {
      if (k == 0)
        o += "<polygon class=\"area\" points=\"" + fixed(first_x, 1) + "," + fixed(bottom, 1) + " " + points +
             fixed(last_x, 1) + "," + fixed(bottom, 1) + "\"/>\n";
      o += "<polyline class=\"line\" points=\"" + points + "\"/>\n";
    }
    for (std::size_t i = 0; i < snaps.size(); ++i) {
      if (!snaps[i].value[k]) continue;
      const double v = *snaps[i].value[k];
      o += "<circle class=\"pt\" data-series=\"" + std::string(series.key) + "\" data-snapshot=\"" +
           escape(snaps[i].name) + "\" data-value=\"" + fixed(v, 0) + "\" cx=\"" + fixed(x_of(i), 1) + "\" cy=\"" +
           fixed(y_of(v), 1) + "\" r=\"" + fixed(radius, 1) + "\"><title>" + escape(snaps[i].name) + ": " +
           series.title + " " + escape(shown(v)) + "</title></circle>\n";
    }
    o += "</g>\n";
  }
  // The time axis, under the last panel.
  const double axis_y = kTop + panels;
  o += "<g class=\"axis x\">";
  if (by_time && t1 > t0) {
    for (const auto& t : xticks)
      o += "<text x=\"" + fixed(x_of_time(t.value), 1) + "\" y=\"" + fixed(axis_y + 15, 1) +
           "\" text-anchor=\"middle\">" + escape(t.label) + "</text>";
    o += "<text class=\"atitle\" x=\"" + fixed(kWidth - kRight, 0) + "\" y=\"" + fixed(axis_y + 32, 1) +
         "\" text-anchor=\"end\">snapshot time (UTC)</text>";
  } else if (!snaps.empty()) {
    if (by_time) {
      o += "<text x=\"" + fixed(x_of(0), 1) + "\" y=\"" + fixed(axis_y + 15, 1) + "\" text-anchor=\"middle\">" +
           escape(utc_time(t0)) + "</text>";
    } else {
      o += "<text x=\"" + fixed(x_of(0), 1) + "\" y=\"" + fixed(axis_y + 15, 1) +
           "\" text-anchor=\"start\">oldest</text>";
      o += "<text x=\"" + fixed(x_of(snaps.size() - 1), 1) + "\" y=\"" + fixed(axis_y + 15, 1) +
           "\" text-anchor=\"end\">newest</text>";
    }
    o += "<text class=\"atitle\" x=\"" + fixed(kWidth - kRight, 0) + "\" y=\"" + fixed(axis_y + 32, 1) +
         "\" text-anchor=\"end\">" + (by_time ? "snapshot time (UTC)" : "snapshots in order (no times recorded)") +
         "</text>";
  }
  o += "</g>\n</svg>\n";
  return o;
}

// --- the page --------------------------------------------------------------

constexpr const char* kStyle = R"css(
:root{--bg:#f4f6f8;--card:#fff;--text:#1f2328;--muted:#5b6570;--line:#dde3e9;--soft:#f0f3f6;
--ok:#1a7f37;--ok-bg:#dcf5e3;--warn:#8a5a00;--warn-bg:#fff3c4;--err:#c62633;--err-bg:#ffe8e6;
--away:#5b6570;--away-bg:#e8ecf0;--s-size:#0969da;--s-new_bytes:#8250df;--s-duration_s:#c05600;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;
--line:#30363d;--soft:#1c222a;--ok:#3fb950;--ok-bg:#12261e;--warn:#d29922;--warn-bg:#2b2414;--err:#f85149;
--err-bg:#2d1719;--away:#9198a1;--away-bg:#21262d;--s-size:#4493f8;--s-new_bytes:#ab7df8;--s-duration_s:#f0883e}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
main{max-width:1200px;margin:0 auto;padding:18px 20px 28px}
header.page{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:10px 20px;margin:0 0 14px}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:16px;margin:0 0 10px}
h3{font-size:14px;margin:0 0 6px}
.sub,.muted{color:var(--muted)}
.sub b{color:var(--text)}
.verdict{font-size:15px;font-weight:600;padding:6px 14px;border-radius:8px}
.verdict.ok{color:var(--ok);background:var(--ok-bg)}
.verdict.bad{color:var(--err);background:var(--err-bg)}
ul.counts{display:flex;flex-wrap:wrap;gap:8px;list-style:none;margin:0 0 14px;padding:0}
ul.counts li{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px 12px}
ul.counts b{font-size:18px;margin-right:5px}
ul.counts .c-ok b{color:var(--ok)}ul.counts .c-problems b{color:var(--warn)}
ul.counts .c-unreachable b{color:var(--err)}ul.counts .c-away b{color:var(--away)}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:0 0 14px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:break-word}
th,td.role,td.state,td.version{white-space:nowrap}
thead th{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;
border-bottom:2px solid var(--line)}
tbody tr:last-child td{border-bottom:none}
td.peer{font-weight:600;white-space:nowrap}
td.fix{max-width:330px}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,monospace;background:var(--soft);padding:1px 5px;
border-radius:4px;overflow-wrap:anywhere;white-space:pre-wrap}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap;
line-height:20px}
.st-ok{color:var(--ok);background:var(--ok-bg)}
.st-error{color:var(--err);background:var(--err-bg)}
.st-warning{color:var(--warn);background:var(--warn-bg)}
.st-away,.st-other{color:var(--away);background:var(--away-bg)}
.mod{color:var(--muted);font-weight:600}
.skew{color:var(--warn);font-weight:600}
ul.plain{list-style:none;margin:0;padding:0}
ul.plain>li{padding:6px 0;border-bottom:1px solid var(--line)}
ul.plain>li:last-child{border-bottom:none}
.fix{margin-top:3px;color:var(--muted)}
.groups{display:grid;grid-template-columns:repeat(auto-fill,minmax(350px,1fr));gap:10px 18px}
.group{min-width:0}
.empty{color:var(--muted);margin:6px 0 0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:14px}
article.backup{border:1px solid var(--line);border-radius:8px;padding:10px 12px 8px;min-width:0}
article.backup h3{display:flex;flex-wrap:wrap;gap:2px 8px;align-items:baseline}
.meta{margin:0 0 6px;color:var(--muted);font-size:13px}
svg.backup-chart{display:block;width:100%;height:auto}
svg.backup-chart text{font-size:11px;fill:var(--muted)}
svg.backup-chart .ptitle{font-size:12.5px;font-weight:600;fill:var(--text)}
svg.backup-chart .plast{font-size:12px;fill:var(--text)}
svg.backup-chart .atitle{font-style:italic}
svg.backup-chart .grid line{stroke:var(--line);stroke-width:1}
svg.backup-chart .baseline{stroke:var(--muted);stroke-width:1}
svg.backup-chart .line{fill:none;stroke-width:2;stroke-linejoin:round}
svg.backup-chart .area{stroke:none;opacity:.12}
svg.backup-chart .pt{stroke:var(--card);stroke-width:1.5}
.s-size .line{stroke:var(--s-size)}.s-size .pt,.s-size .area{fill:var(--s-size)}
.s-new_bytes .line{stroke:var(--s-new_bytes)}.s-new_bytes .pt{fill:var(--s-new_bytes)}
.s-duration_s .line{stroke:var(--s-duration_s)}.s-duration_s .pt{fill:var(--s-duration_s)}
details{margin-top:4px;font-size:13px}
summary{cursor:pointer;color:var(--muted)}
table.snapshots td,table.snapshots th{padding:3px 6px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:6px}
)css";

class Page {
 public:
  explicit Page(const json& all) : all_(all.is_object() ? all : null_value()) {}

  std::string render() {
    const std::string master = text_of(all_, "master");
    const auto time = number_of(all_, "time");
    const std::string when = time ? utc_time(*time) : "";
    o_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // No fetch of any kind, no script: the page is whole as it is.
    o_ +=
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'\">\n";
    o_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    o_ += "<meta name=\"color-scheme\" content=\"light dark\">\n";
    o_ += "<meta name=\"generator\" content=\"sc master status --all --html\">\n";
    o_ += "<title>" +
          escape("Cluster status" + (master.empty() ? "" : " of " + master) + (when.empty() ? "" : " at " + when)) +
          "</title>\n";
    o_ += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<main>\n";
    header(master, when);
    hosts_table();
    problems();
    backups();
    conflicts();
    tunnels();
    footer(master, when);
    o_ += "</main>\n</body>\n</html>\n";
    return std::move(o_);
  }

 private:
  const json& hosts() const { return array_of(all_, "hosts"); }

  void header(const std::string& master, const std::string& when) {
    std::size_t count[5] = {0, 0, 0, 0, 0};  // ok, problems, unreachable, away, other
    for (const auto& h : hosts()) {
      const std::string st = text_of(h, "state");
      count[st == "ok" ? 0 : st == "problems" ? 1 : st == "unreachable" ? 2 : st == "away" ? 3 : 4]++;
    }
    const json& ok = field(all_, "ok");
    const bool fine = ok.is_boolean() ? ok.get<bool>() : (count[1] + count[2] + count[4] == 0);
    o_ += "<header class=\"page\">\n<div>\n<h1>Cluster status</h1>\n<div class=\"sub\" id=\"subtitle\">";
    o_ += "master <b class=\"master\">" + (master.empty() ? std::string("?") : escape(master)) + "</b>";
    if (!when.empty()) o_ += " · <time>" + escape(when) + "</time>";
    const std::string version = text_of(all_, "version");
    if (!version.empty()) o_ += " · sc " + escape(version);
    o_ += "</div>\n</div>\n";
    const std::size_t attention = count[1] + count[2] + count[4];
    if (fine)
      o_ += "<div class=\"verdict ok\" id=\"verdict\">All hosts are fine</div>\n";
    else
      o_ += "<div class=\"verdict bad\" id=\"verdict\">" + std::to_string(attention) +
            (attention == 1 ? " host needs" : " hosts need") + " attention</div>\n";
    o_ += "</header>\n<ul class=\"counts\" id=\"counts\">";
    o_ += "<li><b>" + std::to_string(hosts().size()) + "</b>hosts</li>";
    o_ += "<li class=\"c-ok\"><b>" + std::to_string(count[0]) + "</b>ok</li>";
    o_ += "<li class=\"c-problems\"><b>" + std::to_string(count[1]) + "</b>with problems</li>";
    o_ += "<li class=\"c-unreachable\"><b>" + std::to_string(count[2]) + "</b>unreachable</li>";
    o_ += "<li class=\"c-away\"><b>" + std::to_string(count[3]) + "</b>away</li>";
    o_ += "</ul>\n";
  }

  /// The badge of a host's state (coloured by its worst problem's level).
  static std::string state_badge(const json& h) {
    const std::string st = text_of(h, "state");
    std::string cls = "other";
    if (st == "ok") cls = "ok";
    if (st == "unreachable") cls = "error";
    if (st == "away") cls = "away";
    if (st == "problems") cls = text_of(field(h, "worst"), "level") == "warning" ? "warning" : "error";
    return "<span class=\"badge st-" + cls + "\">" + (st.empty() ? std::string("?") : escape(st)) + "</span>";
  }

  void hosts_table() {
    const std::string master_version = text_of(all_, "version");
    o_ += "<section id=\"hosts-section\">\n<h2>Hosts</h2>\n";
    o_ +=
        "<table id=\"hosts\">\n<thead><tr><th>Host</th><th>Role</th><th>State</th><th>sc</th>"
        "<th>Worst problem</th><th>Fix</th><th class=\"num\">Answered in</th></tr></thead>\n<tbody>\n";
    for (const auto& h : hosts()) {
      const std::string peer = text_of(h, "peer");
      const std::string state = text_of(h, "state");
      o_ += "<tr data-peer=\"" + escape(peer) + "\" data-state=\"" + escape(state) + "\">";
      o_ += "<td class=\"peer\">" + escape(peer) + "</td>";
      o_ += "<td class=\"role\">" + escape(text_of(h, "role")) + "</td>";
      o_ += "<td class=\"state\">" + state_badge(h) + "</td>";
      const std::string version = text_of(field(h, "status"), "version");
      if (version.empty())
        o_ += "<td class=\"version muted\">—</td>";
      else if (!master_version.empty() && version != master_version)
        o_ += "<td class=\"version skew\" title=\"the master runs " + escape(master_version) + "\">" + escape(version) +
              "</td>";
      else
        o_ += "<td class=\"version\">" + escape(version) + "</td>";
      const json& worst = field(h, "worst");
      const std::string error = text_of(h, "error");
      if (worst.is_object()) {
        const std::string level = text_of(worst, "level");
        const std::string module = text_of(worst, "module");
        o_ += "<td class=\"worst\"><span class=\"badge st-" + level_class(level) + "\">" + escape(level) + "</span> " +
              (module.empty() ? "" : "<span class=\"mod\">" + escape(module) + "</span> ") +
              escape(text_of(worst, "what")) + "</td>";
        const std::string fix = text_of(worst, "fix");
        o_ += "<td class=\"fix\">" + (fix.empty() ? std::string() : "<code>" + escape(fix) + "</code>") + "</td>";
      } else if (!error.empty() || state == "unreachable" || state == "away") {
        const std::string why = error.empty() ? "no answer" : error;
        o_ += "<td class=\"worst\">" +
              escape(state == "away" ? "away (a roaming host): " + why : "did not answer: " + why) + "</td><td></td>";
      } else {
        o_ += "<td class=\"worst muted\">" + std::string(state == "ok" ? "none" : "—") + "</td><td></td>";
      }
      const auto ms = number_of(h, "elapsed_ms");
      o_ += "<td class=\"num elapsed\">" +
            (ms ? (*ms < 1000 ? fixed(*ms, 0) + " ms" : fixed(*ms / 1000, *ms < 10000 ? 2 : 1) + " s")
                : std::string("—")) +
            "</td>";
      o_ += "</tr>\n";
    }
    o_ += "</tbody>\n</table>\n";
    if (hosts().empty()) o_ += "<p class=\"empty\">No host in this report.</p>\n";
    o_ += "</section>\n";
  }

  static std::string problem_item(const std::string& level, const std::string& module, const std::string& what,
                                  const std::string& fix) {
    std::string o = "<li class=\"problem\" data-level=\"" + escape(level) + "\"><span class=\"badge st-" +
                    level_class(level) + "\">" + escape(level) + "</span> ";
    if (!module.empty()) o += "<span class=\"mod\">" + escape(module) + "</span> ";
    o += "<span class=\"what\">" + escape(what) + "</span>";
    if (!fix.empty()) o += "\n<div class=\"fix\">fix: <code>" + escape(fix) + "</code></div>";
    return o + "</li>\n";
  }

  void problems() {
    std::string groups;
    for (const auto& h : hosts()) {
      const json& status = field(h, "status");
      const std::string state = text_of(h, "state");
      std::string items;
      if (!status.is_object() && state != "away") {
        const std::string error = text_of(h, "error");
        items += problem_item("error", "", "did not answer: " + (error.empty() ? "no status" : error), "");
      }
      for (const auto& p : array_of(status, "problems"))
        items += problem_item(text_of(p, "level"), text_of(p, "module"), text_of(p, "what"), text_of(p, "fix"));
      // settings_missing are in problems already (sc status makes each a
      // warning), so they are not listed twice.
      if (items.empty()) continue;
      const std::string peer = text_of(h, "peer");
      groups += "<div class=\"group\" data-peer=\"" + escape(peer) + "\">\n<h3>" + escape(peer) +
                " <span class=\"muted\">" + escape(text_of(h, "role")) + "</span></h3>\n<ul class=\"plain\">\n" +
                items + "</ul>\n</div>\n";
    }
    o_ += "<section id=\"problems\">\n<h2>Problems</h2>\n";
    if (groups.empty())
      o_ += "<p class=\"empty\">No problem on any host that answered.</p>\n";
    else
      o_ += "<div class=\"groups\">\n" + groups + "</div>\n";
    o_ += "</section>\n";
  }

  void backups() {
    std::string cards;
    for (const auto& h : hosts()) {
      const std::string peer = text_of(h, "peer");
      for (const auto& e : array_of(field(module_status(h, "backup"), "facts"), "entries")) {
        if (!e.is_object()) continue;
        cards += backup_card(peer, e);
      }
    }
    if (cards.empty()) return;
    o_ += "<section id=\"backups\">\n<h2>Backups</h2>\n<div class=\"charts\">\n" + cards + "</div>\n</section>\n";
  }

  static std::string backup_card(const std::string& peer, const json& e) {
    const std::string entry = text_of(e, "entry");
    std::vector<Snapshot> snaps;
    for (const auto& s : array_of(e, "history")) {
      if (!s.is_object()) continue;
      Snapshot snap;
      snap.name = text_of(s, "snapshot");
      snap.time = number_of(s, "finished");
      if (!snap.time) snap.time = number_of(s, "started");
      for (std::size_t k = 0; k < kSeries.size(); ++k) {
        snap.value[k] = number_of(s, kSeries[k].key);
        if (snap.value[k] && *snap.value[k] < 0) snap.value[k].reset();
      }
      snaps.push_back(std::move(snap));
    }
    std::string o = "<article class=\"backup\" data-host=\"" + escape(peer) + "\" data-entry=\"" + escape(entry) +
                    "\">\n<h3><span class=\"entry\">" + escape(entry) + "</span><span class=\"muted\">on " +
                    escape(peer) + "</span></h3>\n<p class=\"meta\">";
    const std::string period = text_of(e, "period");
    if (!period.empty()) o += "<span class=\"badge st-other\">" + escape(period) + "</span> ";
    const json& last = field(e, "last_run");
    if (last.is_object()) {
      const json& ok = field(last, "ok");
      const bool good = ok.is_boolean() && ok.get<bool>();
      o += "last run <span class=\"badge st-" + std::string(good ? "ok" : "error") + "\">" + (good ? "ok" : "failed") +
           "</span>";
      const std::string error = text_of(last, "error");
      if (!good && !error.empty()) o += " " + escape(error);
      if (auto f = number_of(last, "finished")) o += " at " + escape(short_time(*f));
    } else {
      o += "never run";
    }
    if (auto success = number_of(e, "last_success")) {
      o += " · last success " + escape(short_time(*success));
      if (auto age = number_of(e, "age_s")) o += " (" + escape(human_duration(*age)) + " ago)";
    } else {
      o += " · no success yet";
    }
    o += " · " + std::to_string(snaps.size()) + (snaps.size() == 1 ? " snapshot" : " snapshots") + "</p>\n";
    if (snaps.empty()) return o + "<p class=\"empty\">No snapshot yet.</p>\n</article>\n";
    o += chart_svg(peer, entry, snaps);
    o += "<details><summary>The snapshots in numbers</summary>\n<table class=\"snapshots\"><thead><tr>"
         "<th>Snapshot</th><th>Finished</th><th class=\"num\">Size</th><th class=\"num\">New</th>"
         "<th class=\"num\">Files</th><th class=\"num\">Duration</th></tr></thead>\n<tbody>\n";
    const auto& history = array_of(e, "history");
    for (const auto& s : history) {
      if (!s.is_object()) continue;
      auto cell = [&](const char* key, bool bytes) {
        auto v = number_of(s, key);
        if (!v) return std::string("<td class=\"num\">—</td>");
        return "<td class=\"num\">" + escape(bytes ? human_bytes(*v) : fixed(*v, 0)) + "</td>";
      };
      auto finished = number_of(s, "finished");
      auto duration = number_of(s, "duration_s");
      o += "<tr><td><code>" + escape(text_of(s, "snapshot")) + "</code></td><td>" +
           (finished ? escape(short_time(*finished)) : "—") + "</td>" + cell("size", true) + cell("new_bytes", true) +
           cell("files", false) + "<td class=\"num\">" + (duration ? escape(human_duration(*duration)) : "—") +
           "</td></tr>\n";
    }
    return o + "</tbody></table>\n</details>\n</article>\n";
  }

  void conflicts() {
    std::string items;
    for (const auto& h : hosts()) {
      const std::string peer = text_of(h, "peer");
      for (const auto& p : array_of(field(module_status(h, "unisonsync"), "facts"), "profiles")) {
        const std::string profile = text_of(p, "name");
        for (const auto& c : array_of(p, "conflicts")) {
          const std::string path = c.is_string() ? c.get<std::string>() : c.is_null() ? "" : c.dump();
          items += "<li class=\"conflict\" data-host=\"" + escape(peer) + "\" data-profile=\"" + escape(profile) +
                   "\"><code>" + escape(path) + "</code> <span class=\"muted\">on " + escape(peer) + ", profile " +
                   escape(profile) + "</span></li>\n";
        }
      }
    }
    o_ += "<section id=\"conflicts\">\n<h2>Unison conflicts</h2>\n";
    if (items.empty())
      o_ += "<p class=\"empty\">No unresolved conflict.</p>\n";
    else
      o_ +=
          "<p class=\"muted\">Both versions are kept; <code>sc unisonsync resolve</code> on the host settles "
          "them.</p>\n<ul class=\"plain\">\n" +
          items + "</ul>\n";
    o_ += "</section>\n";
  }

  void tunnels() {
    std::string items;
    for (const auto& h : hosts()) {
      const std::string peer = text_of(h, "peer");
      for (const char* module : {"lifeline", "portforward", "wstunnel"}) {
        for (const auto& t : array_of(field(module_status(h, module), "facts"), "tunnels")) {
          const json& up = field(t, "up");
          const bool is_up = up.is_boolean() && up.get<bool>();
          const std::string detail = text_of(t, "detail");
          items += "<li class=\"tunnel\" data-host=\"" + escape(peer) + "\" data-up=\"" + (is_up ? "true" : "false") +
                   "\"><span class=\"badge st-" + (is_up ? "ok" : "error") + "\">" + (is_up ? "up" : "down") +
                   "</span> <span class=\"mod\">" + module + "</span> " + escape(text_of(t, "name")) +
                   " <span class=\"muted\">on " + escape(peer) + (detail.empty() ? "" : ": " + escape(detail)) +
                   "</span></li>\n";
        }
      }
    }
    if (items.empty()) return;
    o_ += "<section id=\"tunnels\">\n<h2>Tunnels</h2>\n<ul class=\"plain\">\n" + items + "</ul>\n</section>\n";
  }

  void footer(const std::string& master, const std::string& when) {
    o_ += "<footer>Written by <code>sc status --all --html</code>";
    if (!master.empty()) o_ += " on " + escape(master);
    if (!when.empty()) o_ += " at " + escape(when);
    if (auto d = number_of(all_, "deadline_s")) o_ += " · per-host deadline " + escape(human_duration(*d));
    if (auto c = number_of(all_, "concurrency")) o_ += " · at most " + fixed(*c, 0) + " hosts at once";
    o_ += " · a page of its own: no script, nothing fetched</footer>\n";
  }

  const json& all_;
  std::string o_;
};

}  // namespace

std::string render_report_html(const json& all) {
  return Page(all).render();
}

}  // namespace master
