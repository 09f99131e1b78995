#include "wst_status.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/time_text.hpp"

namespace wstunnel {

using nlohmann::json;

std::string to_json(const Status& s) {
  auto when = [](std::int64_t t) { return t ? json(plugin_common::time_text::iso_time(t)) : json(nullptr); };
  json j = {{"module", "wstunnel"},
            {"instance", ""},
            {"state", s.state},
            {"since", when(s.since)},
            {"since_epoch", s.since},
            {"last_error", s.last_error},
            {"last_error_at", when(s.last_error_at)},
            {"last_error_at_epoch", s.last_error_at},
            {"attempts", s.total + s.failed},
            {"pid", s.pid},
            {"target", s.target()},
            {"mode", s.mode},
            {"listen", s.listen},
            {"peer", s.peer},
            {"connections", {{"active", s.active}, {"total", s.total}, {"failed", s.failed}}},
            {"accept_errors", s.accept_errors},
            {"bytes", {{"in", s.bytes_in}, {"out", s.bytes_out}}},
            {"updated", when(s.updated)}};
  return j.dump() + "\n";
}

std::optional<Status> from_json(const std::string& text, std::string* err) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j["state"].is_string()) {
    if (err) *err = "not a status document (a JSON object with \"state\")";
    return std::nullopt;
  }
  Status s;
  auto str = [&](const char* k, std::string* v) {
    if (j.contains(k) && j[k].is_string()) *v = j[k].get<std::string>();
  };
  auto num = [](const json& o, const char* k, std::uint64_t* v) {
    if (o.is_object() && o.contains(k) && o[k].is_number_unsigned()) *v = o[k].get<std::uint64_t>();
  };
  auto epoch = [&](const char* k) -> std::int64_t {
    return j.contains(k) && j[k].is_number_integer() ? j[k].get<std::int64_t>() : 0;
  };
  str("state", &s.state);
  str("last_error", &s.last_error);
  str("mode", &s.mode);
  str("listen", &s.listen);
  str("peer", &s.peer);
  s.since = epoch("since_epoch");
  s.last_error_at = epoch("last_error_at_epoch");
  if (j.contains("updated") && j["updated"].is_string()) {
    std::tm tm{};
    if (strptime(j["updated"].get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) s.updated = timegm(&tm);
  }
  if (j.contains("pid") && j["pid"].is_number_integer()) s.pid = j["pid"].get<long>();
  if (j.contains("connections")) {
    num(j["connections"], "active", &s.active);
    num(j["connections"], "total", &s.total);
    num(j["connections"], "failed", &s.failed);
  }
  num(j, "accept_errors", &s.accept_errors);
  if (j.contains("bytes")) {
    num(j["bytes"], "in", &s.bytes_in);
    num(j["bytes"], "out", &s.bytes_out);
  }
  return s;
}

std::string describe(const Status& s, bool running) {
  auto when = [](std::int64_t t) { return t ? plugin_common::time_text::iso_time(t) : std::string("?"); };
  std::string out = s.mode.empty() ? "wstunnel" : "wstunnel " + s.mode;
  if (!running) {
    out += ": down (the daemon is not running";
    if (s.pid) out += "; it was pid " + std::to_string(s.pid) + ", last seen " + when(s.updated);
    out += ")";
  } else {
    out += ": " + s.state + " since " + when(s.since) + " (pid " + std::to_string(s.pid) + ", listening on " +
           s.listen + ", " + (s.mode == "client" ? "server " : "target ") + s.peer + ")";
  }
  out += "\nconnections: " + std::to_string(s.active) + " active, " + std::to_string(s.total) + " total, " +
         std::to_string(s.failed) + " failed; accept errors: " + std::to_string(s.accept_errors) +
         "; bytes in/out: " + std::to_string(s.bytes_in) + "/" + std::to_string(s.bytes_out);
  if (!s.last_error.empty())
    out += "\nlast error" + (s.last_error_at ? " (at " + when(s.last_error_at) + ")" : std::string()) + ": " +
           s.last_error;
  return out + "\n";
}

}  // namespace wstunnel
