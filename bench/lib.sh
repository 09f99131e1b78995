# Shared by the benchmark scripts of bench/ (sourced, not run):
#   bench_setup BUILD_DIR TARGETS...  configure and build what is needed; sets $sc, $plugins, $bench
#   quiet CMD...                      runs a set-up command, its output shown only on failure
#   bench_header                      prints the table header
#   row LABEL TARGET_MS RUNS -- CMD   runs CMD RUNS times (after warm-up) and prints median, p90, min
#   start_loopback_sshd WORK [LINE...] a private sshd on 127.0.0.1 whose peer sc is the built one with
#                                     --root WORK/peer-root; sets $port, $peer, $HOME (WORK/home);
#                                     LINEs are added to its sshd_config
#   bench_loopback_peer [NEED_KB] [LINE...]  sets $work, a fresh work directory, starts the
#                                     loopback sshd in it (LINEs to its sshd_config), and
#                                     stops it and removes $work on exit. With NEED_KB (a
#                                     number): $BENCH_DIR when set, else in /dev/shm when
#                                     it has more than NEED_KB free, else in /srv; without:
#                                     a mktemp directory
# Scripts using start_loopback_sshd must run as root and call stop_loopback_sshd on exit.

bench_setup() {
  local build=$1
  shift
  if [ ! -x "$build/bench/sc_bench" ] || [ ! -x "$build/core/sc" ]; then
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  ninja -C "$build" -j2 sc sc_all_plugins sc_bench "$@" >/dev/null
  # Absolute: the peer's sc wrapper runs from another directory.
  build=$(cd "$build" && pwd)
  sc=$build/core/sc
  plugins=$build/lib/sc
  bench=$build/bench/sc_bench
}

# Runs a set-up command quietly: sc reports its actions on stderr, so both
# streams are kept aside and shown only when the command fails.
quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "bench: failed: $*" >&2
    return 1
  fi
}

bench_header() {
  printf '%-58s %9s %9s %9s %8s\n' "benchmark" "median" "p90" "min" "target"
}

row() {  # LABEL TARGET_MS RUNS -- COMMAND...
  local label=$1 target=$2 runs=$3
  shift 4
  local line
  line=$("$bench" --runs "$runs" --warmup "${BENCH_WARMUP:-3}" "$label" -- "$@")
  IFS=$'\t' read -r _ median p90 min _ <<<"$line"
  local verdict=""
  if [ "$target" != "-" ]; then
    verdict="ok"
    awk -v m="$median" -v t="$target" 'BEGIN { exit !(m > t) }' && verdict="OVER"
  fi
  printf '%-58s %8sms %8sms %8sms %6s%s %s\n' "$label" "$median" "$p90" "$min" "$target" \
    "$([ "$target" = "-" ] || echo ms)" "$verdict"
}

sshd_pid=
start_loopback_sshd() {
  local work=$1
  shift
  mkdir -p "$work/home/.ssh" "$work/peer-home" "$work/bin" "$work/client-root/etc" "$work/peer-root/etc" \
           "$work/authorized" /run/sshd
  chmod 700 "$work/home/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C bench-host -f "$work/host_key"
  ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$work/home/.ssh/id_ed25519"
  cp "$work/home/.ssh/id_ed25519.pub" "$work/authorized/root"
  cat >"$work/bin/sc" <<EOS
#!/bin/sh
exec '$sc' --plugin-path '$plugins' --root '$work/peer-root' "\$@"
EOS
  chmod 755 "$work/bin/sc"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$work/sshd_config" <<EOS
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized/%u
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
LogLevel VERBOSE
MaxStartups 100
SetEnv PATH=$work/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=$work/peer-home
EOS
  local line
  for line in "$@"; do printf '%s\n' "$line" >>"$work/sshd_config"; done
  /usr/sbin/sshd -D -f "$work/sshd_config" -E "$work/sshd.log" &
  sshd_pid=$!
  for _ in $(seq 100); do
    grep -q "Server listening" "$work/sshd.log" 2>/dev/null && break
    sleep 0.05
  done
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/host_key.pub")" >"$work/home/.ssh/known_hosts"
  export HOME=$work/home
  peer=root@127.0.0.1:$port
}

stop_loopback_sshd() {
  if [ -n "$sshd_pid" ]; then
    kill "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
  fi
}

bench_loopback_peer() {
  local need_kb=
  if [[ ${1:-} =~ ^[0-9]+$ ]]; then
    need_kb=$1
    shift
  fi
  if [ -z "$need_kb" ]; then
    work=$(mktemp -d)
  elif [ -n "${BENCH_DIR:-}" ]; then
    work=$BENCH_DIR
  elif [ "$(df --output=avail -k /dev/shm 2>/dev/null | tail -1)" -gt "$need_kb" ] 2>/dev/null; then
    work=$(mktemp -d /dev/shm/sc-bench.XXXXXX)
  else
    mkdir -p /srv
    work=$(mktemp -d /srv/sc-bench.XXXXXX)
  fi
  chmod 755 "$work"
  # Nothing stays mounted: benchmarks mount in namespaces that end with them.
  trap 'stop_loopback_sshd; rm -rf "$work"' EXIT
  start_loopback_sshd "$work" "$@"
}
