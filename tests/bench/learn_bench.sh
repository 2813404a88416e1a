#!/usr/bin/env bash
# learn_bench.sh - learned reputation: report throughput, and what a
# learned table costs a verdict
#
# Usage: bash tests/bench/learn_bench.sh BUILD_DIR
#
#   report      `verdict report -` of 1,000,000 distinct IPv4 addresses
#               into an empty learned table, then the same again into the
#               table of 1,000,000 keys; reference: `verdict import
#               --merge` of the same addresses into a block table, same run
#   step        verdict_check rate of one thread on a profile with a block
#               table and a learned table of 1,000,000 keys, against the
#               same profile without the learned table
#   reporting   the rate of two checking threads while another process
#               reports 1,000 addresses a second, against without
# Prints one line a figure.  BENCH_SECS: seconds a rate (default 3),
# BENCH_REPS: repetitions of each rate (default 3, medians printed).
set -euo pipefail
build=$(cd "${1:?usage: learn_bench.sh BUILD_DIR}" && pwd)
cli=$build/tools/verdict
bl=$build/tests/bench/bench_learn
secs=${BENCH_SECS:-3}
T=$(mktemp -d "${TMPDIR:-/tmp}/learnbench.XXXXXX")
trap 'rm -rf "$T"' EXIT

python3 - "$T" <<'PY'
import random, sys
random.seed(18)
d = sys.argv[1]
ips = set()
while len(ips) < 1000000:
    a = random.randrange(1 << 24, 224 << 24)
    if a >> 24 != 127:
        ips.add(a)
with open(d + "/ips.txt", "w") as f:
    for a in ips:
        f.write("%d.%d.%d.%d\n" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255))
with open(d + "/drop.txt", "w") as f:
    for _ in range(100000):
        a = random.randrange(1 << 24, 224 << 24) & ~255
        f.write("%d.%d.%d.%d/24\n" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255))
PY
cat > "$T/v.conf" <<EOF
database = $T/db
[profile 1]
block_tables = drop
learned_tables = learned
[profile 2]
block_tables = drop
EOF
V() { "$cli" -c "$T/v.conf" "$@"; }
V table create drop --kind block >/dev/null
V table create learned --kind learned >/dev/null
V table create ref --kind block >/dev/null
V import --force drop "$T/drop.txt" >/dev/null

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
r1=$(t V report - < "$T/ips.txt")
r2=$(t V report - < "$T/ips.txt")
ri=$(t V import --merge ref "$T/ips.txt")
keys=$(V table list | awk '$1 == "learned" { print $3 }')
printf 'report, 1M into empty table     %8.0f reports/s (%.2f s)\n' "$(echo "1000000 / $r1" | bc -l)" "$r1"
printf 'report, 1M into %s keys    %8.0f reports/s (%.2f s)\n' "$keys" "$(echo "1000000 / $r2" | bc -l)" "$r2"
printf 'import --merge, same 1M (ref)   %8.0f lines/s (%.2f s)\n' "$(echo "1000000 / $ri" | bc -l)" "$ri"

# rates: BENCH_REPS repetitions (default 3), the pair of each figure
# interleaved so that load on the machine hits both alike; medians
reps=${BENCH_REPS:-3}
rate() { "$bl" -c "$T/v.conf" -s "$secs" "$@" | awk '{ print $2 }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
W=() O=() Q=() B=()
for _ in $(seq "$reps"); do
	W+=("$(rate -p 1 -t 1)"); O+=("$(rate -p 2 -t 1)")
	Q+=("$(rate -p 1 -t 2)"); B+=("$(rate -p 1 -t 2 -r 1000)")
done
with=$(median "${W[@]}") without=$(median "${O[@]}")
quiet=$(median "${Q[@]}") busy=$(median "${B[@]}")
printf 'verdict, 1 thread, with learned %8.0f checks/s (median of %s)\n' "$with" "$reps"
printf 'verdict, 1 thread, without      %8.0f checks/s\n' "$without"
printf 'learned step cost ratio         %8.2fx (target <= 1.2x)\n' "$(echo "$without / $with" | bc -l)"
printf 'verdict, 2 threads, no reports  %8.0f checks/s\n' "$quiet"
printf 'verdict, 2 threads, 1000 rep/s  %8.0f checks/s\n' "$busy"
printf 'rate while reporting            %8.2fx (target >= 0.9x)\n' "$(echo "$busy / $quiet" | bc -l)"
