#!/usr/bin/env bash
# faults_clock.sh - wall-clock jumps simulated with libfaketime (Debian's
# faketime package; the machine's clock is never touched).
# Documented outcome: deadlines use the monotonic clock, so a
# DNS timeout holds (dnsbl_timeout = 500ms against a server that never
# answers: the verdict within 500 ms + 10 %, measured outside faketime);
# expiry uses wall time (an entry added with --expires 1h blocks now and
# has expired for a process whose clock reads two hours later).
# Cases: wall clock a year ahead ("+1y"); a year behind ("-1y"); a clock
# running 10 times fast ("+0 x10", monotonic left alone with
# --exclude-monotonic, as after an NTP slew gone wrong); a jump of a day
# forward in the middle of the wait (FAKETIME_TIMESTAMP_FILE rewritten
# while the check waits); expiry under "+2h".
# Exit 0 pass, 1 fail, 77 skip.
set -u
skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }

V=${VERDICT_BINDIR:-build}/tools/verdict
SRC=${VERDICT_SRCDIR:-.}
[ -x "$V" ] || skip "$V is not built"
command -v faketime >/dev/null || skip "faketime is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
LIBFT=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
	[ -f "$f" ] && LIBFT=$f && break
done
[ -n "$LIBFT" ] || skip "libfaketimeMT.so.1 not found"
# an ASan build: libfaketime is preloaded before the ASan runtime
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

T=$(mktemp -d /tmp/vdclock.XXXXXX)
RPID=
cleanup() { [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

python3 "$SRC/tests/dnsresponder.py" "$T/port" "$T/dns.log" &
RPID=$!
for _ in $(seq 400); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "FAIL: dnsresponder.py did not start"; exit 1; }
cat >"$T/verdict.conf" <<EOF
database = $T/db
block_tables = drop
dns_servers = 127.0.0.1:$(cat "$T/port")
dnsbl_sites = silent.test*1
dnsbl_timeout = 500ms
EOF
"$V" -c "$T/verdict.conf" table create drop --kind block >/dev/null &&
	"$V" -c "$T/verdict.conf" add drop 192.0.2.0/24 --expires 1h >/dev/null ||
	{ echo "FAIL: set-up"; exit 1; }

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# judge LABEL T0 T1 - the check in $T/out (--json): neutral, its own
# elapsed_us (the library's monotonic measure) in [450, 550] ms, and the
# whole process (start, open, check, exit; real clock, outside faketime)
# under 1.5 s - a deadline taken from a jumping wall clock would end at
# once or hang for the jump
judge() {
	local label=$1 wall=$(($3 - $2)) us
	us=$(sed -n 's/.*"elapsed_us":\([0-9]*\).*/\1/p' "$T/out")
	if grep -q '"verdict":"neutral"' "$T/out" && [ -n "$us" ] &&
	   [ "$us" -ge 450000 ] && [ "$us" -le 550000 ] && [ $wall -le 1500 ]; then
		pass "$label: neutral after $((us / 1000)) ms (timeout 500 ms; process $wall ms)"
	else
		fail "$label: elapsed_us ${us:-?}, process $wall ms: $(cat "$T/out")"
	fi
}

# timed LABEL CMD... - a check of 198.51.100.7 (waits for silent.test)
# under CMD
timed() {
	local label=$1 t0 t1
	shift
	t0=$(ms)
	"$@" "$V" -c "$T/verdict.conf" check --json 198.51.100.7 >"$T/out" 2>/dev/null
	t1=$(ms)
	judge "$label" $t0 $t1
}

timed "real clock"
timed "wall clock +1y" faketime -f "+1y"
timed "wall clock -1y" faketime -f "-1y"
timed "wall clock x10, monotonic real" faketime --exclude-monotonic -f "+0 x10"

# a jump of a day forward 150 ms into the wait
echo "+0" >"$T/ft"
t0=$(ms)
( sleep 0.15; echo "+1d" >"$T/ft.new"; mv "$T/ft.new" "$T/ft" ) &
jpid=$!
LD_PRELOAD=$LIBFT FAKETIME_TIMESTAMP_FILE=$T/ft FAKETIME_NO_CACHE=1 \
	FAKETIME_DONT_FAKE_MONOTONIC=1 \
	"$V" -c "$T/verdict.conf" check --json 198.51.100.7 >"$T/out" 2>/dev/null
t1=$(ms)
wait $jpid
judge "wall clock jumps +1d during the wait" $t0 $t1

# expiry is wall time
out=$("$V" -c "$T/verdict.conf" check 192.0.2.1 2>/dev/null)
case $out in "192.0.2.1 block drop"*) pass "expiry: blocks now";;
	*) fail "expiry now: $out";; esac
out=$(faketime -f "+2h" "$V" -c "$T/verdict.conf" check 192.0.2.1 2>/dev/null)
[ "$out" = "192.0.2.1 neutral - -" ] &&
	pass "expiry: two hours later (faketime +2h) the entry has expired" ||
	fail "expiry +2h: $out"
out=$(faketime -f "+50m" "$V" -c "$T/verdict.conf" check 192.0.2.1 2>/dev/null)
case $out in "192.0.2.1 block drop"*) pass "expiry: 50 minutes later still blocks";;
	*) fail "expiry +50m: $out";; esac

echo "faults_clock: $passed passed, $failed failed"
[ "$failed" = 0 ]
