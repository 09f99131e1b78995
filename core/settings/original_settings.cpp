#include "settings/original_settings.hpp"

#include <algorithm>

namespace sc::original_settings {

namespace {

using V = std::vector<std::string_view>;

// The original's modules' `settings` lists (what `settings save` wrote),
// the paths its main script listed as settings, and the constants of its
// module files that hand-edited or old files held. `why` is shown to the
// administrator by `sc migrate` and `sc settings original`.
const std::vector<Mapping> kTable = {
    {"BACKUP_DIR", {"BACKUP_DIR"}, How::same, "the backup directory"},
    {"BACKUP_LIST", {"BACKUP_LIST"}, How::same, "PERIOD:HOST[:/PATH] items, the same syntax"},
    {"CLOUDDIR",
     {},
     How::dropped,
     "a constant of the original (/srv/cloud, whatever the file said); ours is the setting CLOUDDIR, same default"},
    {"CLOUD_PASSWORD",
     {"CLOUD_ADMIN_PASSWORD", "CLOUD_DB_PASSWORD"},
     How::renamed,
     "the original used one password for Nextcloud's admin and its database role; ours keeps one of each"},
    {"FQDN", {"FQDN"}, How::same, "the host's fully qualified name"},
    {"HAMMAILDIR", {}, How::dropped, "no ham folder: mail not marked as spam stays in the INBOX"},
    {"KODIDIR", {}, How::dropped, "a constant of the original (/var/lib/kodi, the kodi account's home)"},
    {"LIFELINE_PORT", {"LIFELINE_PORT"}, How::same, "the relay's port for the reverse tunnel"},
    {"LIFELINE_TARGET", {"LIFELINE_TARGET"}, How::same, "the relay host"},
    {"MAILDIR",
     {},
     How::dropped,
     "a constant of the original (/var/mail, whatever the file said); ours is the setting MAILDIR, same default"},
    {"MASSBACKUP", {"MASS_BACKUP"}, How::flipped, "a shell boolean (0 meant yes) becomes yes/no"},
    {"MASSDIR", {}, How::dropped, "a constant: the mass storage is /srv/mass"},
    {"MASSMODE", {"MASS_MODE"}, How::renamed, "separated, unison, sshfs or nfs4, the same values"},
    {"MASTER", {"MASTER_HOST"}, How::renamed, "the master's peer name"},
    {"MASTER_MODE", {"MASTER_MODE"}, How::same, "master, standby, backup, client or roaming"},
    {"PGVERSION", {}, How::dropped, "sc finds the PostgreSQL server itself"},
    {"PORTFORWARD_LIST", {"PORTFORWARD_LIST"}, How::same, "HOST:PORT items, the same syntax"},
    {"RELAYHOST", {"MAIL_RELAYHOST"}, How::renamed, "Postfix's relay host"},
    {"RETROARCH", {"MEDIA_RETROARCH"}, How::flipped, "a shell boolean (0 meant yes) becomes yes/no"},
    {"RETROARCHDIR", {}, How::dropped, "RetroArch comes from Debian's package, not a build directory"},
    {"ROUNDCUBE_PASSWORD", {"ROUNDCUBE_DB_PASSWORD"}, How::renamed, "the password of Roundcube's database role"},
    {"SC", {}, How::dropped, "the original's own name (sc)"},
    {"SCANDIR",
     {},
     How::dropped,
     "a constant of the original (/srv/scan); scans now go to SCANNER_DIR on the mass storage"},
    {"SCANMODE", {"SCANNER_MODE"}, How::renamed, "local or remote, the same values"},
    {"SCANOPT", {"SCANNER_OPTIONS"}, How::renamed, "scanimage's options"},
    {"SCBIN", {}, How::dropped, "a path of the original's install (/usr/local/sbin/sc)"},
    {"SCBINDIR", {}, How::dropped, "a path of the original's install (/usr/local/sbin)"},
    {"SCDEF", {}, How::dropped, "a path of the original's install (/etc/default/sc)"},
    {"SCLIBDIR", {}, How::dropped, "a path of the original's install (/usr/local/lib/sc)"},
    {"SCPREFIX", {}, How::dropped, "a path of the original's install (/usr/local)"},
    {"SCROOTDIR", {}, How::dropped, "a path of the original's install (empty: /)"},
    {"SCSETTINGS", {}, How::dropped, "a path of the original's install (/etc/sc)"},
    {"SCUPDATEURL",
     {"UPDATE_URL"},
     How::renamed,
     "where sc update downloads releases; the original's default (its own GitHub archive) is dropped: it holds "
     "the bash tool, not sc"},
    {"SCVERSION", {}, How::dropped, "the original's version number"},
    {"SETTINGS_VERSION", {}, How::dropped, "the version of the original that wrote the file"},
    {"SPAMMAILDIR", {}, How::dropped, "the spam folder is always Junk"},
    {"SSHLINK_SPEEDLIMITS", {"SSHLINK_SPEEDLIMITS"}, How::converted, "HOST:KBPS items become PEER=KBPS items"},
    {"SSLCERT", {"SSLCERT"}, How::same, "the certificate's path"},
    {"SSLKEY", {"SSLKEY"}, How::same, "the private key's path"},
    {"UNISON",
     {},
     How::dropped,
     "a constant of the original (/var/lib/unison); sc keeps its profiles in /var/lib/sc/unisonsync"},
    {"WSTUNNEL_MODE", {"WSTUNNEL_MODE"}, How::same, "server or client"},
    {"WWWDIR", {}, How::dropped, "a constant of the original (/var/www); ours is the setting WWW_ROOT (/var/www/html)"},
};

// Constants of the original that its clients ask their master for
// (`master getvar MASSDIR`): what they are on a host of ours.
struct Constant {
  std::string_view original;
  std::string_view ours;   ///< our setting holding it, if any
  std::string_view value;  ///< the original's value (our default)
};
constexpr Constant kConstants[] = {
    {"CLOUDDIR", "CLOUDDIR", "/srv/cloud"},
    {"KODIDIR", "", "/var/lib/kodi"},
    {"MAILDIR", "MAILDIR", "/var/mail"},
    {"MASSDIR", "", "/srv/mass"},
    {"SCANDIR", "", "/srv/scan"},
    {"UNISON", "", "/var/lib/unison"},
    {"WWWDIR", "", "/var/www"},
};

// The original's own update archive: its bash code, which sc cannot install.
bool original_update_url(std::string_view url) {
  return url.find("github.com/retro16/synccluster") != std::string_view::npos;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

/// `a:1 b:2` (the original's speed limits) → `a=1 b=2`; items that are
/// not HOST:DIGITS are kept as they are (our validation reports them).
std::string speeds_to_ours(std::string_view text) {
  std::string out;
  for (auto w : words(text)) {
    const size_t colon = w.rfind(':');
    if (colon != std::string::npos && colon > 0 && colon + 1 < w.size() &&
        std::all_of(w.begin() + static_cast<long>(colon) + 1, w.end(), [](char c) { return c >= '0' && c <= '9'; }))
      w[colon] = '=';
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

std::string speeds_to_original(std::string_view text) {
  std::string out;
  for (auto w : words(text)) {
    const size_t eq = w.rfind('=');
    if (eq != std::string::npos) w[eq] = ':';
    out += " " + w;  // the original's items each start with a space
  }
  return out;
}

std::optional<std::string> flip_to_ours(std::string_view v) {
  if (v == "0") return "yes";
  if (v == "1") return "no";
  return std::nullopt;
}

}  // namespace

const std::vector<Mapping>& table() {
  return kTable;
}

const Mapping* find(std::string_view original) {
  auto it = std::lower_bound(kTable.begin(), kTable.end(), original,
                             [](const Mapping& m, std::string_view n) { return m.original < n; });
  return it != kTable.end() && it->original == original ? &*it : nullptr;
}

std::string_view how_name(How how) {
  switch (how) {
    case How::same:
      return "same";
    case How::renamed:
      return "renamed";
    case How::flipped:
      return "flipped";
    case How::converted:
      return "converted";
    case How::dropped:
      return "dropped";
  }
  return "?";
}

void to_ours(std::map<std::string, std::string>* values, std::vector<std::string>* notes) {
  auto note = [&](const std::string& line) {
    if (notes) notes->push_back(line);
  };
  std::map<std::string, std::string> out;
  std::map<std::string, std::string> mapped;  // ours → value, from original names
  for (const auto& [name, value] : *values) {
    const Mapping* m = find(name);
    if (!m) {
      out[name] = value;  // ours already, or a name of no module: kept
      continue;
    }
    if (m->how == How::same) {
      out[name] = value;
      continue;
    }
    if (m->how == How::dropped) {
      note(name + " dropped: " + std::string(m->why));
      continue;
    }
    if (m->how == How::flipped) {
      auto v = flip_to_ours(value);
      if (!v) {
        note(name + " dropped: its value is not the original's 0 (yes) or 1 (no)");
        continue;
      }
      mapped[std::string(m->ours[0])] = *v;
      note(name + "=" + value + " became " + std::string(m->ours[0]) + "=" + *v + " (0 meant yes)");
      continue;
    }
    if (name == "SCUPDATEURL" && original_update_url(value)) {
      note(name + " dropped: it points at the original's own archive (bash code sc update cannot install)");
      continue;
    }
    const std::string v = m->how == How::converted ? speeds_to_ours(value) : value;
    std::string targets;
    for (auto o : m->ours) {
      mapped[std::string(o)] = v;
      targets += (targets.empty() ? "" : " and ") + std::string(o);
    }
    note(name + " became " + targets);
  }
  for (auto& [name, value] : mapped) {
    if (out.count(name)) {
      note(name + " kept as the file gives it (its original name was given too)");
      continue;
    }
    out[name] = std::move(value);
  }
  *values = std::move(out);
}

std::optional<std::string> to_original(std::string_view original,
                                       const std::function<std::optional<std::string>(const std::string&)>& get) {
  for (const auto& c : kConstants)
    if (c.original == original) {
      if (!c.ours.empty())
        if (auto v = get(std::string(c.ours)); v && !v->empty()) return v;
      return std::string(c.value);
    }
  const Mapping* m = find(original);
  if (!m || m->ours.empty()) return std::nullopt;
  if (original == "SCUPDATEURL") return std::nullopt;  // ours is sc's archive: never the original's code
  auto v = get(std::string(m->ours[0]));
  if (!v) return std::nullopt;
  switch (m->how) {
    case How::flipped:
      if (*v == "yes") return std::string("0");
      if (*v == "no") return std::string("1");
      return std::nullopt;
    case How::converted:
      return speeds_to_original(*v);
    default:
      break;
  }
  // The original's lists kept a blank around each item, and its `del`
  // commands match on those blanks.
  if (original == "BACKUP_LIST" || original == "PORTFORWARD_LIST") {
    std::string out;
    for (const auto& w : words(*v)) out += " " + w;
    return original == "BACKUP_LIST" ? out + " " : out;
  }
  return v;
}

}  // namespace sc::original_settings
