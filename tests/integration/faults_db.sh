#!/usr/bin/env bash
# faults_db.sh - the database under faults, through the
# CLI, the MTA callout (tests/callout_harness.c "stdin" mode) and
# verdict-milter.  Cases (label: the documented outcome):
#   missing      the database directory does not exist: check exits 2
#                naming the directory and "No such file or directory";
#                the callout returns 0 (fails open)
#   unreadable   chmod 000 directory, run as nobody: exit 2 with
#                "Permission denied"; lock.mdb not writable by the user:
#                exit 2 naming lock.mdb and database_mode; callout 0
#   full-fsize   RLIMIT_FSIZE (ulimit -f) below what the import needs:
#                import exits 2 with an error, check answers from the old
#                table, dump count unchanged, the new entries absent, a
#                later import without the limit succeeds
#   full-tmpfs   the same on a 600 KiB tmpfs (private mount namespace;
#                skipped when mount is not allowed)
#   truncated    data.mdb cut below its last page: check and dump exit 2
#                with "is truncated"; the callout returns 0 and logs why;
#                verdict-milter refuses to start (exit 1, the reason on
#                stderr), so the MTA applies its milter default_action
# Runs as root (drops to nobody with setpriv for the permission cases).
# Exit 0 pass, 1 fail, 77 skip.
set -u

skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }

B=${VERDICT_BINDIR:-build}
V=$B/tools/verdict
SO=$B/callout/libverdict_callout.so
H=$B/tests/callout/callout_harness
M=$B/tools/milter/verdict-milter
[ -x "$V" ] || skip "$V is not built"
[ "$(id -u)" = 0 ] || skip "needs root (drops to nobody with setpriv)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"

T=$(mktemp -d /tmp/vdfaults.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# conf FILE DBDIR - a config with one block table "drop"
conf() {
	printf 'database = %s\nblock_tables = drop\n' "$2" >"$1"
	chmod 644 "$1"
}

# run STATUS CMD... - run, stdout in $T/out, stderr in $T/err; 1 if the
# exit status is not STATUS
run() {
	local want=$1 got
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] && return 0
	echo "  exit status $got, expected $want: $*"
	sed 's/^/  stderr: /' "$T/err" | head -5
	return 1
}
err_has() { grep -qF -- "$1" "$T/err"; }

# callout IPS... - one callout call per IP with VERDICT_CONFIG=$CONF; the
# harness's lines in $T/co.out, the callout's log in $T/co.log
callout() {
	local ip
	for ip in "$@"; do echo "1|$ip"; done |
		VERDICT_CONFIG=$CONF VERDICT_CALLOUT_LOG_FD=9 \
		"${CO_AS[@]}" "$H" "$SO" stdin >"$T/co.out" 9>"$T/co.log" 2>&1
}
CO_AS=()

# a database of 3,000 /24s under 10.0.0.0/12 and a replacement of 60,000
# /24s (10.0.0.0 - 10.234.95.0: 10.100.1.0/24 only in the replacement)
awk 'BEGIN { for (i = 0; i < 3000; i++)
	printf "10.%d.%d.0/24 ; OLD\n", int(i / 256), i % 256 }' >"$T/old.txt"
awk 'BEGIN { for (i = 0; i < 60000; i++)
	printf "10.%d.%d.0/24 ; NEW\n", int(i / 256), i % 256 }' >"$T/new.txt"
mkdb() {	# mkdb DIR
	conf "$T/mk.conf" "$1"
	"$V" -c "$T/mk.conf" table create drop --kind block >/dev/null &&
		"$V" -c "$T/mk.conf" import drop "$T/old.txt" >/dev/null
}

# ------------------------------------------------------------- missing
CONF=$T/missing.conf
conf "$CONF" "$T/nowhere/db"
run 2 "$V" -c "$CONF" check 10.0.5.1 &&
	err_has "$T/nowhere/db" && err_has "No such file or directory" &&
	pass "missing: check exit 2: $(head -1 "$T/err")" ||
	fail "missing: check"
