// media: the files the living-room media host is made of, as pure
// functions of their inputs (tested against expected text and read back by
// real parsers in the tests).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace media {

/// The account Kodi runs as, a system account of this host (not one of the
/// cluster's 10000-10099: a client's `sc user pull` removes those the
/// master does not have).
inline constexpr const char* kUser = "kodi";
/// Its home, on the mass storage.
inline constexpr const char* kHome = "/srv/mass/kodi";
/// The mass storage (the mass module).
inline constexpr const char* kMass = "/srv/mass";
/// Kodi's library folders, on the mass storage.
inline constexpr const char* kLibrary = "/srv/mass/media";
/// sc's own LightDM drop-in: the only LightDM file sc writes or removes.
inline constexpr const char* kLightdmDir = "/etc/lightdm/lightdm.conf.d";
inline constexpr const char* kLightdmDropin = "/etc/lightdm/lightdm.conf.d/60-sc-media.conf";
/// The X session Debian's kodi package ships (Exec=kodi-standalone).
inline constexpr const char* kSessionFile = "/usr/share/xsessions/kodi.desktop";
inline constexpr const char* kSessionName = "kodi";

/// LightDM keyfile: every seat logs `user` in at once into `session` (the
/// name of a .desktop file of /usr/share/xsessions).
std::string lightdm_dropin(const std::string& user, const std::string& session);

/// Kodi's userdata/sources.xml: video, music and pictures sources, each the
/// folder of that name under `library` (no trailing slash).
std::string sources_xml(const std::string& library);

/// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xml_escape(std::string_view text);

/// A passwd(5) entry's fields.
struct Account {
  unsigned uid = 0;
  unsigned gid = 0;
  std::string home;
  std::string shell;
};

/// The entry of `login` in the text of /etc/passwd; nullopt when absent or
/// malformed.
std::optional<Account> find_account(std::string_view passwd, std::string_view login);

}  // namespace media
