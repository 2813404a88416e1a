#!/usr/bin/env bash
# faults_modes.sh - the modes and group the administrator set hold
# (issue 16 item 3).  Cases (label: the documented outcome):
#   config       database_mode 0666 or 0777: a configuration error with
#                file:line, exit 2
#   writer       files a writer creates get database_mode and
#                database_group exactly, whatever the umask (077 here)
#   reader-root  lock.mdb re-created by a root reader (check, umask 077)
#                gets database_mode and database_group, so the second
#                user (nobody in group mail, as the milter's user) can read
#   reader-user  lock.mdb created by the second user itself: its owner,
#                database_group, database_mode; root can still use it
#   by-hand      a data.mdb chmod'ed 0640 by hand stays 0640 after an
#                import (existing files are never chmod'ed or chown'ed)
#   doctor       a world-writable lock.mdb or data.mdb: doctor exits 1
#                with a FAIL line naming the file
# Runs as root; the second user is nobody with supplementary group mail
# (setpriv).  Exit 0 pass, 1 fail, 77 skip.
set -u

skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
B=${VERDICT_BINDIR:-build}
V=$(realpath "$B/tools/verdict" 2>/dev/null)
[ -x "$V" ] || skip "$B/tools/verdict is not built"
[ "$(id -u)" = 0 ] || skip "needs root (a second user through setpriv)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
getent group mail >/dev/null || skip "no group mail"
id nobody >/dev/null 2>&1 || skip "no user nobody"
AS_USER=(setpriv --reuid=nobody --regid=nogroup --groups=mail)

T=$(mktemp -d /tmp/vdmodes.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
umask 077
st() { stat -c '%a %U:%G' "$1"; }

# --------------------------------------------------------------- config
for m in 0666 0777; do
	printf 'database = %s\n\ndatabase_mode = %s\n' "$T/db" $m >"$T/bad.conf"
	"$V" -c "$T/bad.conf" check 10.0.0.1 >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 2 ] && grep -q "bad.conf:3: database_mode: $m lets every user write" "$T/err" &&
		pass "config: database_mode $m refused: $(head -1 "$T/err")" ||
		fail "config: database_mode $m: exit $rc $(cat "$T/err")"
done

# --------------------------------------------------------------- writer
C=$T/c.conf
printf 'database = %s\ndatabase_mode = 0660\ndatabase_group = mail\nblock_tables = drop\n' "$T/db" >"$C"
chmod 644 "$C"
"$V" -c "$C" table create drop --kind block >/dev/null &&
	echo "10.1.0.0/16 ; modes" | "$V" -c "$C" import drop - >/dev/null ||
	{ echo "FAIL: set-up"; exit 1; }
chgrp mail "$T/db" && chmod 2770 "$T/db"
[ "$(st "$T/db/data.mdb")" = "660 root:mail" ] && [ "$(st "$T/db/lock.mdb")" = "660 root:mail" ] &&
	pass "writer: data.mdb and lock.mdb created 0660 root:mail under umask 077" ||
	fail "writer: $(st "$T/db/data.mdb"), $(st "$T/db/lock.mdb")"

# ---------------------------------------------------------- reader-root
rm -f "$T/db/lock.mdb"
"$V" -c "$C" check 10.1.2.3 >/dev/null 2>"$T/err"
[ "$(st "$T/db/lock.mdb")" = "660 root:mail" ] &&
	pass "reader-root: lock.mdb created by a reader: $(st "$T/db/lock.mdb")" ||
	fail "reader-root: lock.mdb $(st "$T/db/lock.mdb")"
"${AS_USER[@]}" "$V" -c "$C" check 10.1.2.3 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "block drop" "$T/out" &&
	pass "reader-root: the second user (nobody, group mail) reads" ||
	fail "reader-root: nobody exit $rc: $(cat "$T/err")"

# ---------------------------------------------------------- reader-user
rm -f "$T/db/lock.mdb"
"${AS_USER[@]}" "$V" -c "$C" check 10.1.2.3 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && [ "$(st "$T/db/lock.mdb")" = "660 nobody:mail" ] &&
	pass "reader-user: lock.mdb created by nobody: $(st "$T/db/lock.mdb")" ||
	fail "reader-user: exit $rc, lock.mdb $(st "$T/db/lock.mdb"): $(cat "$T/err")"
"$V" -c "$C" check 10.1.2.3 >"$T/out" 2>"$T/err"
[ $? = 1 ] && pass "reader-user: root still reads" || fail "reader-user: root: $(cat "$T/err")"

# -------------------------------------------------------------- by-hand
chmod 0640 "$T/db/data.mdb"
chmod 0600 "$T/db/lock.mdb"
chown root "$T/db/lock.mdb"
echo "10.2.0.0/16 ; modes" | "$V" -c "$C" import drop --merge - >/dev/null 2>"$T/err" ||
	fail "by-hand: import: $(cat "$T/err")"
[ "$(st "$T/db/data.mdb")" = "640 root:mail" ] && [ "$(st "$T/db/lock.mdb")" = "600 root:mail" ] &&
	pass "by-hand: modes set by hand hold after an import" ||
	fail "by-hand: $(st "$T/db/data.mdb"), $(st "$T/db/lock.mdb")"
chmod 0660 "$T/db/data.mdb" "$T/db/lock.mdb"

# --------------------------------------------------------------- doctor
"$V" -c "$C" doctor >"$T/out" 2>&1
[ $? = 0 ] && pass "doctor: clean database: exit 0" || fail "doctor: clean: $(cat "$T/out")"
for f in lock.mdb data.mdb; do
	chmod o+w "$T/db/$f"
	"$V" -c "$C" doctor >"$T/out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q "^FAIL  database  $T/db/$f  writable by every user" "$T/out" &&
		pass "doctor: world-writable $f: exit 1: $(grep "^FAIL" "$T/out" | cut -c1-120)" ||
		fail "doctor: world-writable $f: exit $rc: $(cat "$T/out")"
	chmod o-w "$T/db/$f"
done

echo "faults_modes: $passed passed, $failed failed"
[ "$failed" = 0 ]
