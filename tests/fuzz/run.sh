#!/usr/bin/env bash
# run.sh - run the libFuzzer targets for a while each
#
#   tests/fuzz/run.sh BUILDDIR SECONDS [TARGET...]
#
# BUILDDIR was configured with CC=clang -DVERDICT_FUZZ=ON and built with
# "--target fuzz".  Each TARGET (default: all; names as in
# tests/fuzz/CMakeLists.txt: addr listfile_line ...) runs as one
# process, FUZZ_JOBS of them at once (default: nproc, a core each), for
# SECONDS on a copy of its seed corpus in a temporary
# directory (tests/fuzz/corpus/TARGET plus seeds made from the project's
# data: data/, ../shared/data/realworld), so the source tree is never
# written.  One summary line per target:
#
#   fuzz addr: 10234567 executions, 0 crashes, 30 s
#
# A crash (memory error, undefined behaviour, failed property, leak,
# timeout over 10 s, RSS over 2 GiB) keeps its input under
# $FUZZ_ARTIFACTS (default $TMPDIR/verdict-fuzz-artifacts) and makes the
# exit status 1.  FUZZ_ARGS adds libFuzzer options.
set -uo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILDDIR SECONDS [TARGET...]" >&2
	exit 2
fi
build=$(cd "$1" && pwd) || exit 2
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${VERDICT_SHARED_DATA:-$top/../shared/data}
all="addr listfile_line listfile_buf config dnsbl_sites dns_answer callout_arg feed"
targets=${*:-$all}
par=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
art=${FUZZ_ARTIFACTS:-${TMPDIR:-/tmp}/verdict-fuzz-artifacts}
mkdir -p "$art"
work=$(mktemp -d "${TMPDIR:-/tmp}/verdict-fuzz.XXXXXX") || exit 2
# the config and feed targets keep a file and an LMDB environment here
shm=$(mktemp -d /dev/shm/verdict-fuzz.XXXXXX 2>/dev/null || mktemp -d "$work/shm.XXXXXX")
trap 'rm -rf "$work" "$shm"' EXIT

# seeds TARGET DIR - the committed corpus plus seeds from the project data
seeds() {
	local t=$1 d=$2 f i=0
	cp "$here/corpus/$t"/* "$d"/ 2>/dev/null
	case $t in
	listfile_buf)
		for f in "$top"/data/sample-*.txt "$shared"/realworld/*.txt \
			 "$shared"/realworld/*set; do
			[ -f "$f" ] && head -c 1024 "$f" > "$d/data.$((i++))"
		done ;;
	listfile_line|addr)
		for f in "$top"/data/sample-*.txt "$shared"/realworld/*.txt \
			 "$shared"/realworld/*set; do
			[ -f "$f" ] || continue
			head -n 40 "$f" | sort -u | head -n 12 |
			while IFS= read -r line; do
				printf '%s' "$line" > "$d/line.$RANDOM$RANDOM"
			done
		done ;;
	config)
		cp "$top/data/verdict.conf.example" "$d/example.conf" ;;
	dnsbl_sites)
		sed -n 's/^#dnsbl_sites = //p; s/^#\t//p' \
			"$top/data/verdict.conf.example" > "$d/example" ;;
	esac
	return 0
}

# fuzz_one TARGET - run one target; its summary line in $work/TARGET/summary,
# exit status 1 when it crashed
fuzz_one() {
	local t=$1 bin=$build/tests/fuzz/fuzz_$1 maxlen= start end rc execs crashes
	if [ ! -x "$bin" ]; then
		echo "fuzz $t: no $bin (configure with CC=clang -DVERDICT_FUZZ=ON," \
		     "build with --target fuzz)" > "$work/$t.summary"
		return 1
	fi
	mkdir -p "$work/$t/corpus" "$work/$t/art"
	seeds "$t" "$work/$t/corpus"
	# whole files: 1 KiB inputs hold dozens of lines and run ~20x more
	# often than 4 KiB ones (every line is parsed twice)
	[ "$t" = listfile_buf ] && maxlen=-max_len=1024
	start=$(date +%s)
	# shellcheck disable=SC2086
	(cd "$work/$t" && FUZZ_TMPDIR=$shm ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/$t/art/" \
		$maxlen ${FUZZ_ARGS:-} corpus > log 2>&1)
	rc=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -n 1)
	crashes=$(find "$work/$t/art" -type f | wc -l)
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1	# died without leaving an input
	fi
	{
		if [ "$crashes" -gt 0 ]; then
			mkdir -p "$art/$t"
			cp "$work/$t/art"/* "$art/$t"/ 2>/dev/null
			cp "$work/$t/log" "$art/$t/log"
			grep -m 5 -E 'ERROR|property failed|runtime error' "$work/$t/log"
			echo "fuzz $t: inputs and log in $art/$t"
		fi
		echo "fuzz $t: ${execs:-0} executions, $crashes crashes, $((end - start)) s"
	} > "$work/$t.summary"
	[ "$crashes" -eq 0 ]
}

# at most $par targets at once, each one process: a core each
for t in $targets; do
	while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do
		wait -n || true
	done
	{ fuzz_one "$t"; echo $? > "$work/$t.rc"; } &
done
wait
status=0
for t in $targets; do
	cat "$work/$t.summary" 2>/dev/null || echo "fuzz $t: no result"
	[ "$(cat "$work/$t.rc" 2>/dev/null)" = 0 ] || status=1
done
exit $status
