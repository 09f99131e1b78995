#!/bin/sh
# Installs the SDK from the build tree into a temporary prefix, builds both
# examples of sdk/examples from a copy outside the source tree against it
# (CMake package for the C++ one, pkg-config for the C one), runs their own
# tests, and loads both with the built sc.
# Usage: examples_test.sh SOURCE_DIR BUILD_DIR SC CMAKE CTEST
set -eu
src=$1 build=$2 sc=$3 cmake=$4 ctest=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

abi_major=$(sed -n 's/^#define SC_ABI_MAJOR \([0-9]*\)$/\1/p' "$src/sdk/include/sc/plugin.h")
abi_minor=$(sed -n 's/^#define SC_ABI_MINOR \([0-9]*\)$/\1/p' "$src/sdk/include/sc/plugin.h")

step "install the SDK component into $work/prefix"
"$cmake" --install "$build" --prefix "$work/prefix" --component sdk > "$work/install.log" || { cat "$work/install.log"; fail "install"; }
for f in include/sc/plugin.h include/sc/plugin.hpp include/sc/testing.hpp share/sc-sdk/manifest.schema.json \
         share/cmake/sc-sdk/sc-sdk-config.cmake share/cmake/sc-sdk/sc-sdk-config-version.cmake \
         share/cmake/sc-sdk/sc-sdk-targets.cmake share/cmake/sc-sdk/ScPlugin.cmake share/pkgconfig/sc-sdk.pc \
         share/doc/synccluster-dev/ABI.md share/doc/synccluster-dev/MANIFEST.md \
         share/doc/synccluster-dev/GUIDE.md share/doc/synccluster-dev/examples/motd/manifest.json \
         share/doc/synccluster-dev/examples/helloc/Makefile bin/dh_sc share/man/man1/dh_sc.1 \
         share/perl5/Debian/Debhelper/Sequence/sc.pm; do
  [ -f "$work/prefix/$f" ] || fail "the SDK install lacks $f"
done
# Only the SDK: no executable but its debhelper tool, no plugin.
[ "$(ls "$work/prefix/bin")" = dh_sc ] && [ ! -e "$work/prefix/sbin" ] && [ ! -e "$work/prefix/lib/sc" ] ||
  fail "--component sdk installed more than the SDK"
# The installed CMake files must not point back into the source or build tree.
if grep -rl -e "$src" -e "$build" "$work/prefix/share/cmake" "$work/prefix/share/pkgconfig"; then
  fail "installed files refer to the source or build tree"
fi

step "pkg-config"
export PKG_CONFIG_PATH="$work/prefix/share/pkgconfig"
[ "$(pkg-config --modversion sc-sdk)" = "$abi_major.$abi_minor" ] || fail "sc-sdk.pc version $(pkg-config --modversion sc-sdk)"
[ "$(pkg-config --variable=includedir sc-sdk)" = "$work/prefix/include" ] || fail "includedir"
[ -f "$(pkg-config --variable=schema sc-sdk)" ] || fail "schema variable"
[ "$(pkg-config --variable=plugin_cflags sc-sdk)" = "-fvisibility=hidden -fPIC" ] || fail "plugin_cflags variable"

step "copy the examples out of the source tree"
cp -R "$work/prefix/share/doc/synccluster-dev/examples" "$work/src"

step "C++ example: find_package(sc-sdk) + sc_add_plugin"
# motd requires hostconf: the built one (nothing is installed).
"$cmake" -S "$work/src/motd" -B "$work/build-motd" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DSC_EXECUTABLE="$sc" -DSC_REQUIRED_PLUGIN_PATH="$build/lib/sc" -DCMAKE_INSTALL_PREFIX="$work/motd-install" > "$work/motd-configure.log" 2>&1 ||
  { cat "$work/motd-configure.log"; fail "configure motd"; }
"$cmake" --build "$work/build-motd" > "$work/motd-build.log" 2>&1 || { cat "$work/motd-build.log"; fail "build motd"; }
"$ctest" --test-dir "$work/build-motd" --output-on-failure || fail "the motd example's own tests"
"$cmake" --install "$work/build-motd" > /dev/null
[ -f "$work/motd-install/lib/sc/motd.so" ] && [ -f "$work/motd-install/lib/sc/motd.json" ] ||
  fail "cmake --install of the example did not put motd.so and motd.json in PREFIX/lib/sc"

step "the CMake package refuses another major"
mkdir "$work/other-major"
cat > "$work/other-major/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(other-major LANGUAGES CXX)
find_package(sc-sdk $((abi_major + 1)) QUIET)
if(sc-sdk_FOUND)
  message(FATAL_ERROR "sc-sdk \${sc-sdk_VERSION} was accepted for major $((abi_major + 1))")
endif()
find_package(sc-sdk $abi_major.$abi_minor REQUIRED)
if(NOT TARGET sc::sdk OR NOT COMMAND sc_add_plugin OR NOT SC_SDK_ABI_MAJOR EQUAL $abi_major)
  message(FATAL_ERROR "sc-sdk lacks sc::sdk, sc_add_plugin() or SC_SDK_ABI_MAJOR")
endif()
CMAKE
"$cmake" -S "$work/other-major" -B "$work/other-major/build" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/om.log" 2>&1 ||
  { cat "$work/om.log"; fail "version check of the CMake package"; }

step "C example: Makefile + pkg-config"
make -C "$work/src/helloc" > "$work/helloc-build.log" 2>&1 || { cat "$work/helloc-build.log"; fail "make helloc"; }
make -C "$work/src/helloc" check SC="$sc" || fail "make check of helloc"
make -C "$work/src/helloc" install DESTDIR="$work/stage" PLUGINDIR=/lib/sc > /dev/null
[ "$(stat -c %a "$work/stage/lib/sc/helloc.so")" = 644 ] || fail "helloc.so is not installed 0644"

step "both examples loaded by the built sc"
chmod 0755 "$work/stage" "$work/stage/lib" "$work/stage/lib/sc"
paths="--plugin-path $work/motd-install/lib/sc --plugin-path $work/stage/lib/sc --plugin-path $build/lib/sc"
# shellcheck disable=SC2086
"$sc" $paths --json plugins > "$work/plugins.json"
python3 - "$work/plugins.json" <<'PY' || fail "sc plugins: $(cat "$work/plugins.json")"
import json, sys
listed = {p["name"]: p for p in json.load(open(sys.argv[1]))["result"]}
assert {"helloc", "motd", "hostconf"} <= set(listed), listed
for name in ("helloc", "motd"):
    assert listed[name]["state"] == "loaded-ok", listed[name]
PY
# shellcheck disable=SC2086
[ "$("$sc" $paths helloc greet SDK)" = "Hello, SDK!" ] || fail "helloc greet"
root=$work/root
mkdir -p "$root/etc" && echo node7.example.net > "$root/etc/hostname"
# shellcheck disable=SC2086
"$sc" $paths --root "$root" settings set FQDN node7.example.net > /dev/null 2>&1
# shellcheck disable=SC2086
"$sc" $paths --root "$root" motd setup > /dev/null
[ "$(cat "$root/etc/motd")" = "Welcome to node7.example.net" ] || fail "motd setup wrote: $(cat "$root/etc/motd")"
# shellcheck disable=SC2086
"$sc" $paths --json helloc info | grep -q "\"host_abi\":\"$abi_major.$abi_minor\"" || fail "helloc info"
echo "examples: ok"
