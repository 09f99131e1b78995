// ssh.so: the SSH layer on libssh. Connects, checks the host key against
// known_hosts as OpenSSH would, authenticates with the user's keys (or the
// agent, or once with a password when linking), and runs commands in
// channels of that one session. Loaded by the core on first use (see
// ssh_layer.hpp); nothing else in sc links libssh.
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "ssh/known_hosts.hpp"
#include "ssh/ssh_layer.hpp"

namespace sc::ssh {
namespace {

struct SessionFree {
  void operator()(ssh_session s) const {
    if (ssh_is_connected(s)) ssh_disconnect(s);
    ssh_free(s);
  }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionFree>;

struct ChannelFree {
  void operator()(ssh_channel c) const {
    if (ssh_channel_is_open(c)) ssh_channel_close(c);
    ssh_channel_free(c);
  }
};
using ChannelPtr = std::unique_ptr<ssh_channel_struct, ChannelFree>;

struct KeyFree {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyFree>;

/// Overwrites a password in memory when it goes out of scope.
class Secret {
 public:
  ~Secret() {
    volatile char* p = value_.data();
    for (size_t i = 0; i < value_.size(); ++i) p[i] = 0;
  }
  std::string* get() { return &value_; }
  const char* c_str() const { return value_.c_str(); }

 private:
  std::string value_;
};

std::string option_string(ssh_session s, ssh_options_e which) {
  char* v = nullptr;
  if (ssh_options_get(s, which, &v) != SSH_OK || !v) return {};
  std::string out = v;
  ssh_string_free_char(v);
  return out;
}

// After authentication sshd sends a few small packets (SSH_MSG_DEBUG about
// key options, host keys) one after the other; its Nagle algorithm holds
// each until the previous one is acknowledged, and our delayed ACK waits
// 40 ms. Acknowledging at once removes that wait from the first channel
// (measured on loopback: channel open 43 ms -> 0.4 ms). The kernel leaves
// quick-ACK mode by itself, so it is set again for each exchange.
void quick_ack(ssh_session s) {
  int fd = ssh_get_fd(s);
  int one = 1;
  if (fd >= 0) ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

// Sends a request, then acknowledges the answer at once (see quick_ack:
// sending data re-arms delayed ACKs, so the flag is set after the request
// left, in non-blocking mode, and the wait for the answer resumes blocking).
template <class Step>
int send_and_quick_ack(ssh_session s, Step step) {
  ssh_set_blocking(s, 0);
  int rc = step();
  quick_ack(s);
  ssh_set_blocking(s, 1);
  while (rc == SSH_AGAIN) rc = step();
  return rc;
}

std::vector<std::string> existing_keys(const std::string& ssh_dir) {
  std::vector<std::string> keys;
  for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
    std::string p = ssh_dir + "/" + name;
    if (::access(p.c_str(), R_OK) == 0) keys.push_back(p);
  }
  return keys;
}

class LibsshConnection final : public Connection {
 public:
  LibsshConnection(SessionPtr s, std::string peer, std::string account, bool password)
      : s_(std::move(s)), peer_(std::move(peer)), account_(std::move(account)), password_(password) {}

  bool used_password() const override { return password_; }
  std::string account() const override { return account_; }

  bool exec(const std::string& command, std::string_view input, std::chrono::milliseconds timeout, const Sink& out,
            const Sink& err_out, ExecResult* result, std::string* err) override {
    try {
      return exec_impl(command, input, timeout, out, err_out, result, err);
    } catch (const std::exception& e) {
      *err = peer_ + ": " + e.what();
      return false;
    }
  }

  bool relay(const std::string& command, int in_fd, int out_fd, int err_fd, ExecResult* result,
             std::string* err) override {
    try {
      return relay_impl(command, in_fd, out_fd, err_fd, result, err);
    } catch (const std::exception& e) {
      *err = peer_ + ": " + e.what();
      return false;
    }
  }

 private:
  bool channel_fail(const char* what, std::string* err) {
    *err = peer_ + ": cannot " + what + " over SSH: " + ssh_get_error(s_.get()) +
           "; the connection may have dropped (run the command again)";
    return false;
  }

