#!/usr/bin/env bash
# faults_full_disk.sh - readers on a full file system (issue 16 item 1).
# LMDB maps lock.mdb; a page of it that was never allocated kills the
# process with SIGBUS (exit 135) at its first touch when the disk is full.
# On an 8 MiB tmpfs in a private mount namespace, filled with dd:
#   absent       lock.mdb missing: verdict check exits 2 naming lock.mdb
#                and "No space left"; 24 concurrent `check -` readers and
#                the callout harness (the MTA process) all live, the
#                callout returns 0 (fails open) and logs the file
#   sparse       lock.mdb sparse at its full size (as older versions left
#                it): the same
#   reserved     lock.mdb created while there was room, then the disk
#                filled: readers answer (exit 1, the block) as usual
#   create       `verdict table create` of a new database on the full
#                disk: exit 2, an error naming the file, no signal
# Needs root, unshare -m and mount -t tmpfs; prints SKIP otherwise.
# Exit 0 pass, 1 fail, 77 skip.
set -u

skip() { echo "SKIP: $*"; exit 77; }
B=${VERDICT_BINDIR:-build}
V=$(realpath "$B/tools/verdict" 2>/dev/null)
SO=$(realpath "$B/callout/libverdict_callout.so" 2>/dev/null)
H=$(realpath "$B/tests/callout/callout_harness" 2>/dev/null)
[ -x "$V" ] || skip "$B/tools/verdict is not built"
[ "$(id -u)" = 0 ] || skip "needs root (mount -t tmpfs)"
unshare -m true 2>/dev/null || skip "unshare -m is not allowed here"

T=$(mktemp -d /tmp/vdfull.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
mkdir "$T/mnt"

# Everything runs in a mount namespace of its own: the tmpfs goes with it.
unshare -m bash -s "$V" "$T" "$SO" "$H" <<'EOF'
V=$1 T=$2 SO=$3 H=$4
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
M=$T/mnt
mount -t tmpfs -o size=8m,mode=755 tmpfs "$M" || { echo "SKIP: mount -t tmpfs failed"; exit 77; }
C=$M/c.conf
printf 'database = %s\nblock_tables = drop\n' "$M/db" >"$C"
"$V" -c "$C" table create drop --kind block >/dev/null &&
	echo "10.1.0.0/16 ; full" | "$V" -c "$C" import drop - >/dev/null ||
	{ echo "FAIL: set-up"; exit 1; }

fill() { dd if=/dev/zero of="$M/fill.$1" bs=64k 2>/dev/null; sync; }
unfill() { rm -f "$M"/fill.*; }

# signal_free LABEL STATUS... - no status is a death by signal (> 128)
signal_free() {
	local label=$1 s bad=0
	shift
	for s in "$@"; do [ "$s" -gt 128 ] && bad=$((bad + 1)); done
	[ $bad = 0 ] && pass "$label: no reader died by a signal (statuses: $(echo "$@" | tr ' ' '\n' | sort | uniq -c | tr -s ' \n' ' '))" ||
		fail "$label: $bad of $# readers died by a signal: $*"
}

# readers LABEL WANT - one check, 24 concurrent check -, the callout
readers() {
	local label=$1 want=$2 i st=() pids=()
	"$V" -c "$C" check 10.1.2.3 >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$want" = fail ]; then
		[ $rc = 2 ] && grep -q "lock.mdb" "$T/err" && grep -q "No space left" "$T/err" &&
			pass "$label: check exits 2: $(head -1 "$T/err")" ||
			fail "$label: check exit $rc: $(cat "$T/out" "$T/err")"
	else
		[ $rc = 1 ] && grep -q "10.1.2.3 block drop" "$T/out" &&
			pass "$label: check answers (block)" ||
			fail "$label: check exit $rc: $(cat "$T/out" "$T/err")"
	fi
	for i in $(seq 1 24); do
		printf '10.1.2.%d\n10.9.9.9\n' "$i" | "$V" -c "$C" check - >"$T/r.$i.out" 2>"$T/r.$i.err" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; st+=($?); done
	signal_free "$label: 24 concurrent check -" "${st[@]}"
	if [ "$want" = fail ]; then
		! grep -L "lock.mdb" "$T"/r.*.err | grep -q . &&
			pass "$label: every check - names lock.mdb" ||
			fail "$label: a check - without lock.mdb: $(grep -L lock.mdb "$T"/r.*.err | head -1 | xargs cat)"
	else
		[ "$(cat "$T"/r.*.out | grep -c ' block ')" = 24 ] &&
			pass "$label: 24 check - readers answer" ||
			fail "$label: check - answers: $(cat "$T"/r.*.out "$T"/r.*.err | head -5)"
	fi
	[ -x "$H" ] && [ -f "$SO" ] || return 0
	printf '1|10.1.2.3\n1|10.9.9.9\n' | VERDICT_CONFIG=$C VERDICT_CALLOUT_LOG_FD=9 \
		"$H" "$SO" stdin >"$T/co.out" 9>"$T/co.log" 2>&1
	rc=$?
	if [ "$want" = fail ]; then
		[ $rc -lt 128 ] && [ "$(head -1 "$T/co.out")" = "0 -" ] && grep -q "lock.mdb" "$T/co.log" &&
			pass "$label: callout fails open and logs: $(grep -m1 lock.mdb "$T/co.log" | cut -c1-150)" ||
			fail "$label: callout exit $rc: $(cat "$T/co.out" "$T/co.log" | head -5)"
	else
		[ $rc -lt 128 ] && [ "$(head -1 "$T/co.out" | cut -c1-3)" = "-1 " ] &&
			pass "$label: callout answers" ||
			fail "$label: callout exit $rc: $(cat "$T/co.out" "$T/co.log" | head -5)"
	fi
}

# absent: the first reader creates lock.mdb on a full disk
rm -f "$M/db/lock.mdb"
fill a
readers absent fail
# sparse: a lock.mdb of the full size with no blocks
truncate -s 262272 "$M/db/lock.mdb"
readers sparse fail
# reserved: created while there was room; the disk filled afterwards
unfill
rm -f "$M/db/lock.mdb"
"$V" -c "$C" check 10.1.2.3 >/dev/null
[ "$(stat -c %s "$M/db/lock.mdb")" -ge 262272 ] &&
	[ $(( $(stat -c %b "$M/db/lock.mdb") * $(stat -c %B "$M/db/lock.mdb") )) -ge 262272 ] &&
	pass "reserved: lock.mdb has all its $(stat -c %s "$M/db/lock.mdb") bytes allocated" ||
	fail "reserved: lock.mdb $(stat -c '%s bytes, %b blocks' "$M/db/lock.mdb")"
fill b
readers reserved ok
# create: a new database on the full disk
printf 'database = %s\nblock_tables = drop\n' "$M/db2" >"$T/c2.conf"
"$V" -c "$T/c2.conf" table create drop --kind block >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -qE "(lock|data)\.mdb" "$T/err" && grep -q "No space left" "$T/err" &&
	pass "create: table create on a full disk exits 2: $(head -1 "$T/err")" ||
	fail "create: exit $rc: $(cat "$T/out" "$T/err")"
echo "faults_full_disk: $passed passed, $failed failed"
[ "$failed" = 0 ]
EOF
