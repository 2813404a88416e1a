#!/usr/bin/env bash
# feed_postfix.sh - postmap -q answers from the postfix cidr: feed: a
# listed address gets "REJECT reason", an allowed and an unlisted one get
# nothing, IPv6 works.
. "$(dirname "$0")/feed_common.inc"
command -v postmap >/dev/null || skip "postmap not installed (Postfix: tools/bootstrap.sh test installs it when no other MTA is)"

mkdb "$T/block.txt" "$T/allow.txt"
V feed --format postfix -o "$T/access.cidr" || fail "feed exited $?"
mkdir "$T/pf" && : > "$T/pf/main.cf"	# postmap wants a main.cf
q() { postmap -c "$T/pf" -q "$1" "cidr:$T/access.cidr" || true; }
while read -r ip want; do
	got=$(q "$ip")
	[ "$got" = "${want//_/ }" ] || fail "postmap -q $ip: '$got', want '${want//_/ }'"
done <<'L'
192.0.2.77 REJECT_SBL100
10.20.200.1 REJECT_BIG
198.51.100.1 REJECT_listed_by_verdict
2001:db8:1::5 REJECT_V6A
203.0.113.70
8.8.8.8
L
ok "postmap -q answers from the postfix feed"
