#include "package_sets.hpp"

#include <algorithm>

namespace utils_pkg {

// Changes from the original (Debian 8/9 names), each checked with
// `apt-cache policy` on bookworm:
//   ntp -> ntpsec (ntp is now a transitional package; ntpq is in ntpsec)
//   android-tools-adb -> adb
//   gir1.2-spice-client-gtk-3.0 -> gir1.2-spiceclientgtk-3.0
//   qemu-kvm, sgabios: gone (qemu-system-x86 provides KVM and its BIOSes)
//   owncloud-client: from Debian's archive instead of an extra repository
//   libreoffice-l10n-fr, firefox-esr-l10n-fr: only with UTILS_L10N set
const std::vector<std::string>& admin_set() {
  static const std::vector<std::string> set = {
      "screen:screen",          "ntpsec:ntpq", "hdparm:hdparm", "iftop:iftop", "smartmontools:smartctl",
      "vim:/usr/share/doc/vim", "git:git",
  };
  return set;
}

std::vector<std::string> client_set(const std::string& l10n) {
  std::vector<std::string> set = {
      "awesome",      "awesome-extra",
      "vlc",          "gnome-terminal",
      "speedcrunch",  "gmtp",
      "pavucontrol",  "task-xfce-desktop",
      "lightdm",      "lightdm-gtk-greeter",
      "xscreensaver", "adb",
      "rawtherapee",  "libreoffice",
      "gimp",         "audacity",
      "simple-scan",  "solaar",
      "numlockx",     "soundconverter",
      "gparted",      "kdenlive",
      "virt-manager", "gir1.2-spiceclientgtk-3.0",
      "firefox-esr",  "owncloud-client",
  };
  if (!l10n.empty()) {
    set.push_back("libreoffice-l10n-" + l10n);
    set.push_back("firefox-esr-l10n-" + l10n);
  }
  return set;
}

const std::vector<std::string>& server_set() {
  static const std::vector<std::string> set = {
      "libvirt-daemon-system", "qemu-system-x86", "ovmf", "debootstrap", "iotop", "iftop",
  };
  return set;
}

bool valid_l10n(std::string_view code) {
  auto lower = [](std::string_view s, size_t min, size_t max) {
    return s.size() >= min && s.size() <= max &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  };
  size_t dash = code.find('-');
  if (dash == std::string_view::npos) return lower(code, 2, 3);
  return lower(code.substr(0, dash), 2, 3) && lower(code.substr(dash + 1), 2, 4);
}

}  // namespace utils_pkg
