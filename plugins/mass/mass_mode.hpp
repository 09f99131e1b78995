// mass: the pure part. A mode of the shared mass storage, the module that
// carries it and the calls that put it in place, check it and remove it;
// the record of what setup applied (MASS_APPLIED).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mass {

inline constexpr const char* kDir = "/srv/mass";

enum class Mode { separated, unison, sshfs, nfs4 };

std::optional<Mode> parse_mode(const std::string& text);
std::string mode_name(Mode mode);

/// What setup put in place: a mode, and for the shared modes the peer and
/// (unison only) the period.
struct Applied {
  Mode mode = Mode::separated;
  std::string host;    ///< empty for separated
  std::string period;  ///< unison only
  bool operator==(const Applied& o) const { return mode == o.mode && host == o.host && period == o.period; }
  bool operator!=(const Applied& o) const { return !(*this == o); }
};

/// MASS_APPLIED's text ("MODE", "MODE HOST", "unison HOST PERIOD") and back;
/// nullopt for text setup never writes.
std::string applied_text(const Applied& a);
std::optional<Applied> parse_applied(const std::string& text);

/// A command of another module.
struct Call {
  std::string module, command;
  std::vector<std::string> args;
  bool operator==(const Call& o) const { return module == o.module && command == o.command && args == o.args; }
};

/// The module that carries a shared mode (unisonsync, sshshare, nfsclient);
/// "" for separated.
std::string carrier(Mode mode);
/// Its package, for the message when it is not installed.
std::string carrier_package(Mode mode);
/// True for the modes that mount the peer's directory over /srv/mass.
bool mounts(Mode mode);

/// The calls that put `a` in place, tell whether it is (status 0), and
/// remove it (keeping every file: unisonsync del leaves the local copy,
/// sshshare and nfsclient del unmount). Only for shared modes.
Call add_call(const Applied& a, bool fill_empty);
Call has_call(const Applied& a);
Call del_call(const Applied& a);

/// Where the files a host kept in /srv/mass go when a mount takes the
/// directory: "/srv/mass.local-STAMP" (STAMP: YYYYmmdd-HHMMSS).
std::string aside_dir(const std::string& stamp);

}  // namespace mass
