/*
 * sc/plugin.h - the whole binary interface between the synccluster core
 * (`sc`) and its module plugins.
 *
 * C99, self-contained, no allocation rules hidden: every function says who
 * owns what it returns. The reference is sdk/docs/ABI.md; this header and that
 * document change together.
 *
 * Compatibility rules (ABI major 1):
 *  - A plugin exports exactly one symbol, sc_plugin_entry, returning a
 *    descriptor (struct sc_plugin) that starts with SC_PLUGIN_MAGIC, the ABI
 *    major/minor the plugin was built against and the descriptor's size.
 *  - The host refuses a different major and a plugin minor newer than its own.
 *  - Structures only grow at their end within a major. Every structure that
 *    crosses the boundary starts with `struct_size`; a reader touches a member
 *    only when struct_size covers it (see SC_HAS_MEMBER).
 *  - Strings are UTF-8 and NUL-terminated. Strings handed to a function are
 *    valid only for the duration of that call unless stated otherwise.
 *  - Status codes: SC_OK (0), SC_FAIL (1), SC_USAGE (2).
 *  - No C++ exception and no longjmp may cross this interface.
 */
/* This header keeps its own layout (C pointer style, doc comments aligned
 * beside the constants), which clang-format would break up: formatting is
 * off for it, the only such file of the tree besides the frozen copies of
 * older headers under tests/abi/. */
/* clang-format off */
#ifndef SC_PLUGIN_H
#define SC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Versions and constants                                                 */
/* ---------------------------------------------------------------------- */

/** ABI version this header describes. History (sdk/docs/ABI.md): 1.0
 *  first release; 1.1 appended the peer services (peer_connect, peer_run,
 *  peer_sc, peer_fetch, rename) to sc_host_api, added sc_fetch (with
 *  link_dest and SC_FETCH_EXACT) and SC_RUN_INTERACTIVE, and let call()
 *  reach the core's `settings` and `help` commands; 1.2 appended the
 *  read services (stat_path, list_dir, open_read) and the tree clone
 *  (clone_start, clone_finish), and the fetch report (SC_FETCH_REPORT,
 *  SC_FETCH_LIST_ONLY, sc_fetch.report). */
#define SC_ABI_MAJOR 1
#define SC_ABI_MINOR 2

/** The ABI minor a plugin declares in its descriptor; it must equal the
 *  minor of the manifest's "abi". sc_add_plugin() defines it from the
 *  manifest, so a module whose manifest says "1.0" keeps loading as a 1.0
 *  plugin when built with a newer header. Without it: SC_ABI_MINOR. */
#ifndef SC_PLUGIN_ABI_MINOR
#define SC_PLUGIN_ABI_MINOR SC_ABI_MINOR
#endif

/** First member of every plugin descriptor: the bytes "SCPL" read as a
 *  little-endian 32-bit number. */
#define SC_PLUGIN_MAGIC 0x4c504353u

/** Name of the one symbol a plugin exports. */
#define SC_PLUGIN_ENTRY_NAME "sc_plugin_entry"

/** Command status codes. */
#define SC_OK 0    /**< success (for `ready` and `has`: yes) */
#define SC_FAIL 1  /**< failure (for `ready` and `has`: no) */
#define SC_USAGE 2 /**< bad arguments or bad input; nothing was changed */

/** True when a structure that starts with `uint32_t struct_size` is large
 *  enough to contain MEMBER. Use it before touching a member added in a later
 *  minor version. */
#ifdef __cplusplus
#define SC_HAS_MEMBER(ptr, type, member)                                   \
  ((ptr) != NULL && static_cast<size_t>((ptr)->struct_size) >=             \
                        offsetof(type, member) +                           \
                            sizeof(static_cast<type *>(0)->member))
#else
#define SC_HAS_MEMBER(ptr, type, member)                                   \
  ((ptr) != NULL && (size_t)(ptr)->struct_size >=                          \
                        offsetof(type, member) + sizeof(((type *)0)->member))
#endif

