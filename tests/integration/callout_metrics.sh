#!/usr/bin/env bash
# callout_metrics.sh - the MTA callout's metrics file and verdict stats
#
# Drives libverdict_callout.so through tests/callout_harness.c ("stdin"
# mode: one call a line, as an MTA calls it) with metrics_dir set and
# metrics_interval = 1s, and checks that:
#   - callout-PID.prom appears in metrics_dir and counts exactly the
#     calls made (3 blocks by the table; neutral calls keep the file
#     moving until it is rewritten);
#   - `promtool check metrics` accepts it;
#   - `verdict stats` and `verdict stats --json` show the same figures
#     and the table's entries; without metrics_dir, the tables alone;
#   - the file is removed when the process exits;
#   - data/grafana-verdict.json is valid JSON and names only declared
#     families (tests/grafana_check.py).
# Skips (77) without promtool or python3.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
passed=0 failed=0
. "$(dirname "$0")/wait.inc"

B=${VERDICT_BINDIR:-build}
S=${VERDICT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
V=$B/tools/verdict
SO=$B/callout/libverdict_callout.so
H=$B/tests/callout/callout_harness
[ -x "$V" ] || skip "$V is not built"
[ -x "$H" ] && [ -e "$SO" ] || skip "the callout or its harness is not built"
command -v promtool >/dev/null || skip "promtool (Debian package prometheus) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

T=$(mktemp -d /tmp/vdcomet.XXXXXX)
hpid=
cleanup() {
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/prom"
cat >"$T/verdict.conf" <<EOF
database = $T/db
block_tables = drop
metrics_dir = $T/prom
metrics_interval = 1s
EOF
printf 'database = %s\nblock_tables = drop\n' "$T/db" >"$T/nodir.conf"
"$V" -c "$T/verdict.conf" table create drop --kind block >/dev/null &&
	printf '192.0.2.0/24 ; SBL123\n198.18.0.0/15\n' >"$T/drop.txt" &&
	"$V" -c "$T/verdict.conf" import drop "$T/drop.txt" >/dev/null ||
	{ echo "FAIL: table set-up"; exit 1; }

coproc HARN (exec env VERDICT_CONFIG="$T/verdict.conf" "$H" "$SO" stdin 2>"$T/harness.err")
hpid=$HARN_PID
in=${HARN[1]} out=${HARN[0]}
call() {	# ip -> the harness's answer line in $reply
	echo "1|$1" >&"$in"
	read -r -t 10 reply <&"$out"
}
nblock=0
for ip in 192.0.2.1 192.0.2.2 198.18.3.4; do
	call "$ip"
	case "$reply" in -1\ 554*) nblock=$((nblock + 1)) ;; esac
done
[ "$nblock" = 3 ] && pass "3 calls blocked by the table" || fail "blocked $nblock of 3"

prom=$T/prom/callout-$hpid.prom
val() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$prom" 2>/dev/null; }
blocks='verdict_checks_total{profile="1",verdict="block",source="table"}'
# the first call wrote the file at once; later calls rewrite it once
# metrics_interval has passed: neutral calls until it shows all 3 blocks
written() { call 203.0.113.9; [ "$(val "$blocks")" = 3 ]; }
wait_for "$prom to count 3 blocks" 10 written &&
	pass "callout-PID.prom counts the 3 blocks"
neutral=$(val 'verdict_checks_total{profile="1",verdict="neutral",source="none"}')
total=$(( $(val 'verdict_check_duration_seconds_count{profile="1",source="table"}') +
	$(val 'verdict_check_duration_seconds_count{profile="1",source="none"}') ))
[ "$total" = $((3 + neutral)) ] && pass "histogram count = blocks + neutral ($total)" ||
	fail "histogram count $total, blocks 3 + neutral $neutral"
[ "$(val 'verdict_table_entries{table="drop"}')" = 2 ] &&
	pass "table entries in the file" || fail "table entries: $(val 'verdict_table_entries{table="drop"}')"
promtool check metrics <"$prom" >"$T/promtool.out" 2>&1 &&
	pass "promtool check metrics accepts callout-PID.prom" ||
	fail "promtool: $(head -5 "$T/promtool.out")"
python3 "$S/tests/grafana_check.py" "$S/data/grafana-verdict.json" "$prom" >"$T/grafana.out" 2>&1 &&
	pass "data/grafana-verdict.json: valid JSON, every metric declared" ||
	fail "dashboard: $(cat "$T/grafana.out")"
[ -z "$(ls "$T/prom"/*.tmp 2>/dev/null)" ] && pass "no temporary file left" ||
	fail "temporary file left: $(ls "$T/prom")"

"$V" -c "$T/verdict.conf" stats >"$T/stats.out" 2>"$T/stats.err" &&
	grep -Eq "^  table +3 +3 " "$T/stats.out" &&
	grep -Eq "^checks: $total  block 3 " "$T/stats.out" &&
	grep -Eq "^  drop +block +2 " "$T/stats.out" &&
	pass "verdict stats: the same figures" ||
	fail "verdict stats: $(cat "$T/stats.out" "$T/stats.err")"
"$V" -c "$T/verdict.conf" stats --json >"$T/stats.json" &&
	python3 - "$T/stats.json" "$total" <<'EOF' && pass "verdict stats --json: the same figures" || fail "verdict stats --json: $(cat "$T/stats.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["block"] == 3 and j["checks"] == int(sys.argv[2]), j
t = j["sources"]["table"]
assert t["checks"] == 3 and t["blocks"] == 3, j
assert 0 < t["p50_seconds"] <= t["p99_seconds"] <= 5, j
assert j["tables"][0]["name"] == "drop" and j["tables"][0]["entries"] == 2, j
assert j["tables"][0]["last_import"].endswith("Z"), j
assert j["p50_seconds"] is not None, j
EOF
"$V" -c "$T/nodir.conf" stats >"$T/stats.out" 2>&1 &&
	grep -q "metrics_dir is not set" "$T/stats.out" &&
	grep -Eq "^  drop +block +2 " "$T/stats.out" &&
	pass "verdict stats without metrics_dir: tables, exit 0" ||
	fail "verdict stats without metrics_dir: $(cat "$T/stats.out")"
"$V" stats --help | grep -q "usage: verdict stats" && pass "stats --help" || fail "stats --help"

exec {in}>&-
wait "$hpid"; rc=$?; hpid=
[ "$rc" = 0 ] && pass "harness exit 0" || fail "harness exit $rc: $(cat "$T/harness.err")"
[ ! -e "$prom" ] && pass "callout-PID.prom removed at exit" || fail "$prom left behind"

echo "callout_metrics: $passed passed, $failed failed"
[ "$failed" = 0 ]
