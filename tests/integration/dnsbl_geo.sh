#!/usr/bin/env bash
# dnsbl_geo.sh - the verdict CLI against a real rbldnsd and real MMDB files:
# postscreen-style weighted zones, GeoIP weights summing with DNSBL
# weights, outright geo rules, a DNS failure as tempfail (exit 3), doctor.
# Exit 0 pass, 1 fail, 77 skip (with the reason).
set -u
V=${VERDICT_BINDIR:-build}/tools/verdict
SRC=${VERDICT_SRCDIR:-.}
RBLDNSD=$(command -v rbldnsd || ls /usr/sbin/rbldnsd 2>/dev/null)
[ -x "$V" ] || { echo "SKIP: $V not built"; exit 77; }
[ -n "$RBLDNSD" ] || { echo "SKIP: rbldnsd not installed"; exit 77; }
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
	{ echo "SKIP: libmaxmind-db-writer-perl not installed"; exit 77; }

T=$(mktemp -d)
chmod 755 "$T"	# rbldnsd reads its zones as user rbldns
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
. "$(dirname "$0")/wait.inc"

# a free loopback UDP port
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# zones: "zen" returns Spamhaus-style codes, "wl" is a DNSWL-style allowlist
cat > "$T/zen" <<'EOF'
:127.0.0.2:
127.0.0.2 :127.0.0.2:test
192.0.2.10 :127.0.0.4:XBL
192.0.2.11 :127.0.0.10:PBL
192.0.2.12 :127.0.0.30:BCL
192.0.2.13 :127.255.255.254:public resolver
198.51.100.1 :127.0.0.2:SBL
EOF
cat > "$T/wl" <<'EOF'
127.0.0.2 :127.0.10.3:
198.51.100.1 :127.0.10.3:
192.0.2.20 :127.0.10.1:
EOF
cat > "$T/six" <<'EOF'
2001:db8::/64 :127.0.0.2:
EOF
"$RBLDNSD" -n -b "127.0.0.1/$port" -p "$T/pid" -r "$T" \
	zen.test:ip4set:zen wl.test:ip4set:wl six.test:ip6trie:six >"$T/rbldnsd.log" 2>&1 &
wait_for "rbldnsd's pid file" 10 test -s "$T/pid" || exit 1
PID=$(cat "$T/pid" 2>/dev/null)
[ -n "$PID" ] || { echo "FAIL: rbldnsd did not start"; exit 1; }
wait_for "rbldnsd to answer on port $port" 10 dns_answers "$port" 2.0.0.127.zen.test || exit 1

# GeoIP fixtures: 203.0.113.0/24 in "CN" (AS64496), 192.0.2.0/24 in "GB"
perl "$SRC/data/mkmmdb.pl" -t country -o "$T/country.mmdb" <<'EOF'
203.0.113.0/24 country=CN
192.0.2.0/24 country=GB
198.51.100.0/24 country=RU
EOF
perl "$SRC/data/mkmmdb.pl" -t asn -o "$T/asn.mmdb" <<'EOF'
203.0.113.0/24 asn=64496 org="Example Net"
192.0.2.0/24 asn=64511
EOF

# postscreen's own example line, pasted as is over two lines
cat > "$T/verdict.conf" <<EOF
database = $T/db
dns_servers = 127.0.0.1:$port
geoip_country_db = $T/country.mmdb
geoip_asn_db = $T/asn.mmdb
dnsbl_sites = zen.test=127.0.0.[2..11]*3,
	wl.test=127.0.[0..255].[2..3]*-5 six.test*3
dnsbl_threshold = 3
dnsbl_allowlist_threshold = -1
dnsbl_timeout = 800ms
country_weights = CN*2, GB*1
asn_weights = 64496*1

[profile 2]
block_countries = RU
allow_asns = 64511
dnsbl_sites = zen.test*3
on_dns_failure = tempfail

[profile 3]
dns_servers_placeholder_is_not_a_key = 1
EOF
# profile 3 is a deliberate config error: unknown key with file:line
out=$("$V" -c "$T/verdict.conf" check 1.2.3.4 2>&1); st=$?
[ $st -eq 2 ] || fail "unknown key: exit $st, want 2"
echo "$out" | grep -q "verdict.conf:20: unknown key" || fail "unknown key message: $out"
sed -i '/^\[profile 3\]/,$d' "$T/verdict.conf"

