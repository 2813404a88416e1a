#!/usr/bin/env bash
# milter_bench.sh - connection throughput through a private Postfix with and
# without verdict-milter, and the milter's verdict latency
#
# A 1,000,000-CIDR block table (random /24 and /32 networks outside
# 127.0.0.0/8, generated here), one private Postfix (discard transport)
# with two smtpd listeners: one with smtpd_milters empty, one pointing at
# verdict-milter.  Postfix's smtp-source sends -m messages of -l bytes,
# -s sessions at a time, one message per connection, to each listener;
# the runs alternate (ROUNDS times, the best of each is kept) so a
# machine's noise hits both alike.  The verdict latency p50/p99 come from
# the milter's own counters (SIGUSR2).
#
# Targets (issue 6): with milter >= 0.9 x without; verdict p99 < 1 ms.
# Exit 0 when both are met, 1 when not, 77 when it cannot run here.
#
# Environment: VERDICT_BINDIR (build dir), MSGS (2000), SESS (20),
# LEN (100), CIDRS (1000000), ROUNDS (3), KEEP=1 keeps the temp dir.
set -u

skip() { echo "SKIP: $*"; exit 77; }
bindir=${VERDICT_BINDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
milter=$bindir/tools/milter/verdict-milter
cli=$bindir/tools/verdict
MSGS=${MSGS:-2000} SESS=${SESS:-20} LEN=${LEN:-100}
CIDRS=${CIDRS:-1000000} ROUNDS=${ROUNDS:-3}

[ -x "$milter" ] || skip "verdict-milter not built ($milter)"
[ -x "$cli" ] || skip "the verdict CLI is not built ($cli)"
[ "$(id -u)" = 0 ] || skip "Postfix's master must start as root"
command -v postfix >/dev/null || skip "postfix is not installed"
command -v smtp-source >/dev/null || skip "smtp-source (package postfix) is missing"
command -v python3 >/dev/null || skip "python3 is missing"

T=$(mktemp -d /tmp/vmbench.XXXXXX)
chmod 755 "$T"
mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	[ -f "$T/conf/main.cf" ] && postfix -c "$T/conf" stop >/dev/null 2>&1
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

read -r MPORT PLAIN WITH <<<"$(python3 - <<'EOF'
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
EOF
)"

# --- 1,000,000 CIDRs, imported in one transaction
mkdir -p "$T/db" "$T/run" && chmod 777 "$T/run"
cat >"$T/verdict.conf" <<EOF
database = $T/db
block_tables = big
log_verdicts = block
EOF
t0=$(date +%s.%N)
python3 - "$CIDRS" >"$T/big.txt" <<'EOF'
import random, sys
n = int(sys.argv[1]); rnd = random.Random(6); out = []
seen = set()
while len(out) < n:
    a = rnd.randrange(1 << 24, 127 << 24)     # 1.0.0.0 .. 126.255.255.255
    if rnd.random() < 0.5:
        a &= ~0xff; p = 24
    else:
        p = 32
    if (a, p) in seen: continue
    seen.add((a, p))
    out.append("%d.%d.%d.%d/%d ; bench" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, p))
sys.stdout.write("\n".join(out) + "\n")
EOF
t1=$(date +%s.%N)
"$cli" -c "$T/verdict.conf" table create big --kind block >/dev/null &&
	"$cli" -c "$T/verdict.conf" import big "$T/big.txt" >"$T/import.out" ||
	{ cat "$T/import.out"; echo "FAIL: import"; exit 1; }
t2=$(date +%s.%N)
chmod -R a+rwX "$T/db"
printf 'table: %s CIDRs generated in %.1f s, imported in %.1f s (%s)\n' "$CIDRS" \
	"$(calc "$t1 - $t0")" "$(calc "$t2 - $t1")" "$(cat "$T/import.out")"

