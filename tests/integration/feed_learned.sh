#!/usr/bin/env bash
# feed_learned.sh - learned blocks in the feeds: plain lists them with the
# block tables' networks (merged), a key an allow table lists later is
# left out; nft and ipset load them in a private network namespace into
# sets of their own (bl_learned_v4/_v6) whose elements carry a timeout
# no longer than the time until the score falls below the threshold.
. "$(dirname "$0")/feed_common.inc"
CLI=$VERDICT_BINDIR/tools/verdict
[ -x "$CLI" ] || skip "verdict not built: $CLI"
L() { "$CLI" -c "$T/verdict.conf" "$@"; }

mkdb "$T/block.txt" "$T/allow.txt" "learned_tables = learned"
L table create learned --kind learned >/dev/null
printf '%s\n' '192.0.3.1 3' '192.0.2.200 5' '198.18.0.5 3' \
	'2001:db8:5::1 4 v6' '198.18.0.9 1' | L report - >/dev/null
L add partners 198.18.0.5
V feed --format plain > "$T/plain"
grep -qx '192.0.3.1/32' "$T/plain" || fail "plain: learned 192.0.3.1 missing"
grep -qx '2001:db8:5::/64' "$T/plain" || fail "plain: learned /64 missing"
grep -q '^192.0.2.200' "$T/plain" && fail "plain: a learned key inside a block network is listed apart"
grep -q '198.18.0.5' "$T/plain" && fail "plain: allow-listed learned key in the feed"
grep -q '198.18.0.9' "$T/plain" && fail "plain: a key below the threshold is in the feed"
ok "plain merges the learned blocks, leaves out allowed and unblocked keys"

V feed --format nft --name bl --nft-table vt -o "$T/feed.nft"
V feed --format ipset --name bl -o "$T/feed.ipset"
grep -q 'set bl_learned_v4 { type ipv4_addr; flags interval, timeout; }' "$T/feed.nft" ||
	fail "nft: no learned set with timeouts"
t=$(grep -o '192.0.3.1/32 timeout [0-9]*s' "$T/feed.nft" | grep -o '[0-9]*s$' | tr -d s)
# score 3 at threshold 3: blocked for 86400 * log2(3 / 2.999), about 41 s
[ -n "$t" ] && [ "$t" -ge 30 ] && [ "$t" -le 43 ] || fail "nft: timeout of 192.0.3.1 is '$t', want about 41"

command -v nft >/dev/null || skip "nft not installed (apt-get install nftables)"
unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n)"
unshare -n nft list ruleset >/dev/null 2>&1 || skip "nft cannot talk to the kernel in a namespace"
unshare -n bash -e -c "
	member() { nft get element inet vt \$1 \"{ \$2 }\" >/dev/null 2>&1; }
	nft -f '$T/feed.nft'
	member bl_learned_v4 192.0.3.1 || { echo 'FAIL: 192.0.3.1 not in bl_learned_v4'; exit 1; }
	member bl_learned_v6 2001:db8:5::77 || { echo 'FAIL: 2001:db8:5::77 not in bl_learned_v6'; exit 1; }
	member bl_learned_v4 198.18.0.5 && { echo 'FAIL: allowed key in the set'; exit 1; }
	nft list set inet vt bl_learned_v4 | grep -q 'expires' || { echo 'FAIL: no expiry on elements'; exit 1; }
	nft -f '$T/feed.nft'	# re-run
	member bl_learned_v4 192.0.3.1 || { echo 'FAIL: lost on re-run'; exit 1; }
" || fail "nft in a namespace"
ok "nft loads the learned sets with timeouts, re-runs"

if command -v ipset >/dev/null && unshare -n ipset create vdprobe hash:net timeout 0 >/dev/null 2>&1; then
	unshare -n bash -e -c "
		ipset restore < '$T/feed.ipset'
		ipset -q test bl_learned_v4 192.0.3.1 || { echo 'FAIL: 192.0.3.1 not in the ipset'; exit 1; }
		ipset -q test bl_learned_v4 198.18.0.5 && { echo 'FAIL: allowed key in the ipset'; exit 1; }
		ipset list bl_learned_v4 | grep -q '192.0.3.1 timeout' || { echo 'FAIL: no timeout on the element'; exit 1; }
		ipset restore < '$T/feed.ipset'		# re-run
		ipset list -n | grep -q _tmp && { echo 'FAIL: temporary set left behind'; exit 1; }
		true
	" || fail "ipset in a namespace"
	ok "ipset restore loads the learned sets with timeouts, re-runs"
else
	echo "note: ipset with timeouts not available here; ipset part not run"
fi
