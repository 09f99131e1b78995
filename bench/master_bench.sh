#!/usr/bin/env bash
# `sc master pull` (issue 15) on a test cluster (tests/support/cluster), as root:
#
#   bench/master_bench.sh [BUILD_DIR] [RUNS]    (default: build, 10 runs)
#
# A master m with 100 cluster users; a client c with 10 more modules whose
# `sync` hook imports their setting from m (bench_sync_plugin.c: built into
# build/bench/sync10, installed on these two hosts only). Prints:
# 1. The SSH connections m's sshd accepts (its log) for one pull on c: ours,
#    and the original's design emulated on c as it worked: one rsync for the
#    account files, then for each module one `ssh m sc ...` per question (its
#    settings' names, then each value). Target: ours 1.
# 2. A pull that changes nothing against one bare `ssh m true` from c, with
#    sc_bench's paired mode inside c (`--vs`: A and B in turn, the ratio
#    taken pair by pair); the emulated original likewise. Target: our ratio
#    at most 2.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
runs=${2:-10}
if [ "$(id -u)" -ne 0 ]; then
  echo "master_bench.sh: run as root (namespaces, sshd on port 22)" >&2
  exit 1
fi
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "$build" sc_bench_sync_plugins
build=$(cd "$build" && pwd)

tool=$src/tests/support/cluster
state=$(mktemp -d /tmp/sc-master-bench-XXXXXX)
installed=$(mktemp -d /tmp/sc-master-bench-plugins-XXXXXX)
trap '"$tool" down --state "$state" >/dev/null 2>&1 || true; rm -rf "$installed"' EXIT
# The hosts' plugins: sc's own and the ten bench modules (root-owned, not
# writable by others, as sc requires).
chmod 755 "$installed"
cp "$plugins"/*.json "$plugins"/*.so "$build"/bench/sync10/*.json "$build"/bench/sync10/*.so "$installed/"
chmod 644 "$installed"/*
quiet env SC_CLUSTER_SC="$sc" SC_CLUSTER_PLUGINS="$installed" "$tool" up --state "$state" --keep m c
quiet "$tool" trust --state "$state" c m
on() { "$tool" on --state "$state" "$@"; }
log=$state/hosts/m/sshd.log
accepted() { grep -c "Accepted publickey" "$log" || true; }

# m: the master, 100 cluster users, a value for each bench module's setting.
quiet on m -- sc settings set MASTER_MODE master
quiet on m -- sh -c 'for i in $(seq -w 1 100); do sc user add "user$i" >/dev/null || exit 1; done'
quiet on m -- sh -c 'for i in $(seq -w 1 10); do sc settings set "BENCHSYNC${i}_VALUE" "from-m-$i" || exit 1; done'
# c: a client (its role stored as the cluster test does: the client role's
# setup mounts m's /home over NFS, which the cluster cannot run).
quiet on c -- sc settings set MASTER_MODE client
quiet on c -- sc settings set MASTER_HOST m
quiet on c -- sc user setup
quiet on c -- sc master pull  # the first pull: 100 accounts and 10 settings arrive
users=$(on c -- getent passwd | grep -c '^user[0-9]')
value=$(on c -- sc settings get BENCHSYNC10_VALUE)
if [ "$users" != 100 ] || [ "$value" != from-m-10 ]; then
  echo "master_bench.sh: the first pull did not bring m's accounts and settings ($users users, \"$value\")" >&2
  exit 1
fi
pulled=$(on c -- sc master pull 2>&1)
case $pulled in *added*|*changed*|*removed*) echo "master_bench.sh: a second pull changed something: $pulled" >&2; exit 1 ;; esac

# The original's design, as its `master pull` went: `user pull` copied the
# account files with one rsync over ssh, then each module's `sync` hook ran
# `sshlink importsettings m MODULE`: one `ssh m sc` for the module's
# settings, then one per setting for its value.
cat >"$state/hosts/c/root/original-pull.sh" <<'EOS'
set -e
t=$(mktemp -d)
printf '/etc/passwd\n/etc/shadow\n/etc/group\n/etc/gshadow\n' |
  rsync -a -e 'ssh -o BatchMode=yes' --files-from=- m:/ "$t/"
for i in 01 02 03 04 05 06 07 08 09 10; do
  ssh -o BatchMode=yes m sc settings list >/dev/null
  ssh -o BatchMode=yes m sc settings get "BENCHSYNC${i}_VALUE" >/dev/null
done
rm -rf "$t"
EOS

n=$(accepted); quiet on c -- sc master pull; ours=$(($(accepted) - n))
n=$(accepted); quiet on c -- sh /root/original-pull.sh; original=$(($(accepted) - n))
n=$(accepted); quiet on c -- ssh -o BatchMode=yes m true; bare=$(($(accepted) - n))

echo "sc master pull on c: 100 cluster users on m, 10 modules with a sync hook on c"
printf '%-52s %6s %8s\n' "SSH connections accepted by m's sshd, one pull" "count" "target"
printf '%-52s %6s %8s\n' "sc master pull (ours)" "$ours" 1
printf '%-52s %6s %8s\n' "the original's design (one ssh per call, emulated)" "$original" -
printf '%-52s %6s %8s\n' "reference: ssh m true" "$bare" -
echo
# sc_bench's paired line: LABEL, A's median, B's median (ms), the median,
# min and max of the pairs' ratios A/B, the pair count.
report() {  # the line on stdin: the figures in full
  awk -F'\t' '{ printf "  A median %.3f s, B (ssh m true) median %.3f s; A/B, %d pairs: median %s (min %s, max %s)\n", $2 / 1000, $3 / 1000, $7, $4, $5, $6 }'
}
ratio_of() {  # the line on stdin: the median of the paired ratios, and A's median wall time
  awk -F'\t' '{ printf "%s x ssh m true (median of paired ratios; A median %.2f s)", $4, $2 / 1000 }'
}
echo "a pull that changes nothing vs one bare \`ssh m true\` (sc_bench --vs, $runs pairs, in c):"
ours_line=$(on c -- "$bench" --runs "$runs" --warmup 2 --timeout 600 "sc master pull" -- \
  sc master pull --vs ssh -o BatchMode=yes m true)
report <<<"$ours_line"
echo
echo "the original's design emulated vs one bare \`ssh m true\`:"
orig_line=$(on c -- "$bench" --runs "$runs" --warmup 1 --timeout 600 "original's design" -- \
  sh /root/original-pull.sh --vs ssh -o BatchMode=yes m true)
report <<<"$orig_line"
echo
echo "summary (target: ours at most 2 x ssh m true, 1 connection):"
echo "  ours:     $ours connection(s); $(ratio_of <<<"$ours_line")"
echo "  original: $original connections; $(ratio_of <<<"$orig_line")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
