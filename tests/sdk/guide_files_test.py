#!/usr/bin/python3
"""GUIDE.md shows the motd example's files that a reader copies as they
are (its manifest and its debian/ directory): each block must be the
example's file byte for byte, so that following the guide alone gives the
package the packaging test builds from the example.

Usage: guide_files_test.py SOURCE_DIR
"""
import os
import re
import sys

# The files the guide must show whole; other blocks (motd.cpp with its
# elisions, the shorter CMakeLists.txt) are excerpts.
WHOLE = ["manifest.json", "debian/control", "debian/rules", "debian/changelog", "debian/source/format"]


def main():
    src = sys.argv[1]
    example = os.path.join(src, "sdk/examples/motd")
    with open(os.path.join(src, "sdk/docs/GUIDE.md"), encoding="utf-8") as f:
        guide = f.read()
    # "`PATH`:" or "`PATH` (a remark):", an empty line, then a fenced block.
    blocks = {}
    for m in re.finditer(r"^`([^`\n]+)`(?: \([^)\n]*\))?:\n\n```[a-z]*\n(.*?)^```$", guide, flags=re.M | re.S):
        blocks.setdefault(m.group(1), m.group(2))
    failures = []
    for name in WHOLE:
        if name not in blocks:
            failures.append("GUIDE.md does not show `%s` (a line \"`%s`:\" then a fenced block)" % (name, name))
            continue
        with open(os.path.join(example, name), encoding="utf-8") as f:
            want = f.read()
        if blocks[name] != want:
            failures.append("GUIDE.md's `%s` differs from sdk/examples/motd/%s:\n--- guide\n%s--- example\n%s"
                            % (name, name, blocks[name], want))
    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    print("guide: %d files shown as they are" % len(WHOLE))


if __name__ == "__main__":
    main()
