#!/usr/bin/env bash
# learn_spamd.sh - learned reputation from a real content filter, end to
# end: a private Postfix on loopback with smtpd_milters = spamass-milter
# (no -r: it marks, never rejects), then verdict-milter with
# milter_learn = yes; spamd run by the test (local tests only, one
# child).  The GTUBE message from 127.0.0.44 (spamass-milter skips
# 127.0.0.1) is marked "X-Spam-Flag: YES" by SpamAssassin, verdict-milter
# sees that header and reports the client; after learn_threshold (3)
# such messages the next connection from 127.0.0.44 is refused at the
# greeting.  A clean message from 127.0.0.45 is never reported, and the
# messages before the block were delivered (nothing rejected).
# Needs root (Postfix's master), postfix, swaks, spamd, spamass-milter;
# skips (77) visibly otherwise.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
passed=0 failed=0
. "$(dirname "$0")/wait.inc"
. "$(dirname "$0")/postfix.inc"

bindir=${VERDICT_BINDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
milter=$bindir/tools/milter/verdict-milter
cli=$bindir/tools/verdict

[ -x "$milter" ] || skip "verdict-milter not built ($milter)"
[ -x "$cli" ] || skip "the verdict CLI is not built ($cli)"
postfix_usable || skip "$postfix_why"
command -v swaks >/dev/null || skip "swaks is not installed"
command -v spamd >/dev/null || skip "spamd is not installed (apt-get install spamd)"
command -v spamass-milter >/dev/null || skip "spamass-milter is not installed"
command -v spamc >/dev/null || skip "spamc is not installed"
command -v python3 >/dev/null || skip "python3 is needed to find free ports"

T=$(mktemp -d /tmp/vmsa.XXXXXX)
chmod 755 "$T"
mpid= spid= sapid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	[ -n "$sapid" ] && kill "$sapid" 2>/dev/null && wait "$sapid" 2>/dev/null
	postfix_stop "$T"
	[ -s "$T/spamd.pid" ] && kill "$(cat "$T/spamd.pid")" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	if [ "$failed" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- milter log"; tail -n 30 "$T/milter.log" 2>/dev/null
		echo "--- spamass-milter log"; tail -n 10 "$T/sa.log" 2>/dev/null
		echo "--- postfix log"; tail -n 30 "$T/maillog" 2>/dev/null
	fi
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

read -r MPORT SPORT SAPORT SDPORT <<<"$(free_ports 4)"

# --- spamd: local tests only, one child, no user configuration
spamd -L -x --listen="127.0.0.1:$SDPORT" --max-children 1 --min-children 1 \
	-u nobody -r "$T/spamd.pid" -s stderr >"$T/spamd.log" 2>&1 &
spid=$!
wait_for "spamd to accept on port $SDPORT" 60 tcp_accepts "$SDPORT" >/dev/null ||
	skip "spamd did not start: $(tail -n 3 "$T/spamd.log" | tr '\n' ' ')"

# --- the database: a learned table
mkdir -p "$T/db"
cat >"$T/verdict.conf" <<EOF
database = $T/db
learned_tables = learned
log_verdicts = all
milter_learn = yes
learn_commit_interval = 200ms
EOF
V() { "$cli" -c "$T/verdict.conf" "$@"; }
V table create learned --kind learned >/dev/null || { echo "FAIL: table create"; exit 1; }
# the milter runs as nobody and writes its reports into data.mdb
chmod -R a+rwX "$T/db"

# --- the milters: spamass-milter first, then verdict-milter
spamass-milter -p "inet:$SAPORT@127.0.0.1" -- -d 127.0.0.1 -p "$SDPORT" \
	>"$T/sa.log" 2>&1 &
sapid=$!
wait_for "spamass-milter to accept on port $SAPORT" 10 tcp_accepts "$SAPORT" || exit 1
"$milter" -f -c "$T/verdict.conf" -s "inet:$MPORT@127.0.0.1" -u nobody \
	2>>"$T/milter.log" &
mpid=$!
wait_for "verdict-milter to log its start" 10 \
	log_above "$T/milter.log" 'started: socket ' 0 || exit 1
wait_for "verdict-milter to accept on port $MPORT" 10 tcp_accepts "$MPORT" || exit 1

# --- the private Postfix
postfix_start "$T" "$SPORT" "inet:127.0.0.1:$SAPORT, inet:127.0.0.1:$MPORT" || exit 1

GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
held() { grep -rla -- "$1" "$T/queue/hold" 2>/dev/null | wc -l; }
smtp() {	# label from-ip body
	swaks --server "127.0.0.1:$SPORT" --local-interface "$2" \
		--from sender@example.org --to rcpt@example.net \
		--header "Subject: case-$1" --body "$3" --timeout 30 \
		>"$T/swaks.$1" 2>&1
}
greeting() { grep -m1 '^<[-*]\{1,2\} *[0-9]' "$T/swaks.$1" | sed 's/^<[-*]* *//'; }
reports() {	# reports stored for a key
	V dump learned | awk -F'\t' -v k="$1" '$1 == k { print $3 }'
}
three_reports() { [ "$(reports 127.0.0.44/32)" = 3 ]; }

for i in 1 2 3; do
	smtp "spam$i" 127.0.0.44 "$GTUBE"
	case "$(greeting "spam$i")" in
	220*) ;;
	*) fail "spam $i: greeting \"$(greeting "spam$i")\" before the threshold" ;;
	esac
	wait_for "report $i of 127.0.0.44 in the milter log" 30 \
		log_above "$T/milter.log" 'learned: ip=127.0.0.44 ' $((i - 1)) || exit 1
done
[ "$(held case-spam3)" = 1 ] && pass "spam below the threshold is delivered (marked, not rejected)" ||
	fail "spam 3 not held ($(held case-spam3))"
grep -q 'X-Spam-Flag: YES' "$(grep -rla case-spam3 "$T/queue/hold" | head -1)" &&
	pass "SpamAssassin marked the GTUBE message" || fail "no X-Spam-Flag in the held message"
# the reports are committed within learn_commit_interval
wait_for "three reports of 127.0.0.44/32 committed" 10 three_reports || exit 1
pass "three reports committed"

smtp ham 127.0.0.45 "a clean message"
[ "$(held case-ham)" = 1 ] && pass "ham delivered" || fail "ham not delivered"

smtp blocked 127.0.0.44 "$GTUBE"
case "$(greeting blocked)" in
554*) pass "after 3 spam messages: refused at the greeting \"$(greeting blocked)\"" ;;
*) fail "after 3 spam messages: greeting \"$(greeting blocked)\" (want 554)" ;;
esac
[ "$(held case-blocked)" = 0 ] && pass "refused source: nothing queued" || fail "refused source queued mail"
[ -z "$(reports 127.0.0.45/32)" ] && pass "ham source never reported" ||
	fail "ham source reported: $(reports 127.0.0.45/32)"
grep -q 'verdict: ip=127.0.0.44 verdict=block .*source=learned' "$T/milter.log" &&
	pass "verdict line names the learned table" || fail "no learned verdict line"

echo "learn_spamd: $passed passed, $failed failed"
[ "$failed" = 0 ]
