#!/usr/bin/env bash
# milter_metrics.sh - verdict-milter's metrics behind a real, private Postfix
#
# Starts a scripted DNS responder (tests/dnsresponder.py: a zone that
# lists, and a silent one for timeouts: rbldnsd always answers), the
# milter with metrics_listen on a free loopback port and metrics_dir,
# and a private Postfix in front of it; swaks then sends from chosen
# 127.0.0.X addresses and the test checks that the counters equal what
# was sent:
#   table   127.0.0.66 twice (block table)    block/table 2
#   allow   127.0.0.77 (allow table)          allow/table 1
#   dnsbl   127.0.0.44 twice (zone lists it)  block/dnsbl 2, listed 2
#   neutral 127.0.0.1 (zone does not list it; the silent zone times out)
#                                             neutral/none 1, not_listed 1,
#                                             timeout 1
# and that /metrics passes `promtool check metrics`, names the zone by its
# public name (never the secret one), answers 404 on another path, that
# milter-PID.prom in metrics_dir passes promtool and goes at exit, and
# that a non-loopback metrics_listen (in a private network namespace) is
# logged as a warning.
# Needs root (Postfix's master), postfix, swaks, curl, promtool; skips (77)
# otherwise.
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
for c in swaks curl promtool python3; do
	command -v $c >/dev/null || skip "$c is not installed"
done

T=$(mktemp -d /tmp/vmmet.XXXXXX)
chmod 755 "$T"
mpid= rpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	postfix_stop "$T"
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	if [ "$failed" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- milter log"; tail -n 40 "$T/milter.log" 2>/dev/null
		echo "--- metrics"; cat "$T/metrics" 2>/dev/null
	fi
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

read -r MPORT SPORT HPORT <<<"$(free_ports 3)"

python3 "$srcdir/tests/dnsresponder.py" "$T/dnsport" "$T/dns.log" &
rpid=$!
wait_for "the DNS responder to start" 10 test -s "$T/dnsport" || exit 1
DNSPORT=$(cat "$T/dnsport")

mkdir -p "$T/db" "$T/run" "$T/prom"
chmod 777 "$T/run" "$T/prom"
cat >"$T/verdict.conf" <<EOF
database = $T/db
block_tables = drop
allow_tables = partners
dns_servers = 127.0.0.1:$DNSPORT
dnsbl_sites = secretkey.listed.test, silent.test
dnsbl_reply_names = secretkey.listed.test=listed.example
dnsbl_timeout = 400ms
metrics_listen = 127.0.0.1:$HPORT
metrics_dir = $T/prom
metrics_interval = 1s
EOF
V() { "$cli" -c "$T/verdict.conf" "$@"; }
V table create drop --kind block >/dev/null && V table create partners --kind allow >/dev/null &&
printf '127.0.0.66/32 ; SBL666\n' >"$T/drop.txt" &&
printf '127.0.0.77\n' >"$T/partners.txt" &&
V import drop "$T/drop.txt" >/dev/null && V import partners "$T/partners.txt" >/dev/null ||
	{ echo "FAIL: tables"; exit 1; }
chmod -R a+rwX "$T/db"

"$milter" -f -c "$T/verdict.conf" -s "inet:$MPORT@127.0.0.1" -u nobody \
	-P "$T/run/milter.pid" 2>>"$T/milter.log" &
mpid=$!
wait_for "verdict-milter to log its start" 10 log_above "$T/milter.log" 'started: socket ' 0 || exit 1
wait_for "/metrics to accept on $HPORT" 10 tcp_accepts "$HPORT" || exit 1

postfix_start "$T" "$SPORT" "inet:127.0.0.1:$MPORT" || exit 1

smtp() {	# label from-ip
	swaks --server "127.0.0.1:$SPORT" --local-interface "$2" \
		--from sender@example.org --to rcpt@example.net \
		--header "Subject: case-$1" --timeout 20 >"$T/swaks.$1" 2>&1
}
greeting() { grep -m1 '^<[-*]\{1,2\} *[0-9]' "$T/swaks.$1" | sed 's/^<[-*]* *//'; }
expect_greeting() {	# label want-prefix
	case "$(greeting "$1")" in
	"$2"*) pass "$1: greeting $(greeting "$1" | cut -c1-40)" ;;
	*) fail "$1: greeting \"$(greeting "$1")\" (want $2)" ;;
	esac
}

scrape() { curl -sS --max-time 5 "http://127.0.0.1:$HPORT/metrics" >"$T/metrics"; }
val() {	# exact sample name with labels -> value, 0 when absent
	awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "${2:-$T/metrics}"
}
nchecks() {	# checks of profile 1 in the histograms, every source
	awk 'index($1, "verdict_check_duration_seconds_count{profile=\"1\",") == 1 { v += $2 }
		END { print v + 0 }' "${1:-$T/metrics}"
}
# Postfix's readiness probe above connected from 127.0.0.1 too: the
# milter counted it (a neutral check); what the cases send is measured
# from a baseline taken once that count is in
probe_counted() { scrape && [ "$(nchecks)" -ge 1 ]; }
for i in $(seq 60); do probe_counted && break; sleep 0.05; done
scrape || fail "curl /metrics"
cp "$T/metrics" "$T/metrics.base"

smtp table1 127.0.0.66; expect_greeting table1 554
smtp table2 127.0.0.66; expect_greeting table2 554
smtp allow 127.0.0.77; expect_greeting allow 220
smtp dnsbl1 127.0.0.44; expect_greeting dnsbl1 554
smtp dnsbl2 127.0.0.44; expect_greeting dnsbl2 554
smtp neutral 127.0.0.1; expect_greeting neutral 220

