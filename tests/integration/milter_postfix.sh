#!/usr/bin/env bash
# milter_postfix.sh - verdict-milter behind a real, private Postfix instance
#
# Starts verdict-milter on a free loopback port and a private Postfix (its
# own config, queue and data directories under a temp dir, smtpd on free
# loopback ports, mail held in the hold queue so it can be found), then
# talks SMTP with swaks from chosen 127.0.0.X addresses:
#   block      127.0.0.66 (block table) gets the 554 greeting, nothing queued
#   allow      127.0.0.77 (allow table) delivers (message in the hold queue)
#   neutral    127.0.0.5 delivers
#   none       127.0.0.66 on the listener whose {daemon_name} maps to none
#   stopped    milter down: Postfix's default tempfail -> 451, then with
#              the per-milter default_action=accept -> delivered
#   stage      milter_stage = mail: greeting 220, MAIL FROM gets the
#              profile's rendered reply (reason + URL)
#   reload     SIGUSR1 with block_tables += a second table: in force; a
#              broken config on SIGUSR1 is refused and the old one kept
#   sigterm    exit status 0, pidfile removed
#   dnsbl      a source listed by rbldnsd (when the DNSBL engine is in)
# Needs root (Postfix's master), postfix, swaks; skips (77) visibly
# otherwise, and when another MTA package owns the system.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
passed=0 failed=0
. "$(dirname "$0")/wait.inc"
. "$(dirname "$0")/postfix.inc"

