#!/usr/bin/env bash
# Benchmarks of sc's calls to a peer (issue 4) with their targets, against a
# real OpenSSH server on loopback, as root:
#
#   bench/ssh_bench.sh [BUILD_DIR]     (default: build; configured and built if needed)
#
# The peer is this machine through a private sshd (temporary host key,
# authorized keys, PATH and HOME set with SetEnv) whose `sc` is the one just
# built with its own --root; the client has its own HOME and --root. Root's
# real ~/.ssh is never touched. The original tool needs about 12.8 s and
# 2.9 s for these two commands (one SSH connection per setting).
#
# Prints one table of whole-process latencies in milliseconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
if [ "$(id -u)" -ne 0 ]; then
  echo "ssh_bench.sh: run as root (it starts sshd)" >&2
  exit 1
fi
if [ ! -x "$build/bench/sc_bench" ] || [ ! -x "$build/core/sc" ]; then
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" -j2 sc sc_all_plugins sc_bench >/dev/null
sc=$build/core/sc
plugins=$build/lib/sc
bench=$build/bench/sc_bench

work=$(mktemp -d)
chmod 755 "$work"
sshd_pid=
cleanup() {
  if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; wait "$sshd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/home/.ssh" "$work/peer-home" "$work/bin" "$work/client-root/etc" "$work/peer-root/etc" \
         "$work/authorized" /run/sshd
chmod 700 "$work/home/.ssh"
ssh-keygen -q -t ed25519 -N '' -C bench-host -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$work/home/.ssh/id_ed25519"
cp "$work/home/.ssh/id_ed25519.pub" "$work/authorized/root"
cat >"$work/bin/sc" <<EOF
#!/bin/sh
exec '$sc' --plugin-path '$plugins' --root '$work/peer-root' "\$@"
EOF
chmod 755 "$work/bin/sc"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/sshd_config" <<EOF
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
EOF
/usr/sbin/sshd -D -f "$work/sshd_config" -E "$work/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do
  grep -q "Server listening" "$work/sshd.log" 2>/dev/null && break
  sleep 0.05
done
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/host_key.pub")" >"$work/home/.ssh/known_hosts"
export HOME=$work/home
peer=root@127.0.0.1:$port

# The peer's settings: every setting of the installed modules (its default,
# or a sample value), plus 60 that no module declares, as a host that has
# lived a while has. The three modules declaring the most settings (sshlink
# aside) are the ones importsettings copies.
peer_sc() { "$sc" --plugin-path "$plugins" --root "$work/peer-root" "$@"; }
peer_sc --json settings list | python3 -c '
import json, sys
samples = {"string": "sample value", "path": "/srv/sample", "bool": "yes", "int": "1", "list": "a b c"}
for row in json.load(sys.stdin)["result"]:
    # the settings of sshlink keep their defaults: they drive the link itself
    if row["module"] and row["module"] != "sshlink" and row["type"] in samples:
        print(row["name"], samples[row["type"]])
' | while read -r name value; do
  peer_sc settings set "$name" "$value" >/dev/null 2>&1 || true
done
for i in $(seq -w 1 60); do peer_sc settings set "HOST_NOTE_$i" "note $i: it's \"quoted\"" >/dev/null 2>&1; done
nsettings=$(peer_sc --json settings print | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))')
mapfile -t modules < <(peer_sc --json settings list | python3 -c '
import collections, json, sys
count = collections.Counter(r["module"] for r in json.load(sys.stdin)["result"]
                            if r["module"] and r["module"] != "sshlink")
for name, _ in count.most_common(3):
    print(name)
')

client=("$sc" --plugin-path "$plugins" --root "$work/client-root")
"${client[@]}" sshlink getsettings "$peer" >/dev/null  # fails loudly if the setup is wrong
"${client[@]}" sshlink importsettings "$peer" "${modules[@]}" >/dev/null

printf '%-58s %9s %9s %9s %8s\n' "benchmark" "median" "p90" "min" "target"
row() {  # LABEL TARGET_MS RUNS -- COMMAND...
  local label=$1 target=$2 runs=$3
  shift 4
  local line
  line=$("$bench" --runs "$runs" --warmup 3 "$label" -- "$@")
  IFS=$'\t' read -r _ median p90 min _ <<<"$line"
  local verdict=""
  if [ "$target" != "-" ]; then
    verdict="ok"
    awk -v m="$median" -v t="$target" 'BEGIN { exit !(m > t) }' && verdict="OVER"
  fi
  printf '%-58s %8sms %8sms %8sms %6s%s %s\n' "$label" "$median" "$p90" "$min" "$target" \
    "$([ "$target" = "-" ] || echo ms)" "$verdict"
}
row "sc sshlink getsettings PEER ($nsettings settings)" 150 40 -- "${client[@]}" sshlink getsettings "$peer"
row "sc sshlink importsettings PEER ${modules[*]}" 100 40 -- \
  "${client[@]}" sshlink importsettings "$peer" "${modules[@]}"
row "reference: sc sshlink has PEER (connect + auth)" - 40 -- "${client[@]}" sshlink has "$peer"
row "reference: ssh PEER true (OpenSSH client)" - 20 -- \
  ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile="$HOME/.ssh/known_hosts" -i "$HOME/.ssh/id_ed25519" \
  -p "$port" root@127.0.0.1 true
row "reference: peer's sc --json settings print (local)" - 40 -- \
  "$work/bin/sc" --json settings print --show-secrets
