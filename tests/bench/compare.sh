#!/usr/bin/env bash
# compare.sh - the benchmarks of a baseline revision and of the current
# tree, alternately in one run, each figure as a ratio to the baseline
#
#   tests/bench/compare.sh [-b REV] [-n ROUNDS] [-o DIR] [SUITE...]
#
#   -b REV     the baseline (default f6aff2b, the tree before the
#              one-folder-per-layer redesign); any git revision
#   -n ROUNDS  rounds (default 3); each round runs every suite once on
#              each side, the side that goes first alternating, so that
#              a machine's drift hits both alike
#   -o DIR     work directory (default BUILD-compare under the tree):
#              src-REV (git archive of REV), build-base, build-cur,
#              data (bench_gen's data set, shared by both), raw (outputs)
#   SUITE      verdict (bench_verdict: import vs iprange, verdict vs
#              libmaxminddb, 10k -> 1.2M growth, `check -`), dnsbl
#              (dnsbl_bench.sh: cached, uncached, batch, GeoIP), callout
#              (callout_harness bench), feed (feed_bench.sh), milter
#              (milter_bench.sh); default: all
#
# Each revision is built with its own CMakeLists (Release, tests on), so
# build files may differ between the two.  The drivers (this script and
# the tests/bench/*.sh it calls) are the current tree's, the programs
# (bench_verdict, bench_dnsbl, callout_harness, ...) each side's own.
#
# Output: one line per figure, the median over rounds and repetitions:
#
#   suite    figure                  baseline    current   ratio
#   verdict  verdict_ns                   123        128   1.041 slower
#
# ratio = current / baseline; "slower" or "faster" is said from the
# figure's unit (times: lower is better; rates: higher is better), and
# "over 10%" marks a figure worse than the baseline by more than 10%.
# The references inside a suite (iprange, c-ares, the MMDB lookup) are
# the same programs on both sides: their ratio shows how far the machine
# moved between the runs, the noise to read the other ratios against.
# The table is also kept in DIR/compare.txt.
#
# Environment: BENCH_REPS (3), BENCH_SECS (1): bench_verdict's -r and -t;
# CALLOUT_CALLS (500000); the suites' own variables (REPS, SECS, MSGS,
# ROUNDS, ...) pass through.  Exit 0 when the run completed (the figures
# are judged by whoever reads them), 1 when a build or a suite failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
rev=f6aff2b
rounds=3
out=
while getopts b:n:o: opt; do
	case $opt in
	b) rev=$OPTARG ;;
	n) rounds=$OPTARG ;;
	o) out=$OPTARG ;;
	*) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
suites=${*:-verdict dnsbl callout feed milter}
out=${out:-$top/build-compare}
jobs=$(nproc 2>/dev/null || echo 2)
shared=${VERDICT_SHARED_DATA:-$top/../shared/data}
[ -d "$shared" ] || shared=/work/shared/data

sha=$(git -C "$top" rev-parse --verify -q "$rev^{commit}") ||
	{ echo "compare: $rev is not a revision of $top" >&2; exit 2; }
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)
src=$out/src-${sha:0:12}

# the baseline's sources, from git (the work tree is never touched)
if [ ! -f "$src/.compare-done" ]; then
	echo "compare: exporting $rev (${sha:0:12}) into $src"
	rm -rf "$src" && mkdir -p "$src"
	git -C "$top" archive --format=tar "$sha" | tar -x -C "$src" || exit 1
	touch "$src/.compare-done"
fi

build() {	# build SRC DIR
	echo "compare: building $1 in $2"
	cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DVERDICT_TESTS=ON \
		-DVERDICT_SHARED_DATA="$shared" >/dev/null &&
		cmake --build "$2" -j "$jobs" >"$2.log" 2>&1 ||
		{ tail -n 20 "$2.log" >&2; echo "compare: build of $1 failed" >&2; exit 1; }
}
build "$src" "$out/build-base"
build "$top" "$out/build-cur"

# one data set for both sides (the current tree's generator)
data=$out/data
if [ ! -s "$data/queries.txt" ]; then
	echo "compare: generating the data set in $data"
	mkdir -p "$data"
	"$out/build-cur/tests/bench/bench_gen" "$data" >/dev/null || exit 1
fi
case " $suites " in
*" verdict "*)
	if [ ! -s "$data/block.mmdb" ] &&
	   perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
		echo "compare: writing the MMDB reference (about 1.5 minutes)"
		perl "$here/mmdb_write.pl" "$data/block.txt" "$data/block.mmdb.tmp" \
			2>/dev/null && mv "$data/block.mmdb.tmp" "$data/block.mmdb"
	fi ;;
esac

