#!/usr/bin/env bash
# burst_bench.sh - a burst of checks of one uncached IP (issue 16 item 13)
# through bench_burst
#
# Usage: bash tests/bench/burst_bench.sh BUILD_DIR
#
# tests/dnsresponder.py on a free loopback port; two zones: listed.test
# (answered at once: about 1 ms on loopback) and slow.test (after 150 ms,
# so every check of the burst is waiting when the answer comes).  For each
# zone bench_burst runs THREADS (2000) checks of one new IP together, REPS
# (9) times, and prints how long after the answer the last of them
# returned (spread) and after the release (last).
#
# Environment: THREADS (2000), REPS (9), KEEP=1 keeps the work dir.
# Exit 77 when bench_burst or python3 is missing.
set -u

skip() { echo "SKIP: $*"; exit 77; }
build=$(cd "${1:?usage: burst_bench.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bb=$build/tests/bench/bench_burst
[ -x "$bb" ] || skip "$bb not built"
command -v python3 >/dev/null || skip "python3 is missing"

T=$(mktemp -d /tmp/burstbench.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

python3 "$top/tests/dnsresponder.py" "$T/port" "$T/queries.log" &
PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { echo "burst_bench: dnsresponder.py did not start" >&2; exit 1; }
port=$(cat "$T/port")

rc=0
for zone in listed.test slow.test; do
	cat >"$T/$zone.conf" <<EOC
database = $T/db
dns_servers = 127.0.0.1:$port
dnsbl_sites = $zone
dnsbl_timeout = 5s
log_verdicts = none
EOC
	echo "== $zone, ${THREADS:-2000} threads, $(nproc) CPUs"
	"$bb" "$T/$zone.conf" "${THREADS:-2000}" "${REPS:-9}" | sed "s/^burst:/burst: zone=$zone/" || rc=1
done
exit $rc
