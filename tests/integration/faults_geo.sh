#!/usr/bin/env bash
# faults_geo.sh - an MMDB replaced by a garbage file renamed into place
# while a long-running `verdict check -` (reading a fifo) answers.
# geoip_check_interval = 1s.  Documented outcome
# (geo.c, verdict.conf(5)): the process keeps answering and does not
# crash; a replacement that fails to open is logged once ("still using the
# copy opened before") and the copy opened before stays in service; a good
# file renamed in later is picked up; a process that starts with the
# garbage file has no geo data, so the geo rules contribute nothing.
# The CLI runs on the real clock: the test waits for the state it needs
# (a log line, an answer) with a deadline, asking all the while, since
# lookups are what run the re-check.
# Exit 0 pass, 1 fail, 77 skip.
set -u
skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }

V=${VERDICT_BINDIR:-build}/tools/verdict
SRC=${VERDICT_SRCDIR:-.}
[ -x "$V" ] || skip "$V is not built"
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
	skip "libmaxmind-db-writer-perl is not installed"

T=$(mktemp -d /tmp/vdgeo.XXXXXX)
PID=
cleanup() {
	exec 7>&- 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

perl "$SRC/data/mkmmdb.pl" -t country -o "$T/good.mmdb" <<'EOF'
203.0.113.0/24 country=CN
EOF
head -c 65536 /dev/urandom >"$T/garbage.mmdb"
cp "$T/good.mmdb" "$T/country.mmdb"
cat >"$T/verdict.conf" <<EOF
database = $T/db
geoip_country_db = $T/country.mmdb
geoip_check_interval = 1s
country_weights = CN*3
dnsbl_threshold = 3
EOF
"$V" -c "$T/verdict.conf" table create drop --kind block >/dev/null ||
	{ echo "FAIL: set-up"; exit 1; }

mkfifo "$T/in"
"$V" -c "$T/verdict.conf" check --line-buffered --json - <"$T/in" \
	>"$T/out" 2>"$T/err" &
PID=$!
exec 7>"$T/in"

# ask IP - one check through the running process; its JSON line
ask() {
	local n
	n=$(( $(wc -l <"$T/out") + 1 ))
	echo "$1" >&7
	for _ in $(seq 100); do
		[ "$(wc -l <"$T/out")" -ge $n ] && break
		sleep 0.05
	done
	sed -n "${n}p" "$T/out"
}

# asking SECS CMD... - ask 203.0.113.5 until CMD succeeds (then 0) or
# SECS seconds pass (then 1); $a is the last answer
asking() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		a=$(ask 203.0.113.5)
		"$@" && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

a=$(ask 203.0.113.5)
case $a in *'"verdict":"block"'*'"country":"CN"'*) pass "before: block (CN*3)";;
	*) fail "before: $a";; esac

mv "$T/garbage.mmdb" "$T/country.mmdb"	# rename(2) into place
asking 10 grep -q "still using the copy opened before" "$T/err"
# two more intervals of checks: the same broken file is not logged again
asking 3 false
kill -0 "$PID" 2>/dev/null && pass "garbage renamed in: the process still runs" ||
	fail "garbage renamed in: the process died"
case $a in *'"verdict":"block"'*) pass "garbage renamed in: the copy opened before stays in service";;
	*) fail "garbage renamed in: $a";; esac
grep -q "still using the copy opened before" "$T/err" &&
	pass "garbage renamed in: logged: $(grep -m1 'still using' "$T/err")" ||
	fail "garbage renamed in: no log line: $(cat "$T/err")"
[ "$(grep -c 'geoip_country_db' "$T/err")" = 1 ] &&
	pass "garbage renamed in: logged once" ||
	fail "garbage renamed in: logged $(grep -c 'geoip_country_db' "$T/err") times"
a=$(ask 192.0.2.1)
case $a in *'"verdict":"neutral"'*) pass "garbage renamed in: other IPs neutral";;
	*) fail "garbage renamed in: 192.0.2.1: $a";; esac

# a good file (other data: 203.0.113.0/24 now GB) renamed in is used
perl "$SRC/data/mkmmdb.pl" -t country -o "$T/new.mmdb" <<'EOF'
203.0.113.0/24 country=GB
EOF
mv "$T/new.mmdb" "$T/country.mmdb"
gb() { case $a in *'"country":"GB"'*) return 0;; esac; return 1; }
asking 10 gb
case $a in *'"verdict":"neutral"'*'"country":"GB"'*) pass "good file renamed in: used (GB, neutral)";;
	*) fail "good file renamed in: $a";; esac

exec 7>&-
wait "$PID"
rc=$?
PID=
[ $rc = 0 ] || [ $rc = 1 ] && pass "the process ends normally at end of input (exit $rc)" ||
	fail "exit status $rc: $(tail -3 "$T/err")"

# started with the garbage file: no geo data, the rules add nothing
head -c 65536 /dev/urandom >"$T/country.mmdb"
"$V" -c "$T/verdict.conf" check --json 203.0.113.5 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] && grep -q '"verdict":"neutral"' "$T/out" && grep -q '"country":null' "$T/out" &&
	pass "garbage at start: neutral, no country: $(head -1 "$T/err")" ||
	fail "garbage at start: exit $rc: $(cat "$T/out" "$T/err")"

echo "faults_geo: $passed passed, $failed failed"
[ "$failed" = 0 ]