  bool exec_impl(const std::string& command, std::string_view input, std::chrono::milliseconds timeout, const Sink& out,
                 const Sink& err_out, ExecResult* result, std::string* err) {
    *result = ExecResult{};
    ssh_session s = s_.get();
    ChannelPtr ch(ssh_channel_new(s));
    if (!ch) return channel_fail("open a channel", err);
    if (send_and_quick_ack(s, [&] { return ssh_channel_open_session(ch.get()); }) != SSH_OK)
      return channel_fail("open a channel", err);
    if (send_and_quick_ack(s, [&] { return ssh_channel_request_exec(ch.get(), command.c_str()); }) != SSH_OK)
      return channel_fail("start a command", err);
    while (!input.empty()) {
      uint32_t chunk = static_cast<uint32_t>(std::min<size_t>(input.size(), 32768));
      int w = ssh_channel_write(ch.get(), input.data(), chunk);
      if (w == SSH_ERROR) return channel_fail("send input", err);
      input.remove_prefix(static_cast<size_t>(w));
    }
    // The command's stdin ends here, as with `ssh -n` when there is no input.
    ssh_channel_send_eof(ch.get());
    quick_ack(s);

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[16384];
    auto drain_stderr = [&]() {
      int m;
      while ((m = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, 1)) > 0)
        err_out(std::string_view(buf, static_cast<size_t>(m)));
      return m != SSH_ERROR;
    };
    for (;;) {
      // Wakes as soon as stdout data arrives; stderr is collected in between.
      int n = ssh_channel_read_timeout(ch.get(), buf, sizeof buf, 0, 100);
      if (n == SSH_ERROR) return channel_fail("read the output", err);
      if (n > 0) out(std::string_view(buf, static_cast<size_t>(n)));
      if (!drain_stderr()) return channel_fail("read the output", err);
      if (n == 0 && ssh_channel_is_eof(ch.get())) {
        while ((n = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, 0)) > 0)
          out(std::string_view(buf, static_cast<size_t>(n)));
        drain_stderr();
        break;
      }
      if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
        result->timed_out = true;
        return true;  // the channel is closed by ChannelPtr
      }
    }
    result->exit_code = ssh_channel_get_exit_status(ch.get());
    return true;
  }

  struct RelayOutput {
    int out_fd, err_fd;
    bool open = true;  // false once the local program stopped reading
  };

  // libssh hands each data packet over as it is decoded, whichever stream
  // it belongs to, so nothing waits in its buffers while we wait for the
  // socket. A local side that stopped reading gets no more; the rest is
  // consumed and dropped so that the peer can finish.
  static int relay_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr, void* user) {
    auto* o = static_cast<RelayOutput*>(user);
    if (o->open &&
        !write_all(is_stderr ? o->err_fd : o->out_fd, std::string_view(static_cast<const char*>(data), len)) &&
        !is_stderr)
      o->open = false;
    return static_cast<int>(len);
  }

  // One loop moves both directions: the data callback writes what arrives,
  // and what in_fd holds goes to the channel, never more than the peer's
  // window (so a write never waits while the peer waits for us to read).
  bool relay_impl(const std::string& command, int in_fd, int out_fd, int err_fd, ExecResult* result, std::string* err) {
    *result = ExecResult{};
    ssh_session s = s_.get();
    RelayOutput output{out_fd, err_fd};
    ssh_channel_callbacks_struct callbacks{};
    ssh_callbacks_init(&callbacks);
    callbacks.userdata = &output;
    callbacks.channel_data_function = relay_data;
    ChannelPtr ch(ssh_channel_new(s));
    if (!ch) return channel_fail("open a channel", err);
    if (ssh_set_channel_callbacks(ch.get(), &callbacks) != SSH_OK) return channel_fail("open a channel", err);
    // libssh keeps a freed channel until the peer closes it too: it must not
    // keep these callbacks, which live on this stack frame.
    struct Unregister {
      ssh_channel ch;
      ssh_channel_callbacks cb;
      ~Unregister() { ssh_remove_channel_callbacks(ch, cb); }
    } unregister{ch.get(), &callbacks};
    if (send_and_quick_ack(s, [&] { return ssh_channel_open_session(ch.get()); }) != SSH_OK)
      return channel_fail("open a channel", err);
    if (send_and_quick_ack(s, [&] { return ssh_channel_request_exec(ch.get(), command.c_str()); }) != SSH_OK)
      return channel_fail("start a command", err);
    std::vector<char> buf(1 << 17);
    bool input_open = true;
    for (;;) {
      // Decodes what the socket holds (the callback writes it out), then
      // sends what that queued (window adjustments), which libssh would
      // otherwise send only when it next polls the socket for writing.
      if (ssh_channel_poll(ch.get(), 0) == SSH_ERROR) return channel_fail("read the output", err);
      if (ssh_blocking_flush(s, 10000) == SSH_ERROR) return channel_fail("send data", err);
      if (ssh_channel_is_eof(ch.get()) || ssh_channel_is_closed(ch.get())) break;
      if (!output.open && input_open) {
        // The local program is gone: end the remote one's input too.
        ssh_channel_send_eof(ch.get());
        input_open = false;
      }
      const uint32_t window = input_open ? ssh_channel_window_size(ch.get()) : 0;
      pollfd fds[2] = {{ssh_get_fd(s), POLLIN, 0}, {in_fd, POLLIN, 0}};
      int ready = ::poll(fds, window > 0 ? 2 : 1, 1000);
      if (ready < 0 && errno != EINTR) return channel_fail("wait for data", err);
      if (window == 0 || ready <= 0 || !fds[1].revents) continue;
      ssize_t n = ::read(in_fd, buf.data(), std::min<size_t>(buf.size(), window));
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n > 0) {
        if (ssh_channel_write(ch.get(), buf.data(), static_cast<uint32_t>(n)) == SSH_ERROR)
          return channel_fail("send data", err);
      } else {
        ssh_channel_send_eof(ch.get());
        quick_ack(s);
        input_open = false;
      }
    }
    result->exit_code = ssh_channel_get_exit_status(ch.get());
    return true;
  }

  SessionPtr s_;
  std::string peer_;
  std::string account_;
  bool password_;
};

