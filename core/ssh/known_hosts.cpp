#include "ssh/known_hosts.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

namespace sc::ssh {

std::string describe_key(ssh_key key) {
  std::string type = "unknown";
  switch (ssh_key_type(key)) {
    case SSH_KEYTYPE_ED25519:
      type = "ED25519";
      break;
    case SSH_KEYTYPE_RSA:
      type = "RSA";
      break;
    case SSH_KEYTYPE_ECDSA_P256:
    case SSH_KEYTYPE_ECDSA_P384:
    case SSH_KEYTYPE_ECDSA_P521:
      type = "ECDSA";
      break;
    default:
      if (const char* t = ssh_key_type_to_char(ssh_key_type(key))) type = t;
  }
  unsigned char* hash = nullptr;
  size_t len = 0;
  std::string fp = "(no fingerprint)";
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == SSH_OK) {
    if (char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len)) {
      fp = text;
      ssh_string_free_char(text);
    }
    ssh_clean_pubkey_hash(&hash);
  }
  return type + " key " + fp;
}

std::string known_hosts_name(const std::string& host, unsigned port) {
  std::string h = host;
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (port == 0 || port == 22) return h;
  return "[" + h + "]:" + std::to_string(port);
}

std::vector<std::string> conflicting_lines(const std::vector<std::string>& files, const std::string& name,
                                           ssh_key key) {
  std::vector<std::string> found;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
      size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line[start] == '#' || line[start] == '@') continue;
      ssh_knownhosts_entry* entry = nullptr;
      // SSH_OK only when the line's host patterns (plain or hashed) match.
      if (ssh_known_hosts_parse_line(name.c_str(), line.c_str() + start, &entry) != SSH_OK) continue;
      bool differs = entry && entry->publickey && ssh_key_cmp(entry->publickey, key, SSH_KEY_CMP_PUBLIC) != 0;
      ssh_knownhosts_entry_free(entry);
      if (differs) found.push_back(file + ":" + std::to_string(n));
    }
  }
  return found;
}

}  // namespace sc::ssh
