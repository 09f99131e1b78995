#!/bin/sh
# Runs the built motd module in sc, confined to a temporary --root.
# Usage: run_in_sc.sh SC PLUGIN_DIR
set -eu
sc=$1
plugins=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { "$sc" --plugin-path "$plugins" --root "$root" "$@"; }

mkdir -p "$root/etc"
echo node1.example.com > "$root/etc/hostname"

run --dry-run motd setup > /dev/null
[ ! -e "$root/etc/motd" ] || fail "--dry-run wrote /etc/motd"

run motd setup > /dev/null
[ "$(cat "$root/etc/motd")" = "Welcome to node1.example.com" ] || fail "setup wrote: $(cat "$root/etc/motd")"
run --json motd setup | grep -q '"changed":0' || fail "a second setup changed something"

run --set MOTD_BOXED=yes motd setfqdn other.example.org > /dev/null
border='********************************'
[ "$(run motd show)" = "$(printf '%s\n' "$border" '* Welcome to other.example.org *' "$border")" ] ||
  fail "boxed: $(run motd show)"

status=0
run motd setfqdn 'bad name;' 2> /dev/null || status=$?
[ "$status" -eq 2 ] || fail "a bad host name gave status $status, not 2"
echo "motd in sc: ok"
