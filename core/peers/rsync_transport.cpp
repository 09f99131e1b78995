#include "peers/rsync_transport.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace sc {
namespace {

constexpr size_t kMaxCommand = 1 << 16;

/// A message of `size` bytes at `data` with room for three descriptors
/// (stdin, stdout, stderr) as SCM_RIGHTS, for sendmsg/recvmsg.
struct FdMessage {
  alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
  iovec iov;
  msghdr msg{};
  FdMessage(void* data, size_t size) : iov{data, size} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

int fail(const std::string& why) {
  std::string line = "sc: rsync transport: " + why + "\n";
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
  return 255;
}

}  // namespace

int rsync_transport_main(int argc, char** argv) {
  const std::string_view opt = argv[1];
  char* end = nullptr;
  const long fd = std::strtol(opt.data() + std::strlen(kRsyncTransportOption), &end, 10);
  if (fd < 3 || *end != '\0' || ::fcntl(static_cast<int>(fd), F_GETFD) < 0)
    return fail("this mode is for rsync started by sc (no transport descriptor " + std::string(opt) + ")");
  // rsync's words: [-l USER] [-4|-6] HOST COMMAND... The session sc holds
  // already decides the user and the address.
  int i = 2;
  while (i < argc && argv[i][0] == '-') {
    std::string_view w = argv[i];
    if (w == "-l" && i + 1 < argc)
      i += 2;
    else if (w == "-4" || w == "-6")
      ++i;
    else
      return fail("unexpected option \"" + std::string(w) + "\"");
  }
  if (i + 1 >= argc) return fail("no host and command given");
  // As ssh does: the words after the host form one command for the remote
  // shell (rsync quotes them for it).
  std::string command;
  for (int k = i + 1; k < argc; ++k) command += (k > i + 1 ? " " : "") + std::string(argv[k]);
  if (command.size() > kMaxCommand) return fail("the remote command is too long");

  const int fds[3] = {0, 1, 2};
  FdMessage m(command.data(), command.size());
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  const int sock = static_cast<int>(fd);
  ssize_t sent;
  do sent = ::sendmsg(sock, &m.msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return fail(std::string("cannot reach sc: ") + std::strerror(errno));
  int32_t status = 255;
  ssize_t got;
  do got = ::recv(sock, &status, sizeof status, 0);
  while (got < 0 && errno == EINTR);
  if (got != sizeof status) return fail("sc ended before the remote command did");
  return status >= 0 && status <= 255 ? status : 255;
}

RsyncTransport::~RsyncTransport() {
  finish();
  if (ours_ >= 0) ::close(ours_);
  if (theirs_ >= 0) ::close(theirs_);
}

bool RsyncTransport::open(std::string* err) {
  int sv[2];
  // Message boundaries keep the request (command + descriptors) and the
  // answer (status) whole. Only rsync's end is inherited.
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    *err = std::string("cannot create the socket for rsync's transport: ") + std::strerror(errno);
    return false;
  }
  ours_ = sv[0];
  theirs_ = sv[1];
  ::fcntl(theirs_, F_SETFD, 0);
  return true;
}

std::string RsyncTransport::rsh() const {
  // /proc/PID/exe is this very program even when its file was replaced
  // (an upgrade during a backup) or its path holds spaces.
  return "/proc/" + std::to_string(::getpid()) + "/exe " + kRsyncTransportOption + std::to_string(theirs_);
}

void RsyncTransport::serve(ssh::Connection& conn) {
  pollfd p{ours_, POLLIN, 0};
  int ready;
  do ready = ::poll(&p, 1, -1);
  while (ready < 0 && errno == EINTR);
  std::string command(kMaxCommand, '\0');
  FdMessage m(command.data(), command.size());
  msghdr& msg = m.msg;
  ssize_t n;
  do n = ::recvmsg(ours_, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return;    // stop(): rsync ended without starting its transport
  std::vector<int> fds;  // every descriptor received is ours to close
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const size_t before = fds.size();
      fds.resize(before + count);
      std::memcpy(fds.data() + before, CMSG_DATA(c), count * sizeof(int));
    }
  int32_t status = 255;
  if (fds.size() != 3 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
    error_ = "the transport process sent a malformed request";
  } else {
    command.resize(static_cast<size_t>(n));
    ssh::ExecResult r;
    if (conn.relay(command, fds[0], fds[1], fds[2], &r, &error_)) status = r.exit_code >= 0 ? r.exit_code : 255;
  }
  for (int fd : fds) ::close(fd);
  ::send(ours_, &status, sizeof status, MSG_NOSIGNAL);
}

void RsyncTransport::start(ssh::Connection& conn) {
  thread_ = std::thread([this, &conn] { serve(conn); });
}

void RsyncTransport::finish() {
  if (!thread_.joinable()) return;
  // rsync has ended, and with it its transport process unless that one is
  // still relaying (rsync was killed): wake a thread that waits for a
  // request; one that relays ends when the channel does.
  ::shutdown(ours_, SHUT_RD);
  thread_.join();
}

}  // namespace sc
