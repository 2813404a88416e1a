#!/usr/bin/env bash
# install_prefix.sh - `cmake --install` into a prefix chosen at install
# time is complete and usable: libverdict.pc names that prefix, a small
# program built with `pkg-config --cflags --libs libverdict` compiles,
# links and runs against the installed library (its header's version
# macros agree with verdict_version() and verdict_version_number() and
# with project(VERSION)); the programs, the units (naming the installed
# programs), the example configuration, every man page of doc/ and the
# callout are in place.
#
# Env: VERDICT_BINDIR (build tree), VERDICT_SRCDIR.
# Exit 0 pass, 1 fail (what failed is printed), 77 skip.
set -u

B=${VERDICT_BINDIR:-build}
SRC=${VERDICT_SRCDIR:-.}
[ -f "$B/cmake_install.cmake" ] || { echo "SKIP: $B is not a build tree"; exit 77; }
for t in cc pkg-config; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/verdict-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
P=$T/prefix
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

if ! cmake --install "$B" --prefix "$P" >"$T/install.log" 2>&1; then
	sed 's/^/  /' "$T/install.log"
	fail "cmake --install --prefix $P"
	exit 1
fi

# The version of the one source, project(VERSION).
ver=$(sed -n 's/^project(libverdict VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
IFS=. read -r maj min pat <<<"$ver"
num=$((maj * 10000 + min * 100 + pat))
[ -n "$ver" ] || fail "no project(VERSION) in $SRC/CMakeLists.txt"

pc=$(find "$P" -name libverdict.pc -path '*/pkgconfig/*')
[ -n "$pc" ] || { fail "no libverdict.pc under $P"; exit 1; }
export PKG_CONFIG_PATH=${pc%/libverdict.pc}
grep -qx "prefix=$P" "$pc" || fail "$pc: prefix is not $P: $(grep ^prefix= "$pc")"
[ "$(pkg-config --modversion libverdict)" = "$ver" ] ||
	fail "pkg-config --modversion: $(pkg-config --modversion libverdict), expected $ver"

# A sanitized build's library needs its runtime in the program too: the
# build's own C flags and sanitizer options.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$B/CMakeCache.txt"; }
SAN="$(cache CMAKE_C_FLAGS)"
[ "$(cache VERDICT_SANITIZE)" = ON ] && SAN="$SAN -fsanitize=address,undefined"
[ "$(cache VERDICT_TSAN)" = ON ] && SAN="$SAN -fsanitize=thread"
[ "$(cache VERDICT_FUZZ)" = ON ] && SAN="$SAN -fsanitize=address,undefined"
CC=$(cache CMAKE_C_COMPILER)
[ -x "$CC" ] || CC=cc

cat >"$T/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <verdict.h>

int
main(void)
{
	verdict_ctx *ctx = verdict_new();
	verdict_cidr c;
	char buf[VERDICT_CIDR_TEXT_MAX];

	if (ctx == NULL ||
	    verdict_cidr_parse("192.0.2.9/24", 12, &c) != VERDICT_ERANGE ||
	    verdict_cidr_format(&c, buf, sizeof(buf)) != 12 ||
	    strcmp(buf, "192.0.2.0/24") != 0)
		return 3;
	printf("%s %d %s %d\n", VERDICT_VERSION_STRING, VERDICT_VERSION_NUMBER,
	       verdict_version(), verdict_version_number());
	verdict_free(ctx);
	return strcmp(VERDICT_VERSION_STRING, verdict_version()) != 0;
}
PROG
# shellcheck disable=SC2046
if ! $CC $SAN -Wall -Werror -o "$T/prog" "$T/prog.c" $(pkg-config --cflags --libs libverdict) \
	>"$T/cc.log" 2>&1; then
	sed 's/^/  /' "$T/cc.log"
	fail "cc \$(pkg-config --cflags --libs libverdict) prog.c"
else
	libdir=$(pkg-config --variable=libdir libverdict)
	[ -e "$libdir/libverdict.so.0" ] || fail "$libdir/libverdict.so.0 missing"
	out=$(LD_LIBRARY_PATH=$libdir "$T/prog") || fail "prog exited $?"
	[ "$out" = "$ver $num $ver $num" ] ||
		fail "prog printed \"$out\", expected \"$ver $num $ver $num\""
	LD_LIBRARY_PATH=$libdir ldd "$T/prog" | grep -q "$libdir/libverdict.so.0" ||
		fail "prog does not run with $libdir/libverdict.so.0"
fi
# The static library links too (Requires.private, Libs.private).
# shellcheck disable=SC2046
$CC $SAN -o "$T/prog_static" "$T/prog.c" $(pkg-config --cflags libverdict) \
	"$(pkg-config --variable=libdir libverdict)/libverdict.a" \
	$(pkg-config --static --libs-only-other --libs-only-l libverdict | sed 's/-lverdict//') \
	>"$T/cc.log" 2>&1 || { sed 's/^/  /' "$T/cc.log"; fail "linking libverdict.a"; }

# Programs, units, example, man pages, callout.
"$P/bin/verdict" --version | grep -q "^verdict $ver " ||
	fail "$P/bin/verdict --version: $("$P/bin/verdict" --version)"
for f in bin/verdict-update sbin/verdict-milter include/verdict_version.h \
	share/doc/verdict/examples/verdict.conf.example; do
	[ -s "$P/$f" ] || fail "$P/$f missing"
done
units=$(cd "$SRC/data" && ls ./*.service ./*.timer)
for u in $units; do
	u=${u#./}
	f=$P/lib/systemd/system/$u
	[ -s "$f" ] || { fail "unit $f missing"; continue; }
	# ExecStart names a program of this install's configured bindir/sbindir
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
	[ -z "$exe" ] || [ "${exe##*/}" = verdict ] || [ "${exe##*/}" = verdict-update ] ||
		[ "${exe##*/}" = verdict-milter ] || fail "$u: ExecStart=$exe"
done
for page in "$SRC"/doc/*.[1-8]; do
	n=${page##*/}
	[ -s "$P/share/man/man${n##*.}/$n" ] || fail "man page $n not installed"
done
[ -s "$P/share/man/man3/libverdict.3" ] || fail "libverdict(3) not installed"
so=$(find "$P" -path '*/verdict/libverdict_callout.so')
if [ -z "$so" ]; then
	fail "libverdict_callout.so not under \${libdir}/verdict"
else
	[ "$(stat -c %A "$so" | cut -c8)" = r ] || fail "$so is not world-readable"
fi

[ $fails = 0 ] || exit 1
echo "PASS: install into $P: pc, program ($ver = $num), units, man pages, callout"
