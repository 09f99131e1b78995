#include "mass_mode.hpp"

#include <sstream>

namespace mass {

std::optional<Mode> parse_mode(const std::string& text) {
  if (text == "separated") return Mode::separated;
  if (text == "unison") return Mode::unison;
  if (text == "sshfs") return Mode::sshfs;
  if (text == "nfs4") return Mode::nfs4;
  return std::nullopt;
}

std::string mode_name(Mode mode) {
  switch (mode) {
    case Mode::unison:
      return "unison";
    case Mode::sshfs:
      return "sshfs";
    case Mode::nfs4:
      return "nfs4";
    case Mode::separated:
      break;
  }
  return "separated";
}

std::string applied_text(const Applied& a) {
  std::string text = mode_name(a.mode);
  if (a.mode == Mode::separated) return text;
  text += " " + a.host;
  if (a.mode == Mode::unison) text += " " + a.period;
  return text;
}

std::optional<Applied> parse_applied(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return std::nullopt;
  auto mode = parse_mode(words[0]);
  if (!mode) return std::nullopt;
  Applied a;
  a.mode = *mode;
  const std::size_t want = *mode == Mode::separated ? 1 : *mode == Mode::unison ? 3 : 2;
  if (words.size() != want) return std::nullopt;
  if (want >= 2) a.host = words[1];
  if (want == 3) a.period = words[2];
  // Only what applied_text writes: one space between words, nothing around.
  if (applied_text(a) != text) return std::nullopt;
  return a;
}

std::string carrier(Mode mode) {
  switch (mode) {
    case Mode::unison:
      return "unisonsync";
    case Mode::sshfs:
      return "sshshare";
    case Mode::nfs4:
      return "nfsclient";
    case Mode::separated:
      break;
  }
  return "";
}

std::string carrier_package(Mode mode) {
  return "synccluster-plugin-" + carrier(mode);
}

bool mounts(Mode mode) {
  return mode == Mode::sshfs || mode == Mode::nfs4;
}

Call add_call(const Applied& a, bool fill_empty) {
  switch (a.mode) {
    case Mode::unison: {
      Call c{"unisonsync", "add", {a.host, kDir, kDir, a.period}};
      if (fill_empty) c.args.push_back("--fill-empty");
      return c;
    }
    case Mode::sshfs:
      return {"sshshare", "add", {a.host, kDir, kDir}};
    case Mode::nfs4:
      return {"nfsclient", "add", {a.host, kDir, kDir, "--cache"}};
    case Mode::separated:
      break;
  }
  return {};
}

Call has_call(const Applied& a) {
  switch (a.mode) {
    case Mode::unison:
      return {"unisonsync", "has", {a.host, kDir, a.period}};
    case Mode::sshfs:
      return {"sshshare", "has", {kDir}};
    case Mode::nfs4:
      return {"nfsclient", "has", {kDir}};
    case Mode::separated:
      break;
  }
  return {};
}

Call del_call(const Applied& a) {
  switch (a.mode) {
    case Mode::unison:
      return {"unisonsync", "del", {a.host, kDir, a.period}};
    case Mode::sshfs:
      return {"sshshare", "del", {a.host, kDir, kDir}};
    case Mode::nfs4:
      return {"nfsclient", "del", {kDir}};
    case Mode::separated:
      break;
  }
  return {};
}

std::string aside_dir(const std::string& stamp) {
  return std::string(kDir) + ".local-" + stamp;
}

}  // namespace mass