bindir=${VERDICT_BINDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
srcdir=${VERDICT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
milter=$bindir/tools/milter/verdict-milter
cli=$bindir/tools/verdict

[ -x "$milter" ] || skip "verdict-milter not built ($milter)"
[ -x "$cli" ] || skip "the verdict CLI is not built ($cli)"
postfix_usable || skip "$postfix_why"
command -v swaks >/dev/null || skip "swaks is not installed"
command -v python3 >/dev/null || skip "python3 is needed to find free ports"
for other in exim4-daemon-light exim4-daemon-heavy sendmail-bin opensmtpd; do
	dpkg-query -W -f='${Status}' "$other" 2>/dev/null | grep -q 'install ok installed' &&
		skip "another MTA package ($other) is installed"
done

T=$(mktemp -d /tmp/vmpf.XXXXXX)
chmod 755 "$T"
mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	postfix_stop "$T"
	[ -n "${rpid:-}" ] && kill "$rpid" 2>/dev/null
	if [ "$failed" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- milter log"; tail -n 40 "$T/milter.log" 2>/dev/null
		echo "--- postfix log"; tail -n 40 "$T/maillog" 2>/dev/null
	fi
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

read -r MPORT SPORT SUBPORT DNSPORT <<<"$(free_ports 4)"

# --- the database: a block and an allow table
mkdir -p "$T/db" "$T/run"
chmod 777 "$T/run"
cat >"$T/verdict.conf" <<EOF
database = $T/db
block_tables = drop
allow_tables = partners
log_verdicts = all
milter_profiles = submission=none
reply = 554 5.7.1 Service unavailable; client [%{ip}] blocked using %{source}%{reason}; see https://fp.example/?ip=%{ip}
EOF
V() { "$cli" -c "$T/verdict.conf" "$@"; }
V table create drop --kind block >/dev/null || { echo "FAIL: table create"; exit 1; }
V table create partners --kind allow >/dev/null
printf '127.0.0.66/32 ; SBL666\n192.0.2.0/24\n' >"$T/drop.txt"
printf '127.0.0.77\n' >"$T/partners.txt"
V import drop "$T/drop.txt" >/dev/null && V import partners "$T/partners.txt" >/dev/null ||
	{ echo "FAIL: import"; exit 1; }
# the milter runs as nobody: every reader writes lock.mdb
chmod -R a+rwX "$T/db"

nstarted=0
start_milter() {	# [extra config lines...]
	cp "$T/verdict.conf" "$T/milter.conf"
	for l in "$@"; do echo "$l" >>"$T/milter.conf"; done
	"$milter" -f -c "$T/milter.conf" -s "inet:$MPORT@127.0.0.1" -u nobody \
		-P "$T/run/milter.pid" 2>>"$T/milter.log" &
	mpid=$!
	# up once it has logged its start (signal thread running) and the
	# port accepts
	wait_for "verdict-milter to log its start" 10 \
		log_above "$T/milter.log" 'started: socket ' "$nstarted" || exit 1
	wait_for "verdict-milter to accept on port $MPORT" 10 tcp_accepts "$MPORT" || exit 1
	nstarted=$((nstarted + 1))
}
stop_milter() {
	kill -TERM "$mpid"; wait "$mpid"; local rc=$?; mpid=
	return $rc
}

# --- the private Postfix
postfix_start "$T" "$SPORT" "inet:127.0.0.1:$MPORT" \
	"milter_macro_daemon_name = smtpd" \
	"127.0.0.1:$SUBPORT inet n - n - - smtpd -o milter_macro_daemon_name=submission" || exit 1

held() { grep -rla -- "$1" "$T/queue/hold" 2>/dev/null | wc -l; }
smtp() {	# label from-ip port -> $T/swaks.label; swaks exit status
	local label=$1 ip=$2 port=$3
	swaks --server "127.0.0.1:$port" --local-interface "$ip" \
		--from sender@example.org --to rcpt@example.net \
		--header "Subject: case-$label" --timeout 20 \
		>"$T/swaks.$label" 2>&1
}
greeting() { grep -m1 '^<[-*]\{1,2\} *[0-9]' "$T/swaks.$1" | sed 's/^<[-*]* *//'; }

# --- cases with the milter at the connect stage
start_milter

smtp block 127.0.0.66 "$SPORT"
g=$(greeting block)
case "$g" in
554*) pass "blocked source: greeting \"$g\"" ;;
*) fail "blocked source: greeting \"$g\" (want 554)" ;;
esac
[ "$(held case-block)" = 0 ] && pass "blocked source: nothing queued" ||
	fail "blocked source: a message was queued"

smtp allow 127.0.0.77 "$SPORT" && [ "$(held case-allow)" = 1 ] &&
	pass "allow-table source delivers (held: 1)" ||
	fail "allow-table source: swaks or queue ($(held case-allow) held)"

smtp neutral 127.0.0.5 "$SPORT" && [ "$(held case-neutral)" = 1 ] &&
	pass "neutral source delivers (held: 1)" ||
	fail "neutral source: swaks or queue ($(held case-neutral) held)"

smtp none 127.0.0.66 "$SUBPORT" && [ "$(held case-none)" = 1 ] &&
	pass "listed source on {daemon_name}=submission (profile none) delivers" ||
	fail "profile none: $(greeting none)"

grep -q 'verdict: ip=127.0.0.66 verdict=block .*source=drop' "$T/milter.log" &&
	pass "one verdict line per check in the log" ||
	fail "no verdict line for 127.0.0.66"

# reload: a new config blocking with a second table; a broken one is refused
V table create extra --kind block >/dev/null
V add extra 127.0.0.9 --reason "reload test" >/dev/null
chmod -R a+rwX "$T/db"
sed -i 's/^block_tables = drop$/block_tables = drop, extra/' "$T/milter.conf"
n=$(log_count "$T/milter.log" 'configuration reloaded')
kill -USR1 "$mpid"
wait_for "the milter to log the reload" 10 \
	log_above "$T/milter.log" 'configuration reloaded' "$n"
smtp reload 127.0.0.9 "$SPORT"
case "$(greeting reload)" in
554*) pass "SIGUSR1 reload: new block table in force" ;;
*) fail "SIGUSR1 reload: greeting \"$(greeting reload)\"" ;;
esac
echo "no_such_key = 1" >>"$T/milter.conf"
n=$(log_count "$T/milter.log" 'reload failed')
kill -USR1 "$mpid"
wait_for "the milter to log the refused reload" 10 \
	log_above "$T/milter.log" 'reload failed' "$n"
grep -q 'reload failed, keeping the running configuration: .*no_such_key' "$T/milter.log" &&
	pass "broken config on reload: old one kept, reason logged" ||
	fail "broken config on reload not reported"
smtp reload2 127.0.0.9 "$SPORT"
case "$(greeting reload2)" in
554*) pass "after a failed reload the old config still blocks" ;;
*) fail "after a failed reload: greeting \"$(greeting reload2)\"" ;;
esac

# SIGTERM: exit 0, pidfile gone
stop_milter && pass "SIGTERM: exit status 0" || fail "SIGTERM: exit status $?"
[ ! -e "$T/run/milter.pid" ] && pass "pidfile removed" || fail "pidfile left behind"

# --- milter stopped: Postfix's default action
smtp down 127.0.0.5 "$SPORT"
if grep -q '^<\*\* *451' "$T/swaks.down" && [ "$(held case-down)" = 0 ]; then
	pass "milter down, milter_default_action=tempfail: 451, nothing queued"
