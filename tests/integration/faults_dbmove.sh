#!/usr/bin/env bash
# faults_dbmove.sh - a long-running `verdict check -` notices its
# database directory moved away and made anew (issue 16 item 7): fed over
# a pipe, it answers from the old tables, then, once the directory is
# replaced, from the new ones within a few seconds (the identity of
# data.mdb is checked at most once a second), without a restart.
# Exit 0 pass, 1 fail, 77 skip.
set -u

skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
B=${VERDICT_BINDIR:-build}
V=$B/tools/verdict
[ -x "$V" ] || skip "$V is not built"
. "$(dirname "$0")/wait.inc"

T=$(mktemp -d /tmp/vdmove.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
C=$T/c.conf
printf 'database = %s\nblock_tables = drop\n' "$T/db" >"$C"
mkdb() {	# mkdb CIDR - a new $T/db holding CIDR
	"$V" -c "$C" table create drop --kind block >/dev/null &&
		echo "$1 ; $2" | "$V" -c "$C" import drop - >/dev/null
}
mkdb 10.1.0.0/16 OLD || { echo "FAIL: set-up"; exit 1; }

mkfifo "$T/in"
"$V" -c "$C" check --line-buffered - <"$T/in" >"$T/out" 2>"$T/err" &
pid=$!
exec 3>"$T/in"
echo 10.1.2.3 >&3
wait_for "the first answer" 10 grep -q "^10.1.2.3 block drop OLD" "$T/out" &&
	pass "check - answers from the first database"

mv "$T/db" "$T/old"
mkdb 10.2.0.0/16 NEW || { echo "FAIL: set-up of the new database"; exit 1; }
echo 10.1.2.3 >&3	# within the second or not: either answer is right
# one line every 100 ms until the new table answers
seen() {
	echo 10.2.3.4 >&3
	grep -q "^10.2.3.4 block drop NEW" "$T/out"
}
wait_for "an answer from the new database" 10 seen &&
	pass "check - answers from the directory made anew: $(grep -m1 NEW "$T/out")"
echo 10.1.2.3 >&3
echo 10.9.9.9 >&3
exec 3>&-
wait $pid
rc=$?
pid=
[ "$(tail -2 "$T/out" | head -1)" = "10.1.2.3 neutral - -" ] &&
	pass "the old table's entry is gone after the reopen" ||
	fail "old entry after reopen: $(tail -3 "$T/out")"
[ $rc = 1 ] && ! grep -qi "error" "$T/out" &&
	pass "check - exit 1 (blocks seen), no error line" ||
	fail "check - exit $rc: $(cat "$T/err")"

# ------------------------------------------------------------ milter
# verdict-milter's signal thread asks once a second; the reload is logged
M=$B/tools/milter/verdict-milter
if [ -x "$M" ]; then
	asuser=()
	if [ "$(id -u)" = 0 ]; then	# the milter refuses to run as root
		asuser=(-u nobody)
		chmod 755 "$T"
		printf 'database_group = nogroup\n' >>"$C"
		mv "$T/db" "$T/old0"
		mkdb 10.1.0.0/16 OLD && chmod 750 "$T/db" && chgrp nogroup "$T/db" ||
			fail "set-up of the milter's database"
	fi
	"$M" -f -c "$C" -s "unix:$T/m.sock" "${asuser[@]}" >"$T/m.out" 2>"$T/m.err" &
	mpid=$!
	if wait_for "the milter's start" 10 grep -q "started: socket" "$T/m.err"; then
		mv "$T/db" "$T/old2"
		mkdb 10.3.0.0/16 NEWER && chmod 750 "$T/db" && chgrp nogroup "$T/db" ||
			fail "set-up of the third database"
		wait_for "the milter's reload" 10 grep -q "configuration reloaded" "$T/m.err" &&
			grep -q "database was replaced" "$T/m.err" &&
			pass "verdict-milter reopens the directory made anew: $(grep -m1 replaced "$T/m.err")"
	fi
	kill $mpid 2>/dev/null
	wait $mpid 2>/dev/null
fi
echo "faults_dbmove: $passed passed, $failed failed"
[ "$failed" = 0 ]
