#!/usr/bin/env bash
# learn_mimedefang.sh - the README's MIMEDefang recipe for learned
# reputation, run for real: a private Postfix on loopback with
# smtpd_milters = mimedefang, then verdict-milter; mimedefang and
# mimedefang-multiplexor (one worker, as the defang user) started by the
# test with a private filter, spool and sockets.  The filter is the
# recipe: filter_end asks SpamAssassin (spam_assassin_check) and, for
# spam, runs "verdict report $RelayAddr".  The GTUBE message from
# 127.0.0.46 is reported once per message; after learn_threshold (3) the
# next connection from 127.0.0.46 is refused at the greeting by
# verdict-milter.  A clean message from 127.0.0.47 is scanned and never
# reported.  The defang user writes the database through its group
# (database_group, database_mode 0660), as the README tells an admin.
# Needs root (Postfix's master), postfix, swaks, mimedefang (with
# SpamAssassin's Perl modules, from the spamassassin package); skips
# (77) visibly otherwise.
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
command -v mimedefang >/dev/null && command -v mimedefang-multiplexor >/dev/null ||
	skip "mimedefang is not installed (apt-get install mimedefang)"
[ -x /usr/bin/mimedefang.pl ] || skip "mimedefang.pl is missing"
perl -MMail::SpamAssassin -e 1 2>/dev/null ||
	skip "Mail::SpamAssassin is not installed (apt-get install spamassassin)"
getent passwd defang >/dev/null || skip "no defang user (Debian's mimedefang creates it)"
command -v python3 >/dev/null || skip "python3 is needed to find free ports"
dgroup=$(id -gn defang)

T=$(mktemp -d /tmp/vmmd.XXXXXX)
chmod 755 "$T"
mpid= xpid= dpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	postfix_stop "$T"
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -n "$xpid" ] && kill "$xpid" 2>/dev/null && wait "$xpid" 2>/dev/null
	if [ "$failed" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- milter log"; tail -n 30 "$T/milter.log" 2>/dev/null
		echo "--- mimedefang logs"; tail -n 10 "$T/md.log" "$T/mx.log" 2>/dev/null
		echo "--- postfix log"; tail -n 30 "$T/maillog" 2>/dev/null
	fi
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

read -r MPORT SPORT DPORT <<<"$(free_ports 3)"

# --- the database: a learned table the defang user writes through its
# group (the packaged setup: group verdict, "adduser defang verdict")
mkdir -p "$T/db"
cat >"$T/verdict.conf" <<EOF
database = $T/db
database_group = $dgroup
database_mode = 0660
learned_tables = learned
log_verdicts = all
EOF
V() { "$cli" -c "$T/verdict.conf" "$@"; }
chgrp "$dgroup" "$T/db" && chmod 2770 "$T/db"
V table create learned --kind learned >/dev/null || { echo "FAIL: table create"; exit 1; }

# --- MIMEDefang: the README's filter_end, with this test's paths
sed -e "s|@VERDICT@|$cli|" -e "s|@CONF@|$T/verdict.conf|" >"$T/filter" <<'PERL'
detect_and_load_perl_modules();

sub filter_end {
    my ($entity) = @_;
    my ($hits, $req) = spam_assassin_check();
    if (defined($hits) && $hits >= $req) {
        # verdict's output must not reach STDOUT, the worker's channel
        # to the multiplexor
        if (open(my $out, '-|', '@VERDICT@', '-c', '@CONF@', 'report',
                 $RelayAddr, '--reason', "SpamAssassin $hits")) {
            my @ignored = <$out>;
            close($out);
        }
    }
    # this test's own: what SpamAssassin said, for the assertions
    action_add_header('X-Test-SpamAssassin', defined($hits) ? "$hits/$req" : 'none');
}

1;
PERL
chmod 644 "$T/filter"
mkdir -p "$T/spool"
chown defang:"$dgroup" "$T/spool" && chmod 750 "$T/spool"
mimedefang-multiplexor -D -U defang -m 1 -x 1 -F "$T/filter" \
	-z "$T/spool" -s "$T/spool/mx.sock" >"$T/mx.log" 2>&1 &
xpid=$!
wait_for "the multiplexor's socket" 10 unix_accepts "$T/spool/mx.sock" ||
	skip "mimedefang-multiplexor did not start: $(tail -n 3 "$T/mx.log" | tr '\n' ' ')"
mimedefang -D -U defang -z "$T/spool" -m "$T/spool/mx.sock" \
	-p "inet:$DPORT@127.0.0.1" >"$T/md.log" 2>&1 &
dpid=$!
wait_for "mimedefang to accept on port $DPORT" 10 tcp_accepts "$DPORT" ||
	skip "mimedefang did not start: $(tail -n 3 "$T/md.log" | tr '\n' ' ')"

# --- verdict-milter reads the learned table (its user writes lock.mdb)
"$milter" -f -c "$T/verdict.conf" -s "inet:$MPORT@127.0.0.1" -u defang \
	2>>"$T/milter.log" &
mpid=$!
wait_for "verdict-milter to log its start" 10 \
	log_above "$T/milter.log" 'started: socket ' 0 || exit 1
wait_for "verdict-milter to accept on port $MPORT" 10 tcp_accepts "$MPORT" || exit 1

# --- the private Postfix
postfix_start "$T" "$SPORT" "inet:127.0.0.1:$DPORT, inet:127.0.0.1:$MPORT" || exit 1

GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
heldfile() { grep -rla -- "case-$1" "$T/queue/hold" 2>/dev/null | head -1; }
held() { grep -rla -- "$1" "$T/queue/hold" 2>/dev/null | wc -l; }
smtp() {	# label from-ip body
	swaks --server "127.0.0.1:$SPORT" --local-interface "$2" \
		--from sender@example.org --to rcpt@example.net \
		--header "Subject: case-$1" --body "$3" --timeout 60 \
		>"$T/swaks.$1" 2>&1
}
greeting() { grep -m1 '^<[-*]\{1,2\} *[0-9]' "$T/swaks.$1" | sed 's/^<[-*]* *//'; }
sascore() {	# the X-Test-SpamAssassin value (hits/required) in a queue file
	grep -a -o -m1 'X-Test-SpamAssassin: [-0-9.]*/[0-9.]*' "$1" 2>/dev/null |
		sed 's/^[^ ]* //'
}
reports() {	# reports stored for a key
	V dump learned | awk -F'\t' -v k="$1" '$1 == k { print $3 }'
}

# filter_end runs before the end-of-data reply: each report is committed
# when swaks returns
for i in 1 2 3; do
	smtp "spam$i" 127.0.0.46 "$GTUBE"
	case "$(greeting "spam$i")" in
	220*) ;;
	*) fail "spam $i: greeting \"$(greeting "spam$i")\" before the threshold" ;;
	esac
	[ "$(held "case-spam$i")" = 1 ] || fail "spam $i not delivered (held $(held "case-spam$i"))"
	[ "$(reports 127.0.0.46/32)" = "$i" ] ||
		fail "after spam $i: reports of 127.0.0.46 \"$(reports 127.0.0.46/32)\" (want $i)"