user=()
[ "$(id -u)" = 0 ] && user=(-u nobody)
"$milter" -f -c "$T/verdict.conf" -s "inet:$MPORT@127.0.0.1" "${user[@]}" \
	2>"$T/milter.log" &
mpid=$!

# --- private Postfix: discard everything, two listeners
mkdir -p "$T/conf" "$T/queue" "$T/data" && chown postfix "$T/data"
cat >"$T/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.bench.invalid
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = discard
alias_maps =
alias_database =
biff = no
smtpd_peername_lookup = no
maillog_file = $T/maillog
maillog_file_prefixes = $T
milter_default_action = tempfail
EOF
cat >"$T/conf/master.cf" <<EOF
127.0.0.1:$PLAIN inet n - n - - smtpd -o smtpd_milters=
127.0.0.1:$WITH inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$MPORT
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
postfix -c "$T/conf" check && postfix -c "$T/conf" start >/dev/null 2>&1 ||
	{ echo "FAIL: postfix start"; exit 1; }
sleep 1

run() {	# port msgs -> prints connections/s
	local t0 t1
	t0=$(date +%s.%N)
	smtp-source -s "$SESS" -m "$2" -l "$LEN" -f bench@example.org \
		-t sink@example.net "127.0.0.1:$1" || return 1
	t1=$(date +%s.%N)
	calc "$2 / ($t1 - $t0)"
}

# warm both paths (smtpd processes, the milter's threads, page cache)
run "$PLAIN" 200 >/dev/null && run "$WITH" 200 >/dev/null ||
	{ echo "FAIL: smtp-source warm-up"; exit 1; }
kill -USR2 "$mpid"; sleep 0.3
base_checks=$(grep -o 'stats: connections=[0-9]*' "$T/milter.log" | tail -1 | cut -d= -f2)
best_plain=0 best_with=0
for r in $(seq "$ROUNDS"); do
	p=$(run "$PLAIN" "$MSGS") || { echo "FAIL: smtp-source"; exit 1; }
	w=$(run "$WITH" "$MSGS") || { echo "FAIL: smtp-source"; exit 1; }
	printf 'round %d: without milter %.0f conn/s, with milter %.0f conn/s\n' "$r" "$p" "$w"
	best_plain=$(calc "($p > $best_plain) ? $p : $best_plain")
	best_with=$(calc "($w > $best_with) ? $w : $best_with")
done
kill -USR2 "$mpid"; sleep 0.5
stats=$(grep 'stats: connections=' "$T/milter.log" | tail -1)
checks=$(echo "$stats" | grep -o 'connections=[0-9]*' | cut -d= -f2)
p50=$(echo "$stats" | grep -o 'latency_us_p50<=[0-9]*' | cut -d= -f2)
p99=$(echo "$stats" | grep -o 'latency_us_p99<=[0-9]*' | cut -d= -f2)
max=$(echo "$stats" | grep -o 'latency_us_max=[0-9]*' | cut -d= -f2)
ratio=$(calc "$best_with / $best_plain")

echo "milter_bench: smtp-source -s $SESS -m $MSGS -l $LEN, $CIDRS-CIDR block table, best of $ROUNDS"
printf 'milter_bench: without milter %.0f conn/s; with verdict-milter %.0f conn/s; ratio %.3f (target >= 0.9)\n' \
	"$best_plain" "$best_with" "$ratio"
echo "milter_bench: verdicts $((checks - base_checks)) in the measured runs (+ $base_checks warm-up); latency p50 <= ${p50} us, p99 <= ${p99} us, max ${max} us (target p99 < 1000 us; bucket bounds)"
echo "milter_bench: $stats"
ok=1
awk "BEGIN { exit !($ratio >= 0.9) }" || { echo "milter_bench: MISSED throughput target"; ok=0; }
[ "${p99:-999999}" -lt 1000 ] || { echo "milter_bench: MISSED latency target"; ok=0; }
[ $ok = 1 ]