c() { "$V" -c "$T/verdict.conf" "$@"; }
# expect PROFILE IP VERDICT SOURCE [SCORE]
expect() {
	local p=$1 ip=$2 want=$3 src=$4 score=${5:-}
	local line js
	line=$(c check -p "$p" "$ip")
	set -- $line
	[ "$2" = "$want" ] || fail "profile $p $ip: verdict '$2', want '$want' ($line)"
	[ "$3" = "$src" ] || fail "profile $p $ip: source '$3', want '$src' ($line)"
	if [ -n "$score" ]; then
		js=$(c check -p "$p" --json "$ip")
		echo "$js" | grep -q "\"score\":$score," || fail "profile $p $ip: want score $score: $js"
	fi
}
# zen 127.0.0.4 (3) >= 3: block; GB adds 1 -> 4
expect 1 192.0.2.10 block zen.test,geoip 4
# PBL code 127.0.0.10 is inside [2..11]
expect 1 192.0.2.11 block zen.test,geoip 4
# BCL 127.0.0.30 is outside the filter: GB weight 1 only: neutral
expect 1 192.0.2.12 neutral - 1
# 127.255.255.254 is never a listing
expect 1 192.0.2.13 neutral - 1
# listed by zen (3) and allowlisted by wl (-5): -2 <= -1: allow
expect 1 198.51.100.1 allow wl.test -2
# CN*2 + AS64496*1 = 3 with no DNS listing: geo weights alone block
expect 1 203.0.113.5 block geoip 3
# IPv6 zone
expect 1 2001:db8::7 block six.test 3
expect 1 2001:db8:1::7 neutral - 0
# profile 2: outright rules; allow_asns beats block_countries
expect 2 198.51.100.9 block geoip
expect 2 192.0.2.99 allow geoip
# --json has the zones and the geo fields
js=$(c check --json 203.0.113.5)
echo "$js" | grep -q '"country":"CN","asn":64496,"as_org":"Example Net"' || fail "geo fields: $js"
js=$(c check --json 192.0.2.10)
echo "$js" | grep -q '"zones":\[{"zone":"zen.test","answer":"127.0.0.4","weight":3' || fail "zones: $js"
# reply names the zone
echo "$js" | grep -q '"reply":"554 5.7.1 Service unavailable; client \[192.0.2.10\] blocked using zen.test,geoip' || fail "reply: $js"

# doctor: every zone answers its RFC 5782 test (wl lists 127.0.0.2 too)
c doctor > "$T/doc" 2>&1; st=$?
grep -q "zone.*zen.test.*ok" "$T/doc" || fail "doctor zen: $(cat "$T/doc")"
grep -q "geoip.*country.mmdb" "$T/doc" || fail "doctor geoip: $(cat "$T/doc")"
# six.test is IPv6-only and does not list 127.0.0.2: reported, exit 1
[ $st -eq 1 ] || fail "doctor exit $st, want 1 ($(cat "$T/doc"))"

# DNS server gone: profile 2 (on_dns_failure = tempfail) answers tempfail,
# exit 3, within the deadline; profile 1 answers neutral.
kill "$PID"
wait_for "rbldnsd (pid $PID) to exit" 10 proc_gone "$PID"
PID=
start=$(date +%s%N)
c check -p 2 233.252.0.1 > "$T/out"; st=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $st -eq 3 ] || fail "no DNS, profile 2: exit $st, want 3 ($(cat "$T/out"))"
grep -q "tempfail" "$T/out" || fail "no DNS: $(cat "$T/out")"
[ $ms -lt 1500 ] || fail "no DNS: took $ms ms (deadline 800 ms)"
c check -p 1 233.252.0.1 > "$T/out"; st=$?
[ $st -eq 0 ] || fail "no DNS, profile 1: exit $st, want 0 ($(cat "$T/out"))"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "dnsbl_geo: all checks passed"
exit 0
