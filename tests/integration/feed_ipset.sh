#!/usr/bin/env bash
# feed_ipset.sh - "ipset restore" loads the ipset feed in a private
# network namespace: members and non-members are right, the script can
# run again, a temporary set left by a failed run is no obstacle, and a
# reload replaces the contents (swap).
. "$(dirname "$0")/feed_common.inc"
command -v ipset >/dev/null || skip "ipset not installed (apt-get install ipset)"
unshare -n true 2>/dev/null || skip "cannot create a network namespace (unshare -n): CAP_SYS_ADMIN missing"
unshare -n ipset list -n >/dev/null 2>&1 || skip "ipset cannot talk to the kernel (ip_set module or CAP_NET_ADMIN missing)"
unshare -n ipset create vdprobe hash:net >/dev/null 2>&1 || skip "the ip_set hash:net module is not available"

mkdb "$T/block.txt" "$T/allow.txt"
V feed --format ipset --name bl -o "$T/feed.ipset" || fail "feed exited $?"
grep -v 198.51.100 "$T/block.txt" > "$T/block2.txt"
V import --force drop "$T/block2.txt" >/dev/null
V feed --format ipset --name bl -o "$T/feed2.ipset"

unshare -n bash -e -c "
	member() { ipset -q test \$1 \$2; }
	ipset restore < '$T/feed.ipset'
	member bl_v4 192.0.2.77 || { echo 'FAIL: 192.0.2.77 not in bl_v4'; exit 1; }
	member bl_v4 10.20.3.4 || { echo 'FAIL: 10.20.3.4 not in bl_v4'; exit 1; }
	member bl_v6 2001:db8:1::5 || { echo 'FAIL: 2001:db8:1::5 not in bl_v6'; exit 1; }
	member bl_v4 203.0.113.70 && { echo 'FAIL: allowed 203.0.113.70 in bl_v4'; exit 1; }
	member bl_v4 8.8.8.8 && { echo 'FAIL: 8.8.8.8 in bl_v4'; exit 1; }
	ipset restore < '$T/feed.ipset'		# re-run
	ipset create bl_v4_tmp hash:net family inet	# left by a failed run
	ipset add bl_v4_tmp 8.8.8.0/24
	ipset restore < '$T/feed2.ipset'
	member bl_v4 198.51.100.200 && { echo 'FAIL: removed network still in bl_v4'; exit 1; }
	member bl_v4 8.8.8.8 && { echo 'FAIL: stale temporary set swapped in'; exit 1; }
	member bl_v4 192.0.2.77 || { echo 'FAIL: 192.0.2.77 lost on reload'; exit 1; }
	ipset list -n | grep -q _tmp && { echo 'FAIL: temporary set left behind'; exit 1; }
	exit 0
" || fail "ipset in a namespace"
ok "ipset restore loads, re-runs, survives a stale temporary set, swaps"
