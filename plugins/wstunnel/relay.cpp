#include "relay.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility> (an error in C++20): include it first.
// clang-format off
#include <utility>
// clang-format on
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "common/tunnel.hpp"
#include "wst_status.hpp"

namespace wstunnel {

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

constexpr const char* kSubprotocol = "tunnel-protocol";
// One frame per read: at most 64 KiB, the largest frame npm wstunnel's
// server (WebSocket-Node) accepts by default. Each direction has one such
// buffer in flight, so a slow side slows the other down instead of making
// us buffer without bound.
constexpr std::size_t kChunk = 64 * 1024;
constexpr auto kConnectTimeout = 30s;
constexpr auto kWatchdog = 20s;

/// What every connection shares: the loop, the settings, the state file.
struct Shared {
  RelayConfig cfg;
  Status st;
  ssl::context tls{ssl::context::tls_client};
  bool stopping = false;
  // Last, so destroyed first: the handlers it still holds (and the
  // connections they keep alive) go while the rest is intact.
  net::io_context ioc;

  void log(const std::string& line) {
    if (cfg.log) cfg.log(line);
  }
  void save() {
    if (cfg.status_path.empty()) return;
    st.updated = std::time(nullptr);
    std::string err;
    if (!plugin_common::tunnel::write_atomically(cfg.status_path, to_json(st), &err))
      log("cannot record the state: " + err);
  }
  void set_state(const char* want, const std::string& error) {
    if (!error.empty()) note(error);
    if (st.state != want) {
      st.state = want;
      st.since = std::time(nullptr);
      log(std::string("state: ") + want + (error.empty() ? "" : " (" + error + ")"));
    }
    save();
  }
  void note(const std::string& error) {
    st.last_error = error;
    st.last_error_at = std::time(nullptr);
  }
  void set_state(bool up, const std::string& error) { set_state(up ? "up" : "down", error); }
  void failed(const std::string& error) {
    ++st.failed;
    note(error);
    log(error);
    save();
  }
};

void tune(tcp::socket& s) {
  error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
  s.set_option(net::socket_base::keep_alive(true), ignored);
}

std::string peer_of(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return Endpoint{ep.address().to_string(), ep.port()}.text();
}

// -- both directions of one tunnel -------------------------------------------

/// Joins a TCP socket and an open websocket until both directions are done.
template <class Ws>
class Pump : public std::enable_shared_from_this<Pump<Ws>> {
 public:
  Pump(Shared& s, tcp::socket sock, Ws ws, std::string who)
      : s_(s), tcp_(std::move(sock)), ws_(std::move(ws)), who_(std::move(who)) {}

  void start() {
    ++s_.st.active;
    ++s_.st.total;
    s_.save();
    ws_.binary(true);
    ws_.auto_fragment(false);
    // A client masks what it sends through a buffer of this size (4 KiB
    // by default, i.e. 16 writes per 64 KiB frame).
    ws_.write_buffer_bytes(kChunk);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = 30s;
    t.idle_timeout = std::chrono::seconds(s_.cfg.keepalive);
    t.keep_alive_pings = true;  // a ping at half the idle time; silence for all of it ends the tunnel
    ws_.set_option(t);
    tcp_to_ws();
    ws_to_tcp();
  }

  ~Pump() {
    --s_.st.active;
    s_.st.bytes_in += in_;
    s_.st.bytes_out += out_;
    if (s_.stopping) return;  // the final state is already written
    if (!error_.empty()) s_.log(who_ + ": ended: " + error_);
    s_.save();
  }

 private:
  void tcp_to_ws() {
    auto self = this->shared_from_this();
    tcp_.async_read_some(net::buffer(up_), [self](error_code ec, std::size_t n) {
      if (ec) {
        // EOF (or an error) from the TCP side: say goodbye on the websocket.
        if (ec != net::error::eof && ec != net::error::operation_aborted) self->note(ec);
        self->close_ws();
        return;
      }
      self->out_ += n;
      self->ws_.async_write(net::buffer(self->up_.data(), n), [self](error_code ec2, std::size_t) {
        if (ec2) {
          self->note(ec2);
          self->close_tcp();
          return;
        }
        self->tcp_to_ws();
      });
    });
  }

