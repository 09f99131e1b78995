#!/usr/bin/env bash
# Tunnels (issue 16) on a test cluster (tests/support/cluster), as root:
#
#   bench/tunnel_bench.sh [BUILD_DIR] [SIZE_MB]    (default: build, 1024 MB)
#
# Hosts h and r: h keeps a lifeline to r (r's port reaches h's sshd) and a
# portforward of r's port P (a sink that reads and drops what it gets).
# Prints, with sc_bench's paired mode (--vs: each run alternating with its
# yardstick, the ratio taken pair by pair; 5 pairs each):
#   - lifeline: SIZE_MB copied from r to h over `ssh` through the lifeline,
#     vs the same copy over a direct `ssh h` (target: direct / tunnel >= 0.8);
#   - portforward: SIZE_MB sent from h through the forward to r's sink, vs a
#     direct `ssh r` copy into a sink there (target >= 0.8);
#   - the relay's return: r's sshd killed, the lifeline seen down, sshd
#     started again: seconds until `sc lifeline status` says up (3 times;
#     the lifeline retries every 10 s at most, so at most ~11 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
size_mb=${2:-1024}
if [ "$(id -u)" -ne 0 ]; then
  echo "tunnel_bench.sh: run as root (namespaces, sshd on port 22)" >&2
  exit 1
fi
if [ ! -x "$build/core/sc" ] || [ ! -x "$build/bench/sc_bench" ]; then
  ninja -C "$build" -j2 sc sc_all_plugins sc_bench >/dev/null
fi
build=$(cd "$build" && pwd)
bench=$build/bench/sc_bench
tool=$src/tests/support/cluster
state=$(mktemp -d /tmp/sc-tunnel-bench-XXXXXX)
trap '"$tool" down --state "$state" >/dev/null 2>&1 || true' EXIT
export SC_CLUSTER_SC=$build/core/sc SC_CLUSTER_PLUGINS=$build/lib/sc
on() { "$tool" on --state "$state" "$@"; }

"$tool" up --state "$state" --keep h r >/dev/null
"$tool" trust-all --state "$state"
h_addr=$("$tool" address --state "$state" h)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lport=$(free_port)
sink=$(free_port)

# A sink on r's loopback: reads every connection to its end.
on r -- sh -c "setsid python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", $sink)); s.listen(8)
def drain(c):
    while c.recv(1 << 20): pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
' >/dev/null 2>&1 </dev/null &"

on h -- sc settings set LIFELINE_TARGET r >/dev/null
on h -- sc settings set LIFELINE_PORT "$lport" >/dev/null
on h -- sc settings set LIFELINE_LOCAL "$h_addr:22" >/dev/null
on h -- sc lifeline setup >/dev/null 2>&1
on h -- sh -c 'setsid sc lifeline daemon >/var/lib/sc/lifeline.log 2>&1 </dev/null &'
# The forward listens on h's own address (127.0.0.1 is shared with r here),
# the sink's port number, and leads to r's sink.
on h -- sc settings set PORTFORWARD_BIND "$h_addr" >/dev/null
on h -- sc portforward add r "$sink" >/dev/null 2>&1
wait_up() {  # MODULE [ARGS]: until status says up (60 s at most)
  for _ in $(seq 300); do
    if on h -- sc "$@" status >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "tunnel_bench.sh: $* never came up:" >&2
  on h -- sc "$@" status >&2 || true
  return 1
}
on h -- sh -c "setsid sc portforward daemon r >/var/lib/sc/pf.log 2>&1 </dev/null &"
wait_up lifeline
wait_up portforward

paired() {  # LABEL -- TUNNEL... --vs DIRECT...: 5 pairs, tunnel and direct in turn
  local line
  line=$("$bench" --runs 5 --warmup 1 --timeout 1200 "$@")
  # LABEL, tunnel median, direct median (ms), the pairs' ratios tunnel/direct: median, min, max; pairs
  awk -F'\t' '{ printf "tunnel median %.2f s, direct median %.2f s; tunnel/direct, %d pairs: median %s (min %s, max %s); %.2f x direct\n",
                 $2 / 1000, $3 / 1000, $7, $4, $5, $6, 1 / $4 }' <<<"$line"
}
echo "== throughput, $size_mb MB (ratio = tunnel time / direct time; target <= 1.25, i.e. >= 0.8x)"
echo "-- lifeline: r -> h over ssh through the tunnel, vs ssh h directly"
paired lifeline -- "$tool" on --state "$state" r -- sh -c \
  "head -c ${size_mb}M /dev/zero | ssh -o BatchMode=yes -o HostKeyAlias=h -p $lport root@localhost 'cat >/dev/null'" \
  --vs "$tool" on --state "$state" r -- sh -c "head -c ${size_mb}M /dev/zero | ssh -o BatchMode=yes h 'cat >/dev/null'"
echo "-- portforward: h -> r's sink through the forward, vs ssh r into a sink"
send="import socket,sys; s=socket.create_connection(('$h_addr',$sink)); b=bytes(1<<20)
for _ in range($size_mb): s.sendall(b)
s.close()"
paired portforward -- "$tool" on --state "$state" h -- python3 -c "$send" \
  --vs "$tool" on --state "$state" h -- sh -c "head -c ${size_mb}M /dev/zero | ssh -o BatchMode=yes r 'cat >/dev/null'"

echo "== the relay's return: seconds from r's sshd started again to the lifeline up"
r_uts=$(on r -- readlink /proc/self/ns/uts)
for i in 1 2 3; do
  for pid in $(pgrep sshd || true); do  # r's sshd: listener and sessions
    [ "$(readlink /proc/"$pid"/ns/uts 2>/dev/null)" = "$r_uts" ] && kill -9 "$pid" 2>/dev/null || true
  done
  for _ in $(seq 300); do on h -- sc lifeline status >/dev/null 2>&1 || break; sleep 0.2; done
  sleep $((i * 3))  # away for 3, 6, 9 s
  t0=$(date +%s%N)
  on r -- /usr/sbin/sshd -f /etc/ssh/sshd_config -E /var/lib/sc/sshd-bench.log
  wait_up lifeline
  echo "return $i (away $((i * 3)) s and more): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