scrape || fail "curl /metrics"
expect() {	# sample want: the count since the baseline
	local got
	got=$(( $(val "$1") - $(val "$1" "$T/metrics.base") ))
	[ "$got" = "$2" ] && pass "$1 = +$2" || fail "$1 = +${got}, want +$2"
}
expect 'verdict_checks_total{profile="1",verdict="block",source="table"}' 2
expect 'verdict_checks_total{profile="1",verdict="allow",source="table"}' 1
expect 'verdict_checks_total{profile="1",verdict="block",source="dnsbl"}' 2
expect 'verdict_checks_total{profile="1",verdict="neutral",source="none"}' 1
expect 'verdict_dnsbl_queries_total{zone="listed.example",result="listed"}' 2
expect 'verdict_dnsbl_queries_total{zone="listed.example",result="not_listed"}' 1
expect 'verdict_dnsbl_queries_total{zone="silent.test",result="timeout"}' 1
[ $(( $(nchecks) - $(nchecks "$T/metrics.base") )) = 6 ] &&
	pass "check duration histograms count +6" ||
	fail "check duration histograms count +$(( $(nchecks) - $(nchecks "$T/metrics.base") )), want +6"
expect 'verdict_check_duration_seconds_count{profile="1",source="dnsbl"}' 2
expect 'verdict_dnsbl_answer_duration_seconds_count{zone="listed.example"}' 3
expect 'verdict_dnsbl_duration_seconds_count{profile="1"}' 3
[ "$(val 'verdict_table_entries{table="drop"}')" = 1 ] &&
	pass "table entries of drop: 1" || fail "table entries of drop"
[ "$(val 'verdict_zone_up{zone="listed.example"}')" = 1 ] &&
	pass "zone listed.example up" || fail "zone listed.example not up"
grep -q '^verdict_dnsbl_cache_hits_total [1-9]' "$T/metrics" &&
	pass "the second DNSBL check was a cache hit" || fail "no cache hit counted"
grep -q secretkey "$T/metrics" && fail "the secret zone name is in /metrics" ||
	pass "only the public zone name in /metrics"
promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1 &&
	pass "promtool check metrics accepts /metrics" ||
	fail "promtool check metrics: $(head -5 "$T/promtool.out")"
python3 "$srcdir/tests/grafana_check.py" "$srcdir/data/grafana-verdict.json" "$T/metrics" >"$T/grafana.out" 2>&1 &&
	pass "every metric of data/grafana-verdict.json is declared by /metrics" ||
	fail "dashboard: $(cat "$T/grafana.out")"
ct=$(curl -sS -o /dev/null -w '%{content_type}' "http://127.0.0.1:$HPORT/metrics")
case "$ct" in "text/plain; version=0.0.4"*) pass "Content-Type $ct" ;;
*) fail "Content-Type '$ct'" ;; esac
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HPORT/other")
[ "$code" = 404 ] && pass "GET /other: 404" || fail "GET /other: $code"

# metrics_dir: milter-PID.prom, replaced every metrics_interval
mp=$(cat "$T/run/milter.pid")
prom=$T/prom/milter-$mp.prom
want=$(nchecks)
has_checks() { [ -e "$prom" ] && [ "$(nchecks "$prom")" = "$want" ]; }
wait_for "$prom to show the checks" 10 has_checks &&
	pass "metrics_dir: $prom written with the counters"
promtool check metrics <"$prom" >"$T/promtool.out" 2>&1 &&
	pass "promtool check metrics accepts milter-PID.prom" ||
	fail "promtool on milter-PID.prom: $(head -5 "$T/promtool.out")"
"$cli" -c "$T/verdict.conf" stats >"$T/stats.out" 2>&1 &&
	grep -q 'dnsbl' "$T/stats.out" && pass "verdict stats reads the milter's file" ||
	fail "verdict stats: $(head -5 "$T/stats.out")"

kill -TERM "$mpid"; wait "$mpid"; rc=$?; mpid=
[ "$rc" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $rc"
[ ! -e "$prom" ] && pass "milter-PID.prom removed at exit" || fail "$prom left behind"

# a listener on an address that is not loopback: in a namespace of our own
if unshare -n true 2>/dev/null; then
	cp "$T/verdict.conf" "$T/wide.conf"
	sed -i "s/^metrics_listen = .*/metrics_listen = 192.0.2.10:$HPORT/; /^metrics_dir/d" "$T/wide.conf"
	unshare -n bash -c "
		ip link set lo up && ip addr add 192.0.2.10/32 dev lo || exit 3
		'$milter' -f -c '$T/wide.conf' -s 'inet:$MPORT@127.0.0.1' -u nobody 2>'$T/wide.log' &
		p=\$!
		for i in \$(seq 200); do
			curl -s -o /dev/null --max-time 1 'http://192.0.2.10:$HPORT/metrics' && break
			sleep 0.05
		done
		code=\$(curl -s -o /dev/null -w '%{http_code}' 'http://192.0.2.10:$HPORT/metrics')
		kill -TERM \$p; wait \$p
		[ \"\$code\" = 200 ]"
	rc=$?
	[ "$rc" = 0 ] && pass "non-loopback metrics_listen serves (namespace)" ||
		fail "non-loopback metrics_listen: status $rc"
	grep -q 'metrics_listen 192.0.2.10:[0-9]* is not a loopback address' "$T/wide.log" &&
		pass "non-loopback metrics_listen logged as a warning" ||
		fail "no warning for a non-loopback metrics_listen: $(tail -3 "$T/wide.log")"
else
	echo "SKIP (case): non-loopback listen - cannot create a network namespace"
fi

echo "milter_metrics: $passed passed, $failed failed"
[ "$failed" = 0 ]