  void ws_to_tcp() {
    auto self = this->shared_from_this();
    // Into our own buffer, as much as came (up to 64 KiB): large reads
    // straight from the socket, not a message grown from small ones.
    ws_.async_read_some(net::buffer(down_), [self](error_code ec, std::size_t n) {
      if (ec) {
        if (ec != websocket::error::closed && ec != net::error::operation_aborted) self->note(ec);
        self->ws_done_ = true;
        self->close_tcp();
        return;
      }
      self->in_ += n;
      net::async_write(self->tcp_, net::buffer(self->down_.data(), n), [self](error_code ec2, std::size_t) {
        if (ec2) {
          self->note(ec2);
          self->close_ws();
          return;
        }
        self->ws_to_tcp();
      });
    });
  }

  void close_ws() {
    if (closing_ws_ || ws_done_) {
      close_tcp_read();
      return;
    }
    closing_ws_ = true;
    auto self = this->shared_from_this();
    // The peer answers our close frame; the pending read then ends.
    ws_.async_close(websocket::close_code::normal, [self](error_code) {});
    close_tcp_read();
  }
  void close_tcp_read() {
    error_code ignored;
    tcp_.shutdown(tcp::socket::shutdown_receive, ignored);
  }
  void close_tcp() {
    error_code ignored;
    tcp_.shutdown(tcp::socket::shutdown_both, ignored);
    tcp_.close(ignored);
  }
  void note(const error_code& ec) {
    if (error_.empty()) error_ = ec.message();
  }

  Shared& s_;
  tcp::socket tcp_;
  Ws ws_;
  std::string who_;
  std::array<char, kChunk> up_{}, down_{};
  bool closing_ws_ = false, ws_done_ = false;
  std::uint64_t in_ = 0, out_ = 0;
  std::string error_;
};

template <class Ws>
void start_pump(Shared& s, tcp::socket sock, Ws ws, std::string who) {
  std::make_shared<Pump<Ws>>(s, std::move(sock), std::move(ws), std::move(who))->start();
}

// -- server: one websocket, checked, joined to the target --------------------

class ServerSession : public std::enable_shared_from_this<ServerSession> {
 public:
  ServerSession(Shared& s, tcp::socket sock)
      : s_(s), who_("client " + peer_of(sock)), ws_(std::move(sock)), out_(s.ioc), resolver_(s.ioc) {}

  void start() {
    beast::get_lowest_layer(ws_).expires_after(kConnectTimeout);
    auto self = shared_from_this();
    http::async_read(ws_.next_layer(), buf_, req_, [self](error_code ec, std::size_t) { self->on_request(ec); });
  }

 private:
  void on_request(error_code ec) {
    if (ec) return;  // not even a request (a port scan, a health check that hung up)
    // nginx passes the client's address on; say who it really is.
    auto real = req_.find("X-Real-IP");
    if (real != req_.end()) who_ = "client " + std::string(real->value()) + " (through " + who_.substr(7) + ")";
    if (!websocket::is_upgrade(req_)) {
      return refuse(http::status::upgrade_required, "this is a websocket tunnel: ask for a websocket upgrade");
    }
    std::string why;
    auto dst = query_dst(std::string_view(req_.target().data(), req_.target().size()));
    if (!dst_allowed(dst, s_.cfg.target, &why)) return refuse(http::status::forbidden, why);
    auto self = shared_from_this();
    resolver_.async_resolve(
        s_.cfg.target.host, std::to_string(s_.cfg.target.port), [self](error_code rec, tcp::resolver::results_type r) {
          if (rec)
            return self->refuse(http::status::bad_gateway,
                                "cannot resolve the target " + self->s_.cfg.target.text() + ": " + rec.message());
          net::async_connect(self->out_, r, [self](error_code cec, const tcp::endpoint&) { self->on_target(cec); });
        });
  }