/** Symbol visibility for the entry point. Build plugins with
 *  -fvisibility=hidden so that this is the only exported symbol. */
#if defined(__GNUC__)
#define SC_EXPORT __attribute__((visibility("default")))
#else
#define SC_EXPORT
#endif

/* ---------------------------------------------------------------------- */
/* Host side                                                              */
/* ---------------------------------------------------------------------- */

/** Opaque handle to the running host. Passed back to every host service. */
typedef struct sc_host sc_host;

/** Run-mode bits returned by sc_host_api.mode(). */
#define SC_MODE_DRY_RUN 0x01u /**< --dry-run: nothing is changed or run */
#define SC_MODE_DIFF 0x02u    /**< --diff: file changes are shown as diffs */
#define SC_MODE_JSON 0x04u    /**< --json: output is machine readable */
#define SC_MODE_YES 0x08u     /**< --yes: yes/no questions answer yes */
#define SC_MODE_VERBOSE 0x10u /**< --verbose */
#define SC_MODE_ROOTED 0x20u  /**< --root DIR was given (DIR is not "/") */
#define SC_MODE_TTY 0x40u     /**< questions can be asked on a terminal */

/** Log levels for sc_host_api.log(). */
#define SC_LOG_ERROR 0
#define SC_LOG_WARN 1
#define SC_LOG_INFO 2
#define SC_LOG_DEBUG 3 /**< shown only with --verbose */

/** Flags for sc_host_api.setting_get(). */
#define SC_SETTING_PROMPT 0x01u /**< when unset: use --set, else ask on the
                                     terminal, then store the answer; without
                                     a terminal fail naming the setting */
#define SC_SETTING_NO_DEFAULT 0x02u /**< do not fall back to the manifest's
                                         default */

/** File attributes for the planned file actions. A NULL attribute pointer
 *  means: mode 0644 for files and 0755 for directories, owner and group
 *  root, not secret. */
typedef struct sc_file_attr {
  uint32_t struct_size; /**< sizeof(sc_file_attr) */
  uint32_t mode;        /**< permission bits, e.g. 0640 */
  const char *owner;    /**< user name looked up on the target tree; NULL: root */
  const char *group;    /**< group name; NULL: the owner's primary group */
  uint32_t flags;       /**< SC_FILE_* */
} sc_file_attr;

#define SC_FILE_SECRET 0x01u /**< contents are never shown in --diff */
#define SC_FILE_KEEP_ATTRS 0x02u /**< existing file: keep its mode/owner */

/** Flags for sc_host_api.remove(). */
#define SC_REMOVE_RECURSIVE 0x01u /**< remove a directory and its contents */

/** Flags for sc_run.flags. */
#define SC_RUN_READONLY 0x01u /**< the program only reads: it runs even
                                   under --dry-run and is not reported as an
                                   action */
#define SC_RUN_LIVE 0x02u     /**< acts on the running system (service
                                   restart, mount): under --root it is
                                   recorded, not run */
#define SC_RUN_CAPTURE_OUT 0x04u /**< collect stdout into sc_run.out */
#define SC_RUN_CAPTURE_ERR 0x08u /**< collect stderr into sc_run.err */
#define SC_RUN_SECRET_ARGS 0x10u /**< never show argv past argv[0] */
#define SC_RUN_INTERACTIVE 0x20u /**< stdin is sc's own (a terminal, or the
                                      data piped to sc) instead of /dev/null;
                                      `input` must be NULL. Since 1.1: a 1.0
                                      host ignores it (stdin is /dev/null) */

/** One program run: an argv vector, never a shell string. The caller fills
 *  the inputs; the host fills the outputs. */
