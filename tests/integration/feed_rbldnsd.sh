#!/usr/bin/env bash
# feed_rbldnsd.sh - rbldnsd serves the rbldnsd (ip4set) and rbldnsd6
# (ip6trie) feeds on a loopback port: a listed address answers
# 127.0.0.2 with its entry's reason as TXT, an allowed and an unlisted
# address answer nothing.
. "$(dirname "$0")/feed_common.inc"
. "$(dirname "$0")/wait.inc"
command -v rbldnsd >/dev/null || skip "rbldnsd not installed"
command -v dig >/dev/null || skip "dig not installed (dnsutils)"

mkdb "$T/block.txt" "$T/allow.txt"
V feed --format rbldnsd -o "$T/bl4" || fail "feed exited $?"
V feed --format rbldnsd6 -o "$T/bl6" || fail "feed6 exited $?"
chmod 755 "$T"		# rbldnsd drops to its own user
port=$(free_port)
rbldnsd -n -u rbldns -b "127.0.0.1/$port" -w "$T" -p "$T/rbldnsd.pid" \
	bl.test:ip4set:bl4 bl.test:ip6trie:bl6 > "$T/rbldnsd.log" 2>&1 &
pid=$!
cleanup_hooks+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
d() { dig +short +time=1 +tries=2 @127.0.0.1 -p "$port" "$@"; }
up() {	# rbldnsd answers a name it lists; fails the test if it died
	[ -n "$(d 77.2.0.192.bl.test A 2>/dev/null)" ] && return 0
	proc_gone $pid && { cat "$T/rbldnsd.log"; fail "rbldnsd died"; }
	return 1
}
wait_for "rbldnsd to answer on port $port" 10 up
[ "$(d 77.2.0.192.bl.test A)" = 127.0.0.2 ] || fail "192.0.2.77 not listed"
[ "$(d 77.2.0.192.bl.test TXT)" = '"SBL100"' ] || fail "192.0.2.77 TXT: $(d 77.2.0.192.bl.test TXT)"
[ "$(d 1.100.51.198.bl.test TXT)" = '"198.51.100.1 is listed by verdict"' ] ||
	fail "aggregated network TXT: $(d 1.100.51.198.bl.test TXT)"
[ -z "$(d 70.113.0.203.bl.test A)" ] || fail "allowed 203.0.113.70 listed"
[ -z "$(d 8.8.8.8.bl.test A)" ] || fail "8.8.8.8 listed"
rev6=$(python3 -c 'import ipaddress; print(".".join(reversed(ipaddress.ip_address("2001:db8:1::5").exploded.replace(":", ""))))')
[ "$(d "$rev6.bl.test" A)" = 127.0.0.2 ] || fail "2001:db8:1::5 not listed"
[ "$(d "$rev6.bl.test" TXT)" = '"V6A"' ] || fail "2001:db8:1::5 TXT: $(d "$rev6.bl.test" TXT)"
rev6b=$(python3 -c 'import ipaddress; print(".".join(reversed(ipaddress.ip_address("2001:db8:2::5").exploded.replace(":", ""))))')
[ -z "$(d "$rev6b.bl.test" A)" ] || fail "2001:db8:2::5 listed"
ok "rbldnsd serves the feeds: listed, reasons, unlisted, allowed, IPv6"