  void on_target(error_code ec) {
    if (ec)
      return refuse(http::status::bad_gateway,
                    "cannot connect to the target " + s_.cfg.target.text() + ": " + ec.message());
    tune(out_);
    beast::get_lowest_layer(ws_).expires_never();
    bool asked = false;
    auto range = req_.equal_range(http::field::sec_websocket_protocol);
    for (auto f = range.first; f != range.second; ++f)
      if (std::string(f->value()).find(kSubprotocol) != std::string::npos) asked = true;
    ws_.set_option(websocket::stream_base::decorator([asked](websocket::response_type& res) {
      res.set(http::field::server, "sc-wstunnel");
      if (asked) res.set(http::field::sec_websocket_protocol, kSubprotocol);
    }));
    auto self = shared_from_this();
    ws_.async_accept(req_, [self](error_code aec) {
      if (aec) return self->s_.failed(self->who_ + ": websocket handshake failed: " + aec.message());
      self->s_.log(self->who_ + ": tunnel to " + self->s_.cfg.target.text() + " open");
      start_pump(self->s_, std::move(self->out_), std::move(self->ws_), self->who_);
    });
  }

  void refuse(http::status status, const std::string& why) {
    s_.failed(who_ + ": refused (" + std::to_string(static_cast<unsigned>(status)) + "): " + why);
    auto res = std::make_shared<http::response<http::string_body>>(status, req_.version());
    res->set(http::field::server, "sc-wstunnel");
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    res->keep_alive(false);
    res->body() = why + "\n";
    res->prepare_payload();
    auto self = shared_from_this();
    http::async_write(ws_.next_layer(), *res, [self, res](error_code, std::size_t) {
      error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  Shared& s_;
  std::string who_;
  websocket::stream<beast::tcp_stream> ws_;
  tcp::socket out_;
  tcp::resolver resolver_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
};

// -- client: one accepted TCP connection, one new websocket to the server ----

template <class Ws>
class ClientSession : public std::enable_shared_from_this<ClientSession<Ws>> {
 public:
  template <class... A>
  ClientSession(Shared& s, tcp::socket local, A&&... ws_args)
      : s_(s),
        who_("local " + peer_of(local)),
        local_(std::move(local)),
        ws_(std::forward<A>(ws_args)...),
        resolver_(s.ioc) {}

  void start() {
    auto self = this->shared_from_this();
    const ServerUrl& u = s_.cfg.url;
    resolver_.async_resolve(u.host, std::to_string(u.port), [self](error_code ec, tcp::resolver::results_type r) {
      if (ec) return self->fail("cannot resolve " + self->s_.cfg.url.host + ": " + ec.message());
      beast::get_lowest_layer(self->ws_).expires_after(kConnectTimeout);
      beast::get_lowest_layer(self->ws_).async_connect(r, [self](error_code cec, const tcp::endpoint&) {
        if (cec) return self->fail("cannot connect to " + self->s_.cfg.url.host_header() + ": " + cec.message());
        tune(beast::get_lowest_layer(self->ws_).socket());
        self->secure();
      });
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Ws, websocket::stream<beast::tcp_stream>>;

  void secure() {
    if constexpr (kTls) {
      auto& tls = ws_.next_layer();
      const std::string& host = s_.cfg.url.host;
      if (!SSL_set_tlsext_host_name(tls.native_handle(), host.c_str()))
        return fail("cannot set the TLS server name " + host);
      tls.set_verify_mode(ssl::verify_peer);
      tls.set_verify_callback(ssl::host_name_verification(host));
      auto self = this->shared_from_this();
      tls.async_handshake(ssl::stream_base::client, [self](error_code ec) {
        if (ec)
          return self->fail("TLS with " + self->s_.cfg.url.host_header() + " failed: " + ec.message() +
                            " (is its certificate signed by a CA we trust? WSTUNNEL_CA_FILE adds one)");
        self->upgrade();
      });
    } else {
      upgrade();
    }
  }

  void upgrade() {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout{30s, std::chrono::seconds(s_.cfg.keepalive), true});
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::user_agent, "sc-wstunnel");
      req.set(http::field::sec_websocket_protocol, kSubprotocol);
    }));
    auto self = this->shared_from_this();
    ws_.async_handshake(res_, s_.cfg.url.host_header(), s_.cfg.url.request_target(s_.cfg.dst), [self](error_code ec) {
      if (ec) {
        std::string body = self->res_.body();
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
        return self->fail("the server " + self->s_.cfg.url.text() + " refused the websocket: " + ec.message() +
                          (self->res_.result_int() ? " (HTTP " + std::to_string(self->res_.result_int()) + ")" : "") +
                          (body.empty() ? "" : ": " + body.substr(0, 300)));
      }
      if (self->res_[http::field::sec_websocket_protocol] != kSubprotocol)
        return self->fail("the server " + self->s_.cfg.url.text() +
                          " did not agree to the \"tunnel-protocol\" subprotocol: is it a wstunnel server?");
      self->s_.set_state(true, "");
      start_pump(self->s_, std::move(self->local_), std::move(self->ws_), self->who_);
    });
  }

  void fail(const std::string& why) {
    ++s_.st.failed;
    s_.set_state(false, who_ + ": " + why);
    s_.log(who_ + ": " + why);
    error_code ignored;
    local_.close(ignored);
  }

  Shared& s_;
  std::string who_;
  tcp::socket local_;
  Ws ws_;
  tcp::resolver resolver_;
  websocket::response_type res_;
};

// -- the listener that never stays dead ---------------------------------------

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(Shared& s) : s_(s), acceptor_(s.ioc), retry_(s.ioc), watchdog_(s.ioc) {}

