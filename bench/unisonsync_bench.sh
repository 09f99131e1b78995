#!/usr/bin/env bash
# Benchmarks of unisonsync (issue 14) with their target, against a real
# OpenSSH server on loopback, as root:
#
#   bench/unisonsync_bench.sh [BUILD_DIR]    (default: build; configured and built if needed)
#
# A tree of BENCH_FILES files (default 10,000) holding BENCH_MB megabytes
# (default 1024) is synchronised with a peer directory:
#
# 1. the first sync (an empty peer directory filled from this host), and
# 2. a sync after one file changed,
#
# each by `sc unisonsync start` and by plain `unison PROFILE` with the very
# profile sc wrote (the same preferences, the same ssh; UNISON pointing at
# sc's directory), in alternating order so that neither side always follows
# the other's write-back. Target: at most 1.1 x plain unison. BENCH_RUNS
# (default 5) runs each; medians.
#
# Work files go to BENCH_DIR (default: a directory in /dev/shm when it has
# room for about 2.5 x BENCH_MB, else /srv). Give a smaller BENCH_MB where
# memory or disk is tight.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
if [ "$(id -u)" -ne 0 ]; then
  echo "unisonsync_bench.sh: run as root (it starts sshd)" >&2
  exit 1
fi
command -v unison >/dev/null || { echo "unisonsync_bench.sh: unison is not installed" >&2; exit 1; }
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "$build"

files=${BENCH_FILES:-10000}
megabytes=${BENCH_MB:-1024}
runs=${BENCH_RUNS:-5}
bench_loopback_peer $((megabytes * 1024 * 5 / 2 + 65536))

root=$work/client-root
mkdir -p "$root/etc/cron.d" "$root/usr/bin" "$root/usr/sbin" "$root/srv/data" "$work/peer-data"
echo client >"$root/etc/hostname"
echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
# unison and cron as the target must show them (the programs that run are this machine's).
printf '#!/bin/sh\n' >"$root/usr/bin/unison"
printf '#!/bin/sh\n' >"$root/usr/sbin/cron"
chmod 755 "$root/usr/bin/unison" "$root/usr/sbin/cron"
client=("$sc" --plugin-path "$plugins" --root "$root")
local_dir=$root/srv/data
remote_dir=$work/peer-data

python3 - "$local_dir" "$files" "$megabytes" <<'PY'
import os, random, sys
root, count, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
sizes = [random.randint(1, 100) for _ in range(count)]
scale = (mb << 20) / sum(sizes)
chunk = os.urandom(1 << 20)
for i, s in enumerate(sizes):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    n = max(1, int(s * scale))
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        off = (i * 4099) % (len(chunk) - 1)
        while n > 0:
            part = chunk[off:off + n] or chunk[:n]
            f.write(part)
            n -= len(part)
            off = 0
PY
# Older than the runs: unison treats files changed within the current
# second as still being written.
find "$local_dir" -exec touch -d '-1 hour' {} +

quiet "${client[@]}" unisonsync add "$peer" "$remote_dir" /srv/data
profile=$(cd "$root/var/lib/sc/unisonsync/unison" && ls -- manual:*.prf)
profile=${profile%.prf}
export UNISON=$root/var/lib/sc/unisonsync/unison

now() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
time_ms() {  # COMMAND... -> milliseconds on stdout
  local t0 t1
  t0=$(now)
  quiet "$@"
  t1=$(now)
  echo $(( (t1 - t0) / 1000000 ))
}
sc_sync() { "${client[@]}" unisonsync start "$peer" "$remote_dir" /srv/data --fill-empty; }
unison_sync() { unison "$profile"; }
# Back to before the first sync: an empty peer directory, no archive on
# either side, and (for sc) no record of an earlier sync, so that sc makes
# its first-sync checks again. Plain unison gets the markers sc would make.
reset() {  # sc|unison
  find "$remote_dir" -mindepth 1 -delete
  rm -f "$UNISON"/ar* "$UNISON"/fp* "$work"/peer-home/.unison/ar* "$work"/peer-home/.unison/fp*
  rm -f "$root/var/lib/sc/unisonsync/state.json" "$local_dir/.sc-unisonsync"
  if [ "$1" = unison ]; then touch "$local_dir/.sc-unisonsync" "$remote_dir/.sc-unisonsync"; fi
  sync
}
# One file gets new content and a new time (another one each run).
change_one() {  # N
  local f
  f=$(printf '%s/d%03d/f%05d' "$local_dir" $(( ($1 * 37 % files) / 100 )) $(( $1 * 37 % files )))
  head -c 4096 /dev/urandom >"$f"
  touch -d '-10 seconds' "$f"
}

first_sc=() first_unison=() change_sc=() change_unison=()
for run in $(seq "$runs"); do
  if [ $((run % 2)) -eq 1 ]; then
    reset sc; first_sc+=("$(time_ms sc_sync)")
    reset unison; first_unison+=("$(time_ms unison_sync)")
  else
    reset unison; first_unison+=("$(time_ms unison_sync)")
    reset sc; first_sc+=("$(time_ms sc_sync)")
  fi
done
# The pair is synchronised (by unison last, or by sc): sc's record says so.
quiet sc_sync
n=0
for run in $(seq "$runs"); do
  n=$((n + 2))
  if [ $((run % 2)) -eq 1 ]; then
    change_one "$n"; change_sc+=("$(time_ms sc_sync)")
    change_one $((n + 1)); change_unison+=("$(time_ms unison_sync)")
  else
    change_one "$n"; change_unison+=("$(time_ms unison_sync)")
    change_one $((n + 1)); change_sc+=("$(time_ms sc_sync)")
  fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" 'BEGIN { print (r <= 1.1 ? "ok" : "OVER") }'; }
line() {  # LABEL SC UNISON
  local r
  r=$(ratio "$2" "$3")
  printf '%-46s %9sms %12sms %7s %s (target 1.1 x plain unison)\n' "$1" "$2" "$3" "$r" "$(verdict "$r")"
}
echo
printf '%-46s %11s %14s %7s\n' "$files files / $megabytes MB (medians of $runs)" "sc unisonsync" "plain unison" "ratio"
line "first sync (empty peer directory)" "$(median "${first_sc[@]}")" "$(median "${first_unison[@]}")"
line "sync after one file changed" "$(median "${change_sc[@]}")" "$(median "${change_unison[@]}")"
