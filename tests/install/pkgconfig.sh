#!/bin/sh
# Install into a staging DESTDIR, then build examples/version.c against the
# installed library with pkg-config only (no -I/-L into the source tree), run
# it against the shared library, and check its output and the SONAME.
set -e
stage="$BUILD/stage"
rm -rf "$stage"
make -s install DESTDIR="$stage" PREFIX=/usr BUILD="$BUILD" >/dev/null
export PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
cc -o "$BUILD/version-installed" examples/version.c $(pkg-config --cflags --libs l7splice)
out=$(LD_LIBRARY_PATH="$stage/usr/lib" "$BUILD/version-installed")
expect="libl7splice 0.1.0: table full: no cuckoo path within the search bound"
[ "$out" = "$expect" ] || { echo "pkgconfig: got '$out', want '$expect'"; exit 1; }
soname=$(objdump -p "$stage/usr/lib/libl7splice.so.0.1.0" | awk '/SONAME/ {print $2}')
[ "$soname" = "libl7splice.so.0" ] || { echo "pkgconfig: SONAME is '$soname'"; exit 1; }
# the binary must really use the shared library (not a static copy)
LD_LIBRARY_PATH="$stage/usr/lib" ldd "$BUILD/version-installed" | grep -q "$stage/usr/lib/libl7splice.so.0" \
	|| { echo "pkgconfig: not linked against the installed shared library"; exit 1; }
make -s uninstall DESTDIR="$stage" PREFIX=/usr BUILD="$BUILD" >/dev/null
[ ! -e "$stage/usr/lib/libl7splice.so" ] || { echo "pkgconfig: uninstall left files"; exit 1; }
echo "pkgconfig: installed example links and runs"
