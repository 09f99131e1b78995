#!/usr/bin/env python3
"""Every C and C++ file of the tree is formatted as .clang-format says.

    format_check.py SOURCE_DIR CLANG_FORMAT          check; exit 1 listing
                                                     the files that differ
    format_check.py SOURCE_DIR CLANG_FORMAT --fix    format them in place

The files are the *.c, *.h, *.cpp and *.hpp files git tracks in
SOURCE_DIR or would track (new, not ignored), or every such file found when
it is not a git checkout, except the frozen copies of older SDK headers
under tests/abi/plugin-*/, which must stay byte for byte as released. clang-format's output differs between its major versions: the
check is meant for the one Debian 12 ships (14), which .ci/install-deps
installs.
"""

import os
import shutil
import subprocess
import sys

EXTENSIONS = (".c", ".h", ".cpp", ".hpp")
FROZEN = "tests/abi/plugin-"
SKIP_DIRS = {".git", "debian"}


def sources(top):
    try:
        listed = subprocess.run(["git", "-C", top, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], check=True, capture_output=True).stdout
        names = [n for n in listed.decode("utf-8", "surrogateescape").split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = []
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(("build", "obj-"))]
            for f in filenames:
                names.append(os.path.relpath(os.path.join(dirpath, f), top))
    return sorted(n for n in names if n.endswith(EXTENSIONS) and not n.startswith(FROZEN))


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != "--fix"):
        print(__doc__, file=sys.stderr)
        return 2
    top, clang_format = argv[1], shutil.which(argv[2]) or argv[2]
    if not os.access(clang_format, os.X_OK):
        print("format_check: clang-format not found (%s): install Debian's clang-format "
              "(apt-get install clang-format; .ci/install-deps does)" % argv[2], file=sys.stderr)
        return 1
    files = sources(top)
    if not files:
        print("format_check: no C or C++ files found under %s" % top, file=sys.stderr)
        return 1
    paths = [os.path.join(top, f) for f in files]
    if len(argv) == 4:
        subprocess.run([clang_format, "-i", "--style=file"] + paths, check=True)
        print("format_check: formatted %d files" % len(files))
        return 0
    unformatted = []
    for rel, path in zip(files, paths):
        with open(path, "rb") as f:
            before = f.read()
        after = subprocess.run([clang_format, "--style=file", "--assume-filename=" + path, path], check=True,
                               capture_output=True).stdout
        if after != before:
            unformatted.append(rel)
    for rel in unformatted:
        print("%s: not formatted as .clang-format says" % rel)
    if unformatted:
        print("format_check: %d of %d files differ; fix them with\n  %s %s %s --fix"
              % (len(unformatted), len(files), argv[0], top, clang_format))
        return 1
    print("format_check: %d files formatted as .clang-format says" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
