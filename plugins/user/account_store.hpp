// The target's account files for one read-modify-write: locked as the
// shadow tools lock them, read, and replaced file by file through the
// host's planned write action, with a roll-back when a write fails.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <sc/plugin.hpp>
#include <string>
#include <vector>

#include "account_db.hpp"

namespace useracct {

/// Holds a lock on a file as lckpwdf(3) does on /etc/.pwd.lock: the file is
/// created (0600) when missing and write-locked with fcntl over its whole
/// length, so useradd, passwd, vipw (which call lckpwdf) and another sc wait
/// for each other. Released on destruction.
class PwdLock {
 public:
  /// Locks `real_path` (a path on this machine), waiting up to
  /// `timeout_ms` (lckpwdf waits 15 s). Throws sc::Failure naming the file.
  PwdLock(const std::string& real_path, int timeout_ms);
  ~PwdLock();
  PwdLock(PwdLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  PwdLock& operator=(PwdLock&&) = delete;
  PwdLock(const PwdLock&) = delete;
  PwdLock& operator=(const PwdLock&) = delete;

 private:
  int fd_ = -1;
};

/// Writes one account file (text) or throws.
using FileWriter = std::function<void(File file, const std::string& text)>;

/// Writes the files whose text differs between `before` and `after`, in
/// the order group, gshadow, passwd, shadow. When a write throws, the files
/// already written get their old text back (best effort, each attempt
/// independent) and the exception is rethrown with that said. Returns the
/// files written.
std::vector<File> commit_files(const std::map<File, std::string>& before, const Db& after, const FileWriter& write);

/// The target's account database, opened for reading or for one edit.
class AccountStore {
 public:
  /// Reads the four files of the target (under --dry-run: as planned by this
  /// run). `for_edit` takes the target's /etc/.pwd.lock first (not under
  /// --dry-run, which changes nothing) and holds it until destruction.
  /// Throws sc::Failure when a file is missing or malformed.
  AccountStore(const sc::Context& ctx, bool for_edit);

  const Db& db() const { return db_; }

  /// Replaces the files changed in `next`, each atomically, passwd and
  /// group 0644 root:root, shadow and gshadow 0640 root:shadow (0600
  /// root:root on a system without a shadow group). Refused (sc::Failure,
  /// nothing written) when `next` has a problem the files did not have.
  /// The store then holds `next`.
  void commit(const Db& next);

 private:
  const sc::Context& ctx_;
  std::optional<PwdLock> lock_;
  Db db_;
  std::map<File, std::string> text_;
};

}  // namespace useracct