done
[ "$failed" = 0 ] && pass "3 GTUBE messages delivered (marked, not rejected), one report each"
f=$(heldfile spam3)
grep -qa 'X-Scanned-By: MIMEDefang' "$f" 2>/dev/null &&
	pass "the message went through MIMEDefang" || fail "no X-Scanned-By: MIMEDefang header"
ss=$(sascore "$f")
[ "${ss%%/*}" != "$ss" ] && [ "${ss%%.*}" -ge 5 ] 2>/dev/null &&
	pass "SpamAssassin scored the GTUBE message ($ss)" ||
	fail "no SpamAssassin score on spam 3"
V dump learned | grep -q 'SpamAssassin' &&
	pass "the report carries the filter's reason" || fail "no reason \"SpamAssassin\" in the dump"

smtp ham 127.0.0.47 "a clean message"
[ "$(held case-ham)" = 1 ] && pass "ham delivered" || fail "ham not delivered"
f=$(heldfile ham)
hs=$(sascore "$f")
case "$hs" in
*[0-9]/[0-9]*) pass "ham scanned by SpamAssassin ($hs)" ;;
*) fail "ham not scored by SpamAssassin (\"$hs\")" ;;
esac

smtp blocked 127.0.0.46 "$GTUBE"
case "$(greeting blocked)" in
554*) pass "after 3 spam messages: refused at the greeting \"$(greeting blocked)\"" ;;
*) fail "after 3 spam messages: greeting \"$(greeting blocked)\" (want 554)" ;;
esac
[ "$(held case-blocked)" = 0 ] && pass "refused source: nothing queued" || fail "refused source queued mail"
[ -z "$(reports 127.0.0.47/32)" ] && pass "ham source never reported" ||
	fail "ham source reported: $(reports 127.0.0.47/32)"
grep -q 'verdict: ip=127.0.0.46 verdict=block .*source=learned' "$T/milter.log" &&
	pass "verdict line names the learned table" || fail "no learned verdict line"
for p in "$T/db/data.mdb" "$T/db/lock.mdb"; do
	[ "$(stat -c %G:%a "$p")" = "$dgroup:660" ] ||
		fail "$p is $(stat -c %G:%a "$p") (want $dgroup:660)"
done

echo "learn_mimedefang: $passed passed, $failed failed"
[ "$failed" = 0 ]