else
	fail "milter down with tempfail: $(grep '^<\*\*' "$T/swaks.down" | head -1)"
fi
postconf -c "$T/conf" -e "smtpd_milters = { inet:127.0.0.1:$MPORT, default_action=accept }"
# in force once the master has logged the reload and every smtpd started
# under the old configuration has exited (the next one reads the new one)
pfmaster=$(tr -dc 0-9 <"$T/queue/pid/master.pid")
oldsmtpd=$(pgrep -P "$pfmaster" -x smtpd)
n=$(log_count "$T/maillog" 'postfix/master.*reload -- ')
postfix -c "$T/conf" reload >/dev/null 2>&1
wait_for "Postfix's master to log the reload" 10 \
	log_above "$T/maillog" 'postfix/master.*reload -- ' "$n"
for p in $oldsmtpd; do
	wait_for "smtpd $p (old configuration) to exit" 10 proc_gone "$p"
done
smtp downacc 127.0.0.66 "$SPORT" && [ "$(held case-downacc)" = 1 ] &&
	pass "milter down, per-milter default_action=accept: even a listed source delivers" ||
	fail "milter down with default_action=accept: $(grep '^<\*\*' "$T/swaks.downacc" | head -1)"

# --- milter_stage = mail: the reason at MAIL FROM
start_milter "milter_stage = mail"
smtp stage 127.0.0.66 "$SPORT"
g=$(greeting stage)
r=$(grep -m1 '^<\*\* *5' "$T/swaks.stage" | sed 's/^<[-*]* *//')
case "$g|$r" in
220*"|554 5.7.1 Service unavailable; client [127.0.0.66] blocked using drop; SBL666; see https://fp.example/?ip=127.0.0.66")
	pass "milter_stage = mail: 220 greeting, MAIL FROM: \"$r\"" ;;
*) fail "milter_stage = mail: greeting \"$g\", reply \"$r\"" ;;
esac
[ "$(held case-stage)" = 0 ] && pass "milter_stage = mail: nothing queued" ||
	fail "milter_stage = mail: a message was queued"
smtp stageok 127.0.0.5 "$SPORT" && [ "$(held case-stageok)" = 1 ] &&
	pass "milter_stage = mail: a neutral source delivers" ||
	fail "milter_stage = mail: neutral source $(grep '^<\*\*' "$T/swaks.stageok" | head -1)"
stop_milter || fail "stage mail: SIGTERM exit status"

# --- a DNSBL-listed source via rbldnsd
if ! command -v rbldnsd >/dev/null; then
	echo "SKIP (case): dnsbl - rbldnsd is not installed"
else
	mkdir -p "$T/zones"
	printf '127.0.0.2\n127.0.0.44\n' >"$T/zones/bl.txt"
	chmod -R a+rX "$T/zones"
	rbldnsd -n -f -u nobody -r "$T/zones" -b "127.0.0.1/$DNSPORT" \
		bl.test.invalid:ip4set:bl.txt >/dev/null 2>&1 &
	rpid=$!
	wait_for "rbldnsd to answer on port $DNSPORT" 10 \
		dns_answers "$DNSPORT" 2.0.0.127.bl.test.invalid || exit 1
	start_milter "dns_servers = 127.0.0.1:$DNSPORT" \
		"dnsbl_sites = bl.test.invalid"
	smtp dnsbl 127.0.0.44 "$SPORT"
	case "$(greeting dnsbl)" in
	554*) grep -q 'ip=127.0.0.44 verdict=block .*source=bl.test.invalid' "$T/milter.log" &&
		pass "DNSBL-listed source (rbldnsd): 554 greeting, source=bl.test.invalid" ||
		fail "DNSBL-listed source: 554 but no verdict line naming the zone" ;;
	*) fail "DNSBL-listed source: greeting \"$(greeting dnsbl)\"" ;;
	esac
	smtp dnsok 127.0.0.45 "$SPORT" && [ "$(held case-dnsok)" = 1 ] &&
		pass "DNSBL-unlisted source delivers" ||
		fail "DNSBL-unlisted source: $(grep '^<\*\*' "$T/swaks.dnsok" | head -1)"
	stop_milter || fail "dnsbl: SIGTERM exit status"
fi

echo "milter_postfix: $passed passed, $failed failed"
[ "$failed" = 0 ]
