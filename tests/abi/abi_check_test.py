#!/usr/bin/env python3
"""Proves that abi_check.py catches what it must: copies of the frozen 1.0
header, each changed in one way, are checked against the recorded 1.0
baseline, and each verdict and message is asserted."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "abi_check.py")
HEADER_10 = os.path.join(HERE, "plugin-1.0", "sc", "plugin.h")
BASELINES = os.path.join(HERE, "baseline")

APPEND_TO_API = ("  int (*ask)(sc_host *host, const sc_question *question, char **answer);\n} sc_host_api;",
                 "  int (*ask)(sc_host *host, const sc_question *question, char **answer);\n"
                 "  int (*later)(sc_host *host);\n} sc_host_api;")
MINOR_1 = ("#define SC_ABI_MINOR 0", "#define SC_ABI_MINOR 1")

# (what, edits, expected status, text the output must contain)
CASES = [
    ("the 1.0 header itself", [], 0, "keeps every recorded ABI of major 1 (1.0)"),
    ("a member appended without a minor bump", [APPEND_TO_API], 1,
     "sc_host_api.later added without raising SC_ABI_MINOR past 0"),
    ("a member appended with a minor bump", [APPEND_TO_API, MINOR_1], 0, "ABI 1.1 is not recorded yet"),
    ("a constant added without a minor bump",
     [("#define SC_RUN_SECRET_ARGS 0x10u", "#define SC_RUN_SECRET_ARGS 0x10u\n#define SC_RUN_LATER 0x20u")], 1,
     "SC_RUN_LATER added without raising SC_ABI_MINOR"),
    ("a member inserted in the middle",
     [("  const char *(*root)(sc_host *host);", "  int (*early)(sc_host *host);\n  const char *(*root)(sc_host *host);"),
      MINOR_1], 1, "sc_host_api: member 6 was root in ABI 1.0, is now early (moved to position 7)"),
    ("a member that changed size",
     [("  uint32_t mode;        /**< permission bits", "  uint64_t mode;        /**< permission bits"), MINOR_1], 1,
     "sc_file_attr.mode changed size: 4 bytes in ABI 1.0, now 8"),
    ("a member whose type changed at the same size",
     [("  int32_t exit_code; ", "  uint32_t exit_code;"), MINOR_1], 1,
     "sc_run.exit_code changed its declaration: 'int32_t exit_code' in ABI 1.0, now 'uint32_t exit_code'"),
    ("a member that disappeared",
     [("  void (*fini)(void);\n", ""), MINOR_1], 1, "sc_plugin.fini (member 9 in ABI 1.0) disappeared"),
    ("a function pointer whose parameters changed",
     [("int (*setting_unset)(sc_host *host, const char *name);",
       "int (*setting_unset)(sc_host *host, const char *name, int flags);"), MINOR_1], 1,
     "sc_host_api.setting_unset changed its declaration"),
    ("a constant that changed value",
     [("#define SC_RUN_LIVE 0x02u", "#define SC_RUN_LIVE 0x40u"), MINOR_1], 1,
     "constant SC_RUN_LIVE changed from 2 to 64"),
    ("a constant that disappeared", [("#define SC_LOG_DEBUG 3", ""), MINOR_1], 1,
     "constant SC_LOG_DEBUG (in ABI 1.0) disappeared"),
    ("a structure that disappeared",
     [("typedef struct sc_question {", "typedef struct sc_question_renamed {"), MINOR_1], 1,
     "struct sc_question (in ABI 1.0) disappeared"),
    ("a new major without a baseline", [("#define SC_ABI_MAJOR 1", "#define SC_ABI_MAJOR 2")], 1,
     "no baseline of major 2 is recorded"),
]


def edited_header(tmp, edits):
    with open(HEADER_10, encoding="utf-8") as f:
        text = f.read()
    for old, new in edits:
        if old not in text:
            raise SystemExit("test bug: %r not found in the 1.0 header" % old)
        text = text.replace(old, new, 1)
    d = os.path.join(tmp, "include", "sc")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "plugin.h")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def run_check(args, cc):
    r = subprocess.run([sys.executable, CHECK] + args + ["--cc", cc], capture_output=True, text=True, check=False)
    return r.returncode, r.stdout + r.stderr


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cc", default="cc")
    cc = p.parse_args().cc
    failed = passed = 0
    with tempfile.TemporaryDirectory(prefix="sc-abi-test-") as tmp:
        target = subprocess.run([cc, "-dumpmachine"], capture_output=True, text=True, check=True).stdout.strip()
        if not os.path.exists(os.path.join(BASELINES, target, "abi-1.0.txt")):
            print("no 1.0 baseline for %s: skipped" % target)
            return 77
        # Only the 1.0 baseline: the verdicts must not depend on later ones.
        base_dir = os.path.join(tmp, "baseline")
        os.makedirs(os.path.join(base_dir, target))
        shutil.copy(os.path.join(BASELINES, target, "abi-1.0.txt"), os.path.join(base_dir, target))
        for i, (what, edits, want_status, want_text) in enumerate(CASES):
            header = edited_header(os.path.join(tmp, str(i)), edits)
            status, out = run_check(["check", "--header", header, "--baseline-dir", base_dir], cc)
            if status == want_status and want_text in out:
                passed += 1
            else:
                failed += 1
                print("FAIL: %s: status %d (want %d), output:\n%s\n(want it to contain: %s)"
                      % (what, status, want_status, out, want_text))

        # Recording: 1.1 is recorded, then a further addition needs 1.2, and
        # a header going back to 1.0 is refused.
        h11 = edited_header(os.path.join(tmp, "r11"), [APPEND_TO_API, MINOR_1])
        steps = [
            (["update", "--header", h11, "--baseline-dir", base_dir], 0, "recorded ABI 1.1"),
            (["update", "--header", h11, "--baseline-dir", base_dir], 0, "is up to date"),
            (["check", "--header", h11, "--baseline-dir", base_dir], 0, "keeps every recorded ABI of major 1 (1.0, 1.1)"),
            (["check", "--header", edited_header(os.path.join(tmp, "r11b"), [
                APPEND_TO_API, MINOR_1,
                ("  int (*later)(sc_host *host);\n", "  int (*later)(sc_host *host);\n  int (*later2)(sc_host *host);\n")]),
              "--baseline-dir", base_dir], 1, "sc_host_api.later2 added without raising SC_ABI_MINOR past 1"),
            (["check", "--header", HEADER_10, "--baseline-dir", base_dir], 1, "SC_ABI_MINOR went back"),
            (["update", "--header", edited_header(os.path.join(tmp, "r12"), [("#define SC_LOG_DEBUG 3", ""), MINOR_1]),
              "--baseline-dir", base_dir], 1, "constant SC_LOG_DEBUG (in ABI 1.0) disappeared"),
        ]
        for args, want_status, want_text in steps:
            status, out = run_check(args, cc)
            if status == want_status and want_text in out:
                passed += 1
            else:
                failed += 1
                print("FAIL: %s: status %d (want %d), output:\n%s\n(want: %s)" % (args[0], status, want_status, out, want_text))
        if os.path.exists(os.path.join(base_dir, target, "abi-1.2.txt")):
            failed += 1
            print("FAIL: a breaking header was recorded as a baseline")
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
