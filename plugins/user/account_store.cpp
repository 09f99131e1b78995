#include "account_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace useracct {
namespace {

constexpr File kOrder[] = {File::group, File::gshadow, File::passwd, File::shadow};

}  // namespace

PwdLock::PwdLock(const std::string& real_path, int timeout_ms) {
  // A lock (the shadow tools' /etc/.pwd.lock), the one file this module
  // opens itself: fcntl() write locks need a descriptor open for writing,
  // which the host's open_read() does not give. O_NOFOLLOW: never through
  // a symlink.
  fd_ = ::open(real_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) throw sc::Failure("cannot open the account lock " + real_path + ": " + std::strerror(errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Polling instead of F_SETLKW with alarm(): no signal handler inside the
  // host process.
  while (::fcntl(fd_, F_SETLK, &fl) != 0) {
    int e = errno;
    if ((e != EACCES && e != EAGAIN && e != EINTR) || std::chrono::steady_clock::now() >= deadline) {
      ::close(fd_);
      fd_ = -1;
      throw sc::Failure("cannot lock the account files (" + real_path + "): " +
                        (e == EACCES || e == EAGAIN
                             ? std::string("another program (useradd, passwd, vipw or sc) holds the lock; try again "
                                           "when it is done")
                             : std::string(std::strerror(e))));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

PwdLock::~PwdLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the fcntl lock
}

std::vector<File> commit_files(const std::map<File, std::string>& before, const Db& after, const FileWriter& write) {
  std::vector<File> written;
  for (File f : kOrder) {
    std::string text = after.table(f).text();
    auto old = before.find(f);
    if (old != before.end() && old->second == text) continue;
    try {
      write(f, text);
    } catch (const std::exception& e) {
      std::string rollback;
      for (auto it = written.rbegin(); it != written.rend(); ++it) {
        try {
          write(*it, before.at(*it));
        } catch (const std::exception& again) {
          rollback += std::string("; ") + path_of(*it) + " could not be put back: " + again.what();
        }
      }
      throw sc::Failure(std::string("writing ") + path_of(f) + " failed: " + e.what() +
                        (written.empty()    ? "; no account file was changed"
                         : rollback.empty() ? "; the account files written before it were put back"
                                            : rollback));
    }
    written.push_back(f);
  }
  return written;
}

AccountStore::AccountStore(const sc::Context& ctx, bool for_edit) : ctx_(ctx) {
  if (for_edit && !ctx.dry_run()) lock_.emplace(ctx.resolve_path("/etc/.pwd.lock"), 15000);
  for (File f : kOrder) {
    auto text = ctx.read_file(path_of(f));
    if (!text)
      throw sc::Failure(
          std::string(path_of(f)) + " cannot be read" + (ctx.rooted() ? " under " + ctx.root() : std::string()) +
          "; sc needs passwd, shadow, group and gshadow (create the shadow files with pwconv and grpconv)");
    std::string err;
    auto table = Table::parse(f, *text, &err);
    if (!table) throw sc::Failure(err);
    db_.table(f) = std::move(*table);
    text_[f] = *text;
  }
}

void AccountStore::commit(const Db& next) {
  std::set<std::string> had = problems(db_);
  std::string added;
  for (const auto& p : problems(next))
    if (!had.count(p)) added += (added.empty() ? "" : "; ") + p;
  if (!added.empty()) throw sc::Failure("refusing to write inconsistent account files: " + added);
  const bool shadow_group = next.group.find("shadow") != nullptr;
  commit_files(text_, next, [&](File f, const std::string& text) {
    sc::FileAttr a;
    if (f == File::passwd || f == File::group) {
      a.mode = 0644;
      a.group = "root";
    } else {
      a.mode = shadow_group ? 0640 : 0600;
      a.group = shadow_group ? "shadow" : "root";
      a.secret = true;  // password hashes never appear in --diff
    }
    ctx_.write_file(path_of(f), text, a);
  });
  db_ = next;
  for (File f : kOrder) text_[f] = next.table(f).text();
}

}  // namespace useracct