class LibsshLayer final : public Layer {
 public:
  std::unique_ptr<Connection> connect(const Target& t, const ConnectMode& mode, Hooks& hooks, FailKind* kind,
                                      std::string* err) override {
    try {
      return connect_impl(t, mode, hooks, kind, err);
    } catch (const std::exception& e) {
      *kind = FailKind::other;
      *err = t.peer + ": " + e.what();
      return nullptr;
    }
  }

 private:
  /// Why a step of connecting failed; nullopt: it succeeded.
  struct Failed {
    FailKind kind;
    std::string message;
  };
  using Outcome = std::optional<Failed>;

  std::unique_ptr<Connection> connect_impl(const Target& t, const ConnectMode& mode, Hooks& hooks, FailKind* kind,
                                           std::string* err) {
    auto fail = [&](Failed f) -> std::unique_ptr<Connection> {
      *kind = f.kind;
      *err = std::move(f.message);
      return nullptr;
    };
    *kind = FailKind::other;
    SessionPtr s(ssh_new());
    if (!s) return fail({FailKind::other, t.peer + ": cannot create an SSH session (out of memory)"});
    ssh_session ss = s.get();
    // libssh takes the home directory from the password database; set the
    // files explicitly so that $HOME decides, as documented.
    const std::string known_hosts = t.ssh_dir + "/known_hosts";
    if (Outcome f = configure(ss, t, known_hosts)) return fail(std::move(*f));

    const std::string host = option_string(ss, SSH_OPTIONS_HOST);
    unsigned port = 22;
    ssh_options_get_port(ss, &port);
    if (ssh_connect(ss) != SSH_OK)
      return fail({FailKind::unreachable,
                   "cannot reach peer " + t.peer + " (" + host + " port " + std::to_string(port) +
                       "): " + ssh_get_error(ss) + "; check the name and that sshd runs there (gave up after " +
                       std::to_string(t.timeout_s) + " s; the SSHLINK_CONNECT_TIMEOUT setting changes that)"});
    if (Outcome f = verify_host_key(ss, t, mode, hooks, known_hosts, known_hosts_name(host, port)))
      return fail(std::move(*f));

    // The user is known once connecting applied the defaults.
    const std::string account =
        option_string(ss, SSH_OPTIONS_USER) + "@" + host + (port == 22 ? "" : ":" + std::to_string(port));
    bool used_password = false;
    if (Outcome f = authenticate(ss, t, mode, hooks, account, &used_password)) return fail(std::move(*f));
    return std::make_unique<LibsshConnection>(std::move(s), t.peer, account, used_password);
  }

