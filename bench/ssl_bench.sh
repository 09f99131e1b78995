#!/usr/bin/env bash
# Time of a first certificate (`sc ssl setup`) and of a forced renewal
# (`sc ssl renew --force`) against a private ACME CA, Debian's pebble with
# pebble-challtestsrv, on loopback (issue 17):
#
#   bench/ssl_bench.sh [BUILD_DIR] [RUNS]    (default: build, 5 runs)
#
# Each run is the plugin test "ssl: issue from pebble..." (a new CA, a new
# root, lego's own http-01 server), which prints both times; the median and
# the best of each are printed. pebble validates at once (PEBBLE_VA_NOSLEEP):
# what is measured is sc, lego and the ACME exchange, not a real CA's queue.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
runs=${2:-5}
tests=$build/tests/plugin_tests
[ -x "$tests" ] || { echo "ssl_bench.sh: $tests is not built (cmake --build $build)" >&2; exit 1; }
issue=() renew=()
for _ in $(seq "$runs"); do
  line=$("$tests" "ssl: issue from pebble*" | grep '^ssl timing against pebble:')
  issue+=("$(sed -E 's/.*issue \(sc ssl setup\) ([0-9.]+) s.*/\1/' <<<"$line")")
  renew+=("$(sed -E 's/.*renew --force ([0-9.]+) s.*/\1/' <<<"$line")")
done
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "median %.2f s, best %.2f s", a[int((NR+1)/2)], a[1]}'; }
echo "ssl against pebble, $runs runs:"
echo "  sc ssl setup (first certificate): $(stats "${issue[@]}")"
echo "  sc ssl renew --force:             $(stats "${renew[@]}")"
