#!/usr/bin/env bash
# Benchmarks of backups (issue 5) with their targets, against a real OpenSSH
# server on loopback, as root:
#
#   bench/backup_bench.sh [BUILD_DIR]    (default: build; configured and built if needed)
#
# 1. A full-host backup of a small sc peer (accounts, a home, settings): the
#    original needs about 16 s for this (40 SSH connections). Target 1.5 s.
# 2. A tree of 20,000 files / 1 GB: the first snapshot, a no-change re-run
#    and a re-run after 1 % of the files changed, each against plain
#    `rsync -a` of the same tree in the same run (over the same sshd, into
#    its own previous copy; and locally), and against a hand-made rsync
#    snapshot (`rsync -a --link-dest=PREVIOUS`). Target: at most 1.0 x
#    rsync over ssh. Runs alternate their order, so neither side always
#    follows the other's write-back. BENCH_RUNS (default 5) runs each.
#
# Work files go to BENCH_DIR (default: a directory in /dev/shm when it has
# room, so that disk write-back noise does not swamp the comparison, else
# /srv; never under a directory named tmp, which the peer exclusion list
# skips); about 4 GB.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
if [ "$(id -u)" -ne 0 ]; then
  echo "backup_bench.sh: run as root (it starts sshd)" >&2
  exit 1
fi
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "$build"

bench_loopback_peer $((5 << 20))
client=("$sc" --plugin-path "$plugins" --root "$work/client-root")
peer_sc() { "$sc" --plugin-path "$plugins" --root "$work/peer-root" "$@"; }

# --- 1. a small sc peer ------------------------------------------------------
pr=$work/peer-root
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$pr/etc/passwd"
printf 'root:*:19000:0:99999:7:::\n' >"$pr/etc/shadow"
printf 'root:x:0:\nshadow:x:42:\nsudo:x:27:\n' >"$pr/etc/group"
printf 'root:*::\nshadow:*::\nsudo:*::\n' >"$pr/etc/gshadow"
chmod 640 "$pr/etc/shadow" "$pr/etc/gshadow"
: >"$pr/etc/.pwd.lock"
quiet peer_sc user add alice
mkdir -p "$pr/home/alice/docs"
for i in $(seq 1 200); do printf 'note %s\n' "$i" >"$pr/home/alice/docs/note$i.txt"; done
quiet peer_sc settings set FQDN peer.example.com
quiet "${client[@]}" --set BACKUP_DIR=/srv/backup backup setup
quiet "${client[@]}" settings set BACKUP_KEEP_DAILY 10000
quiet "${client[@]}" backup add "$peer"

bench_header
row "sc backup start PEER (whole small sc host, new snapshot)" 1500 10 -- "${client[@]}" backup start "$peer"

# --- 2. 20,000 files / 1 GB ----------------------------------------------------
big=$work/big
python3 - "$big" <<'PY'
import os, random, sys
root = sys.argv[1]
random.seed(7)
sizes = [random.randint(1, 100) for _ in range(20000)]
scale = (1 << 30) / sum(sizes)
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
entry="$peer:$big"
quiet "${client[@]}" backup add "$entry" weekly
rsh="ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=$HOME/.ssh/known_hosts -i $HOME/.ssh/id_ed25519 -p $port"
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
host_dir=$work/client-root/srv/backup/root%40127.0.0.1%3A$port