typedef struct sc_run {
  uint32_t struct_size;     /**< sizeof(sc_run) */
  uint32_t flags;           /**< SC_RUN_* */
  const char *const *argv;  /**< NULL-terminated; argv[0] is looked up in PATH */
  const char *const *env;   /**< NULL or NULL-terminated "NAME=VALUE" items
                                 added to the environment */
  const char *cwd;          /**< NULL: the current directory */
  const char *input;        /**< bytes for stdin (NULL: /dev/null) */
  size_t input_size;
  uint32_t timeout_ms;      /**< 0: no limit; on expiry SIGTERM, then SIGKILL */
  /* outputs */
  int32_t exit_code;        /**< exit status, or -1 when killed by a signal or
                                 not run */
  int32_t term_signal;      /**< signal number when killed, else 0 */
  int32_t ran;              /**< 1 when the program ran, 0 when only planned
                                 (--dry-run, or SC_RUN_LIVE under --root) */
  char *out;                /**< captured stdout, NUL-terminated; free with
                                 sc_host_api.free */
  size_t out_size;
  char *err;                /**< captured stderr, likewise */
  size_t err_size;
} sc_run;

/** Kinds of questions for sc_host_api.ask(). */
#define SC_ASK_TEXT 0   /**< free text */
#define SC_ASK_YESNO 1  /**< answer "yes" or "no" */
#define SC_ASK_CHOICE 2 /**< one of `choices` */
#define SC_ASK_SECRET 3 /**< text read without echo */

/** Flags for sc_host_api.peer_connect() (ABI 1.1). */
#define SC_PEER_ADD 0x01u /**< link a new peer (`sshlink add`): an unknown
                               host key is shown and must be confirmed (or
                               --yes) before it is added to known_hosts; an
                               ed25519 key is created when the user has none;
                               when the peer refuses our key, its password is
                               asked once on the terminal and our public key
                               is appended to the peer's authorized_keys */

/** Flags for sc_fetch.flags (ABI 1.1). */
#define SC_FETCH_DELETE 0x01u /**< rsync --delete: inside the directories
                                   listed, remove what the peer no longer
                                   has */
#define SC_FETCH_EXACT 0x02u  /**< a faithful copy, as a backup needs:
                                   owners and groups kept as numbers
                                   (--numeric-ids), hard links kept
                                   (--hard-links), times compared to
                                   the nanosecond (--modify-window=-1);
                                   with SC_FETCH_DELETE, excluded files
                                   are removed from target_dir too
                                   (--delete-excluded, since 1.2) */
#define SC_FETCH_COMPARE 0x04u /**< compare only: would the copy change
                                    anything in target_dir? (rsync
                                    --dry-run --itemize-changes with the
                                    same options; the directories that
                                    only lead to a listed path are left
                                    out). Writes nothing, runs even under
                                    --dry-run; the answer is in `differs` */

#define SC_FETCH_REPORT 0x08u /**< (ABI 1.2) fill sc_fetch.report with what
                                   rsync changed (with SC_FETCH_COMPARE:
                                   would change), one record per item, each
                                   with the file's XXH3-128 checksum when it
                                   was copied */
#define SC_FETCH_LIST_ONLY 0x10u /**< (ABI 1.2) copy exactly the listed
                                      paths: a listed directory is made (with
                                      its attributes) but not entered; the
                                      directories leading to a listed path
                                      get their attributes too */

/** A copy of files from a peer with rsync over SSH (ABI 1.1). The
 *  caller fills the inputs; the host fills the outputs. */
