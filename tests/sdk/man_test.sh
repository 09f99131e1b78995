#!/bin/sh
# core/dist/sc.8 documents every global option and core command that `sc --help`
# lists, and renders without groff warnings.
# Usage: man_test.sh SC SOURCE_DIR
set -eu
sc=$1 page=$2/core/dist/sc.8
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
help=$("$sc" --help --plugin-path /nonexistent)
options=$(printf '%s\n' "$help" | sed -n '/^Global options/,/^$/p' | grep -o -e ' -[a-z]\b' -e '--[a-z][a-z-]*' | tr -d ' ')
[ -n "$options" ] || fail "no option found in sc --help"
for o in $options; do
  roff=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
  grep -q -- "$roff" "$page" || fail "option $o of sc --help is not in sc.8"
done
commands=$(printf '%s\n' "$help" | sed -n 's/^  sc \([a-z]*\)\( \([a-z]*\)\)\{0,1\}.*/\1 \3/p' | sed 's/ [A-Z]*$//' | sort -u)
[ -n "$commands" ] || fail "no core command found in sc --help"
for c in $(printf '%s\n' "$commands" | tr ' ' '_'); do
  words=$(printf '%s' "$c" | tr '_' ' ' | sed 's/ *$//')
  grep -q -e "sc $words" -e "\"sc $words" "$page" || fail "core command 'sc $words' is not in sc.8"
done
warnings=$(groff -man -ww -z "$page" 2>&1)
[ -z "$warnings" ] || fail "groff warns: $warnings"
echo "$(printf '%s\n' $options $commands | wc -l) checked, $failed failed"
[ "$failed" -eq 0 ]