first_sc=() first_rsync=() first_local=() again_sc=() again_rsync=() again_local=() again_link=()
change_sc=() change_rsync=() change_link=()
time_ms() {  # COMMAND... -> milliseconds on stdout
  local t0 t1
  t0=$(now)
  quiet "$@"
  t1=$(now)
  ms "$t0" "$t1"
}
sc_snapshot() { "${client[@]}" backup start "$entry" weekly; }
rsync_ssh() { rsync -a -e "$rsh" "root@127.0.0.1:$big/" "$1/"; }
rsync_local() { rsync -a "$big/" "$1/"; }
# Run RUN of sc and of rsync over ssh, in alternating order (sc first on
# odd runs), their times appended to the arrays named SC_TIMES and RSYNC_TIMES.
timed_pair() {  # RUN SC_TIMES RSYNC_TIMES
  local -n sc_times=$2 rsync_times=$3
  if [ $(($1 % 2)) -eq 1 ]; then
    sc_times+=("$(time_ms sc_snapshot)")
    rsync_times+=("$(time_ms rsync_ssh "$work/copy")")
  else
    rsync_times+=("$(time_ms rsync_ssh "$work/copy")")
    sc_times+=("$(time_ms sc_snapshot)")
  fi
}
# 1 % of the files get new content (same size) and a new time: 200 of them,
# spread over the tree, other ones on each run.
change_one_percent() {  # RUN
  python3 - "$big" "$1" <<'PY'
import os, sys
root, run = sys.argv[1], int(sys.argv[2])
for k in range(200):
    i = (k * 100 + run * 37) % 20000
    p = os.path.join(root, "d%03d" % (i // 100), "f%05d" % i)
    n = os.path.getsize(p)
    with open(p, "wb") as f:
        f.write(os.urandom(min(n, 1 << 20)) * (n // (1 << 20)) + os.urandom(n % (1 << 20)))
PY
}
runs=${BENCH_RUNS:-5}
for run in $(seq "$runs"); do
  rm -rf "$host_dir/fs-"* "$work/copy" "$work/local"
  sync
  timed_pair "$run" first_sc first_rsync
  first_local+=("$(time_ms rsync_local "$work/local")")
done
for run in $(seq "$runs"); do
  rm -rf "$work/link"
  timed_pair "$run" again_sc again_rsync
  again_local+=("$(time_ms rsync_local "$work/local")")
  again_link+=("$(time_ms rsync -a -e "$rsh" --link-dest="$work/copy" "root@127.0.0.1:$big/" "$work/link/")")
done
for run in $(seq "$runs"); do
  # The hand-made snapshot first, against the copy before this change.
  rm -rf "$work/link"
  change_one_percent "$run"
  change_link+=("$(time_ms rsync -a -e "$rsh" --link-dest="$work/copy" "root@127.0.0.1:$big/" "$work/link/")")
  timed_pair "$run" change_sc change_rsync
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" 'BEGIN { print (r <= 1.0 ? "ok" : "OVER") }'; }
line() {  # LABEL SC RSYNC LOCAL
  local r
  r=$(ratio "$2" "$3")
  printf '%-44s %8sms %10sms %10s %8s %s (target 1.0 x rsync over ssh)\n' "$1" "$2" "$3" "$4" "$r" "$(verdict "$r")"
}
echo
printf '%-44s %10s %12s %12s %8s\n' "20,000 files / 1 GB (medians of $runs)" "sc backup" "rsync -a ssh" "rsync local" "ratio"
line "first snapshot" "$(median "${first_sc[@]}")" "$(median "${first_rsync[@]}")" "$(median "${first_local[@]}")ms"
line "no-change re-run (a new hard-linked snapshot)" "$(median "${again_sc[@]}")" "$(median "${again_rsync[@]}")" \
  "$(median "${again_local[@]}")ms"
line "re-run after 1 % of the files changed" "$(median "${change_sc[@]}")" "$(median "${change_rsync[@]}")" "-"
printf '%-44s %8sms %10sms (rsync -a --link-dest over ssh: the same snapshot made by hand)\n' \
  "  against a hand-made snapshot, no change" "$(median "${again_sc[@]}")" "$(median "${again_link[@]}")"
printf '%-44s %8sms %10sms (rsync -a --link-dest over ssh: the same snapshot made by hand)\n' \
  "  against a hand-made snapshot, 1 % changed" "$(median "${change_sc[@]}")" "$(median "${change_link[@]}")"
