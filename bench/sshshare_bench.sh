#!/usr/bin/env bash
# Benchmarks of sshshare (issue 14) against a real OpenSSH server on
# loopback, as root:
#
#   bench/sshshare_bench.sh [BUILD_DIR]    (default: build; configured and built if needed)
#
# `sc sshshare add` writes the share's fstab line (under --root, so the
# machine's /etc/fstab is never touched); the mounts are made from that very
# line with `mount --fstab` (options and all, as at boot), in a private
# mount namespace, so no other process sees them. Prints, in milliseconds
# (medians of BENCH_RUNS runs, default 15):
#   - mount: `mount --fstab` of the share, until it returns;
#   - mount + first ls: until the first listing came back;
#   - umount;
#   - reference: plain `sshfs` with only the options it needs to log in.
# Then, unless BENCH_DEAD_PEER=0, once each at the default SSHSHARE_TIMEOUT
# (30 s): how long accesses take to fail when the peer's sshd and sessions
# are stopped (SIGSTOP), and how long the share takes to answer again once
# they continue.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
runs=${BENCH_RUNS:-15}
if [ "$(id -u)" -ne 0 ]; then
  echo "sshshare_bench.sh: run as root (it starts sshd and mounts)" >&2
  exit 1
fi
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "$build"

bench_loopback_peer "Subsystem sftp internal-sftp"

export_dir=$work/export
point=$work/mnt
mkdir -p "$export_dir" "$point" "$work/client-root/usr/bin"
for i in $(seq 1 100); do echo "file $i" >"$export_dir/f$i"; done
# The client root: root's home is this HOME (sc's key and known_hosts),
# and sshfs is installed.
echo "root:x:0:0:root:$HOME:/bin/bash" >"$work/client-root/etc/passwd"
printf '#!/bin/sh\n' >"$work/client-root/usr/bin/sshfs"
chmod 755 "$work/client-root/usr/bin/sshfs"
quiet "$sc" --plugin-path "$plugins" --root "$work/client-root" sshshare add "$peer" "$export_dir" "$point"
fstab=$work/client-root/etc/fstab
echo "fstab line written by sc sshshare add:"
sed 's/^/  /' "$fstab"
echo

cat >"$work/inner.sh" <<'EOS'
# Runs in a private mount namespace: $1 fstab, $2 mount point, $3 exported
# directory, $4 runs, $5 sshd pid, $6 dead-peer part (1/0), $7 sshfs source,
# $8 reference options.
set -euo pipefail
fstab=$1 point=$2 exported=$3 runs=$4 sshd=$5 dead=$6 source=$7 ref=$8
now() { date +%s%N; }
for _ in $(seq "$runs"); do
  t0=$(now); mount --fstab "$fstab" "$point" 2>/dev/null; t1=$(now)
  ls "$point" >/dev/null; t2=$(now)
  umount "$point"; t3=$(now)
  sshfs -o "$ref" "$source" "$point"; t4=$(now)
  umount "$point"
  echo "mount $((t1 - t0)) first $((t2 - t0)) umount $((t3 - t2)) ref $((t4 - t3))"
done
[ "$dead" = 1 ] || exit 0
# The peer stops: its sshd and every session under it.
tree() { local p; for p in $(pgrep -P "$1"); do echo "$p"; tree "$p"; done; }
mount --fstab "$fstab" "$point" 2>/dev/null
cat "$point/f1" >/dev/null
echo s >"$exported/fresh-stat"; mkdir -p "$exported/fresh-dir"; echo c >"$exported/fresh-cat"
pids="$sshd $(tree "$sshd")"
resume() { kill -CONT $pids 2>/dev/null || true; umount "$point" 2>/dev/null || umount -l "$point" 2>/dev/null || true; }
trap resume EXIT
kill -STOP $pids
for what in "stat $point/fresh-stat" "ls $point/fresh-dir" "cat $point/fresh-cat"; do
  t0=$(now); if timeout 150 $what >/dev/null 2>&1; then rc=0; else rc=$?; fi; t1=$(now)
  echo "dead ${what%% *} $((t1 - t0)) $rc"
done
kill -CONT $pids
t0=$(now)
until cat "$point/fresh-cat" >/dev/null 2>&1; do sleep 0.05; done
t1=$(now)
echo "back $((t1 - t0))"
EOS

ref="BatchMode=yes,IdentityFile=$HOME/.ssh/id_ed25519,UserKnownHostsFile=$HOME/.ssh/known_hosts,port=$port"
unshare --mount --propagation private bash "$work/inner.sh" "$fstab" "$point" "$export_dir" "$runs" "$sshd_pid" \
  "${BENCH_DEAD_PEER:-1}" "root@127.0.0.1:$export_dir" "$ref" >"$work/results"

python3 - "$work/results" <<'EOS'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def ms(ns): return int(ns) / 1e6
series = {"mount": [], "first": [], "umount": [], "ref": []}
for r in rows:
    if r[0] == "mount":
        for k, v in zip(r[0::2], r[1::2]):
            series[k].append(ms(v))
labels = {
    "mount": "mount --fstab (the module's line)",
    "first": "mount --fstab + first ls",
    "umount": "umount",
    "ref": "reference: plain sshfs (login options only)",
}
print("%-50s %9s %9s %9s" % ("benchmark", "median", "p90", "min"))
for k in ("mount", "first", "umount", "ref"):
    v = sorted(series[k])
    p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
    print("%-50s %7.1fms %7.1fms %7.1fms" % (labels[k], statistics.median(v), p90, v[0]))
dead = [r for r in rows if r[0] in ("dead", "back")]
if dead:
    print()
    print("peer stopped (SIGSTOP of its sshd and sessions), SSHSHARE_TIMEOUT=30 (default):")
    for r in dead:
        if r[0] == "dead":
            verdict = "failed (exit %s)" % r[3] if r[3] != "0" else "SUCCEEDED (served from a cache?)"
            if r[3] == "124":
                verdict = "STILL HANGING after 150 s (killed)"
            print("  %-46s %7.1f s  %s" % (r[1] + " of a name never looked up", ms(r[2]) / 1000, verdict))
        else:
            print("  %-46s %7.1f s" % ("share answers again after SIGCONT", ms(r[1]) / 1000))
EOS