typedef struct sc_fetch {
  uint32_t struct_size;         /**< sizeof(sc_fetch) */
  uint32_t flags;               /**< SC_FETCH_* */
  const char *peer;             /**< as for the peer services */
  const char *source_dir;       /**< directory on the peer the paths are
                                     relative to; NULL: "/" */
  const char *target_dir;       /**< directory of the target system that
                                     receives them (resolved under root());
                                     rsync creates its last level */
  const char *const *paths;     /**< NULL-terminated list of files and
                                     directories (copied recursively) on the
                                     peer, relative to source_dir; a leading
                                     '/' is allowed; ".." and control
                                     characters are refused */
  const char *const *excludes;  /**< NULL or NULL-terminated rsync exclude
                                     patterns */
  uint32_t bwlimit_kbps;        /**< 0: no limit; else KiB/s (rsync
                                     --bwlimit, with compression) */
  /* outputs */
  int32_t exit_code;            /**< rsync's exit status; -1 when not run */
  int32_t ran;                  /**< 1 when rsync ran, 0 when only planned */
  /* inputs added after the outputs, within 1.1 */
  const char *link_dest;        /**< NULL, or a directory of the target
                                     system (resolved under root()) holding
                                     an earlier copy: files unchanged since
                                     are hard-linked from it instead of
                                     copied (rsync --link-dest) */
  /* output added within 1.1 */
  int32_t differs;              /**< with SC_FETCH_COMPARE: 1 when the copy
                                     would change something, 0 when
                                     target_dir already matches the peer */
  /* outputs added in 1.2 */
  char *report;                 /**< with SC_FETCH_REPORT: NULL, or the items
                                     rsync reported, each as four
                                     NUL-terminated fields: the change as
                                     rsync itemizes it (11 characters such
                                     as ">f.st......", "cd+++++++++",
                                     ".f...p....." or "*deleting  "), the
                                     file's XXH3-128 checksum (32 lower-case
                                     hex digits, or empty when rsync did not
                                     copy its content), its size in bytes
                                     (decimal), and its path relative to
                                     target_dir ("." for target_dir itself;
                                     any byte but NUL, no trailing '/').
                                     Free it with sc_host_api.free */
  size_t report_size;           /**< bytes in `report` */
} sc_fetch;

/** Path types of sc_path_info.type (ABI 1.2). */
#define SC_PATH_MISSING 0 /**< nothing there */
#define SC_PATH_FILE 1    /**< regular file */
#define SC_PATH_DIR 2     /**< directory */
#define SC_PATH_SYMLINK 3 /**< symbolic link (not followed) */
#define SC_PATH_OTHER 4   /**< device, socket or FIFO */

/** Flags for sc_host_api.stat_path() (ABI 1.2). */
#define SC_STAT_FOLLOW 0x01u /**< a symlink as the last component is
                                  followed (inside root()) */

/** What is at a path of the target system (ABI 1.2). The caller sets
 *  struct_size; the host fills the rest. */
typedef struct sc_path_info {
  uint32_t struct_size; /**< sizeof(sc_path_info) */
  uint32_t type;        /**< SC_PATH_* */
  uint32_t mode;        /**< permission bits (07777) */
  uint32_t uid;
  uint32_t gid;
  uint32_t reserved;    /**< 0 */
  uint64_t size;        /**< bytes of a regular file (of its planned
                             content under --dry-run); for a symlink, the
                             length of the path it holds */
  int64_t mtime;        /**< modification time, seconds since the epoch */
  char *link;           /**< for a symlink: the path it holds (free it
                             with sc_host_api.free); otherwise NULL */
} sc_path_info;

/** A hard-link copy of a directory tree in progress (ABI 1.2): opaque,
 *  owned by the host until clone_finish(). */
typedef struct sc_clone sc_clone;

/** Flags for sc_host_api.clone_finish() (ABI 1.2). */
#define SC_CLONE_DISCARD 0x01u /**< stop the clone and remove what it made:
                                    nothing is changed, nothing recorded */

/** What a finished clone made (ABI 1.2). The caller sets struct_size. */
typedef struct sc_clone_stats {
  uint32_t struct_size; /**< sizeof(sc_clone_stats) */
  uint32_t reserved;    /**< 0 */
  uint64_t linked;      /**< files, symlinks and special files hard-linked */
  uint64_t copied;      /**< files copied because their link count was at
                             the file system's limit (EMLINK) */
  uint64_t dirs;        /**< directories made */
  uint64_t skipped;     /**< paths of `skip` that were there and left out */
} sc_clone_stats;

typedef struct sc_question {
  uint32_t struct_size;      /**< sizeof(sc_question) */
  int32_t kind;              /**< SC_ASK_* */
  const char *prompt;        /**< the question shown to the user */
  const char *default_value; /**< NULL: none */
  const char *const *choices; /**< SC_ASK_CHOICE: NULL-terminated list */
} sc_question;

