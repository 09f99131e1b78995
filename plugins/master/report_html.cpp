// PLACEHOLDER until branch i19-html is merged: a bare table of the hosts,
// every string escaped.
#include "report_html.hpp"

namespace master {

namespace {

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string text(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

std::string render_report_html(const nlohmann::json& all) {
  std::string o =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>sc status --all</title></head><body>\n"
      "<table id=\"hosts\"><tbody>\n";
  if (all.is_object() && all.contains("hosts") && all["hosts"].is_array())
    for (const auto& h : all["hosts"])
      o += "<tr data-peer=\"" + escape(text(h, "peer")) + "\" data-state=\"" + escape(text(h, "state")) + "\"><td>" +
           escape(text(h, "peer")) + "</td><td>" + escape(text(h, "state")) + "</td></tr>\n";
  return o + "</tbody></table>\n</body></html>\n";
}

}  // namespace master
