#!/usr/bin/env python3
"""Every Catch2 test case can be run by ctest: its name holds no ';'.

    test_names_check.py SOURCE_DIR

catch_discover_tests registers one ctest test per TEST_CASE; CMake takes a
';' in the name as a list separator, so the registered name is cut there,
matches no test case, and "passes" without running anything. Exit 1,
listing every such TEST_CASE.
"""

import os
import re
import sys

NAME = re.compile(r'TEST_CASE\s*\(\s*"((?:[^"\\]|\\.)*)"')


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = []
    for top in ("core", "plugins", "tests", "sdk"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(argv[1], top)):
            dirnames[:] = [d for d in dirnames if not d.startswith("build")]
            for f in filenames:
                if not f.endswith((".cpp", ".hpp")):
                    continue
                path = os.path.join(dirpath, f)
                with open(path, encoding="utf-8", errors="replace") as text:
                    for n, line in enumerate(text, 1):
                        for m in NAME.finditer(line):
                            if ";" in m.group(1):
                                problems.append("%s:%d: TEST_CASE(\"%s\"): ';' cuts its ctest name; use ',' or ':'"
                                                % (os.path.relpath(path, argv[1]), n, m.group(1)))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