# suite NAME SIDE BUILD - run one suite of one side, output on stdout
suite() {
	local b=$3 args
	case $1 in
	verdict)
		args=(-D "$data" -w "$out/work-$2" -r "${BENCH_REPS:-3}" -t "${BENCH_SECS:-1}")
		command -v iprange >/dev/null && args+=(-i "$(command -v iprange)")
		[ -s "$data/block.mmdb" ] && args+=(-m "$data/block.mmdb")
		[ -x "$b/tools/verdict" ] && args+=(-c "$b/tools/verdict")
		"$b/tests/bench/bench_verdict" "${args[@]}" ;;
	dnsbl)
		bash "$here/dnsbl_bench.sh" "$b" ;;
	callout)
		"$b/tests/callout/callout_harness" "$b/callout/libverdict_callout.so" \
			bench "${CALLOUT_CALLS:-500000}" ;;
	feed)
		bash "$here/feed_bench.sh" "$b" ;;
	milter)
		VERDICT_BINDIR=$b bash "$here/milter_bench.sh" ;;
	*)
		echo "compare: unknown suite $1" >&2; return 2 ;;
	esac
}

status=0
for r in $(seq 1 "$rounds"); do
	sides="base cur"
	[ $((r % 2)) = 0 ] && sides="cur base"
	for s in $suites; do
		for side in $sides; do
			f=$out/raw/$s.$side.$r.txt
			echo "compare: round $r/$rounds, $s, $side (load $(cut -d' ' -f1 /proc/loadavg))"
			suite "$s" "$side" "$out/build-$side" >"$f" 2>&1
			st=$?
			# 1 = a suite's own target missed: a figure, not a failure
			if [ $st != 0 ] && [ $st != 1 ] && [ $st != 77 ]; then
				echo "compare: $s ($side) exited $st; see $f" >&2
				status=1
			fi
			grep -m 1 '^SKIP' "$f" >&2
		done
	done
done

# figures SUITE FILE... - "suite figure value" for every timed figure:
# key=value tokens whose key ends in a time unit or names a rate, the
# row told apart by its label and selector keys (db=, parallel=, ...);
# the free-text lines of the callout, feed and milter scripts are read
# into the same form first
figures() {
	local s=$1
	shift
	cat "$@" | sed -E \
		-e 's/^callout +routine: +([0-9.]+) ns\/call, 1 thread +([0-9.]+) calls\/s, 2 threads +([0-9.]+) calls\/s.*/callout call_ns=\1 calls1_per_s=\2 calls2_per_s=\3/' \
		-e 's/^feed_bench: .*verdict feed ([0-9.]+)s .*iprange ([0-9.]+)s .*/feed feed_s=\1 iprange_s=\2/' \
		-e 's/^milter_bench: without milter ([0-9.]+) conn\/s; with verdict-milter ([0-9.]+) conn\/s.*/milter without_conn_per_s=\1 with_conn_per_s=\2/' \
		-e 's/^milter_bench: .*p50 <= ([0-9]+) us, p99 <= ([0-9]+) us.*/milter verdict_p50_us=\1 verdict_p99_us=\2/' |
	awk -v s="$s" '
	{
		label = ""; sel = ""; n = 0
		for (i = 1; i <= NF; i++) {
			if (index($i, "=") == 0) {
				if (i == 1) label = $i
				continue
			}
			k = substr($i, 1, index($i, "=") - 1)
			v = substr($i, index($i, "=") + 1)
			if (k ~ /^(db|zone|parallel|inflight|threads)$/)
				sel = sel "." k v
			else if (v ~ /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/ &&
				 k ~ /(_ns|_us|_ms|_s|^ns|^secs|qps|_per_s)$/) {
				fk[++n] = k
				fv[n] = v
			}
		}
		for (i = 1; i <= n; i++)
			print s, (label != "" ? label sel "." : "") fk[i], fv[i]
	}'
}

# median of the values of each figure, per side
medians() {	# medians SIDE
	for s in $suites; do
		figures "$s" "$out/raw/$s.$1".*.txt 2>/dev/null
	done | sort -k1,1 -k2,2 -k3,3g | awk '
	function flush() {
		if (n) print key, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
		n = 0
	}
	{ k = $1 " " $2; if (k != key) flush(); key = k; v[++n] = $3 }
	END { flush() }'
}

medians base > "$out/base.med"
medians cur > "$out/cur.med"
{
	echo "compare: baseline $rev (${sha:0:12}) vs current tree" \
	     "($(git -C "$top" describe --always --dirty 2>/dev/null)), $rounds rounds," \
	     "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	printf '%-8s %-40s %12s %12s %7s\n' suite figure baseline current ratio
	join -j1 <(awk '{ print $1 "/" $2, $3 }' "$out/base.med" | sort) \
		 <(awk '{ print $1 "/" $2, $3 }' "$out/cur.med" | sort) |
	awk '{
		split($1, p, "/"); b = $2; c = $3
		rate = p[2] ~ /(qps|_per_s)$/
		r = b > 0 ? c / b : 0
		worse = rate ? (r > 0 && r < 1 / 1.1) : r > 1.1
		word = r == 1 ? "" : ((r > 1) != rate ? "slower" : "faster")
		printf "%-8s %-40s %12g %12g %7.3f %s%s\n", p[1], p[2], b, c, r,
			word, worse ? ", over 10%" : ""
	}'
} | tee "$out/compare.txt"
exit $status
