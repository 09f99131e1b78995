#!/usr/bin/env bash
# `sc status --all` (issue 19) over the hosts of a test cluster
# (tests/support/cluster), as root:
#
#   bench/status_bench.sh [BUILD_DIR] [RUNS] [HOSTS]    (default: build, 10 runs, 20 hosts)
#
# A master m and HOSTS hosts h01..hNN registered with it (`sc master
# hostadd`). Every command runs inside m (sc_bench there: whole-process
# wall time, median, p90, min in ms):
#   - one host's status: `sc status --all --hosts h01` (m itself and one
#     host, each through its own child sc, as every run does);
#   - the building blocks: `sc --json status --local` on m, and `ssh h01 sc
#     --json status --local` (OpenSSH);
#   - `sc status --all` over every host: at once (--concurrency above the
#     host count), with the default concurrency (16), and one at a time
#     (--concurrency 1);
#   - HOSTS runs of `ssh HOST sc --json status --local`, one after another
#     (what a loop in a shell script does).
# The parallel run with 5 and 10 hosts shows how it grows with their number.
# Then the ratio of the parallel run to one host's status. Target: at most
# 2 (issue 19: "parallel <= 2 x the time of one host's status, whatever the
# host count up to 20"). Every host runs on this one machine: the parallel
# run's floor is the CPU time of all the hosts' `sc status` and sshd
# sessions divided by the cores; the table ends with the load average and
# the core count.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
runs=${2:-10}
count=${3:-20}
if [ "$(id -u)" -ne 0 ]; then
  echo "status_bench.sh: run as root (namespaces, sshd on port 22)" >&2
  exit 1
fi
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "$build"

tool=$src/tests/support/cluster
state=$(mktemp -d /tmp/sc-status-bench-XXXXXX)
trap '"$tool" down --state "$state" >/dev/null 2>&1 || true' EXIT
hosts=()
for i in $(seq -w 1 "$count"); do hosts+=("h$i"); done
quiet env SC_CLUSTER_SC="$sc" SC_CLUSTER_PLUGINS="$plugins" "$tool" up --state "$state" --keep m "${hosts[@]}"
on() { "$tool" on --state "$state" "$@"; }
for h in "${hosts[@]}"; do
  quiet "$tool" trust --state "$state" m "$h"
  quiet on m -- sc master hostadd "$h" client
done
all=$(IFS=,; echo "${hosts[*]}")

# Every host answers, all is fine: the runs below measure the fan-out, not
# timeouts.
check=$(on m -- sc --json status --all 2>/dev/null || true)
answered=$(python3 -c 'import json,sys; d=json.load(sys.stdin)["result"]; print(sum(h["state"] == "ok" for h in d["hosts"]))' <<<"$check")
if [ "$answered" != "$((count + 1))" ]; then
  echo "status_bench.sh: $answered of $((count + 1)) hosts are ok; sc status --all said:" >&2
  printf '%s\n' "$check" >&2
  exit 1
fi

declare -A median
row_in_m() {  # LABEL TARGET_MS -- COMMAND...: sc_bench inside m
  local label=$1 target=$2
  shift 3
  local line
  line=$(on m -- "$bench" --runs "$runs" --warmup "${BENCH_WARMUP:-2}" "$label" -- "$@")
  IFS=$'\t' read -r _ med p90 min _ <<<"$line"
  median[$label]=$med
  printf '%-62s %8sms %8sms %8sms %8s\n' "$label" "$med" "$p90" "$min" "$target"
}

echo "sc status --all: m and $count hosts of the test cluster, $runs runs each, timed inside m"
printf '%-62s %10s %10s %10s %8s\n' "benchmark" "median" "p90" "min" "target"
one="one host's status: sc status --all --hosts h01"
row_in_m "$one" - -- sc status --all --hosts h01
row_in_m "sc --json status --local (m alone, no child)" - -- sc --json status --local
row_in_m "ssh h01 sc --json status --local (OpenSSH)" - -- ssh -o BatchMode=yes h01 sc --json status --local
# How the parallel run grows with the host count (all at once).
for n in 5 10; do
  [ "$n" -lt "$count" ] || continue
  some=$(IFS=,; echo "${hosts[*]:0:$n}")
  row_in_m "sc status --all --hosts h01..h$(printf %02d "$n") ($n hosts, at once)" - -- \
    sc status --all --concurrency 64 --hosts "$some"
done
at_once="sc status --all, $count hosts, all at once (--concurrency 64)"
row_in_m "$at_once" - -- sc status --all --concurrency 64
default="sc status --all, $count hosts, default concurrency (16)"
row_in_m "$default" - -- sc status --all
row_in_m "sc status --all, $count hosts, --concurrency 1" - -- sc status --all --concurrency 1
row_in_m "$count x ssh HOST sc --json status --local, in turn" - -- \
  sh -c 'for h in $(echo "$1" | tr , " "); do ssh -o BatchMode=yes "$h" sc --json status --local >/dev/null || exit 1; done' \
  sh "$all"

# Where the parallel run's time goes: the CPU seconds of one run, the whole
# machine's (every host's sshd session and `sc status`; /proc/stat, so
# whatever else the machine runs meanwhile is counted too) and the
# master's side alone (sc and its children, getrusage). On one machine the
# hosts share its cores: the machine's CPU over the cores is the floor of
# the parallel run's wall time. With real hosts each runs its own part.
busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
k=$runs
before=$(busy)
master_cpu=$(on m -- python3 -c '
import resource, subprocess, sys
for _ in range(int(sys.argv[1])):
    subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % ((r.ru_utime + r.ru_stime) / int(sys.argv[1])))' "$k" sc status --all --concurrency 64)
after=$(busy)
machine_cpu=$(awk -v d="$((after - before))" -v hz="$(getconf CLK_TCK)" -v k="$k" 'BEGIN { printf "%.3f", d / hz / k }')
floor=$(awk -v c="$machine_cpu" -v n="$(nproc)" 'BEGIN { printf "%.0f", c / n * 1000 }')
echo
printf '%-62s %10s\n' "CPU of one parallel run ($count hosts, mean of $k)" "seconds"
printf '%-62s %10s\n' "the whole machine (every host's sshd session and sc status)" "$machine_cpu"
printf '%-62s %10s\n' "the master's side (sc and its child sc processes)" "$master_cpu"
printf '%-62s %8sms\n' "floor of the wall time here: machine CPU / $(nproc) cores" "$floor"

echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" 'BEGIN { print (r <= 2 ? "ok" : "OVER") }'; }
r1=$(ratio "${median[$at_once]}" "${median[$one]}")
r2=$(ratio "${median[$default]}" "${median[$one]}")
printf '%-62s %10s %8s\n' "ratio to one host's status (medians)" "ratio" "target"
printf '%-62s %10s %8s %s\n' "all at once / one host" "$r1" "2" "$(verdict "$r1")"
printf '%-62s %10s %8s %s\n' "default concurrency / one host" "$r2" "2" "$(verdict "$r2")"
echo "cores: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