if [ -x "$H" ] && [ -f "$SO" ]; then
	callout 10.0.5.1
	[ "$(cat "$T/co.out")" = "0 -" ] &&
		pass "missing: callout returns 0 (fail open)" ||
		fail "missing: callout: $(cat "$T/co.out")"
fi

# ---------------------------------------------------------- unreadable
CONF=$T/perm.conf
conf "$CONF" "$T/perm"
mkdb "$T/perm" || { echo "FAIL: set-up"; exit 1; }
chmod 000 "$T/perm"
if run 2 "${AS_NOBODY[@]}" "$V" -c "$CONF" check 10.0.5.1; then
	if err_has "Permission denied"; then
		pass "unreadable directory: exit 2: $(head -1 "$T/err")"
	else
		fail "unreadable directory: $(head -1 "$T/err")"
	fi
else
	fail "unreadable directory: check"
fi
if [ -x "$H" ] && [ -f "$SO" ]; then
	CO_AS=("${AS_NOBODY[@]}")
	callout 10.0.5.1
	[ "$(cat "$T/co.out")" = "0 -" ] &&
		pass "unreadable directory: callout as nobody returns 0" ||
		fail "unreadable directory: callout: $(cat "$T/co.out")"
	CO_AS=()
fi
chmod 755 "$T/perm"
chmod 644 "$T/perm/lock.mdb" "$T/perm/data.mdb"
run 2 "${AS_NOBODY[@]}" "$V" -c "$CONF" check 10.0.5.1 &&
	err_has "lock.mdb is not writable" && err_has "database_mode" &&
	pass "lock.mdb read-only for the user: exit 2 naming database_mode" ||
	fail "lock.mdb read-only: $(head -1 "$T/err")"
run 1 "$V" -c "$CONF" check 10.0.5.1 &&
	pass "the owner still gets the answer (block)" ||
	fail "the owner's check"

# ------------------------------------------------------- full: fsize
# full_checks LABEL CONF - after a failed import: old table intact
full_checks() {
	local label=$1 c=$2
	run 1 "$V" -c "$c" check 10.0.5.1 && grep -q "10.0.5.1 block drop OLD" "$T/out" &&
		pass "$label: check answers from the old table" ||
		fail "$label: old entry: $(cat "$T/out")"
	run 0 "$V" -c "$c" check 10.100.1.1 &&
		pass "$label: an entry of the failed import is absent" ||
		fail "$label: new entry visible: $(cat "$T/out")"
	run 0 "$V" -c "$c" dump drop && [ "$(wc -l <"$T/out")" = 3000 ] &&
		pass "$label: dump still 3000 entries" ||
		fail "$label: dump count $(wc -l <"$T/out")"
}
CONF=$T/full.conf
conf "$CONF" "$T/full"
mkdb "$T/full" || { echo "FAIL: set-up"; exit 1; }
size=$(stat -c %s "$T/full/data.mdb")
lim=$(( size / 1024 + 40 ))	# ulimit -f counts KiB: 40 KiB of room
# with SIGXFSZ at its default (the first write past the limit is short,
# later ones raise the signal) and ignored (write fails with EFBIG)
for sig in default ignored; do
	if [ $sig = ignored ]; then
		( trap '' XFSZ; ulimit -f $lim; exec "$V" -c "$CONF" import drop "$T/new.txt" ) \
			>"$T/out" 2>"$T/err"
	else
		( ulimit -f $lim; exec "$V" -c "$CONF" import drop "$T/new.txt" ) \
			>"$T/out" 2>"$T/err"
	fi
	rc=$?
	[ $rc != 0 ] && ! grep -q imported "$T/out" &&
		pass "full-fsize (SIGXFSZ $sig): import fails, exit $rc: $(head -1 "$T/err")" ||
		fail "full-fsize (SIGXFSZ $sig): import exit $rc"
	full_checks "full-fsize (SIGXFSZ $sig)" "$CONF"
done
run 0 "$V" -c "$CONF" import drop "$T/new.txt" && grep -q "imported 60000" "$T/out" &&
	pass "full-fsize: without the limit the same import succeeds" ||
	fail "full-fsize: import after the limit: $(cat "$T/out" "$T/err")"

