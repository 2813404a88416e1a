#!/usr/bin/env bash
# dnsbl_bench.sh - the DNSBL engine against a private rbldnsd and the GeoIP
# rules against libmaxminddb (issues 3 and 4, "Must reach"), through
# bench_dnsbl
#
# Usage: bash tests/bench/dnsbl_bench.sh BUILD_DIR
#
# Four ip4set zones on a free loopback port, from real lists when
# ../shared/data/realworld exists (blocklist.de mail: ~12k /32; Spamhaus
# DROP: ~1.7k CIDRs; DShield: 50 /24) plus one generated zone of
# 100,000 /32 and 10,000 /24 (fixed seed); without the real lists, four
# generated zones.  Each zone lists 127.0.0.2 (RFC 5782 self-test).
# GeoIP: the MaxMind test databases (../shared/data/mmdb) with IPs from
# their source data, and generated Country + ASN databases of 100,000
# IPv4 networks (data/mkmmdb.pl, written once into BUILD_DIR/bench-data).
#
# Environment: REPS (5), SECS (0.5), BATCH (20000), PARALLEL (16,64,256),
# INFLIGHT (64,256,500), BENCH_ARGS (more bench_dnsbl options), KEEP=1
# keeps the work dir.  Exit 77 when rbldnsd
# or bench_dnsbl is missing.
set -u

skip() { echo "SKIP: $*"; exit 77; }
build=$(cd "${1:?usage: dnsbl_bench.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${VERDICT_SHARED_DATA:-$top/../shared/data}
[ -d "$shared" ] || shared=/work/shared/data
bd=$build/tests/bench/bench_dnsbl
cli=$build/tools/verdict
RBLDNSD=$(command -v rbldnsd || ls /usr/sbin/rbldnsd 2>/dev/null)
[ -x "$bd" ] || skip "$bd not built"
[ -n "$RBLDNSD" ] || skip "rbldnsd not installed"
command -v python3 >/dev/null || skip "python3 is missing"

T=$(mktemp -d /tmp/dnsbench.XXXXXX)
chmod 755 "$T"	# rbldnsd reads its zones as user rbldns
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# --- zones: CIDR lists (the oracle) and rbldnsd ip4set files
gen_zone() {	# seed n32 n24 > file
	awk -v seed="$1" -v n32="$2" -v n24="$3" 'BEGIN {
		srand(seed)
		for (i = 0; i < n32 + n24; i++) {
			do a = 1 + int(rand() * 222); while (a == 10 || a == 127 || a == 100)
			printf "%d.%d.%d.%d%s\n", a, int(rand() * 256), int(rand() * 256),
				i < n32 ? int(rand() * 256) : 0, i < n32 ? "" : "/24"
		}
	}'
}
zspec=
add_zone() {	# name file
	awk '/^[0-9]/ { print $1 }' "$2" > "$T/$1.list"
	{ echo ":127.0.0.2:Listed by $1"; echo "127.0.0.2"; cat "$T/$1.list"; } > "$T/$1.zone"
	zspec+="${zspec:+,}$1.bench=$T/$1.list"
	zargs+=("$1.bench:ip4set:$1.zone")
}
zargs=()
rw=$shared/realworld
gen_zone 20261123 100000 10000 > "$T/gen.src"
if [ -s "$rw/blocklist_de_mail.ipset" ] && [ -s "$rw/drop.txt" ] && [ -s "$rw/dshield.netset" ]; then
	add_zone bde "$rw/blocklist_de_mail.ipset"
	add_zone drop "$rw/drop.txt"
	add_zone dshield "$rw/dshield.netset"
	zones_note="blocklist.de mail, Spamhaus DROP, DShield (../shared/data/realworld) + 1 generated"
else
	gen_zone 1 12000 0 > "$T/g1.src"; add_zone g1 "$T/g1.src"
	gen_zone 2 0 1700 > "$T/g2.src"; add_zone g2 "$T/g2.src"
	gen_zone 3 0 50 > "$T/g3.src"; add_zone g3 "$T/g3.src"
	zones_note="4 generated zones"
fi
add_zone gen "$T/gen.src"

