#!/usr/bin/env bash
# Throughput of a large copy through the wstunnel websocket tunnel against
# the same copy over a direct ssh connection, both to a real OpenSSH server
# on loopback, as root (issue 16, target: tunnel >= 0.8 x direct):
#
#   bench/wstunnel_bench.sh [BUILD_DIR]    (default: build; configured and built if needed)
#
# The tunnel is our server (`sc wstunnel daemon`, WSTUNNEL_MODE=server,
# joined to the sshd) and our client (WSTUNNEL_MODE=client, ws:// to the
# server: no TLS and no nginx, so what is measured is the websocket layer
# itself); ssh reaches the sshd through the client's listener. The copy is
# `head -c SIZE /dev/zero | ssh ... 'cat >/dev/null'` (BENCH_MB, default
# 1024 MB), BENCH_RUNS (default 3) runs of each, alternating; the best and
# the median of each are printed, with the ratio of the medians.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
if [ "$(id -u)" -ne 0 ]; then
  echo "wstunnel_bench.sh: run as root (it starts sshd)" >&2
  exit 1
fi
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "$build"
bench_loopback_peer

mb=${BENCH_MB:-1024}
runs=${BENCH_RUNS:-3}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
srv_port=$(free_port)
cli_port=$(free_port)
mkdir -p "$work/srv-root/etc" "$work/cli-root/etc"
printf 'WSTUNNEL_MODE="server"\nWSTUNNEL_LISTEN="127.0.0.1:%s"\nWSTUNNEL_TARGET="127.0.0.1:%s"\n' \
  "$srv_port" "$port" >"$work/srv-root/etc/sc"
printf 'WSTUNNEL_MODE="client"\nWSTUNNEL_LISTEN="127.0.0.1:%s"\nWSTUNNEL_URL="ws://127.0.0.1:%s/wstunnel"\n' \
  "$cli_port" "$srv_port" >"$work/cli-root/etc/sc"
"$sc" --plugin-path "$plugins" --root "$work/srv-root" wstunnel daemon 2>"$work/srv.log" &
srv_pid=$!
"$sc" --plugin-path "$plugins" --root "$work/cli-root" wstunnel daemon 2>"$work/cli.log" &
cli_pid=$!
trap 'kill $srv_pid $cli_pid 2>/dev/null || true; stop_loopback_sshd; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  grep -q listening "$work/srv.log" 2>/dev/null && grep -q listening "$work/cli.log" 2>/dev/null && break
  sleep 0.05
done

# One name for the sshd's key whichever port reaches it.
echo "wstunnel-bench-peer $(cut -d' ' -f1,2 "$work/host_key.pub")" >>"$HOME/.ssh/known_hosts"
ssh_opts=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$HOME/.ssh/known_hosts"
          -o HostKeyAlias=wstunnel-bench-peer -i "$HOME/.ssh/id_ed25519" -l root)
copy() {  # PORT: seconds for the copy
  local t0 t1
  t0=$(date +%s.%N)
  head -c "${mb}M" /dev/zero | ssh "${ssh_opts[@]}" -p "$1" 127.0.0.1 'cat >/dev/null'
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
# Warm-up (keys, caches), then alternate.
copy "$port" >/dev/null
copy "$cli_port" >/dev/null
cpu() {  # PID: user+system CPU seconds so far
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"
}
direct=() tunnel=()
relay_cpu0=$(awk -v a="$(cpu $srv_pid)" -v b="$(cpu $cli_pid)" 'BEGIN { print a + b }')
for _ in $(seq "$runs"); do
  direct+=("$(copy "$port")")
  tunnel+=("$(copy "$cli_port")")
done
relay_cpu=$(awk -v a="$(cpu $srv_pid)" -v b="$(cpu $cli_pid)" -v z="$relay_cpu0" -v n="$runs" -v mb="$mb" \
  'BEGIN { printf "%.2f s per GB", (a + b - z) / n / mb * 1024 }')
stats() {  # SECONDS...: "best MB/s median MB/s"
  printf '%s\n' "$@" | sort -n | awk -v mb="$mb" '{ t[NR] = $1 } END {
    m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
    printf "%.0f %.0f\n", mb / t[1], mb / m }'
}
read -r d_best d_med <<<"$(stats "${direct[@]}")"
read -r t_best t_med <<<"$(stats "${tunnel[@]}")"
echo "copy of ${mb} MB to sshd on loopback, ${runs} runs each (MB/s: best, median)"
printf '%-44s %8s %8s\n' "" "best" "median"
printf '%-44s %8s %8s\n' "direct ssh" "$d_best" "$d_med"
printf '%-44s %8s %8s\n' "ssh through wstunnel (our client + server)" "$t_best" "$t_med"
echo "CPU of the two relays (server + client): $relay_cpu; cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v t="$t_med" -v d="$d_med" 'BEGIN { r = t / d; printf "tunnel / direct (medians): %.2f x (target >= 0.80: %s)\n", r, (r >= 0.8 ? "ok" : "UNDER") }'
