#include "common/web_app.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "common/module_call.hpp"

namespace plugin_common::web_app {

std::string secret_from_bytes(std::string_view random, std::size_t length) {
  // 248 = 4 * 62: bytes below it map evenly onto the 62 characters.
  constexpr unsigned kLimit = 248;
  std::string out;
  for (unsigned char b : random) {
    if (out.size() == length) break;
    if (b >= kLimit) continue;
    out += kSecretAlphabet[b % kSecretAlphabet.size()];
  }
  return out.size() == length ? out : std::string();
}

std::string random_secret(std::size_t length) {
  // Randomness of this machine, not a file of the target system: read
  // directly rather than through the engine.
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw sc::Failure("cannot open /dev/urandom to make a secret");
  std::string out;
  while (out.size() < length) {
    std::string bytes(length * 2, '\0');
    ssize_t n = ::read(fd, bytes.data(), bytes.size());
    if (n <= 0) {
      ::close(fd);
      throw sc::Failure("cannot read /dev/urandom to make a secret");
    }
    bytes.resize(static_cast<std::size_t>(n));
    for (unsigned char b : bytes)
      if (out.size() < length && b < 248) out += kSecretAlphabet[b % kSecretAlphabet.size()];
  }
  ::close(fd);
  return out;
}

bool valid_secret(std::string_view value, std::size_t min_length) {
  if (value.size() < min_length) return false;
  for (char c : value)
    if (kSecretAlphabet.find(c) == std::string_view::npos) return false;
  return true;
}

std::string secret_setting(const sc::Context& ctx, const std::string& name, std::size_t length) {
  if (auto value = ctx.setting(name)) {
    if (!valid_secret(*value, length))
      throw sc::Failure("the setting " + name + " is not a valid secret (at least " + std::to_string(length) +
                        " letters and digits); unset it (sc settings del " + name +
                        ") and sc makes a new one, or set one that is");
    return *value;
  }
  std::string value = random_secret(length);
  ctx.set_setting(name, value);
  ctx.info("made a new random " + name + " for this host");
  return value;
}

std::string php_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string url_encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void php_check(const sc::Context& ctx, const std::string& text, const std::string& what) {
  sc::RunOptions o;
  o.readonly = true;
  o.capture_out = true;
  o.capture_err = true;
  o.input = text;
  o.timeout_ms = 60000;
  // -n: no php.ini, so the host's own PHP settings cannot change the verdict.
  const sc::RunResult r = ctx.run({"php", "-n", "-l"}, o);
  if (r.ok()) return;
  std::string words = r.err + r.out;
  if (words.empty()) words = ctx.last_error();
  throw sc::Failure("php -l refused the generated " + what + ":\n" + words + "nothing was installed");
}

void ensure_database(const sc::Context& ctx, const std::string& role, const std::string& database,
                     const std::string& password, const std::string& password_file) {
  sc::FileAttr a = sc::FileAttr::with_mode(0600);
  a.secret = true;
  const std::string dir = password_file.substr(0, password_file.rfind('/'));
  if (!dir.empty()) ctx.make_dir(dir, sc::FileAttr::with_mode(0700));
  ctx.write_file(password_file, password + "\n", a);
  module_call::run_shown(ctx, "db", "add", {role, database, "--password-file", password_file});
}

bool database_exists(const sc::Context& ctx, const std::string& database) {
  return ctx.call("db", "has", {database}).status == SC_OK;
}

}  // namespace plugin_common::web_app
