#!/usr/bin/env bash
# feed_iprange.sh - verdict feed against Debian's iprange on the same data:
# random block lists minus a random allow list give the same CIDRs (same
# address set, same count); then the real Spamhaus DROP list in two
# publications (drop.txt, spamhaus_drop.netset) gives the same 1,599
# CIDRs covering 14,863,616 addresses, as ../shared/data/realworld/
# SOURCES.md says.
. "$(dirname "$0")/feed_common.inc"
command -v iprange >/dev/null || skip "iprange not installed (apt-get install iprange)"

# iprange prints a single address without /32
norm() { sed -e '/\//!s/$/\/32/' "$@"; }

python3 - "$T" <<'PY'
import random, sys, ipaddress
random.seed(7)
d = sys.argv[1]
def nets(n, lo, hi):
    out = []
    for _ in range(n):
        p = random.randint(lo, hi)
        # cluster in a few /8s so that merging and subtraction happen
        a = (random.choice([10, 45, 100, 185, 203]) << 24) | random.getrandbits(24)
        out.append(str(ipaddress.ip_network((a >> (32 - p) << (32 - p), p))))
    return out
for name, n, lo, hi in (("b1", 20000, 12, 32), ("b2", 5000, 16, 30),
                        ("a1", 2000, 18, 32)):
    with open(f"{d}/{name}.txt", "w") as f:
        f.write("\n".join(nets(n, lo, hi)) + "\n")
PY
printf 'database = %s/db\nblock_tables = b1, b2\nallow_tables = a1\n' "$T" > "$T/verdict.conf"
V table create b1 --kind block >/dev/null
V table create b2 --kind block >/dev/null
V table create a1 --kind allow >/dev/null
for t in b1 b2 a1; do V import --force $t "$T/$t.txt" >/dev/null; done

V feed --format plain --family ip > "$T/ours.txt" || fail "feed exited $?"
iprange "$T/b1.txt" "$T/b2.txt" --except "$T/a1.txt" | norm > "$T/theirs.txt"
n1=$(wc -l < "$T/ours.txt"); n2=$(wc -l < "$T/theirs.txt")
[ "$n1" -gt 1000 ] || fail "suspiciously small feed: $n1 CIDRs"
cmp -s "$T/ours.txt" "$T/theirs.txt" ||
	{ diff "$T/ours.txt" "$T/theirs.txt" | head; fail "random: feed and iprange differ"; }
ok "random: $n1 CIDRs, identical to iprange b1 b2 --except a1 ($n2)"

# without the allow table: union only (iprange --optimize)
V feed --tables b1,b2 --family ip > /dev/null
iprange --optimize "$T/b1.txt" "$T/b2.txt" | norm > "$T/theirs2.txt"
printf 'database = %s/db\nblock_tables = b1, b2\n' "$T" > "$T/verdict.conf"
V feed --family ip > "$T/ours2.txt"
cmp -s "$T/ours2.txt" "$T/theirs2.txt" || fail "union: feed and iprange --optimize differ"
ok "union: $(wc -l < "$T/ours2.txt") CIDRs, identical to iprange --optimize"

# the real lists
rw=$VERDICT_SHARED_DATA/realworld
if [ ! -r "$rw/drop.txt" ] || [ ! -r "$rw/spamhaus_drop.netset" ]; then
	echo "note: $rw absent: real-world part not run"
	exit 0
fi
printf 'database = %s/db2\nblock_tables = drop\n' "$T" > "$T/verdict.conf"
V table create drop --kind block >/dev/null
V table create netset --kind block >/dev/null
V import drop "$rw/drop.txt" >/dev/null
V import netset "$rw/spamhaus_drop.netset" >/dev/null
V feed --tables drop --family ip > "$T/drop.out"
V feed --tables netset --family ip > "$T/netset.out"
cmp -s "$T/drop.out" "$T/netset.out" || fail "drop.txt and spamhaus_drop.netset give different sets"
n=$(wc -l < "$T/drop.out")
addrs=$(awk -F/ '{s += 2^(32-$2)} END {printf "%d", s}' "$T/drop.out")
[ "$n" = 1599 ] || fail "DROP: $n CIDRs, want 1599"
[ "$addrs" = 14863616 ] || fail "DROP: $addrs addresses, want 14863616"
grep -v '^[;#]' "$rw/drop.txt" | sed 's/ *;.*//' | iprange | norm > "$T/drop.iprange"
cmp -s "$T/drop.out" "$T/drop.iprange" || fail "DROP: feed and iprange differ"
ok "real DROP: both publications give 1599 CIDRs, 14863616 addresses, as iprange"
