// Linking a new peer (`sshlink add`, SC_PEER_ADD): our key pair, the
// peer's host key in known_hosts, and our public key in the peer's
// authorized_keys. Every local change goes through the engine of this
// machine's own file system (`home_`): the SSH identity is the user's
// running sc, also under --root.
#include <pwd.h>
#include <unistd.h>

#include "base/text.hpp"
#include "peers/peers.hpp"
#include "sc/plugin.h"

namespace sc {

std::string Peers::user_name() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw && pw->pw_name ? pw->pw_name : "root";
}

bool Peers::ensure_key(std::string* pub_file, std::string* err) {
  const std::string dir = ssh_dir();
  for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
    const std::string key = dir + "/" + name;
    rooted_fs::Node node;
    if (home_.stat(key, /*follow=*/true, &node, nullptr) && node.type == rooted_fs::NodeType::file) {
      *pub_file = key + ".pub";
      return true;
    }
  }
  FileSpec private_dir;
  private_dir.mode = 0700;
  private_dir.owner = user_name();
  private_dir.keep_attrs = true;  // an existing ~/.ssh stays as its owner made it
  if (!home_.make_dir(dir, private_dir, err)) return false;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string comment = user_name() + "@" + host;
  RunSpec spec;
  spec.process.argv = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", dir + "/id_ed25519"};
  spec.process.capture_err = true;
  ProcessResult r;
  std::string e;
  if (!home_.run(spec, &r, nullptr, &e)) {
    *err = "cannot create our SSH key: " + e + (r.started ? "" : " (Debian package openssh-client)");
    return false;
  }
  *pub_file = dir + "/id_ed25519.pub";
  return true;
}

int Peers::install_key(const PeerAddress& addr, ssh::Connection* conn, const std::string& pub_file, std::string* err) {
  std::string key;
  if (std::string text; home_.read_file(pub_file, &text, nullptr)) key = first_line(text);
  if (key.empty()) {
    // A private key without its .pub: derive the public half.
    std::string priv = pub_file.substr(0, pub_file.size() - 4);
    RunSpec spec;
    spec.process.argv = {"ssh-keygen", "-y", "-f", priv};
    spec.process.capture_out = spec.process.capture_err = true;
    spec.readonly = true;
    ProcessResult r;
    std::string e;
    if (home_.run(spec, &r, nullptr, &e)) key = first_line(r.out);
    if (key.empty()) {
      *err = "cannot read our public key " + pub_file + (e.empty() ? "" : ": " + e);
      return SC_FAIL;
    }
  }
  if (key.rfind("ssh-", 0) != 0 && key.rfind("ecdsa-", 0) != 0) {
    *err = pub_file + " does not hold an OpenSSH public key; remove it and run `sc sshlink add " + addr.text +
           "` again (a new one is derived from the private key)";
    return SC_FAIL;
  }
  const std::string where = addr.text + ": ~/.ssh/authorized_keys";
  std::string out, errout;
  ssh::ExecResult r;
  bool ok = conn->exec(
      authorized_keys_script(), key + "\n", std::chrono::seconds(60), [&](std::string_view s) { out += s; },
      [&](std::string_view s) { errout += s; }, &r, err);
  if (ok && r.exit_code != 0) {
    ok = false;
    *err = with_excerpt(addr.text + ": cannot add our key to ~/.ssh/authorized_keys of " + conn->account() +
                            " (exit status " + std::to_string(r.exit_code) + ")",
                        errout);
  }
  if (!ok) {
    record("remote", where, ActionState::failed, *err);
    return SC_FAIL;
  }
  const bool added = out.find("added") != std::string::npos;
  record("remote", where, added ? ActionState::changed : ActionState::ok,
         added ? "appended " + pub_file : pub_file + " already there");
  // Prove the link the way later runs will use it: a new connection with
  // the key only.
  std::string e;
  if (!connect_fresh(addr, {}, nullptr, &e)) {
    *err = "our key is now in ~/.ssh/authorized_keys of " + conn->account() + ", but peer " + addr.text +
           " still refuses it (" + e + "); check AuthorizedKeysFile and StrictModes in its sshd_config";
    return SC_FAIL;
  }
  return SC_OK;
}

int Peers::add(const PeerAddress& addr, std::string* err) {
  const bool dry = opts_.dry_run;
  std::string pub;
  if (!ensure_key(&pub, err)) return SC_FAIL;
  ssh::ConnectMode mode;
  mode.accept_new_key = true;
  mode.record_new_key = !dry;
  mode.allow_password = !dry;
  int status = SC_FAIL;
  ssh::FailKind kind = ssh::FailKind::none;
  ssh::Connection* conn = connection(addr, mode, &status, err, &kind);
  if (!conn) {
    if (dry && kind == ssh::FailKind::refused) {
      record("remote", addr.text + ": ~/.ssh/authorized_keys", ActionState::planned,
             "would ask the password of the peer's account once and append " + pub);
      err->clear();
      return SC_OK;
    }
    return status;
  }
  if (!conn->used_password()) {
    record("link", addr.text, ActionState::ok, "already linked: it accepts our key as " + conn->account());
    return SC_OK;
  }
  return install_key(addr, conn, pub, err);
}

}  // namespace sc
