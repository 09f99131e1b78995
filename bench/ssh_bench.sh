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
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "$build"

bench_loopback_peer

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
quiet "${client[@]}" sshlink getsettings "$peer"  # fails loudly if the setup is wrong
quiet "${client[@]}" sshlink importsettings "$peer" "${modules[@]}"

bench_header
row "sc sshlink getsettings PEER ($nsettings settings)" 150 40 -- "${client[@]}" sshlink getsettings "$peer"
row "sc sshlink importsettings PEER ${modules[*]}" 100 40 -- \
  "${client[@]}" sshlink importsettings "$peer" "${modules[@]}"
row "reference: sc sshlink has PEER (connect + auth)" - 40 -- "${client[@]}" sshlink has "$peer"
row "reference: ssh PEER true (OpenSSH client)" - 20 -- \
  ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile="$HOME/.ssh/known_hosts" -i "$HOME/.ssh/id_ed25519" \
  -p "$port" root@127.0.0.1 true
row "reference: peer's sc --json settings print (local)" - 40 -- \
  "$work/bin/sc" --json settings print --show-secrets
