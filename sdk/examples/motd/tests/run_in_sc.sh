#!/bin/sh
# Runs the built motd module in sc, confined to a temporary --root.
# Usage: run_in_sc.sh SC PLUGIN_DIR [DIR...]
# PLUGIN_DIR (the build's) is searched first, then each DIR, then the
# installed modules: motd requires hostconf, installed or in a DIR.
set -eu
sc=$1
shift
paths=
for dir in "$@"; do paths="$paths --add-plugin-path $dir"; done
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck disable=SC2086
run() { "$sc" $paths --root "$root" "$@"; }

mkdir -p "$root/etc"
echo node1.example.com > "$root/etc/hostname"
# hostconf is ready: motd setup does not set it up first.
run settings set FQDN node1.example.com > /dev/null

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
