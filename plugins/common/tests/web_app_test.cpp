// web_app: secrets, PHP quoting and URL encoding (pure); php -l through a
// real PHP.
#include "common/web_app.hpp"

#include <catch2/catch.hpp>

using namespace plugin_common::web_app;

TEST_CASE("web_app: secrets are letters and digits drawn without bias", "[web_app][roundcube][cloud]") {
  CHECK(secret_from_bytes(std::string("\x00\x01\x3d\x3e\xf7", 5), 5) == "AB9A9");
  // Bytes 248..255 are skipped, not folded onto the first characters.
  CHECK(secret_from_bytes(std::string("\xf8\xff\x00", 3), 1) == "A");
  CHECK(secret_from_bytes(std::string("\xf8\xff", 2), 1).empty());
  const std::string a = random_secret(24), b = random_secret(24);
  CHECK(a.size() == 24);
  CHECK(valid_secret(a, 24));
  CHECK(a != b);
  CHECK_FALSE(valid_secret("short", 24));
  CHECK_FALSE(valid_secret("abcdefghijklmnopqrstuvw'", 24));
  CHECK_FALSE(valid_secret("abcdefghijklmnopqrstuvw x", 24));
  CHECK(valid_secret("abcdefghijklmnopqrstuvwxyz", 24));
}

TEST_CASE("web_app: PHP literals and URL encoding", "[web_app][roundcube][cloud]") {
  CHECK(php_quote("plain") == "'plain'");
  CHECK(php_quote("it's a \\ back") == "'it\\'s a \\\\ back'");
  CHECK(php_quote("'; system('id'); //") == "'\\'; system(\\'id\\'); //'");
  CHECK(url_encode("Ab9-_.~") == "Ab9-_.~");
  CHECK(url_encode("p@ss:w/rd %") == "p%40ss%3Aw%2Frd%20%25");
}
