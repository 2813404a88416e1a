#!/usr/bin/env bash
# run.sh - run libverdict's benchmarks and write one report
#
# Usage: bash tests/bench/run.sh BUILD_DIR
#
# 1. bench_gen writes the data set (fixed seed) into BUILD_DIR/bench-data
#    once: 1M IPv4 + 200k IPv6 CIDRs with reasons, 10k allow entries,
#    1M queries.
# 2. mmdb_write.pl writes the same 1.2M networks as an MMDB (once; needs
#    Debian's libmaxmind-db-writer-perl; skipped with a note without it).
# 3. bench_verdict measures import (vs iprange --optimize), verdict_check
#    on one and two threads (vs libmaxminddb and a sorted array), growth
#    (10k vs 1.2M entries) and `verdict check -` (when the CLI is built),
#    and prints a table of figures and ratios.
# 4. tests/bench/milter_bench.sh, feed_bench.sh, exim_bench.sh,
#    exim_daemon_bench.sh (Debian's Exim, as root) and dnsbl_bench.sh (DNSBL
#    engine vs c-ares and rbldnsd, GeoIP rules vs libmaxminddb) run when
#    present.
# 5. The report, with machine, date and commit, is written to
#    BUILD_DIR/bench-report.md; doc/BENCHMARKS.md's table of current
#    figures is updated from it by hand (tests/bench/compare.sh measures a
#    change against an earlier revision in the same run).
#
# Environment: BENCH_REPS (default 5), BENCH_SECS (seconds per measured
# loop, default 1).  Benchmarks never run under CTest.
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
data=$build/bench-data
work=$build/bench-work
out=$build/bench-report.md

gen=$build/tests/bench/bench_gen
bv=$build/tests/bench/bench_verdict
for b in "$gen" "$bv"; do
	[ -x "$b" ] || { echo "run.sh: $b not built (cmake -DVERDICT_TESTS=ON)" >&2; exit 1; }
done

mkdir -p "$data"
if [ ! -s "$data/queries.txt" ] || [ "$here/bench_gen.c" -nt "$data/queries.txt" ]; then
	echo "run.sh: generating the data set in $data"
	"$gen" "$data"
	rm -f "$data/block.mmdb"
fi

mmdb_note=""
mmdb_args=()
if [ ! -s "$data/block.mmdb" ]; then
	if perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
		echo "run.sh: writing the MMDB (about 1.5 minutes)"
		perl "$here/mmdb_write.pl" "$data/block.txt" "$data/block.mmdb.tmp" \
			2> "$data/mmdb_write.log"
		mv "$data/block.mmdb.tmp" "$data/block.mmdb"
	else
		mmdb_note="MMDB reference not measured: libmaxmind-db-writer-perl missing"
	fi
fi
[ -s "$data/block.mmdb" ] && mmdb_args=(-m "$data/block.mmdb")

args=(-D "$data" -w "$work" -r "${BENCH_REPS:-5}" -t "${BENCH_SECS:-1}")
ipr=$(command -v iprange || true)
[ -n "$ipr" ] && args+=(-i "$ipr")
[ -x "$build/tools/verdict" ] && args+=(-c "$build/tools/verdict")

echo "run.sh: bench_verdict ${args[*]} ${mmdb_args[*]}"
"$bv" "${args[@]}" "${mmdb_args[@]}" | tee "$build/bench-verdict.txt"

extra=""
for s in milter_bench.sh feed_bench.sh dnsbl_bench.sh exim_bench.sh \
	exim_daemon_bench.sh learn_bench.sh; do
	if [ -f "$here/$s" ]; then
		echo "run.sh: $s"
		extra+=$'\n'"### $s"$'\n\n```\n'"$(bash "$here/$s" "$build" 2>&1 | tail -40)"$'\n```\n'
	fi
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mmdb_log=$(cat "$data/mmdb_write.log" 2>/dev/null || true)
{
	echo
	echo "## $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) × ${cpu:-unknown CPU}, Linux $(uname -r)"
	echo
	echo "Commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'), build type" \
	     "$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt"), load average" \
	     "before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Command: \`bash tests/bench/run.sh $(basename "$build")\`" \
	     "(\`$(basename "$bv") ${args[*]} ${mmdb_args[*]}\`)."
	[ -n "$mmdb_note" ] && echo "$mmdb_note."
	[ -n "$mmdb_log" ] && echo "MMDB writer: \`$mmdb_log\`."
	echo
	sed -n '/^| measure/,$p' "$build/bench-verdict.txt"
	echo
	echo '```'
	sed '/^$/,$d' "$build/bench-verdict.txt"
	echo '```'
	printf '%s' "$extra"
} > "$out"

echo "run.sh: report in $out"