  /// Opens the listener (retrying until it can) and accepts for ever.
  void start() {
    open_and_accept();
    watch();
  }
  void stop() {
    error_code ignored;
    retry_.cancel();
    watchdog_.cancel();
    acceptor_.close(ignored);
  }

 private:
  bool open(std::string* err) {
    error_code ec;
    acceptor_.close(ec);
    tcp::resolver r(s_.ioc);
    auto results = r.resolve(s_.cfg.listen.host, std::to_string(s_.cfg.listen.port), ec);
    if (ec || results.empty()) {
      *err = "cannot resolve " + s_.cfg.listen.text() + ": " + (ec ? ec.message() : "no address");
      return false;
    }
    tcp::endpoint ep = *results.begin();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.close();
      *err = "cannot listen on " + s_.cfg.listen.text() + ": " + ec.message();
      return false;
    }
    return true;
  }

  void open_and_accept() {
    std::string err;
    if (!open(&err)) {
      s_.set_state(false, err);
      s_.log(err + "; trying again in " + std::to_string(backoff_.count()) + " ms");
      later(true);
      return;
    }
    s_.log("listening on " + s_.cfg.listen.text() +
           (s_.cfg.client ? ", tunnelling to " + s_.cfg.url.text() : ", tunnelling to " + s_.cfg.target.text()));
    s_.set_state(true, "");
    backoff_ = 100ms;
    accept();
  }

  void accept() {
    pending_ = true;
    auto self = shared_from_this();
    acceptor_.async_accept([self](error_code ec, tcp::socket sock) { self->on_accept(ec, std::move(sock)); });
  }

  void on_accept(error_code ec, tcp::socket sock) {
    pending_ = false;
    if (s_.stopping) return;
    if (!ec) {
      backoff_ = 100ms;
      tune(sock);
      serve(std::move(sock));
      accept();
      return;
    }
    // A connection that died in the backlog concerns only itself.
    if (ec == net::error::connection_aborted || ec == net::error::interrupted || ec == net::error::try_again) {
      accept();
      return;
    }
    ++s_.st.accept_errors;
    // Out of descriptors or memory: the listener is fine, wait for room.
    // Anything else: make the listener again.
    const bool keep = ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space ||
                      ec == net::error::no_memory;
    const std::string what = "accepting on " + s_.cfg.listen.text() + " failed: " + ec.message() + "; " +
                             (keep ? "accepting" : "listening") + " again in " + std::to_string(backoff_.count()) +
                             " ms";
    s_.note(what);
    s_.log(what);
    s_.save();
    later(!keep);
  }

