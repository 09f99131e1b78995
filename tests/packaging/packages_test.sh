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

# The machine's own dpkg database must not change: the state of our core
# package and of Debian's sc (the spreadsheet it conflicts with).
dpkg_states() { for p in synccluster sc; do echo "$p: $(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)"; done; }
states_before=$(dpkg_states)
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
[ -f "$(deb synccluster)" ] || fail "no synccluster package"
[ -f "$(deb synccluster-dev all)" ] || fail "no synccluster-dev package"
for m in $modules; do
  [ -f "$(deb "synccluster-plugin-$m")" ] || fail "module $m has no package synccluster-plugin-$m"
done
# Debian has a package sc (a spreadsheet): no package of ours may take its name.
for f in "$work"/sc_*.deb "$work"/sc-*.deb; do
  [ ! -e "$f" ] || fail "$(basename "$f"): packages are named synccluster*, Debian's sc is another program"
done
ls "$work"/*.deb | sed "s|$work/|  |"

step "lintian (errors fail; warnings are listed)"
lintian --fail-on error --suppress-tags-from-file /dev/null "$work"/*.changes > "$work/lintian.log" 2>&1 ||
  { cat "$work/lintian.log"; fail "lintian reports errors"; }
if [ -s "$work/lintian.log" ]; then cat "$work/lintian.log"; else echo "  clean"; fi

step "contents and relations"
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort; }
fields() { dpkg-deb -f "$1" "$2"; }
core=$(deb synccluster)
c=$(contents "$core")
for f in /usr/sbin/sc /usr/lib/sc/core/ssh.so /usr/share/man/man8/sc.8.gz /usr/share/bash-completion/completions/sc; do
  grep -qx "$f" <<< "$c" || fail "synccluster lacks $f"
done
for f in /usr/bin/sc /usr/share/man/man1/sc.1.gz; do
  ! grep -qx "$f" <<< "$c" || fail "synccluster holds $f: sc is a system command, in /usr/sbin with a page in section 8"
done
[ "$(fields "$core" Provides)" = "sc-abi-$abi_major (= $abi_major.$abi_minor)" ] ||
  fail "synccluster provides '$(fields "$core" Provides)', not sc-abi-$abi_major (= $abi_major.$abi_minor)"
[ "$(fields "$core" Conflicts)" = "sc" ] ||
  fail "synccluster: Conflicts: '$(fields "$core" Conflicts)', not sc (Debian's spreadsheet, also a command sc)"
c=$(contents "$(deb synccluster-dev all)")
for f in /usr/include/sc/plugin.h /usr/include/sc/plugin.hpp /usr/share/sc-sdk/manifest.schema.json \
         /usr/share/cmake/sc-sdk/sc-sdk-config.cmake /usr/share/pkgconfig/sc-sdk.pc \
         /usr/share/doc/synccluster-dev/ABI.md.gz /usr/share/doc/synccluster-dev/examples/helloc/helloc.c \
         /usr/bin/dh_sc /usr/share/man/man1/dh_sc.1.gz /usr/share/perl5/Debian/Debhelper/Sequence/sc.pm \
         /usr/share/doc/synccluster-dev/examples/motd/debian/control; do
  grep -qx "$f" <<< "$c" || fail "synccluster-dev lacks $f"
done
[ "$(fields "$(deb synccluster-dev all)" Provides)" = dh-sequence-sc ] ||
  fail "synccluster-dev provides '$(fields "$(deb synccluster-dev all)" Provides)', not dh-sequence-sc"
for m in $modules; do
  p=$(deb "synccluster-plugin-$m")
  want=$(printf '%s\n' "/usr/lib/sc/$m.json" "/usr/lib/sc/$m.so")
  got=$(contents "$p" | grep -v '^/usr/share/doc/')
  [ "$got" = "$want" ] || fail "synccluster-plugin-$m holds $(echo $got), not exactly $m.so and $m.json in /usr/lib/sc"
  depends=$(fields "$p" Depends)
  m_minor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["abi"].split(".")[1])' \
    "synccluster/plugins/$m/manifest.json")
  grep -q "sc-abi-$abi_major (>= $abi_major.$m_minor)" <<< "$depends" ||
    fail "synccluster-plugin-$m: Depends: $depends lacks sc-abi-$abi_major"
  for r in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1])).get("requires", [])))' \
               "synccluster/plugins/$m/manifest.json"); do
    grep -qE "(^|, )synccluster-plugin-$r(,|$| )" <<< "$depends" ||
      fail "synccluster-plugin-$m requires $r but Depends: $depends"
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

# A stand-in for Debian's sc (the spreadsheet), to check that dpkg keeps it
# and synccluster apart.
mkdir -p "$work/fake-sc/DEBIAN" "$work/fake-sc/usr/bin"
cat > "$work/fake-sc/DEBIAN/control" <<CONTROL
Package: sc
Version: 7.16-4.1
Architecture: all
Maintainer: synccluster tests <tests@synccluster.invalid>
Description: stand-in for Debian's spreadsheet sc
 Only installs /usr/bin/sc, for the packaging test of synccluster.
CONTROL
printf '#!/bin/sh\necho spreadsheet\n' > "$work/fake-sc/usr/bin/sc"
chmod 0755 "$work/fake-sc/usr/bin/sc"
dpkg-deb --root-owner-group -b "$work/fake-sc" "$work/fake-sc.deb" > /dev/null

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
rm -rf /usr/local/lib/sc /usr/lib/sc /usr/bin/sc /usr/sbin/sc /usr/local/bin/sc /usr/local/sbin/sc
if dpkg-query -W -f '${Status}' sc 2>/dev/null | grep -q ' installed$'; then dpkg --purge sc > /dev/null; fi
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
deb() { echo "$work/${1}_${version}_${2:-$arch}.deb"; }
# Names of the plugins `sc plugins` lists; a refused one is listed as NAME:refused.
listed() {
  sc --json plugins | python3 -c 'import json,sys
print(" ".join(sorted(p["name"] + (":refused" if p["state"] == "refused" else "") for p in json.load(sys.stdin)["result"])))'
}
dpkg_quiet() { dpkg "$@" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; return 1; }; }

echo "dpkg -i synccluster with Debian's sc installed (refused: they conflict)"
dpkg_quiet -i "$work/fake-sc.deb" || fail "dpkg -i of the stand-in for Debian's sc"
if dpkg -i "$(deb synccluster)" > "$work/dpkg.log" 2>&1; then fail "dpkg installed synccluster beside Debian's sc"; fi
grep -q "conflicts with sc" "$work/dpkg.log" || { cat "$work/dpkg.log"; fail "the refusal does not name the conflict with sc"; }
[ "$(/usr/bin/sc)" = spreadsheet ] && [ ! -e /usr/sbin/sc ] || fail "the refused install changed /usr/bin/sc or made /usr/sbin/sc"
dpkg_quiet --purge sc || fail "dpkg --purge sc"

echo "dpkg -i synccluster synccluster-plugin-$first"
dpkg_quiet -i "$(deb synccluster)" "$(deb synccluster-plugin-$first)" || fail "dpkg -i synccluster synccluster-plugin-$first"
[ "$(command -v sc)" = /usr/sbin/sc ] || fail "sc on root's PATH is '$(command -v sc)', not /usr/sbin/sc"
sc --version | grep -q "plugin ABI $abi" || fail "sc --version: $(sc --version)"
# sc finds its SSH layer relative to its own directory, a path fixed at build time.
ssh_rel=$(grep -aoE '(\.\./)+[a-z0-9/._-]*ssh\.so' /usr/sbin/sc | sed -n 1p)
[ -n "$ssh_rel" ] && [ -f "/usr/sbin/$ssh_rel" ] ||
  fail "sc looks for its SSH layer at /usr/sbin/${ssh_rel:-?}, which the package does not install"
[ "$(listed)" = "$first" ] || fail "sc plugins lists '$(listed)', want only $first"
sc "$first" help > /dev/null || fail "sc $first help"
[ "$(man -w sc)" = /usr/share/man/man8/sc.8.gz ] || fail "man -w sc: '$(man -w sc 2>&1)', not sc(8)"
[ -f /usr/share/bash-completion/completions/sc ] || fail "no bash completion"

echo "dpkg -i synccluster-plugin-$second"
dpkg_quiet -i "$(deb synccluster-plugin-$second)" || fail "dpkg -i synccluster-plugin-$second"
[ "$(listed)" = "$(printf "%s\n" "$first" "$second" | sort | xargs)" ] || fail "sc plugins lists '$(listed)'"

echo "dpkg -r synccluster (refused: the modules depend on sc-abi)"
if dpkg -r synccluster > "$work/dpkg.log" 2>&1; then fail "dpkg removed synccluster while modules depend on it"; fi
grep -q "sc-abi" "$work/dpkg.log" || { cat "$work/dpkg.log"; fail "the refusal does not name sc-abi"; }

echo "dpkg -r synccluster-plugin-$first"
dpkg_quiet -r "synccluster-plugin-$first" || fail "dpkg -r synccluster-plugin-$first"
sc --version > /dev/null || fail "sc no longer runs"
[ "$(listed)" = "$second" ] || fail "after removing $first, sc plugins lists '$(listed)'"
[ ! -e "/usr/lib/sc/$first.so" ] && [ ! -e "/usr/lib/sc/$first.json" ] || fail "$first's files are left behind"
sc "$first" show > /dev/null 2>&1 && fail "sc $first still runs"
status=0; sc "$first" show > /dev/null 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "sc $first gave status $status, not 3 (not installed)"

if [ -n "$needy" ]; then
  echo "dpkg -i synccluster-plugin-$needy alone (refused: its requirements are missing)"
  if dpkg -i "$(deb synccluster-plugin-$needy)" > "$work/dpkg.log" 2>&1; then
    fail "dpkg configured $needy without its requirements"
  fi
  grep -q "synccluster-plugin-" "$work/dpkg.log" || { cat "$work/dpkg.log"; fail "the refusal does not name the required package"; }
  dpkg_quiet --purge "synccluster-plugin-$needy"
fi

echo "dpkg -i synccluster-dev: build the C example against /usr"
dpkg_quiet -i "$(deb synccluster-dev all)" || fail "dpkg -i synccluster-dev"
[ "$(pkg-config --modversion sc-sdk)" = "$abi" ] || fail "pkg-config sc-sdk: $(pkg-config --modversion sc-sdk)"
cp -R /usr/share/doc/synccluster-dev/examples/helloc "$work/helloc"
make -s -C "$work/helloc" > "$work/make.log" 2>&1 || { cat "$work/make.log"; fail "helloc against the packaged SDK"; }
make -s -C "$work/helloc" check SC=sc || fail "helloc check against the packaged sc"

echo "a module package from a clean copy of the SDK example, as GUIDE.md says (dh-sequence-sc)"
mkdir "$work/motd-package"
cp -R /usr/share/doc/synccluster-dev/examples/motd "$work/motd-package/motd"
chmod +x "$work/motd-package/motd/debian/rules"
(cd "$work/motd-package/motd" && dpkg-buildpackage -b -us -uc) > "$work/motd-build.log" 2>&1 ||
  { tail -60 "$work/motd-build.log"; fail "dpkg-buildpackage of the SDK example"; }
# Its own tests ran in the build, sc among them (installed here).
grep -q "100% tests passed, 0 tests failed out of 3" "$work/motd-build.log" ||
  { grep -A30 "ctest" "$work/motd-build.log"; fail "the example's three tests did not all run and pass in the build"; }
motd_deb=$work/motd-package/synccluster-plugin-motd_1.0.0_$arch.deb
lintian --fail-on error,warning "$work/motd-package"/*.changes > "$work/motd-lintian.log" 2>&1 ||
  { cat "$work/motd-lintian.log"; fail "lintian: the example's package is not clean"; }
control=$(dpkg -I "$motd_deb")
field() { sed -n "s/^ $1: //p" <<< "$control"; }
[ "$(field Package) $(field Version) $(field Architecture)" = "synccluster-plugin-motd 1.0.0 $arch" ] ||
  fail "dpkg -I of the example: $control"
motd_depends=$(field Depends)
# manifest "abi": "1.0", "requires": ["hostconf"]
grep -qE "(^|, )sc-abi-${abi%%.*} \(>= ${abi%%.*}\.0\)(,|$)" <<< "$motd_depends" ||
  fail "the example's Depends: $motd_depends lacks sc-abi-${abi%%.*} (>= ${abi%%.*}.0)"
grep -qE "(^|, )synccluster-plugin-hostconf(,|$)" <<< "$motd_depends" ||
  fail "the example's Depends: $motd_depends lacks synccluster-plugin-hostconf (it requires hostconf)"
[ "$(dpkg-deb -c "$motd_deb" | awk '{print $6}' | grep '^\./usr/lib/sc/.' | xargs)" = \
  "./usr/lib/sc/motd.json ./usr/lib/sc/motd.so" ] || fail "the example's package: $(dpkg-deb -c "$motd_deb")"
dpkg_quiet -i "$motd_deb" || fail "dpkg -i of the example's package"
sc settings set FQDN node1.example.com > /dev/null 2>&1
sc motd setup > /dev/null || fail "sc motd setup from the example's package"
grep -q "^Welcome to " /etc/motd || fail "sc motd setup wrote: $(cat /etc/motd)"
if dpkg -r "synccluster-plugin-$second" > "$work/dpkg.log" 2>&1; then fail "dpkg removed hostconf under motd"; fi
dpkg_quiet --purge synccluster-plugin-motd || fail "dpkg --purge synccluster-plugin-motd"

echo "dpkg --purge everything"
dpkg_quiet --purge synccluster-dev "synccluster-plugin-$second" synccluster || fail "purge"
[ ! -e /usr/sbin/sc ] && [ ! -e /usr/lib/sc ] && [ ! -e /usr/share/man/man8/sc.8.gz ] ||
  fail "files left after purge: $(ls -d /usr/sbin/sc /usr/lib/sc /usr/share/man/man8/sc.8.gz 2>&1)"
echo "namespace: ok"
INNER
unshare --mount --propagation private bash "$work/in-namespace.sh" "$work" "$version" "$arch" "$first" "$second" \
  "${needy:-}" "$abi_major.$abi_minor" || fail "install/remove test"
[ "$(dpkg_states)" = "$states_before" ] ||
  fail "the test changed the machine's dpkg database: before: $states_before; after: $(dpkg_states)"
echo "packages: ok"
