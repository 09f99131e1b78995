// media's generated files: exact text, and read back by the parsers that
// read them for real (python3's configparser reads LightDM's keyfiles as
// GLib does for these lines; xml.etree for Kodi's sources.xml).
#include "../media_config.hpp"

#include <catch2/catch.hpp>

#include "test_support.hpp"

using sc::test::output_of;

namespace {

std::string python(const std::string& script, const std::string& input) {
  return output_of({"python3", "-c", script}, input);
}

}  // namespace

TEST_CASE("media: the LightDM drop-in logs kodi into the kodi session on every seat", "[media]") {
  const std::string text = media::lightdm_dropin("kodi", "kodi");
  CHECK(text ==
        "# Written by sc (media module): autologin into Kodi. `sc media cleanup`\n"
        "# removes this file and nothing else of LightDM's configuration.\n"
        "[Seat:*]\n"
        "autologin-user=kodi\n"
        "autologin-user-timeout=0\n"
        "autologin-session=kodi\n");
  const std::string parsed = python(
      "import configparser, sys\n"
      "c = configparser.ConfigParser(interpolation=None, delimiters=('=',), comment_prefixes=('#',))\n"
      "c.optionxform = str\n"
      "c.read_string(sys.stdin.read())\n"
      "for s in c.sections():\n"
      "  for k, v in c[s].items(): print(s, k, v)\n",
      text);
  CHECK(parsed ==
        "Seat:* autologin-user kodi\n"
        "Seat:* autologin-user-timeout 0\n"
        "Seat:* autologin-session kodi\n");
}

TEST_CASE("media: sources.xml names the library folders on the mass storage", "[media]") {
  const std::string text = media::sources_xml("/srv/mass/media");
  CHECK(text.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n<!--", 0) == 0);
  CHECK(text.find("      <path pathversion=\"1\">/srv/mass/media/video/</path>\n") != std::string::npos);
  const std::string script =
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.fromstring(sys.stdin.buffer.read())\n"
      "print(root.tag)\n"
      "for kind in root:\n"
      "  for s in kind.findall('source'):\n"
      "    print(kind.tag, s.findtext('name'), s.findtext('path'), s.find('path').get('pathversion'))\n";
  CHECK(python(script, text) ==
        "sources\n"
        "video Videos /srv/mass/media/video/ 1\n"
        "music Music /srv/mass/media/music/ 1\n"
        "pictures Pictures /srv/mass/media/pictures/ 1\n");
  // Markup in a path stays text.
  CHECK(python(script, media::sources_xml("/srv/a&b<c>\"'")) ==
        "sources\n"
        "video Videos /srv/a&b<c>\"'/video/ 1\n"
        "music Music /srv/a&b<c>\"'/music/ 1\n"
        "pictures Pictures /srv/a&b<c>\"'/pictures/ 1\n");
  CHECK(media::xml_escape("a&<>\"'") == "a&amp;&lt;&gt;&quot;&apos;");
}

TEST_CASE("media: the kodi entry of /etc/passwd", "[media]") {
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/bash\n"
      "kodix:x:5:5::/x:/bin/sh\n"
      "kodi:x:999:998:Kodi:/srv/mass/kodi:/bin/bash\n";
  auto a = media::find_account(passwd, "kodi");
  REQUIRE(a);
  CHECK(a->uid == 999);
  CHECK(a->gid == 998);
  CHECK(a->home == "/srv/mass/kodi");
  CHECK(a->shell == "/bin/bash");
  CHECK_FALSE(media::find_account(passwd, "kod"));
  CHECK_FALSE(media::find_account("kodi:x:abc:1::/h:/bin/sh\n", "kodi"));
  CHECK_FALSE(media::find_account("kodi:x:1:1::/h\n", "kodi"));
  CHECK_FALSE(media::find_account("", "kodi"));
}