  void later(bool reopen) {
    retry_.expires_after(backoff_);
    backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, 5s);
    auto self = shared_from_this();
    retry_.async_wait([self, reopen](error_code ec) {
      if (ec || self->s_.stopping) return;
      if (reopen || !self->acceptor_.is_open())
        self->open_and_accept();
      else
        self->accept();
    });
  }

  /// Every few seconds: an accept must be pending or a retry armed; if
  /// neither (a bug, a lost completion), the listener is made again. Also
  /// refreshes the state file's "updated".
  void watch() {
    watchdog_.expires_after(kWatchdog);
    auto self = shared_from_this();
    watchdog_.async_wait([self](error_code ec) {
      if (ec || self->s_.stopping) return;
      bool retrying = self->retry_.expiry() > std::chrono::steady_clock::now();
      if (!self->pending_ && !retrying) {
        self->s_.log("the listener on " + self->s_.cfg.listen.text() + " was not accepting: listening again");
        self->open_and_accept();
      } else {
        self->s_.save();
      }
      self->watch();
    });
  }

  void serve(tcp::socket sock) {
    if (!s_.cfg.client) {
      std::make_shared<ServerSession>(s_, std::move(sock))->start();
    } else if (s_.cfg.url.tls) {
      using Ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
      std::make_shared<ClientSession<Ws>>(s_, std::move(sock), s_.ioc, s_.tls)->start();
    } else {
      using Ws = websocket::stream<beast::tcp_stream>;
      std::make_shared<ClientSession<Ws>>(s_, std::move(sock), s_.ioc)->start();
    }
  }

  Shared& s_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_, watchdog_;
  std::chrono::milliseconds backoff_{100};
  bool pending_ = false;
};

}  // namespace

int run_relay(const RelayConfig& cfg, std::string* err) {
  Shared s;
  s.cfg = cfg;
  s.st.pid = static_cast<long>(::getpid());
  s.st.mode = cfg.client ? "client" : "server";
  s.st.listen = cfg.listen.text();
  s.st.peer = cfg.client ? cfg.url.text() : cfg.target.text();
  s.st.since = std::time(nullptr);
  if (cfg.client) {
    error_code ec;
    s.tls.set_default_verify_paths(ec);
    if (!cfg.ca_file.empty()) {
      s.tls.load_verify_file(cfg.ca_file, ec);
      if (ec) {
        *err = "cannot read the CA file " + cfg.ca_file + " (WSTUNNEL_CA_FILE): " + ec.message();
        s.set_state(false, *err);
        return 1;
      }
    }
  }
  auto listener = std::make_shared<Listener>(s);
  net::signal_set signals(s.ioc, SIGTERM, SIGINT);
  signals.async_wait([&](error_code ec, int sig) {
    if (ec) return;
    s.stopping = true;
    s.log(std::string("stopping (") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ")");
    listener->stop();
    s.ioc.stop();
  });
  listener->start();
  s.ioc.run();
  s.st.active = 0;
  s.set_state("stopped", "");
  return 0;
}

int bridge_stdio(const Endpoint& to, std::string* err) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(to.port);
  if (int rc = ::getaddrinfo(to.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    *err = "cannot resolve " + to.text() + ": " + gai_strerror(rc);
    return 1;
  }
  int fd = -1;
  std::string why = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    why = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) {
    *err = "cannot connect to the wstunnel client on " + to.text() + ": " + why +
           " (is `sc wstunnel daemon` running here? see `sc wstunnel status`)";
    return 1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::array<char, kChunk> buf;
  auto write_all = [](int to_fd, const char* p, ssize_t n) {
    while (n > 0) {
      ssize_t w = ::write(to_fd, p, static_cast<size_t>(n));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= w;
    }
    return true;
  };
  bool in_open = true;
  for (;;) {
    pollfd p[2] = {{fd, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !write_all(1, buf.data(), n)) break;
    }
    if (in_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        in_open = false;
        ::shutdown(fd, SHUT_WR);
      } else if (!write_all(fd, buf.data(), n)) {
        break;
      }
    }
  }
  ::close(fd);
  return 0;
}

}  // namespace wstunnel