# ------------------------------------------------------- full: tmpfs
if unshare -m true 2>/dev/null; then
	mkdir -p "$T/mnt"
	mkdb "$T/tdb" || { echo "FAIL: set-up"; exit 1; }
	# a mount namespace of its own: the tmpfs vanishes with it
	unshare -m bash -s "$V" "$T" >"$T/tmpfs.out" 2>&1 <<'EOF'
V=$1 T=$2
mount -t tmpfs -o size=600k,mode=755 tmpfs "$T/mnt" || { echo "SKIP: mount"; exit 77; }
cp -a "$T/tdb" "$T/mnt/db"
printf 'database = %s\nblock_tables = drop\n' "$T/mnt/db" >"$T/mnt/c.conf"
"$V" -c "$T/mnt/c.conf" import drop "$T/new.txt" >"$T/tmpfs.o" 2>"$T/tmpfs.e"
echo "import exit $? $(head -1 "$T/tmpfs.e")"
"$V" -c "$T/mnt/c.conf" check 10.0.5.1 10.100.1.1
echo "check exit $?"
echo "dump $("$V" -c "$T/mnt/c.conf" dump drop | wc -l)"
EOF
	rc=$?
	if [ $rc = 77 ]; then
		echo "skip: full-tmpfs: mount is not allowed here"
	else
		grep -q "^import exit [^0]" "$T/tmpfs.out" &&
			pass "full-tmpfs: import fails: $(grep '^import' "$T/tmpfs.out")" ||
			fail "full-tmpfs: $(cat "$T/tmpfs.out")"
		grep -q "^10.0.5.1 block drop OLD" "$T/tmpfs.out" &&
			grep -q "^10.100.1.1 neutral" "$T/tmpfs.out" &&
			grep -q "^check exit 1" "$T/tmpfs.out" &&
			pass "full-tmpfs: check answers from the old table" ||
			fail "full-tmpfs: check: $(cat "$T/tmpfs.out")"
		grep -q "^dump 3000$" "$T/tmpfs.out" &&
			pass "full-tmpfs: dump still 3000 entries" ||
			fail "full-tmpfs: dump: $(cat "$T/tmpfs.out")"
	fi
fi

# ----------------------------------------------------------- truncated
CONF=$T/trunc.conf
conf "$CONF" "$T/trunc"
mkdb "$T/trunc" || { echo "FAIL: set-up"; exit 1; }
truncate -s $(( $(stat -c %s "$T/trunc/data.mdb") / 2 )) "$T/trunc/data.mdb"
run 2 "$V" -c "$CONF" check 10.0.5.1 && err_has "is truncated" &&
	pass "truncated: check exit 2: $(head -1 "$T/err")" ||
	fail "truncated: check"
run 2 "$V" -c "$CONF" dump drop && err_has "is truncated" &&
	pass "truncated: dump exit 2" || fail "truncated: dump"
if [ -x "$H" ] && [ -f "$SO" ]; then
	callout 10.0.5.1 10.0.5.2
	[ "$(cat "$T/co.out")" = "0 -
0 -" ] && grep -q "truncated" "$T/co.log" &&
		pass "truncated: callout returns 0 and logs: $(grep -m1 truncated "$T/co.log")" ||
		fail "truncated: callout: $(cat "$T/co.out" "$T/co.log")"
fi
if [ -x "$M" ]; then
	chmod -R a+rwX "$T/trunc"
	mkdir "$T/run" && chown nobody "$T/run"	# as /run/verdict-milter
	timeout 20 "$M" -f -c "$CONF" -u nobody -s "unix:$T/run/m.sock" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 1 ] && err_has "truncated" && [ ! -e "$T/run/m.sock" ] &&
		pass "truncated: verdict-milter does not start (exit 1): $(grep -m1 truncated "$T/err")" ||
		fail "truncated: milter exit $rc: $(cat "$T/err")"
fi

echo "faults_db: $passed passed, $failed failed"
[ "$failed" = 0 ]
