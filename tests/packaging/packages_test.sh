#!/bin/bash
# Builds the Debian packages from a copy of the source tree, checks them
# with lintian and by their contents and relations, then installs and
# removes them with dpkg in a private mount namespace whose /usr, /var and
# /etc are overlays: the machine's own files and dpkg database never change.
#
# Usage: tests/packaging/packages_test.sh [SOURCE_DIR]   (as root, Debian 12)
# Keeps the packages in DIR with PACKAGES_OUT=DIR; PACKAGES_FROM=DIR tests
# packages built before instead of building. Exit 77 (skipped) when
# not root or the packaging tools are missing, except under CI=true, where
# that is a failure.
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
step() { echo "--- $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() {
  if [ "${CI:-}" = true ]; then fail "$* (required in CI: .ci/install-deps installs it)"; fi
  echo "SKIPPED: $*"
  exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i in a private mount namespace)"
for tool in dpkg-buildpackage dh lintian unshare python3; do
  command -v "$tool" > /dev/null || skip "$tool is missing (apt-get install debhelper dpkg-dev lintian)"
done

status_before=$(dpkg-query -W -f '${Status}' sc 2>/dev/null || true)
work=$(mktemp -d /tmp/sc-packages-XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"

step "copy the source tree to $work/synccluster"
mkdir "$work/synccluster"
if git -C "$src" rev-parse --git-dir > /dev/null 2>&1; then
  # Tracked files and new ones not ignored: what a commit of this tree holds.
  (cd "$src" && git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -t "$work/synccluster")
else
  (cd "$src" && tar --exclude='./build*' --exclude='./obj-*' --exclude=./.git -cf - .) | tar -C "$work/synccluster" -xf -
fi
cd "$work/synccluster"
# The same rule as plugins/CMakeLists.txt: every directory with a CMakeLists.txt
# (plugins/common, the library the modules share, has none).
modules=$(for d in plugins/*/; do [ -f "$d/CMakeLists.txt" ] && basename "$d"; done)
[ -n "$modules" ] || fail "no module in plugins/"

# noopt: the packaging is under test, not the optimiser, and -O0 builds in
# about half the time. PACKAGES_BUILD_OPTIONS= (empty) builds as a release.
build_options=${PACKAGES_BUILD_OPTIONS-noopt}
if [ -n "${PACKAGES_FROM:-}" ]; then
  step "reusing the packages in $PACKAGES_FROM"
  cp "$PACKAGES_FROM"/*.deb "$PACKAGES_FROM"/*.changes "$PACKAGES_FROM"/*.buildinfo "$work"/
else
  step "dpkg-buildpackage -b -us -uc ($(echo $modules | wc -w) modules; DEB_BUILD_OPTIONS=$build_options)"
  start=$(date +%s)
  if ! DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck $build_options" dpkg-buildpackage -b -us -uc \
      > "$work/build.log" 2>&1; then
    tail -60 "$work/build.log"
    fail "dpkg-buildpackage failed (log above)"
  fi
  echo "built in $(($(date +%s) - start)) s"
  if [ -n "${PACKAGES_OUT:-}" ]; then
    mkdir -p "$PACKAGES_OUT" && cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$PACKAGES_OUT"/
    echo "packages copied to $PACKAGES_OUT"
  fi
fi
cd "$work"
version=$(dpkg-parsechangelog -l synccluster/debian/changelog -S Version)
arch=$(dpkg --print-architecture)
project_version=$(sed -n 's/^project(synccluster VERSION \([0-9.]*\).*/\1/p' synccluster/CMakeLists.txt)
[ "$version" = "$project_version" ] ||
  fail "debian/changelog is at $version but CMakeLists.txt at $project_version: add a changelog entry (dch -v $project_version)"
abi_major=$(sed -n 's/^#define SC_ABI_MAJOR \([0-9]*\)$/\1/p' synccluster/sdk/include/sc/plugin.h)
abi_minor=$(sed -n 's/^#define SC_ABI_MINOR \([0-9]*\)$/\1/p' synccluster/sdk/include/sc/plugin.h)
deb() { echo "$work/${1}_${version}_${2:-$arch}.deb"; }

step "every package exists"
[ -f "$(deb sc)" ] || fail "no sc package"
[ -f "$(deb sc-dev all)" ] || fail "no sc-dev package"
for m in $modules; do
  [ -f "$(deb "sc-plugin-$m")" ] || fail "module $m has no package sc-plugin-$m"
done
ls "$work"/*.deb | sed "s|$work/|  |"

step "lintian (errors fail; warnings are listed)"
lintian --fail-on error --suppress-tags-from-file /dev/null "$work"/*.changes > "$work/lintian.log" 2>&1 ||
  { cat "$work/lintian.log"; fail "lintian reports errors"; }
if [ -s "$work/lintian.log" ]; then cat "$work/lintian.log"; else echo "  clean"; fi

step "contents and relations"
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort; }
fields() { dpkg-deb -f "$1" "$2"; }
c=$(contents "$(deb sc)")
for f in /usr/bin/sc /usr/share/man/man1/sc.1.gz /usr/share/bash-completion/completions/sc; do
  grep -qx "$f" <<< "$c" || fail "sc lacks $f"
done
[ "$(fields "$(deb sc)" Provides)" = "sc-abi-$abi_major (= $abi_major.$abi_minor)" ] ||
  fail "sc provides '$(fields "$(deb sc)" Provides)', not sc-abi-$abi_major (= $abi_major.$abi_minor)"
c=$(contents "$(deb sc-dev all)")
for f in /usr/include/sc/plugin.h /usr/include/sc/plugin.hpp /usr/share/sc-sdk/manifest.schema.json \
         /usr/share/cmake/sc-sdk/sc-sdk-config.cmake /usr/share/pkgconfig/sc-sdk.pc /usr/share/doc/sc-dev/ABI.md.gz \
         /usr/share/doc/sc-dev/examples/helloc/helloc.c; do
  grep -qx "$f" <<< "$c" || fail "sc-dev lacks $f"
done
for m in $modules; do
  p=$(deb "sc-plugin-$m")
  want=$(printf '%s\n' "/usr/lib/sc/$m.json" "/usr/lib/sc/$m.so")
  got=$(contents "$p" | grep -v '^/usr/share/doc/')
  [ "$got" = "$want" ] || fail "sc-plugin-$m holds $(echo $got), not exactly $m.so and $m.json in /usr/lib/sc"
  depends=$(fields "$p" Depends)
  m_minor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["abi"].split(".")[1])' \
    "synccluster/plugins/$m/manifest.json")
  grep -q "sc-abi-$abi_major (>= $abi_major.$m_minor)" <<< "$depends" || fail "sc-plugin-$m: Depends: $depends lacks sc-abi-$abi_major"
  for r in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1])).get("requires", [])))' \
               "synccluster/plugins/$m/manifest.json"); do
    grep -qE "(^|, )sc-plugin-$r(,|$| )" <<< "$depends" || fail "sc-plugin-$m requires $r but Depends: $depends"
  done
done
echo "  ok"

# A module without requirements to install first, and a second one.
first=version second=hostconf
for m in $first $second; do
  grep -qx "$m" <<< "$modules" || fail "the install test needs module $m"
done
# A module that requires another, when there is one: dpkg must refuse it alone.
needy=
for m in $modules; do
  if python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("requires") else 1)' \
      "synccluster/plugins/$m/manifest.json"; then
    needy=$m
    break
  fi
done

step "install and remove with dpkg, in a private mount namespace"
mkdir -p "$work/ns"/{usr,var,etc}/{upper,work}
cat > "$work/in-namespace.sh" <<'INNER'
set -euo pipefail
work=$1 version=$2 arch=$3 first=$4 second=$5 needy=$6 abi=$7
fail() { echo "FAIL: $*" >&2; exit 1; }
for d in usr var etc; do
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/ns/$d/upper,workdir=$work/ns/$d/work" "/$d"
done
# Exactly what the packages install, nothing a developer installed by hand.
rm -rf /usr/local/lib/sc /usr/lib/sc /usr/bin/sc
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
deb() { echo "$work/${1}_${version}_${2:-$arch}.deb"; }
# Names of the plugins `sc plugins` lists; a refused one is listed as NAME:refused.
listed() {
  sc --json plugins | python3 -c 'import json,sys
print(" ".join(sorted(p["name"] + (":refused" if p["state"] == "refused" else "") for p in json.load(sys.stdin)["result"])))'
}
dpkg_quiet() { dpkg "$@" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; return 1; }; }

echo "dpkg -i sc sc-plugin-$first"
dpkg_quiet -i "$(deb sc)" "$(deb sc-plugin-$first)" || fail "dpkg -i sc sc-plugin-$first"
sc --version | grep -q "plugin ABI $abi" || fail "sc --version: $(sc --version)"
[ "$(listed)" = "$first" ] || fail "sc plugins lists '$(listed)', want only $first"
sc "$first" help > /dev/null || fail "sc $first help"
man -w sc > /dev/null || fail "man sc: no manual page"
[ -f /usr/share/bash-completion/completions/sc ] || fail "no bash completion"

echo "dpkg -i sc-plugin-$second"
dpkg_quiet -i "$(deb sc-plugin-$second)" || fail "dpkg -i sc-plugin-$second"
[ "$(listed)" = "$(printf "%s\n" "$first" "$second" | sort | xargs)" ] || fail "sc plugins lists '$(listed)'"

echo "dpkg -r sc (refused: the modules depend on sc-abi)"
if dpkg -r sc > "$work/dpkg.log" 2>&1; then fail "dpkg removed sc while modules depend on it"; fi
grep -q "sc-abi" "$work/dpkg.log" || { cat "$work/dpkg.log"; fail "the refusal does not name sc-abi"; }

echo "dpkg -r sc-plugin-$first"
dpkg_quiet -r "sc-plugin-$first" || fail "dpkg -r sc-plugin-$first"
sc --version > /dev/null || fail "sc no longer runs"
[ "$(listed)" = "$second" ] || fail "after removing $first, sc plugins lists '$(listed)'"
[ ! -e "/usr/lib/sc/$first.so" ] && [ ! -e "/usr/lib/sc/$first.json" ] || fail "$first's files are left behind"
sc "$first" show > /dev/null 2>&1 && fail "sc $first still runs"
status=0; sc "$first" show > /dev/null 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "sc $first gave status $status, not 3 (not installed)"

if [ -n "$needy" ]; then
  echo "dpkg -i sc-plugin-$needy alone (refused: its requirements are missing)"
  if dpkg -i "$(deb sc-plugin-$needy)" > "$work/dpkg.log" 2>&1; then fail "dpkg configured $needy without its requirements"; fi
  grep -q "sc-plugin-" "$work/dpkg.log" || { cat "$work/dpkg.log"; fail "the refusal does not name the required package"; }
  dpkg_quiet --purge "sc-plugin-$needy"
fi

echo "dpkg -i sc-dev: build the C example against /usr"
dpkg_quiet -i "$(deb sc-dev all)" || fail "dpkg -i sc-dev"
[ "$(pkg-config --modversion sc-sdk)" = "$abi" ] || fail "pkg-config sc-sdk: $(pkg-config --modversion sc-sdk)"
cp -R /usr/share/doc/sc-dev/examples/helloc "$work/helloc"
make -s -C "$work/helloc" > "$work/make.log" 2>&1 || { cat "$work/make.log"; fail "helloc against the packaged SDK"; }
make -s -C "$work/helloc" check SC=sc || fail "helloc check against the packaged sc"

echo "dpkg --purge everything"
dpkg_quiet --purge sc-dev "sc-plugin-$second" sc || fail "purge"
[ ! -e /usr/bin/sc ] && [ ! -e /usr/lib/sc ] || fail "files left after purge: $(ls -d /usr/bin/sc /usr/lib/sc 2>&1)"
echo "namespace: ok"
INNER
unshare --mount --propagation private bash "$work/in-namespace.sh" "$work" "$version" "$arch" "$first" "$second" \
  "${needy:-}" "$abi_major.$abi_minor" || fail "install/remove test"
[ "$(dpkg-query -W -f '${Status}' sc 2>/dev/null || true)" = "$status_before" ] ||
  fail "the test changed the state of package sc in the machine's dpkg database"
echo "packages: ok"
