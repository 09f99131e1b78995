#!/bin/bash
# dh_sc, the SDK's debhelper add-on, on package trees made here (no build):
# ${sc:Depends} from the manifests, requirements met by the same source,
# --module-package, several modules in one package, re-runs, refusals.
# Usage: dh_sc_test.sh SOURCE_DIR. Exit 77 (skipped) without debhelper,
# except under CI=true.
set -euo pipefail
src=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
if ! perl -MDebian::Debhelper::Dh_Lib -e 1 2> /dev/null; then
  [ "${CI:-}" = true ] && fail "debhelper is missing (.ci/install-deps installs it)"
  echo "SKIPPED: debhelper is missing"
  exit 77
fi
export PERL5LIB=$src/sdk/debhelper PATH=$src/sdk/debhelper:$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A source with two module packages; a, b in pkg-ab; c in pkg-c.
mkdir -p debian
cat > debian/control <<'CONTROL'
Source: sc-test
Maintainer: Test <test@example.org>
Build-Depends: debhelper-compat (= 13)

Package: pkg-ab
Architecture: all
Description: two modules
 Test.

Package: pkg-c
Architecture: all
Description: one module
 Test.
CONTROL
printf 'sc-test (1.0) unstable; urgency=medium\n\n  * Test.\n\n -- Test <test@example.org>  Mon, 30 Nov 2026 12:00:00 +0000\n' \
  > debian/changelog
module() {  # module PACKAGE NAME JSON-EXTRA
  mkdir -p "debian/$1/usr/lib/sc"
  printf '{"format_version":"1.0","name":"%s","version":"1.0.0","abi":"%s","library":"%s.so","summary":"t"%s}\n' \
    "$2" "$3" "$2" "$4" > "debian/$1/usr/lib/sc/$2.json"
  : > "debian/$1/usr/lib/sc/$2.so"
}
depends() { sed -n 's/^sc:Depends=//p' "debian/$1.substvars"; }
expect() {  # expect PACKAGE VALUE
  [ "$(depends "$1")" = "$2" ] || fail "$1: sc:Depends=$(depends "$1"), want $2"
}
refused() {  # refused PATTERN ARGS...: dh_sc fails with a message matching PATTERN
  local pattern=$1
  shift
  if dh_sc "$@" > out.log 2>&1; then fail "dh_sc accepted: $pattern"; fi
  grep -q -- "$pattern" out.log || { cat out.log; fail "dh_sc's refusal does not say: $pattern"; }
}

module pkg-ab a 1.0 ',"requires":["hostconf","c"]'
module pkg-ab b 1.2 ',"requires":["a","other"]'
module pkg-c c 1.1 ''
dh_sc
# The highest minor of the package's modules; c from this source; a
# requirement met inside the package is no dependency. (debhelper sorts.)
expect pkg-ab "pkg-c, sc-abi-1 (>= 1.2), synccluster-plugin-hostconf, synccluster-plugin-other"
expect pkg-c "sc-abi-1 (>= 1.1)"

# A re-run replaces the value (a lowered ABI must not leave the old one).
module pkg-c c 1.0 ''
dh_sc -p pkg-c
expect pkg-c "sc-abi-1 (>= 1.0)"
dh_sc --module-package other=acme-sc-other
expect pkg-ab "acme-sc-other, pkg-c, sc-abi-1 (>= 1.2), synccluster-plugin-hostconf"
# Other substvars of the package are kept.
echo 'misc:Depends=foo' >> debian/pkg-c.substvars
dh_sc -p pkg-c
grep -qx 'misc:Depends=foo' debian/pkg-c.substvars || fail "dh_sc dropped another substvar"
# Leading zeros are numbers.
module pkg-c c 01.010 ''
dh_sc -p pkg-c
expect pkg-c "sc-abi-1 (>= 1.10)"

refused "expected MODULE=PACKAGE" --module-package 'other=Bad Name'
refused "expected MODULE=PACKAGE" --module-package 'x;rm -rf /=p'
module pkg-ab d 2.0 ''
refused "installs modules for ABI 1 and ABI 2" -p pkg-ab
rm debian/pkg-ab/usr/lib/sc/d.*
module pkg-c c 1.0 ''
echo '{"name": "c",' > debian/pkg-c/usr/lib/sc/c.json
refused "c.json is not valid JSON" -p pkg-c
module pkg-c c 1.0 ''
sed -i 's/"name":"c"/"name":"x"/' debian/pkg-c/usr/lib/sc/c.json
refused '"name" is "x" but the file is c.json' -p pkg-c
module pkg-c c 1.x ''
refused '"abi" must be "MAJOR.MINOR"' -p pkg-c
module pkg-c c 1.0 ''
rm debian/pkg-c/usr/lib/sc/c.so
refused "its library c.so is not installed beside it" -p pkg-c
module pkg-c c 1.0 ',"requires":["$(reboot)"]'
refused '"requires" must be a list of module names' -p pkg-c
module pkg-c c 1.0 ',"requires":"hostconf"'
refused '"requires" must be a list of module names' -p pkg-c

# A package without modules gets no sc:Depends.
rm -rf debian/pkg-c debian/pkg-c.substvars
dh_sc -p pkg-c
[ ! -e debian/pkg-c.substvars ] || fail "a package without modules got $(cat debian/pkg-c.substvars)"

# The sequence puts dh_sc before dh_gencontrol.
dh binary --with sc --no-act | grep -E '^ *dh_(sc|gencontrol)' | tr -d ' ' | paste -sd' ' > seq.txt
[ "$(cat seq.txt)" = "dh_sc dh_gencontrol" ] || fail "dh --with sc runs: $(cat seq.txt)"
echo "dh_sc: ok"