  /// The session's options: host, ~/.ssh, ~/.ssh/config, user, port, timeout.
  static Outcome configure(ssh_session ss, const Target& t, const std::string& known_hosts) {
    int verbosity = SSH_LOG_NOLOG;
    ssh_options_set(ss, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
    if (ssh_options_set(ss, SSH_OPTIONS_HOST, t.host.c_str()) != SSH_OK ||
        ssh_options_set(ss, SSH_OPTIONS_SSH_DIR, t.ssh_dir.c_str()) != SSH_OK ||
        ssh_options_set(ss, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str()) != SSH_OK)
      return Failed{FailKind::usage, t.peer + ": " + ssh_get_error(ss)};
    // ~/.ssh/config (then /etc/ssh/ssh_config) as ssh reads it, so aliases,
    // HostName, User, Port and IdentityFile work the same for ssh, rsync,
    // unison and sc. What was typed wins over the file, as with ssh.
    if (ssh_options_parse_config(ss, nullptr) != SSH_OK)
      return Failed{FailKind::usage, t.peer + ": cannot read " + t.ssh_dir + "/config: " + ssh_get_error(ss) +
                                         "; fix the file (see ssh_config(5))"};
    if (!t.user.empty() && ssh_options_set(ss, SSH_OPTIONS_USER, t.user.c_str()) != SSH_OK)
      return Failed{FailKind::usage, t.peer + ": " + ssh_get_error(ss)};
    if (t.port > 0) {
      unsigned port = static_cast<unsigned>(t.port);
      ssh_options_set(ss, SSH_OPTIONS_PORT, &port);
    }
    long timeout = t.timeout_s;
    ssh_options_set(ss, SSH_OPTIONS_TIMEOUT, &timeout);
    // Requests and their answers are small packets: without TCP_NODELAY,
    // Nagle's algorithm and delayed ACKs add tens of milliseconds to each.
    int nodelay = 1;
    ssh_options_set(ss, SSH_OPTIONS_NODELAY, &nodelay);
    return std::nullopt;
  }

  /// The server's key against known_hosts: a known key passes, a changed
  /// one is refused, an unknown one is offered to Hooks::accept_host_key
  /// when the mode allows, and recorded through Hooks::record_host_key.
  static Outcome verify_host_key(ssh_session ss, const Target& t, const ConnectMode& mode, Hooks& hooks,
                                 const std::string& known_hosts, const std::string& name) {
    ssh_key raw_key = nullptr;
    if (ssh_get_server_publickey(ss, &raw_key) != SSH_OK)
      return Failed{FailKind::other, t.peer + ": the server sent no host key: " + ssh_get_error(ss)};
    KeyPtr server_key(raw_key);
    const std::string what = describe_key(server_key.get());
    switch (ssh_session_is_known_server(ss)) {
      case SSH_KNOWN_HOSTS_OK:
        return std::nullopt;
      case SSH_KNOWN_HOSTS_CHANGED:
      case SSH_KNOWN_HOSTS_OTHER: {
        auto lines = conflicting_lines({known_hosts, "/etc/ssh/ssh_known_hosts"}, name, server_key.get());
        std::string at;
        for (const auto& l : lines) at += (at.empty() ? "" : ", ") + l;
        if (at.empty()) at = known_hosts;
        return Failed{FailKind::changed_key,
                      "HOST KEY CHANGED for peer " + t.peer + " (" + name + "): it now offers the " + what + ", but " +
                          at + " holds another key for it. This may be an attack (someone between us and " +
                          "the peer) or the peer was reinstalled; refusing to connect. If the change is expected, " +
                          "remove the old key (ssh-keygen -R '" + name + "' -f " + known_hosts +
                          ") and run `sc sshlink add " + t.peer + "`"};
      }
      case SSH_KNOWN_HOSTS_UNKNOWN:
      case SSH_KNOWN_HOSTS_NOT_FOUND: {
        if (!mode.accept_new_key)
          return Failed{FailKind::unknown_key, "peer " + t.peer + " (" + name + ") is not a known host: its " + what +
                                                   " is not in " + known_hosts + "; link it with `sc sshlink add " +
                                                   t.peer + "`, which shows the fingerprint and asks"};
        std::string why;
        if (!hooks.accept_host_key(t.peer, what, known_hosts, &why))
          return Failed{FailKind::unknown_key, "peer " + t.peer + " (" + name + "): its " + what + " was not accepted" +
                                                   (why.empty() ? "" : ": " + why)};
        if (!mode.record_new_key) return std::nullopt;
        char* entry = nullptr;
        if (ssh_session_export_known_hosts_entry(ss, &entry) != SSH_OK || !entry)
          return Failed{FailKind::other,
                        t.peer + ": cannot add its host key to " + known_hosts + ": " + ssh_get_error(ss)};
        const std::string line = entry;
        ssh_string_free_char(entry);
        if (!hooks.record_host_key(t.peer, what, known_hosts, line, &why))
          return Failed{FailKind::other, t.peer + ": cannot add its host key to " + known_hosts + ": " + why};
        return std::nullopt;
      }
      case SSH_KNOWN_HOSTS_ERROR:
      default:
        return Failed{FailKind::other, t.peer + ": cannot check its host key against " + known_hosts + ": " +
                                           ssh_get_error(ss) + "; fix the file's format or permissions"};
    }
  }

  /// Our keys (or ssh-agent); when refused and the mode allows, the
  /// account's password, asked once (password, then keyboard-interactive).
  static Outcome authenticate(ssh_session ss, const Target& t, const ConnectMode& mode, Hooks& hooks,
                              const std::string& account, bool* used_password) {
    quick_ack(ss);
    int rc = ssh_userauth_publickey_auto(ss, nullptr, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return std::nullopt;
    if (rc == SSH_AUTH_ERROR)
      return Failed{FailKind::unreachable, t.peer + ": authentication failed: " + ssh_get_error(ss)};
    std::string tried;
    for (const auto& k : existing_keys(t.ssh_dir)) tried += (tried.empty() ? "" : ", ") + k;
    if (tried.empty()) tried = "no key in " + t.ssh_dir;
    if (std::getenv("SSH_AUTH_SOCK")) tried = "ssh-agent, " + tried;
    if (!mode.allow_password)
      return Failed{FailKind::refused, "peer " + t.peer + " does not accept our key for " + account + " (tried " +
                                           tried + "); link it with `sc sshlink add " + t.peer + "`"};

    int methods = ssh_userauth_list(ss, nullptr);
    const bool password = methods & SSH_AUTH_METHOD_PASSWORD;
    const bool interactive = methods & SSH_AUTH_METHOD_INTERACTIVE;
    if (!password && !interactive)
      return Failed{FailKind::refused, "peer " + t.peer + " accepts neither our key (tried " + tried +
                                           ") nor a password for " + account +
                                           "; append our public key to its ~/.ssh/authorized_keys by other means"};
    Secret pw;
    std::string why;
    if (!hooks.ask_password(account, pw.get(), &why))
      return Failed{FailKind::refused,
                    "peer " + t.peer + " does not accept our key yet and its password cannot be asked: " + why};
    rc = SSH_AUTH_DENIED;
    if (password) rc = ssh_userauth_password(ss, nullptr, pw.c_str());
    if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && interactive) rc = keyboard_interactive(ss, pw.c_str());
    if (rc == SSH_AUTH_SUCCESS) {
      *used_password = true;
      return std::nullopt;
    }
    if (rc == SSH_AUTH_ERROR)
      return Failed{FailKind::unreachable, t.peer + ": authentication failed: " + ssh_get_error(ss)};
    return Failed{FailKind::refused, "peer " + t.peer + " refused the password for " + account +
                                         "; run `sc sshlink add " + t.peer + "` again and type the password of " +
                                         account};
  }

  // Answers every hidden prompt with the password (the usual single
  // "Password:" prompt of PAM); visible prompts get an empty answer.
  static int keyboard_interactive(ssh_session ss, const char* pw) {
    int rc = ssh_userauth_kbdint(ss, nullptr, nullptr);
    for (int round = 0; rc == SSH_AUTH_INFO && round < 4; ++round) {
      int n = ssh_userauth_kbdint_getnprompts(ss);
      for (int i = 0; i < n; ++i) {
        char echo = 0;
        ssh_userauth_kbdint_getprompt(ss, static_cast<unsigned>(i), &echo);
        ssh_userauth_kbdint_setanswer(ss, static_cast<unsigned>(i), echo ? "" : pw);
      }
      rc = ssh_userauth_kbdint(ss, nullptr, nullptr);
    }
    return rc == SSH_AUTH_INFO ? SSH_AUTH_DENIED : rc;
  }
};

}  // namespace
}  // namespace sc::ssh

extern "C" __attribute__((visibility("default"))) sc::ssh::Layer* sc_ssh_layer(int version) {
  static sc::ssh::LibsshLayer layer;
  return version == sc::ssh::kSshLayerVersion ? &layer : nullptr;
}
