#!/usr/bin/env python3
"""The hostile-input campaign (issue 12): every command of every installed
module, every argument position its usage shows (and one extra), each
string of a hostile corpus, run as `sc --root TMPROOT MODULE COMMAND ...`.

The commands come from the built plugins' manifests (PLUGIN_DIR/*.json:
"commands" with "name", "usage", "changes_host"), so a new module joins the
campaign by its manifest alone. Per run it checks:

  a. no crash: a status below 128 and no "internal error";
  b. status 2 => the root's tree is unchanged, and stderr is not empty and
     names the argument (its usage name or its value);
  c. no injected command ran: the canaries `$(touch CANARY)`, backticks and
     `; touch CANARY` never create CANARY;
  d. status 0 of a command whose manifest says changes_host=false => the
     root's tree is unchanged;
  e. nothing is written outside the root: the temporary HOME (but for the
     commands that make our SSH key) and the working directory stay as they
     were;
  f. stderr holds no raw control character but newline and tab (a
     message escapes them);

and, where a module keeps a hostile string as a value and can read it back,
an exact round trip (ROUND_TRIPS).

A failure listed in KNOWN_FAILURES (problems of the core, for the engineer
fixing the core) is reported as known and does not fail the run; every
other failure does. Usage:

  campaign.py --sc BUILD/bin/sc --plugins BUILD/lib/sc [--module NAME]...
              [--jobs N] [--verbose]
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

# ---- the corpus ----------------------------------------------------------------

# Every string is bytes (argv on Linux is bytes: non-UTF-8 too). CANARY is
# replaced by an absolute path outside the root, checked after every run.
# No entry is a global option of sc (-n, -y, -v, --root...): those are
# sc's, before `--`, by design.
CORPUS_TEMPLATES = [
    ("single-quote", b"it's"),
    ("double-quote", b'a"b'),
    ("semicolon-canary", b"x; touch CANARY"),
    ("subst-canary", b"$(touch CANARY)"),
    ("backtick-canary", b"`touch CANARY`"),
    ("quote-break-canary", b"'; touch CANARY; '"),
    ("and-canary", b"x && touch CANARY"),
    ("pipe-redirect", b"a|b&c>d<e"),
    ("newline", b"new\nline"),
    ("carriage-return", b"a\rb"),
    ("tab", b"a\tb"),
    ("escape", b"\x1b[31mred\x1b]0;title\x07"),
    ("control", b"a\x01b\x7f"),
    ("non-utf8", b"\xff\xfe\xc3("),
    ("unicode", "ünïcødé-名前".encode()),
    ("leading-dash", b"-rf"),
    ("leading-double-dash", b"--no-such-option"),
    ("empty", b""),
    ("space", b"with space"),
    ("dotdot", b"../../etc"),
    ("glob", b"*"),
    ("dollar-var", b"$HOME"),
    ("backslash", b"\\back\\slash"),
    ("percent", b"%s%n%x"),
    ("100kB", b"a" * 100_000),
    ("dns-label-64", b"a" * 64 + b".example.com"),
    ("dns-name-254", (b"a" * 50 + b".") * 5 + b"example.com"),
    ("double-at", b"a@b@c"),
    ("bad-port", b"host:port"),
    ("brackets", b"[not-ipv6]"),
]

# ---- arguments that reach the checks -------------------------------------------------

# A valid value per usage placeholder, so that the other positions of a run
# pass and the substituted one is what a command sees first. Peers are a
# closed loopback port: refused at once, no DNS, no network.
FILLERS = {
    "HOST": "127.0.0.1:1",
    "MASTER": "127.0.0.1:1",
    "PERIOD": "daily",
    "MODULE": "version",
    "COMMAND": "show",
    "ARGS": "x",
    "NAME": "version",
    "INSTANCE": "one",
    "FQDN": "node2.example.com",
    "PACKAGE": "coreutils",
    "USER": "alice",
    "DATABASE": "alicedb",
    "FILE": "/srv/none.sql",
    "LOGIN": "alice",
    "GROUP": "staff",
    "SOURCE": "/srv/snap",
    "TIME": "2026-01-01",
    "SNAPSHOT": "2026-01-01T00-00-00",
    "PATH": "/srv/data",
    "TARGET": "/srv/target",
    "OLD": "0.1.0",
    "NEW": "0.2.0",
    "MODE": "master",
    "KBPS": "100",
    "SERVER": "nfs.example.com",
    "REMOTE": "/srv/data",
    "CLIENT": "client1.example.com",
    "LOCAL": "/srv/data",
    "URL": "file:///srv/none.tar.bz2",
    "SHA256": "0" * 64,
}
# (module, command, placeholder) -> value, where the generic one does not fit.
FILLER_OVERRIDES = {
    ("sshlink", "getvar", "NAME"): "FQDN",
    ("sshlink", "getfiles", "FILE"): "etc/hostname",
    ("unisonsync", "resolve", "keep-local|keep-remote|keep-both"): "keep-both",
    ("master", "hostadd", "PEER"): "c1.example.com",
    ("master", "hostadd", "ROLE"): "client",
    ("master", "hostdel", "PEER"): "c1.example.com",
    # status --all and exec --all: a short deadline, one host at a time.
    ("master", "status", "SECONDS"): "1",
    ("master", "status", "N"): "1",
    ("master", "exec", "SECONDS"): "1",
    ("master", "exec", "N"): "1",
}

# Commands allowed to change the temporary HOME: they make our SSH key
# pair (~/.ssh) before they reach the peer.
KEY_COMMANDS = {("sshlink", "add"), ("backup", "add"), ("unisonsync", "add"), ("unisonsync", "start")}

# Exact round trips: after `MODULE COMMAND ...` succeeded with the hostile
# string at placeholder P, `MODULE LIST --json` must hold it unchanged in
# the field F of one of its result items.
ROUND_TRIPS = {
    ("crontask", "add", "ARGS"): ("list", "args"),
    ("daemon", "add", "INSTANCE"): ("list", "instance"),
    ("master", "hostadd", "PEER"): ("hosts", "peer"),
}

# ---- failures that belong to the core (not fixed here) -------------------------------

# (module, command, placeholder or "*", corpus name or "*", check) -> why.
# check is one of: crash, refused-changed, refused-silent, refused-unnamed,
# canary, readonly-changed, outside-root, round-trip, timeout, raw-control.
KNOWN_FAILURES = {
    # (module, command, place, corpus entry, check) patterns, "*" for any,
    # each with the reason: none left. The two core classes first listed
    # here (a message over 2 kB losing its end; control characters of a
    # message reaching the terminal) were fixed in the core and the SDK.
}


def known(module, command, place, corpus, check):
    for (m, c, p, s, k), why in KNOWN_FAILURES.items():
        if m in ("*", module) and c in ("*", command) and p in ("*", place) and s in ("*", corpus) and k == check:
            return why
    return None


# ---- the prepared root -----------------------------------------------------------------


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, mode)


def make_root(root):
    """A small Debian-like tree with the settings every module's commands
    need to reach their argument checks."""
    write(f"{root}/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
    write(f"{root}/etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640)
    write(f"{root}/etc/group", "root:x:0:\nshadow:x:42:\nsudo:x:27:\n")
    write(f"{root}/etc/gshadow", "root:*::\nshadow:*::\nsudo:*::\n", 0o640)
    write(f"{root}/etc/.pwd.lock", "", 0o600)
    write(f"{root}/etc/hostname", "node1\n")
    write(f"{root}/etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tnode1.example.com node1\n")
    write(f"{root}/etc/machine-id", "0123456789abcdef0123456789abcdef\n")
    write(f"{root}/usr/sbin/cron", "", 0o755)  # a cron daemon: crontask installs none
    os.makedirs(f"{root}/etc/cron.d", exist_ok=True)
    os.makedirs(f"{root}/srv/backup", exist_ok=True)
    os.chmod(f"{root}/srv/backup", 0o700)
    os.makedirs(f"{root}/srv/data", exist_ok=True)
    os.makedirs(f"{root}/root", exist_ok=True)
    write(f"{root}/etc/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
    # A backup (SOURCE, /srv/snap) holding the accounts and --path /srv/data.
    os.makedirs(f"{root}/srv/snap/fs/etc")
    for name in ("passwd", "group", "shadow", "gshadow"):
        shutil.copy2(f"{root}/etc/{name}", f"{root}/srv/snap/fs/etc/{name}")
    write(f"{root}/srv/snap/fs/srv/data/file", "data\n")
    settings = {
        "FQDN": "node1.example.com",
        "BACKUP_DIR": "/srv/backup",
        "BACKUP_LOCK_WAIT": "1",
        "DB_PGHOST": "/nonexistent/postgresql",  # a socket directory no server uses
        "DB_PGPORT": "1",
        "UPDATE_URL": "file:///nonexistent/sc-release.tar",
        "SSHLINK_CONNECT_TIMEOUT": "2",
    }
    text = "# sc-settings 1\n" + "".join(f"{k}={json.dumps(v)}\n" for k, v in settings.items())
    write(f"{root}/etc/sc", text, 0o600)


def tree_hash(top):
    """Every path, type, mode, owner, link target and content under top."""
    rows = []
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            row = f"{os.path.relpath(p, top)}\t{st.st_mode:o}\t{st.st_uid}:{st.st_gid}\t"
            if stat.S_ISLNK(st.st_mode):
                row += os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    row += hashlib.sha256(f.read()).hexdigest()
            rows.append(row)
    return "\n".join(sorted(rows))


# ---- usages --------------------------------------------------------------------------------


def parse_usage(usage):
    """The elements of a usage line: ("flag", text) or ("value", name,
    placeholder). Optional parts are included; "A|B" keeps A (or, for
    options, the first one without a value on the command line: a
    password never goes there); "X..." is one X."""
    elements = []
    depth = 0
    last_flag_depth = None
    for tok in (usage or "").split():
        opened = 0
        while tok.startswith("["):
            tok, opened = tok[1:], opened + 1
        depth += opened
        closed = 0
        while tok.endswith("]") and tok.count("]") > tok.count("["):
            tok, closed = tok[:-1], closed + 1
        repeat = tok.endswith("...")
        tok = tok[:-3] if repeat else tok
        if tok.startswith("--"):
            alts = tok.split("|")
            flag = next((a for a in alts if "=" not in a), alts[0])
            elements.append(("flag", flag))
            last_flag_depth = depth
        elif tok:
            name = re.match(r"[A-Z_]*", tok).group(0) or tok
            flag_value = last_flag_depth == depth and depth > 0
            place = elements[-1][1] + " " + tok if flag_value else tok
            elements.append(("value", name, place, flag_value, repeat))
            last_flag_depth = None
        depth -= closed
    return elements


def base_args(module, command, elements):
    out = []
    for e in elements:
        if e[0] == "flag":
            out.append(e[1].encode())
        else:
            value = FILLER_OVERRIDES.get((module, command, e[1]), FILLERS.get(e[1], "x"))
            out.append(value.encode())
    return out


# ---- one run ------------------------------------------------------------------------------


class Worker:
    """A root, a HOME and a working directory of its own, reset when a run
    changed them."""

    def __init__(self, top, template_root, template_hash):
        self.dir = tempfile.mkdtemp(prefix="w", dir=top)
        self.root = os.path.join(self.dir, "root")
        self.home = os.path.join(self.dir, "home")
        self.cwd = os.path.join(self.dir, "cwd")
        self.template_root = template_root
        self.template_hash = template_hash
        self.reset()

    def reset(self):
        for d in (self.root, self.home, self.cwd):
            if os.path.lexists(d):
                shutil.rmtree(d)
        shutil.copytree(self.template_root, self.root, symlinks=True)
        os.makedirs(self.home)
        os.makedirs(self.cwd)


def shown(argv):
    def one(a):
        s = a.decode("utf-8", "backslashreplace")
        s = s if len(s) <= 80 else s[:40] + f"...({len(a)} bytes)"
        return repr(s) if re.search(r"[^A-Za-z0-9._/:@=+-]", s) or not s else s

    return " ".join(one(a) for a in argv)


def names_argument(err, value, place):
    """Whether a refusal names the argument: its usage name, or its value
    (or, for a value with control characters, which a message escapes, its
    longest printable part)."""
    low = err.lower()
    if place in ("extra", "ARGS"):
        # One argument too many, or arguments handed on to another command.
        words = ["usage", "argument", "too many", "unknown", "option"]
    else:
        words = [w.lower() for w in re.findall(r"[A-Z]{2,}", place)]
    words += re.findall(r"--[a-z-]+", place)
    if any(w and w in low for w in words):
        return True
    if value == b"":
        return '""' in err or "empty" in low
    text = value.decode("utf-8", "replace")
    if text in err:
        return True
    # A long value is cut in the middle of a message (its start and the
    # message's end are kept): its start names it.
    if len(text) > 1000 and text[:64] in err:
        return True
    # Control characters and bytes that are not UTF-8 are escaped (or
    # replaced) in messages, a newline followed by an indent: any short
    # sequence may stand for each.
    parts = re.split(r"[\x00-\x1f\x7f\ufffd]+", text)
    return re.search(".{1,8}".join(re.escape(p) for p in parts), err, re.DOTALL) is not None


class Campaign:
    def __init__(self, sc, plugins, top, verbose):
        self.sc = sc
        self.plugins = plugins
        self.top = top
        self.verbose = verbose
        self.canary = os.path.join(top, "canary")
        self.corpus = [(n, t.replace(b"CANARY", self.canary.encode())) for n, t in CORPUS_TEMPLATES]
        self.template = os.path.join(top, "template")
        make_root(self.template)
        self.template_hash = tree_hash(self.template)

    def sc_argv(self, root, words):
        return [self.sc.encode(), b"--plugin-path", self.plugins.encode(), b"--root", root.encode()] + words

    def run(self, worker, words):
        env = dict(os.environ)
        env.update(HOME=worker.home, TMPDIR=worker.dir, LC_ALL="C.UTF-8")
        env.pop("SSH_AUTH_SOCK", None)
        try:
            p = subprocess.run(
                self.sc_argv(worker.root, words),
                input=b"Hostile-Pw-1\n",  # for --password-stdin
                capture_output=True,
                env=env,
                cwd=worker.cwd,
                timeout=60,
            )
        except subprocess.TimeoutExpired:
            return None, b"", b""
        status = p.returncode if p.returncode >= 0 else 128 - p.returncode
        return status, p.stdout, p.stderr

    def case(self, worker, cmd, args, place, corpus_name, value):
        """Runs one case; returns a list of (check, detail)."""
        module, command = cmd["module"], cmd["name"]
        words = [module.encode(), command.encode()] + args
        if tree_hash(worker.root) != worker.template_hash or os.listdir(worker.home) or os.listdir(worker.cwd):
            worker.reset()
        before = tree_hash(worker.root)
        home_before = tree_hash(worker.home)
        status, out, err_b = self.run(worker, words)
        err = err_b.decode("utf-8", "replace")
        after = tree_hash(worker.root)
        problems = []
        if status is None:
            problems.append(("timeout", "no answer within 60 s"))
            return problems, words, status, err
        if status >= 128 or "internal error" in err.lower():
            problems.append(("crash", f"status {status}"))
        if status == 2:
            if after != before:
                problems.append(("refused-changed", "status 2 but the tree changed"))
            if not err.strip():
                problems.append(("refused-silent", "status 2 with an empty message"))
            elif not names_argument(err, value, place):
                problems.append(("refused-unnamed", "the message names neither " + place + " nor the value"))
        if re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", err_b):
            problems.append(("raw-control", "stderr holds a raw control character (ESC, CR, BEL...)"))
        if os.path.lexists(self.canary) or os.path.lexists(os.path.join(worker.cwd, "CANARY")):
            problems.append(("canary", "an injected command ran"))
            for c in (self.canary, os.path.join(worker.cwd, "CANARY")):
                if os.path.lexists(c):
                    os.remove(c)
        if status == 0 and not cmd.get("changes_host", False) and after != before:
            problems.append(("readonly-changed", "changes_host=false, status 0, but the tree changed"))
        home_after = tree_hash(worker.home)
        if status == 2 and home_after != home_before:
            problems.append(("refused-changed", "status 2 but the temporary HOME changed"))
        elif home_after != home_before and (module, command) not in KEY_COMMANDS:
            problems.append(("outside-root", "the temporary HOME changed"))
        if home_after != home_before and (module, command) in KEY_COMMANDS:
            extra = [r for r in home_after.split("\n") if r and not r.startswith(".ssh")]
            if extra:
                problems.append(("outside-root", "HOME changed outside ~/.ssh"))
        if os.listdir(worker.cwd):
            problems.append(("outside-root", "the working directory changed: " + ", ".join(os.listdir(worker.cwd))))
        rt = ROUND_TRIPS.get((module, command, place))
        if rt and status == 0:
            lst, field = rt
            s2, out2, err2 = self.run(worker, [b"--json", module.encode(), lst.encode()])
            try:
                doc = json.loads(out2)
                items = doc.get("result") or []
                vals = [i.get(field) for i in items if isinstance(i, dict)]
                flat = [x for v in vals for x in (v if isinstance(v, list) else [v])]
                want = value.decode("utf-8", "surrogateescape")
                if want not in flat:
                    problems.append(("round-trip", f"`{module} {lst}` does not give the value back: {flat!r:.200}"))
            except (ValueError, AttributeError) as e:
                problems.append(("round-trip", f"`{module} {lst} --json` unreadable: {e}"))
        return problems, words, status, err

    def commands(self, only):
        out = []
        for f in sorted(os.listdir(self.plugins)):
            if not f.endswith(".json"):
                continue
            with open(os.path.join(self.plugins, f)) as fh:
                m = json.load(fh)
            if only and m["name"] not in only:
                continue
            for c in m.get("commands", []):
                out.append(dict(c, module=m["name"]))
        return out

    def cases(self, cmd):
        elements = parse_usage(cmd.get("usage"))
        base = base_args(cmd["module"], cmd["name"], elements)
        slots = [(i, e[2]) for i, e in enumerate(elements) if e[0] == "value"]
        # One argument more: another of a repeated last placeholder (FILE...).
        last = elements[-1] if elements else None
        extra = last[2] if last and last[0] == "value" and last[4] else "extra"
        for corpus_name, value in self.corpus:
            for i, place in slots:
                args = list(base)
                args[i] = value
                yield place, corpus_name, value, args
            yield extra, corpus_name, value, base + [value]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sc", required=True)
    ap.add_argument("--plugins", required=True)
    ap.add_argument("--module", action="append", default=[])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--verbose", action="store_true")
    o = ap.parse_args()
    if os.geteuid() != 0:
        print("the campaign runs as root (sc refuses plugins not owned by root)", file=sys.stderr)
    top = tempfile.mkdtemp(prefix="sc-hostile-")
    t0 = time.monotonic()
    try:
        camp = Campaign(os.path.abspath(o.sc), os.path.abspath(o.plugins), top, o.verbose)
        cmds = camp.commands(set(o.module))
        if o.module and not cmds:
            print(f"no manifest of {o.module} in {o.plugins}", file=sys.stderr)
            return 1
        workers = [Worker(top, camp.template, camp.template_hash) for _ in range(max(1, o.jobs))]
        work = [(cmd, c) for cmd in cmds for c in camp.cases(cmd)]
        chunks = [work[i :: len(workers)] for i in range(len(workers))]

        def drive(k):
            res = []
            for cmd, (place, corpus_name, value, args) in chunks[k]:
                problems, words, status, err = camp.case(workers[k], cmd, args, place, corpus_name, value)
                res.append((cmd, place, corpus_name, problems, words, status, err))
            return res

        with concurrent.futures.ThreadPoolExecutor(len(workers)) as ex:
            results = [r for rs in ex.map(drive, range(len(workers))) for r in rs]

        per_module = {}
        failures, knowns = [], []
        for cmd, place, corpus_name, problems, words, status, err in results:
            stats = per_module.setdefault(cmd["module"], {"cases": 0, "failed": 0, "known": 0})
            stats["cases"] += 1
            new = False
            for check, detail in problems:
                why = known(cmd["module"], cmd["name"], place, corpus_name, check)
                entry = (cmd, place, corpus_name, check, detail, words, status, err, why)
                (knowns if why else failures).append(entry)
                new = new or not why
            if problems:
                stats["failed" if new else "known"] += 1

        for cmd, place, corpus_name, check, detail, words, status, err, why in failures + (
            knowns if o.verbose else []
        ):
            tag = f"KNOWN ({why})" if why else "FAIL"
            print(f"{tag} [{check}] {cmd['module']} {cmd['name']} {place}={corpus_name}: {detail}")
            print(f"    sc --root ROOT {shown(words)}")
            print(f"    status {status}; stderr: {err.strip()[:300]!r}")
        print()
        print(f"{'module':<12} {'cases':>6} {'failed':>7} {'known':>6}")
        total = {"cases": 0, "failed": 0, "known": 0}
        for m, s in sorted(per_module.items()):
            print(f"{m:<12} {s['cases']:>6} {s['failed']:>7} {s['known']:>6}")
            for k in total:
                total[k] += s[k]
        by_check = {}
        for f in failures:
            by_check[(f[0]["module"], f[3])] = by_check.get((f[0]["module"], f[3]), 0) + 1
        print(f"{'all':<12} {total['cases']:>6} {total['failed']:>7} {total['known']:>6}")
        for (m, k), n in sorted(by_check.items()):
            print(f"  {m}: {n} x {k}")
        known_by = {}
        for f in knowns:
            known_by[(f[3], f[8])] = known_by.get((f[3], f[8]), 0) + 1
        for (k, why), n in sorted(known_by.items()):
            print(f"  known, all modules: {n} x {k} ({why})")
        print(f"hostile campaign: {total['cases']} cases, {total['failed']} failed, {total['known']} known core "
              f"failures, {time.monotonic() - t0:.1f} s")
        return 1 if failures else 0
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