"$RBLDNSD" -n -b "127.0.0.1/$port" -p "$T/pid" -r "$T" "${zargs[@]}" >"$T/rbldnsd.log" 2>&1 &
for _ in $(seq 100); do [ -s "$T/pid" ] && break; sleep 0.1; done
PID=$(cat "$T/pid" 2>/dev/null)
[ -n "$PID" ] || { cat "$T/rbldnsd.log"; echo "dnsbl_bench: rbldnsd did not start"; exit 1; }
sleep 0.3

# --- GeoIP databases and their query IPs
gargs=()
mm=$shared/mmdb
if [ -s "$mm/GeoIP2-Country-Test.mmdb" ] && [ -s "$mm/GeoLite2-ASN-Test.mmdb" ]; then
	python3 - "$mm/source-data" > "$T/geo-test.ips" <<'EOF'
import ipaddress, json, sys
out = set()
for f in ("GeoIP2-Country-Test.json", "GeoLite2-ASN-Test.json"):
    for rec in json.load(open(f"{sys.argv[1]}/{f}")):
        for net in rec:
            n = ipaddress.ip_network(net, strict=False)
            out.add(str(n.network_address))
            out.add(str(n.network_address + (n.num_addresses - 1)))
print("\n".join(sorted(out)))
EOF
	gargs+=(-C "$mm/GeoIP2-Country-Test.mmdb" -A "$mm/GeoLite2-ASN-Test.mmdb" -G "$T/geo-test.ips")
fi
data=$build/bench-data
mkdir -p "$data"
if perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null; then
	if [ ! -s "$data/geo-asn.mmdb" ] || [ "$0" -nt "$data/geo-asn.mmdb" ]; then
		echo "dnsbl_bench: writing the generated Country and ASN databases"
		awk 'BEGIN { srand(4); split("CN RU US DE GB FR BR IN JP KR NL IT ES PL UA VN TR ID MX CA", cc, " ")
			for (i = 0; i < 100000; i++) {
				do a = 1 + int(rand() * 222); while (a == 10 || a == 127 || a == 100)
				len = 16 + int(rand() * 9)
				printf "%d.%d.%d.0/%d country=%s asn=%d org=\"Org %d\"\n", a,
					int(rand() * 256), int(rand() * 256), len, cc[1 + int(rand() * 20)],
					1 + int(rand() * 60000), i % 5000
			}
		}' > "$data/geo.spec"
		# -o wants one type a file: country fields, then asn fields
		sed 's/ asn=.*//' "$data/geo.spec" | perl "$top/data/mkmmdb.pl" -t country -o "$data/geo-country.mmdb.tmp" &&
		sed 's/ country=[A-Z]*//' "$data/geo.spec" | perl "$top/data/mkmmdb.pl" -t asn -o "$data/geo-asn.mmdb.tmp" &&
		mv "$data/geo-country.mmdb.tmp" "$data/geo-country.mmdb" &&
		mv "$data/geo-asn.mmdb.tmp" "$data/geo-asn.mmdb"
	fi
	awk 'BEGIN { srand(5) } { split($1, p, "[./]"); n = 2 ^ (32 - p[5]);
		if (NR % 5 == 0) print p[1] "." p[2] "." p[3] "." 1 + int(rand() * 250) }' \
		"$data/geo.spec" | head -20000 > "$T/geo-gen.ips"
	[ -s "$data/geo-asn.mmdb" ] &&
		gargs+=(-C "$data/geo-country.mmdb" -A "$data/geo-asn.mmdb" -G "$T/geo-gen.ips")
fi

cargs=()
[ -x "$cli" ] && cargs=(-c "$cli")
args=(-w "$T/work" -s "$port" -z "$zspec" -r "${REPS:-5}" -t "${SECS:-0.5}"
      -n "${BATCH:-20000}" -P "${PARALLEL:-16,64,256}" -F "${INFLIGHT:-64,256,500}")
echo "dnsbl_bench: zones: $zones_note; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "dnsbl_bench: bench_dnsbl ${args[*]} ${cargs[*]} ${gargs[*]}"
# BENCH_ARGS: more options, e.g. "-k 10" (the cached loop alone, for perf)
# shellcheck disable=SC2086
"$bd" "${args[@]}" "${cargs[@]}" "${gargs[@]}" ${BENCH_ARGS:-}
st=$?
echo "dnsbl_bench: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $st
