#!/usr/bin/env bash
# feed_nft.sh - nft loads the nft feed in a private network namespace:
# sets created when missing, listed networks are members, an allowed one
# is not, a second load (re-run) replaces the contents, and a feed large
# enough to need several "add element" chunks loads in one transaction.
. "$(dirname "$0")/feed_common.inc"
command -v nft >/dev/null || skip "nft not installed (apt-get install nftables)"
unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n): CAP_SYS_ADMIN missing"
unshare -n nft list ruleset >/dev/null 2>&1 || skip "nft cannot talk to the kernel in a namespace (CAP_NET_ADMIN or nf_tables missing)"

mkdb "$T/block.txt" "$T/allow.txt"
V feed --format nft --name bl --nft-table vt -o "$T/feed.nft" || fail "feed exited $?"
unshare -n bash -c "nft -c -f '$T/feed.nft'" || fail "nft -c rejects the feed"
ok "nft -c -f accepts the feed"

# second feed with fewer entries: the flush must drop what went away
grep -v 198.51.100 "$T/block.txt" > "$T/block2.txt"
V import --force drop "$T/block2.txt" >/dev/null
V feed --format nft --name bl --nft-table vt -o "$T/feed2.nft"

python3 - "$T/big.txt" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(25000):   # 25,000 /30s, never adjacent: 25 chunks
        a = (100 << 24) + i * 8
        f.write("%d.%d.%d.%d/30\n" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255))
PY
printf 'database = %s/db\nblock_tables = big\n' "$T" > "$T/big.conf"
"$DRIVER" -c "$T/big.conf" table create big --kind block >/dev/null
"$DRIVER" -c "$T/big.conf" import big "$T/big.txt" >/dev/null
"$DRIVER" -c "$T/big.conf" feed --format nft --name bl --nft-table vt > "$T/big.nft"
[ "$(grep -c '^add element' "$T/big.nft")" -ge 25 ] || fail "big feed not chunked"

unshare -n bash -e -c "
	member() { nft get element inet vt \$1 \"{ \$2 }\" >/dev/null 2>&1; }
	nft -f '$T/feed.nft'
	member bl_v4 192.0.2.77 || { echo 'FAIL: 192.0.2.77 not in bl_v4'; exit 1; }
	member bl_v4 198.51.100.200 || { echo 'FAIL: 198.51.100.200 not in bl_v4'; exit 1; }
	member bl_v6 2001:db8:1::5 || { echo 'FAIL: 2001:db8:1::5 not in bl_v6'; exit 1; }
	member bl_v4 203.0.113.70 && { echo 'FAIL: allowed 203.0.113.70 is in bl_v4'; exit 1; }
	member bl_v4 8.8.8.8 && { echo 'FAIL: 8.8.8.8 is in bl_v4'; exit 1; }
	nft -f '$T/feed.nft'	# re-run
	nft -f '$T/feed2.nft'
	member bl_v4 198.51.100.200 && { echo 'FAIL: removed network still in the set'; exit 1; }
	member bl_v4 192.0.2.77 || { echo 'FAIL: 192.0.2.77 lost on reload'; exit 1; }
	nft -f '$T/big.nft'
	n=\$(nft list set inet vt bl_v4 | grep -o '/30' | wc -l)
	[ \"\$n\" = 25000 ] || { echo \"FAIL: big set has \$n elements, want 25000\"; exit 1; }
	# the one rule of the README drops members
	nft add chain inet vt input '{ type filter hook input priority -10; policy accept; }'
	nft add rule inet vt input ip saddr @bl_v4 drop
	nft add rule inet vt input ip6 saddr @bl_v6 drop
" || fail "nft in a namespace"
ok "nft loads, reloads, replaces, takes 25000 elements in chunks"
