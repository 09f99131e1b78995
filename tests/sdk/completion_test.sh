#!/bin/bash
# The bash completion (core/dist/sc.bash-completion) offers what the sc being
# completed knows: modules, commands, core sub-commands, options, settings.
# Usage: completion_test.sh SC BUILT_PLUGIN_DIR SOURCE_DIR
set -u
sc=$1 built=$2 src=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A plugin directory with exactly two modules, so expectations are exact.
mkdir -m 0755 "$work/plugins" "$work/root"
for m in hostconf version; do
  cp "$built/$m.so" "$built/$m.json" "$work/plugins/"
done
chmod 0644 "$work/plugins/"*
# shellcheck source=../../core/dist/sc.bash-completion
source "$src/core/dist/sc.bash-completion"

passed=0 failed=0
# expect "WANTED COMPLETIONS" WORD... (the last word is the one completed)
expect() {
  local want=$1
  shift
  COMP_WORDS=("$sc" --plugin-path "$work/plugins" --root "$work/root" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _sc
  local got
  got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
  if [[ $got == "$want" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: sc $*| -> '$got', want '$want'"
  fi
}
# expect_has "COMPLETION" WORD...: COMPLETION is among the candidates
expect_has() {
  local want=$1
  shift
  COMP_WORDS=("$sc" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _sc
  if printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$want"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: sc $*| lacks '$want' (got: ${COMPREPLY[*]})"
  fi
}

expect "help hostconf migrate plugins settings version" ""
expect "hostconf" ho
expect "domain fqdn help host ready setfqdn setup" hostconf ""
expect "setfqdn setup" --dry-run hostconf se
expect "domain fqdn host ready setfqdn setup" help hostconf ""
expect "hostconf plugins settings version" help ""
expect "del get list print set" settings ""
expect "FQDN" settings get ""
expect "hostconf version" settings print ""
expect "FQDN=" --set F
expect "help" nosuchmodule ""
expect "" hostconf setfqdn ""
expect "" -- hostconf ""
expect "" hostconf setfqdn -- x ""
expect "--no-load" plugins --no
expect "--root" --ro
expect "--show-secrets" settings print --sh
expect "--undo" migrate --un
# Every option of `sc --help`, long and short.
for o in --root --dry-run -n --diff --json --yes -y --set --plugin-path --verbose -v --help -h --version; do
  expect_has "$o" -
done
# Without --plugin-path, the default search path is used: still a list.
expect_has "help" ""
# Directories after --root / --plugin-path.
mkdir "$work/dir-a"
expect_has "$work/dir-a" --root "$work/dir-"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
