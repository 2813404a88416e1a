#!/usr/bin/env bash
# feed_selftest.sh - our own DNSBL export passes our own self-test (issue
# 16, item 10): "verdict feed --format rbldnsd" and "--format rbldnsd6"
# served by rbldnsd on loopback pass "verdict doctor", even when a block
# table covers 127.0.0.0/8 and trusted_networks cuts it out again; the
# rbldnsd feed always holds 127.0.0.2 and never 127.0.0.1, the rbldnsd6
# feed ::ffff:7f00:2 and no IPv4-mapped address; an IPv6-only zone passes;
# a zone listing ::ffff:7f00:1 is reported wild.
. "$(dirname "$0")/feed_common.inc"
. "$(dirname "$0")/wait.inc"
command -v rbldnsd >/dev/null || skip "rbldnsd not installed"
VB=$VERDICT_BINDIR/tools/verdict
[ -x "$VB" ] || skip "verdict not built"

# a bogon list covering 127.0.0.0/8, and 127.0.0.2 trusted
{ cat "$T/block.txt"; echo '127.0.0.0/8 ; loopback'; } > "$T/bogon.txt"
mkdb "$T/bogon.txt" "$T/allow.txt" 'trusted_networks = 127.0.0.0/30'
V feed --format rbldnsd -o "$T/bl4" || fail "feed exited $?"
V feed --format rbldnsd6 -o "$T/bl6" || fail "feed6 exited $?"
grep -qx 127.0.0.2 "$T/bl4" || fail "no 127.0.0.2 test entry: $(cat "$T/bl4")"
python3 - "$T/bl4" <<'PY' || fail "the rbldnsd feed lists 127.0.0.1: $(cat "$T/bl4")"
import ipaddress, sys
for line in open(sys.argv[1]):
    w = line.split()
    if w and w[0][0].isdigit() and \
       ipaddress.ip_address("127.0.0.1") in ipaddress.ip_network(w[0]):
        sys.exit(1)
PY
grep -qx '::ffff:7f00:2' "$T/bl6" || fail "no ::ffff:7f00:2 test entry: $(cat "$T/bl6")"
grep -qi '::ffff:7f00:1\|^::ffff:127' "$T/bl6" && fail "rbldnsd6 lists a mapped address"
ok "feeds: 127.0.0.2 / ::ffff:7f00:2 present, 127.0.0.1 absent"

# a zone of our own that lists ::ffff:7f00:1 (wild in the IPv6 family)
printf '2001:db8::/32\n::ffff:7f00:0/120\n' > "$T/wild6"
chmod 755 "$T"		# rbldnsd drops to its own user
chmod 644 "$T"/bl4 "$T"/bl6 "$T"/wild6
port=$(free_port)
rbldnsd -n -u rbldns -b "127.0.0.1/$port" -w "$T" -p "$T/rbldnsd.pid" \
	v4.test:ip4set:bl4 v6.test:ip6trie:bl6 wild6.test:ip6trie:wild6 \
	> "$T/rbldnsd.log" 2>&1 &
pid=$!
cleanup_hooks+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
up() {
	dns_answers "$port" 2.0.0.127.v4.test && return 0
	proc_gone $pid && { cat "$T/rbldnsd.log"; fail "rbldnsd died"; }
	return 1
}
wait_for "rbldnsd to answer on port $port" 10 up

cat > "$T/doctor.conf" <<C
database = $T/db
block_tables = drop
dns_servers = 127.0.0.1:$port
dnsbl_sites = v4.test v6.test
dnsbl_timeout = 2s
C
D() { "$VB" -c "$T/doctor.conf" doctor; }
D > "$T/doc" 2>&1 || fail "verdict doctor exit $?: $(cat "$T/doc")"
grep -q '^ok.*v4\.test' "$T/doc" || fail "v4.test: $(cat "$T/doc")"
grep -q '^ok.*v6\.test' "$T/doc" || fail "v6.test (IPv6 only): $(cat "$T/doc")"
ok "verdict doctor passes the rbldnsd and the IPv6-only rbldnsd6 zone"

sed -i 's/^dnsbl_sites = .*/dnsbl_sites = wild6.test/' "$T/doctor.conf"
set +e
D > "$T/doc" 2>&1; rc=$?
set -e
[ $rc = 1 ] || fail "wild6.test: doctor exit $rc, want 1: $(cat "$T/doc")"
grep -q 'wild6\.test.*wild: lists ::ffff:7f00:1' "$T/doc" || fail "wild6.test: $(cat "$T/doc")"
ok "a zone listing ::ffff:7f00:1 is wild"
