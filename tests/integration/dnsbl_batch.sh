#!/usr/bin/env bash
# dnsbl_batch.sh - `verdict check --parallel N -` against a real rbldnsd:
# 3,000 input lines (IPv4 and IPv6, listed and not, some repeated, one
# malformed) through weighted zones with an allowlist; every output line
# must be the input's IP, in input order, with the verdict computed here
# from the zone data, for N = 1 (no threads), 7, 64 and 300 (more queries
# than the resolver keeps in flight).  A lost answer shows as tempfail
# (on_dns_failure = tempfail) and fails the test.
# Exit 0 pass, 1 fail, 77 skip (with the reason).
set -u
V=${VERDICT_BINDIR:-build}/tools/verdict
RBLDNSD=$(command -v rbldnsd || ls /usr/sbin/rbldnsd 2>/dev/null)
[ -x "$V" ] || { echo "SKIP: $V not built"; exit 77; }
[ -n "$RBLDNSD" ] || { echo "SKIP: rbldnsd not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is missing"; exit 77; }

T=$(mktemp -d)
chmod 755 "$T"	# rbldnsd reads its zones as user rbldns
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# zones, input and expected verdicts (fixed seed): weights
# a*2, b*1, wl*-3, six*1; dnsbl_threshold 2, allowlist threshold -1
python3 - "$T" <<'EOF'
import ipaddress, random, sys
T = sys.argv[1]
rnd = random.Random(20261123)
def v4():
    while True:
        a = rnd.randrange(1, 224)
        if a not in (10, 127):
            return ipaddress.IPv4Address((a << 24) | rnd.getrandbits(24))
zones = {"a": [], "b": [], "wl": [], "six": []}
for z, n in (("a", 400), ("b", 400), ("wl", 150)):
    for _ in range(n):
        ip = v4()
        if rnd.random() < 0.3:
            zones[z].append(ipaddress.ip_network(f"{ip}/24", strict=False))
        else:
            zones[z].append(ipaddress.ip_network(f"{ip}/32"))
for _ in range(50):
    zones["six"].append(ipaddress.ip_network(
        f"2001:db8:{rnd.randrange(65536):x}::/48"))
weights = {"a": 2, "b": 1, "wl": -3, "six": 1}
for z, nets in zones.items():
    with open(f"{T}/{z}.zone", "w") as f:
        f.write(":127.0.0.2:listed\n")
        if z != "six":
            f.write("127.0.0.2\n")
        for n in nets:
            f.write(f"{n}\n")
# inputs: listed in one or several zones, unlisted, IPv6, repeats
inputs = []
listed = [n for z in ("a", "b", "wl") for n in zones[z]]
for i in range(2990):
    r = rnd.random()
    if r < 0.35:
        n = rnd.choice(listed)
        ip = n.network_address + rnd.randrange(n.num_addresses)
    elif r < 0.45:
        n = rnd.choice(zones["six"])
        ip = n.network_address + rnd.getrandbits(80)
    elif r < 0.5:
        ip = ipaddress.IPv6Address(f"2001:db9::{rnd.getrandbits(16):x}")
    elif r < 0.55 and inputs:
        ip = ipaddress.ip_address(rnd.choice(inputs))
    else:
        ip = v4()
    inputs.append(str(ip))
# listed in several zones at once: overlap a, b and wl
for n in zones["wl"][:10]:
    inputs.append(str(n.network_address))
    zones["a"].append(n)
    with open(f"{T}/a.zone", "a") as f:
        f.write(f"{n}\n")
inputs.insert(1500, "not-an-ip")
with open(f"{T}/in", "w") as f:
    f.write("\n".join(inputs) + "\n")
with open(f"{T}/want", "w") as f:
    for s in inputs:
        try:
            ip = ipaddress.ip_address(s)
        except ValueError:
            f.write(f"{s} error\n")
            continue
        score = sum(w for z, w in weights.items()
                    if any(ip in n for n in zones[z] if n.version == ip.version))
        v = "block" if score >= 2 else "allow" if score <= -1 else "neutral"
        f.write(f"{s} {v}\n")
EOF

"$RBLDNSD" -n -b "127.0.0.1/$port" -p "$T/pid" -r "$T" \
	a.test:ip4set:a.zone b.test:ip4set:b.zone wl.test:ip4set:wl.zone \
	six.test:ip6trie:six.zone >"$T/rbldnsd.log" 2>&1 &
for _ in $(seq 50); do [ -s "$T/pid" ] && break; sleep 0.1; done
PID=$(cat "$T/pid" 2>/dev/null)
[ -n "$PID" ] || { cat "$T/rbldnsd.log"; echo "FAIL: rbldnsd did not start"; exit 1; }
# answering: a query for a.test's RFC 5782 entry gets a reply (5 s at most)
python3 - "$port" <<'EOF' ||
	{ cat "$T/rbldnsd.log"; echo "FAIL: rbldnsd does not answer"; exit 1; }
import socket, sys, time
q = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
     b"\x012\x010\x010\x03127\x01a\x04test\x00\x00\x01\x00\x01")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.1)
end = time.monotonic() + 5
while time.monotonic() < end:
    s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
    try:
        if s.recv(512)[:2] == q[:2]:
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
EOF

cat > "$T/verdict.conf" <<EOF
database = $T/db
dns_servers = 127.0.0.1:$port
dnsbl_sites = a.test*2 b.test*1 wl.test*-3 six.test*1
dnsbl_threshold = 2
dnsbl_allowlist_threshold = -1
dnsbl_timeout = 3s
on_dns_failure = tempfail
EOF

for k in allow block error neutral; do
	grep -q " $k\$" "$T/want" || fail "the data set has no '$k' line"
done

n=$(wc -l < "$T/in")
for par in 1 7 64 300; do
	"$V" -c "$T/verdict.conf" check --parallel "$par" - < "$T/in" > "$T/out.$par" 2> "$T/err.$par"
	st=$?
	# exit 2: the malformed line
	[ $st -eq 2 ] || fail "--parallel $par: exit $st, want 2"
	got=$(wc -l < "$T/out.$par")
	[ "$got" -eq "$n" ] || fail "--parallel $par: $got lines for $n inputs"
	awk '{ print $1, $2 }' "$T/out.$par" > "$T/got.$par"
	if ! cmp -s "$T/want" "$T/got.$par"; then
		fail "--parallel $par: $(diff "$T/want" "$T/got.$par" | grep -c '^>') lines differ," \
		     "e.g. $(diff "$T/want" "$T/got.$par" | sed -n '2,5p' | tr '\n' ' ')"
	fi
	[ "$(grep -c 'malformed' "$T/err.$par")" = 1 ] ||
		fail "--parallel $par: want one 'malformed' message: $(head -3 "$T/err.$par")"
	echo "--parallel $par: $n lines, $(awk '{ print $2 }' "$T/got.$par" | sort | uniq -c | tr '\n' ' ')"
done

[ $fails -eq 0 ] && echo "PASS" && exit 0
echo "$fails failure(s)"
exit 1
