#!/usr/bin/env python3
"""Every plugin built with sc_add_plugin() exports sc_plugin_entry and
nothing else (the ABI's one exported symbol).

    exports_check.py PLUGIN_DIR

Exit 1, naming each library and what else it exports, when one does.
"""

import glob
import os
import subprocess
import sys


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    libs = sorted(glob.glob(os.path.join(argv[1], "*.so")))
    if not libs:
        print("exports_check: no plugin in %s" % argv[1], file=sys.stderr)
        return 1
    bad = 0
    for lib in libs:
        out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True, capture_output=True, text=True).stdout
        names = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
        if names != ["sc_plugin_entry"]:
            bad += 1
            extra = [n for n in names if n != "sc_plugin_entry"]
            print("%s: exports %d symbol(s) besides sc_plugin_entry%s: %s" %
                  (lib, len(extra), "" if "sc_plugin_entry" in names else " (and not sc_plugin_entry)",
                   ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")))
    print("exports_check: %d of %d plugins export sc_plugin_entry alone" % (len(libs) - bad, len(libs)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