/** The services the host offers. Passed to every command; valid until the
 *  command returns. Members after `log` may be absent in an older host: test
 *  with SC_HAS_MEMBER(api, sc_host_api, member) before calling one that was
 *  added in a minor version later than 1.0.
 *
 *  Every service that returns int returns SC_OK, SC_FAIL or SC_USAGE; on
 *  failure last_error() describes why. Strings returned through `char **`
 *  are allocated by the host and released with `free`. */
typedef struct sc_host_api {
  uint32_t struct_size; /**< sizeof(sc_host_api) of the host */
  uint16_t abi_major;   /**< host's SC_ABI_MAJOR */
  uint16_t abi_minor;   /**< host's SC_ABI_MINOR */

  /** Releases memory the host returned through a `char **` or in sc_run.
   *  NULL is accepted. */
  void (*free)(void *ptr);

  /** Message describing the last failed host service call of this command;
   *  host-owned, valid until the next host service call. Never NULL. */
  const char *(*last_error)(sc_host *host);

  /** SC_MODE_* bits of this run. */
  uint32_t (*mode)(sc_host *host);

  /** Directory every path is resolved under: "/" normally, DIR with
   *  --root DIR. Host-owned, valid for the whole command. */
  const char *(*root)(sc_host *host);

  /** Version of sc (the core), e.g. "1.2.0". Host-owned, static. */
  const char *(*version)(sc_host *host);

  /** Text for the user (stdout, or the "output" field under --json). */
  void (*print)(sc_host *host, const char *text);

  /** Sets the command's structured result: one JSON document (object,
   *  array, string, number...). Under --json it is the "result" field; in
   *  text mode it is printed only when the command printed nothing.
   *  Returns SC_USAGE when `json` does not parse. Last call wins. */
  int (*result)(sc_host *host, const char *json);

  /** Diagnostic to stderr, prefixed with the module name. */
  void (*log)(sc_host *host, int level, const char *message);

  /* -- settings -------------------------------------------------------- */

  /** Reads setting `name`. On SC_OK *value holds the value (free it). When
   *  the setting is unset and has no default (or SC_SETTING_NO_DEFAULT is
   *  given) returns SC_FAIL with *value NULL; with SC_SETTING_PROMPT the user
   *  is asked first. Secret settings are returned like any other: the
   *  plugin must not print them. */
  int (*setting_get)(sc_host *host, const char *name, uint32_t flags,
                     char **value);

  /** Stores setting `name` (validated against the owning manifest's type
   *  and choices). Under --dry-run the new value is visible to this run
   *  only. */
  int (*setting_set)(sc_host *host, const char *name, const char *value);

  /** Removes setting `name`; SC_OK when it was already unset. */
  int (*setting_unset)(sc_host *host, const char *name);

  /* -- other modules --------------------------------------------------- */

  /** Runs `module command argv...` in this process, loading the module and
   *  its requirements as needed. Returns the command's status. Since ABI
   *  1.1 `module` may be "settings": the core's own `sc settings` commands
   *  (list, print, get, set NAME VALUE, del, import FILE), which reach
   *  every module's settings, as on the command line; and "help", with
   *  command MODULE: the result is that module's manifest as JSON (name,
   *  version, commands, hooks, settings), its library not loaded. When
   *  `captured` is not NULL the callee's printed text and result are not
   *  shown; *captured receives the JSON object
   *  {"status":N,"output":"...","result":...,"error":"..."} (free it). */
  int (*call)(sc_host *host, const char *module, const char *command,
              int argc, const char *const *argv, char **captured);

  /** Runs hook `hook` of every installed module that declares it, in
   *  dependency order, loading only those modules. With `ready_only` set,
   *  modules whose `ready` command fails are skipped. When `captured` is
   *  not NULL it receives a JSON array of
   *  {"module":...,"status":N,"output":...,"result":...} (free it).
   *  Returns SC_FAIL when any hook failed (every hook still runs). */
  int (*broadcast)(sc_host *host, const char *hook, int argc,
                   const char *const *argv, int ready_only, char **captured);

  /* -- programs -------------------------------------------------------- */

  /** Runs a program (planned action; see SC_RUN_*). Returns SC_OK when it
   *  ran and exited 0 or was only planned, SC_FAIL otherwise (spawn
   *  failure, non-zero exit, signal, timeout); the details are in `run`. */
  int (*run)(sc_host *host, sc_run *run);

  /* -- planned file changes ---------------------------------------------
   * Paths are absolute paths of the target system; the host resolves them
   * under root(), refuses ".." and never follows a symlink out of root.
   * Each call is reported as "ok" (already so) or "changed"; under
   * --dry-run nothing is touched and the change is reported as planned. */

  /** Writes a whole file atomically (temporary file, fsync, rename) with
   *  the given attributes. Parent directories must exist. */
  int (*write_file)(sc_host *host, const char *path, const char *data,
                    size_t size, const sc_file_attr *attr);

  /** Removes a file, symlink or empty directory (SC_REMOVE_RECURSIVE: any
   *  directory). A missing path is "ok". */
  int (*remove)(sc_host *host, const char *path, uint32_t flags);

  /** Creates a directory and its missing parents; applies `attr` to the
   *  last one. */
  int (*make_dir)(sc_host *host, const char *path, const sc_file_attr *attr);

  /** Makes `path` a symlink to `target` (target stored as given). */
  int (*symlink)(sc_host *host, const char *target, const char *path);

  /** Sets mode and owner of an existing path. */
  int (*set_attr)(sc_host *host, const char *path, const sc_file_attr *attr);

  /** Reads a file of the target system. SC_FAIL when it does not exist or
   *  cannot be read. *data is NUL-terminated (free it). Under --dry-run a
   *  file written earlier in the same run reads as planned. */
  int (*read_file)(sc_host *host, const char *path, char **data,
                   size_t *size);

  /** Resolves a target-system path to the path on this machine (under
   *  root()), for handing to a program. *real must be freed. */
  int (*resolve_path)(sc_host *host, const char *path, char **real);

  /* -- user ------------------------------------------------------------ */

  /** Asks the user. *answer receives the answer (free it); "yes"/"no" for
   *  SC_ASK_YESNO. Without a terminal: SC_ASK_YESNO answers "yes" under
   *  --yes, every other case fails with a message naming the question. */
  int (*ask)(sc_host *host, const sc_question *question, char **answer);

  /* -- peers (ABI 1.1) --------------------------------------------------
   * `peer` names another host as the administrator writes it for ssh:
   * "host", "user@host", "host:port", "user@host:port", "[v6addr]:port" or
   * a Host alias of ~/.ssh/config; a malformed name gives SC_USAGE. The host
   * opens one SSH connection per peer per sc run, at first use, and reuses
   * it for every call; a failed connection is not retried in the same run.
   * Authentication: the keys in ~/.ssh of the user running sc ($HOME;
   * id_ed25519 first, id_rsa accepted) or ssh-agent. Host keys are checked
   * against ~/.ssh/known_hosts: an unknown key is refused (except by
   * SC_PEER_ADD), a changed key is always refused with its fingerprint and
   * the file and line to fix. Connecting gives up after the
   * SSHLINK_CONNECT_TIMEOUT setting (seconds, default 2). On failure
   * last_error() names the peer, the reason and the fix. */

  /** Connects to `peer` (or reuses the connection) and authenticates with
   *  a key. SC_OK: linked; SC_FAIL: unreachable, unknown or changed host
   *  key, key refused... With SC_PEER_ADD the link is made (see the flag);
   *  each change (new key pair, known_hosts entry, authorized_keys line)
   *  is an action, only planned under --dry-run. */
  int (*peer_connect)(sc_host *host, const char *peer, uint32_t flags);

  /** Runs argv on `peer`. The host quotes every word for the peer's POSIX
   *  shell, so any byte but NUL passes through unchanged; `env` items are
   *  set with env(1) and `cwd` entered first. Inputs, flags and outputs are
   *  those of run(), except: SC_RUN_LIVE is ignored, SC_RUN_INTERACTIVE is
   *  SC_USAGE (give `input` instead); without SC_RUN_READONLY
   *  the run is an action, only planned under --dry-run (it still runs
   *  under --root, which confines this host only); uncaptured output is
   *  relayed as it comes. Returns SC_OK when it exited 0 or was planned,
   *  SC_FAIL otherwise (connection failure: exit_code -1, ran 0). */
  int (*peer_run)(sc_host *host, const char *peer, sc_run *run);

  /** Runs `sc --json [--dry-run] [--yes] -- argv...` on `peer` (the
   *  program named by the SSHLINK_REMOTE_SC setting, default "sc" in the
   *  peer's PATH), each word quoted. With SC_RUN_READONLY in `flags` the
   *  call runs as is under --dry-run; otherwise the peer is given --dry-run
   *  when this run has it, and what the peer changed (or would change) is
   *  logged. SC_RUN_SECRET_ARGS hides the arguments in messages. On return *document holds the peer's JSON document ("status",
   *  "output", "result", "error", "log", "actions", "summary"; free it) and
   *  the peer's status is returned (0, 1, 2 or 3). When the peer's sc could
   *  not be run or gave no document, *document is NULL and SC_FAIL is
   *  returned. */
  int (*peer_sc)(sc_host *host, const char *peer, int argc,
                 const char *const *argv, uint32_t flags, char **document);

  /** Copies files from a peer with rsync, whose transport is a channel of
   *  the run's SSH connection to the peer (the one the other peer services
   *  use: no second login), `--files-from` the list (a list of just "."
   *  copies source_dir itself), never through a shell. A planned action under --dry-run; progress is shown
   *  when stdout is a terminal (and not --json). Returns SC_OK when rsync
   *  exited 0; SC_FAIL otherwise, last_error() giving rsync's status and
   *  its meaning; SC_USAGE for a bad peer, path or pattern. */
  int (*peer_fetch)(sc_host *host, sc_fetch *fetch);

  /** Renames `from` to `to` (paths of the target system, in the same file
   *  system), atomically, never replacing an existing `to`: how a finished
   *  piece of work (a snapshot written under a temporary name) is put in
   *  place. A planned action; under --dry-run the plan of later calls does
   *  not follow the rename. SC_FAIL when `from` is missing or `to` exists.
   *  (ABI 1.1) */
  int (*rename)(sc_host *host, const char *from, const char *to);

  /* -- reading the target system (ABI 1.2) -----------------------------
   * Paths are resolved as for the file actions: under root(), ".." refused,
   * symlinks never followed out of root(). */

  /** Fills *info with what is at `path` (under --dry-run, as this run
   *  planned it). A missing path is SC_OK with type SC_PATH_MISSING;
   *  SC_USAGE for an invalid path; SC_FAIL when it cannot be looked at. */
  int (*stat_path)(sc_host *host, const char *path, uint32_t flags,
                   sc_path_info *info);

  /** The names in directory `path` (not "." and ".."), sorted, each
   *  followed by a NUL, in *names (free it; NULL when empty) and their
   *  total size in *size. Under --dry-run what this run planned to make or
   *  remove there is seen. SC_FAIL when it is missing or not a directory. */
  int (*list_dir)(sc_host *host, const char *path, char **names,
                  size_t *size);

  /** Opens `path` for reading only, through root() (every directory on the
   *  way opened without following a symlink out of it): a regular file, or
   *  a directory to walk with the *at() calls (openat with O_NOFOLLOW,
   *  fstatat with AT_SYMLINK_NOFOLLOW), for a module that streams or
   *  hashes what is on disk (not what --dry-run planned). *fd receives the
   *  descriptor (close-on-exec); the caller closes it. */
  int (*open_read)(sc_host *host, const char *path, int *fd);

  /** Starts making `to` a copy of the directory tree `from` in which every
   *  file, symlink and special file is a hard link to the original and
   *  every directory is new with the owner, mode and times of its original:
   *  what rsync --link-dest makes of an unchanged tree. The work runs in a
   *  thread of the host, so the command can do something else meanwhile
   *  (run a comparison with peer_fetch); nothing appears at `to` before
   *  clone_finish() puts the complete copy in place. `to` must not exist
   *  and its parent must; callers serialize clones to one `to`. Returns at
   *  once: *clone receives the handle (also under --dry-run, where nothing
   *  is done). SC_USAGE for invalid paths, SC_FAIL when `from` is not a
   *  directory or `to` exists. A clone the command does not finish is
   *  discarded when the command returns. */
  int (*clone_start)(sc_host *host, const char *from, const char *to,
                     sc_clone **clone);

  /** Waits for the clone, leaves out `skip` (NULL, or a NULL-terminated
   *  list of paths relative to `from`, each removed from the copy with
   *  everything below it), and puts the copy in place at `to`: one
   *  action, "clone", planned under --dry-run (the plan of later calls does
   *  not see the copy). With SC_CLONE_DISCARD the clone is stopped and its
   *  work removed instead. `stats` may be NULL. Releases `clone` in every
   *  case. SC_FAIL (last_error() says why) when the copy failed; nothing is
   *  left at `to` then. */
  int (*clone_finish)(sc_host *host, sc_clone *clone, uint32_t flags,
                      const char *const *skip, sc_clone_stats *stats);
} sc_host_api;

