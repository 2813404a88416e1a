#!/usr/bin/env bash
# exports.sh - the libraries export what verdict.h declares, and no more
#
#   tests/exports.sh shared LIBVERDICT.so VERDICT.H VERDICT.MAP
#   tests/exports.sh static LIBVERDICT.a
#   tests/exports.sh symbols LIBVERDICT.so DEBIAN-SYMBOLS
#
# shared: `nm -D --defined-only` of the shared library against the
# header's VERDICT_API declarations: every exported symbol is a function
# or variable declared there (of the same kind), carries a version node
# defined in the version script (symbol@@NODE), and is verdict_-prefixed;
# every declared function and variable is exported.  A program linked
# against libverdict.so.0 binds to exactly these names.
# static: every global symbol libverdict.a defines starts with verdict_
# or vd_ (or is AddressSanitizer's ODR indicator of such a symbol), so
# that a program linking the archive meets none of our internals under
# a name of its own.
# symbols: the Debian symbols file (debian/libverdict0.symbols) names
# exactly the symbols the shared library exports, each with its version
# node, so a new function fails here and not only at the end of a
# package build (dpkg-gensymbols).
#
# One line per violation, exit 1 if any; exit 2 on a usage error.
# Limits: a declaration is read from "VERDICT_API" at the start of a line
# to the next ';'; a function is a declaration with a '(' (no function
# pointers returned).
set -euo pipefail

fail=0
bad() { echo "exports: $*"; fail=1; }

# decls HEADER - "f name" or "v name", one per VERDICT_API declaration
decls() {
	awk '
	/^[ \t]*VERDICT_API[ \t]/ { acc = ""; on = 1 }
	on {
		line = $0
		gsub(/\/\*.*\*\//, "", line)
		acc = acc " " line
		if (index(line, ";") == 0)
			next
		on = 0
		sub(/;.*/, "", acc)
		if (match(acc, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
			name = substr(acc, RSTART, RLENGTH)
			sub(/[ \t]*\($/, "", name)
			print "f", name
		} else {
			sub(/[ \t]*(\[[^]]*\])*[ \t]*(=.*)?$/, "", acc)
			n = split(acc, w, /[^A-Za-z0-9_]+/)
			while (n > 0 && w[n] == "")
				n--
			if (n > 0)
				print "v", w[n]
		}
	}' "$1"
}

case ${1:-} in
shared)
	[ $# -eq 4 ] || { echo "usage: $0 shared LIB HEADER MAP" >&2; exit 2; }
	lib=$2 header=$3 map=$4
	declare -A kind=() seen=() node=()
	while read -r k n; do kind[$n]=$k; done < <(decls "$header")
	[ ${#kind[@]} -gt 0 ] || bad "$header: no VERDICT_API declaration found"
	# the version nodes the script defines: "NAME {" or "NAME{"
	while read -r n; do node[$n]=1; done < <(
		perl -0777 -ne 's{/\*.*?\*/}{}gs; s{#[^\n]*}{}g;
			print "$1\n" while /([A-Za-z_][A-Za-z0-9_.]*)\s*\{/g' "$map")
	[ ${#node[@]} -gt 0 ] || bad "$map: no version node (NAME { global: ...; })"
	syms=$(nm -D --defined-only --with-symbol-versions "$lib")
	[ -n "$syms" ] || bad "$lib: exports nothing"
	while read -r _ t sym; do
		name=${sym%%@*}
		ver=${sym#"$name"}
		if [ "$t" = A ] && [ -z "$ver" ]; then
			[ -n "${node[$name]:-}" ] ||
				bad "$lib: version node $name is not in $map"
			seen[$name]=1
			continue
		fi
		case $name in
		verdict_*) ;;
		*) bad "$lib: unprefixed symbol exported: $name ($t)"; continue ;;
		esac
		case "${kind[$name]:-}:$t" in
		f:[TWi]|v:[DBRVGS]) ;;
		:*) bad "$lib: $name ($t) is exported but not declared in $(basename "$header")" ;;
		*) bad "$lib: $name is exported as type $t, declared as ${kind[$name]}" ;;
		esac
		ver=${ver#@@}
		if [ -z "$ver" ] || [ -z "${node[$ver]:-}" ]; then
			bad "$lib: $sym has no default version node of $(basename "$map")"
		fi
		seen[$name]=1
	done <<< "$syms"
	for n in "${!kind[@]}"; do
		[ -n "${seen[$n]:-}" ] ||
			bad "$lib: $n is declared in $(basename "$header") but not exported"
	done
	for n in "${!node[@]}"; do
		[ -n "${seen[$n]:-}" ] || bad "$lib: version node $n is not defined"
	done
	[ $fail = 0 ] && echo "exports: $lib: ${#kind[@]} declared symbols, all exported with a version node, nothing else"
	;;
static)
	[ $# -eq 2 ] || { echo "usage: $0 static LIB" >&2; exit 2; }
	lib=$2 n=0
	# "member.o:" headers and blank lines have fewer than 3 fields
	while read -r _ t name; do
		[ -n "${name:-}" ] || continue
		n=$((n + 1))
		# AddressSanitizer's ODR indicator of one of our globals
		name=${name#__odr_asan.}
		name=${name#__odr_asan_gen_}
		case $name in
		verdict_*|vd_*) ;;
		*) bad "$lib: unprefixed global symbol: $name ($t)" ;;
		esac
	done < <(nm -g --defined-only "$lib" 2>/dev/null)
	[ $n -gt 0 ] || bad "$lib: defines no global symbol"
	[ $fail = 0 ] && echo "exports: $lib: $n global symbols, all verdict_* or vd_*"
	;;
symbols)
	[ $# -eq 3 ] || { echo "usage: $0 symbols LIB SYMBOLS" >&2; exit 2; }
	lib=$2 file=$3
	want=$(nm -D --defined-only --with-symbol-versions "$lib" |
		awk '$2 == "A" { print $3 "@" $3; next } { sub(/@@/, "@", $3); print $3 }' | sort)
	have=$(awk '/^ / { print $1 }' "$file" | sort)
	while read -r s; do
		[ -n "$s" ] && bad "$file: $s is exported but not listed"
	done < <(comm -23 <(echo "$want") <(echo "$have"))
	while read -r s; do
		[ -n "$s" ] && bad "$file: $s is listed but not exported"
	done < <(comm -13 <(echo "$want") <(echo "$have"))
	[ $fail = 0 ] && echo "exports: $file: $(echo "$want" | wc -l) symbols, as exported"
	;;
*)
	echo "usage: $0 shared LIB HEADER MAP | static LIB | symbols LIB SYMBOLS" >&2
	exit 2
	;;
esac
exit $fail