/* ---------------------------------------------------------------------- */
/* Plugin side                                                            */
/* ---------------------------------------------------------------------- */

/** Everything a command receives. Valid until the command returns. */
typedef struct sc_call {
  uint32_t struct_size;       /**< sizeof(sc_call) of the host */
  const sc_host_api *api;     /**< host services */
  sc_host *host;              /**< first argument of every service */
  const char *module;         /**< this module's name */
  const char *command;        /**< the command (or hook) being run */
  int32_t argc;               /**< number of arguments after the command */
  const char *const *argv;    /**< the arguments; argv[argc] is NULL */
  char *error;                /**< host-owned buffer for a one-line error
                                   message when returning non-zero */
  size_t error_size;          /**< size of `error` in bytes, NUL included */
} sc_call;

/** A command or hook implementation. Returns SC_OK, SC_FAIL or SC_USAGE. */
typedef int (*sc_command_fn)(const sc_call *call);

typedef struct sc_command {
  const char *name;  /**< command or hook name as in the manifest */
  sc_command_fn run;
} sc_command;

/** The descriptor returned by sc_plugin_entry. It and everything it points
 *  to must stay valid until the library is unloaded (static storage). */
typedef struct sc_plugin {
  uint32_t magic;        /**< SC_PLUGIN_MAGIC */
  uint16_t abi_major;    /**< SC_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;    /**< SC_PLUGIN_ABI_MINOR: the minor of the
                              manifest's "abi" */
  uint32_t struct_size;  /**< sizeof(sc_plugin) the plugin was built with */
  const char *name;      /**< module name; must equal the manifest's */
  const char *version;   /**< module version; must equal the manifest's */
  const sc_command *commands; /**< commands and hooks */
  uint32_t command_count;
  /* -- end of the mandatory part (SC_PLUGIN_MIN_SIZE) ------------------ */

  /** Optional (NULL or beyond struct_size: none). Called once after
   *  loading, before any command. Non-zero refuses the plugin; write the
   *  reason into `error`. */
  int (*init)(const sc_host_api *api, sc_host *host, char *error,
              size_t error_size);

  /** Optional. Called once before the library is unloaded. */
  void (*fini)(void);
} sc_plugin;

/** Smallest descriptor the host accepts: everything up to command_count. */
#define SC_PLUGIN_MIN_SIZE                                                 \
  (offsetof(sc_plugin, command_count) + sizeof(uint32_t))

/** The one exported symbol. Returns a descriptor with static storage
 *  duration, or NULL when the plugin cannot run (the host then refuses it).
 *  Must not have side effects: the host may call it more than once. */
typedef const sc_plugin *(*sc_plugin_entry_fn)(void);

SC_EXPORT const sc_plugin *sc_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* SC_PLUGIN_H */
