#!/usr/bin/env bash
# faults_wide.sh - no entry, range or setting silently covers the world
# (issue 16 item 2).  Cases (label: the documented outcome):
#   real        Spamhaus DROP/DROPv6/EDROP, DShield, FireHOL netsets and
#               blocklist.de import unchanged, without --force or
#               --allow-wide (same count as with --allow-wide)
#   bogons      a FireHOL-level1-like bogon list (224.0.0.0/3, RFC 1918,
#               ...) imports as it is: special-purpose space may be wide
#   range       0.0.0.1-255.255.255.255 (32 networks once split): refused
#               with file:line, the table unchanged; --allow-wide accepts
#   halves      0.0.0.0/1 + 128.0.0.0/1: refused at line 2
#   v6          2000::/15 refused, fc00::/7 (unique local) accepted
#   cover       39 /8s (each within the limit): the table would cover
#               1/5.7 of public IPv4, refused; --merge counts the table
#               after the merge
#   add         verdict add of a /7 refused in a block table, accepted
#               with --allow-wide and in an allow table
#   doctor      trusted_networks 0.0.0.0/0 and a wide allow table: WARN
#               lines, exit 0
# Exit 0 pass, 1 fail, 77 skip.
set -u

skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
B=${VERDICT_BINDIR:-build}
V=$B/tools/verdict
[ -x "$V" ] || skip "$V is not built"
RW=${VERDICT_SHARED_DATA:-../shared/data}/realworld
T=$(mktemp -d /tmp/vdwide.XXXXXX)
trap 'rm -rf "$T"' EXIT
C=$T/c.conf
printf 'database = %s\nblock_tables = drop\nallow_tables = ok\ntrusted_networks = 0.0.0.0/0\n' "$T/db" >"$C"
v() { "$V" -c "$C" "$@"; }
v table create drop --kind block >/dev/null && v table create ok --kind allow >/dev/null &&
	v table create t2 --kind block >/dev/null || { echo "FAIL: set-up"; exit 1; }
run() {	# run STATUS CMD... (stdout $T/out, stderr $T/err)
	local want=$1 got
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] && return 0
	echo "  exit status $got, expected $want: $*"
	sed 's/^/  err: /' "$T/err" | head -3
	return 1
}
count() { v dump "$1" | wc -l; }

# ---------------------------------------------------------------- real
if [ -d "$RW" ]; then
	for f in drop.txt dropv6.txt spamhaus_drop.netset dshield.netset \
		 blocklist_de_mail.ipset edrop_merged_2024/edrop.txt; do
		[ -f "$RW/$f" ] || continue
		v table drop t1 >/dev/null 2>&1
		v table create t1 --kind block >/dev/null
		v import t1 "$RW/$f" --allow-wide >/dev/null 2>&1
		want=$(count t1)
		v table drop t1 >/dev/null && v table create t1 --kind block >/dev/null
		run 0 v import t1 "$RW/$f" && [ "$(count t1)" = "$want" ] &&
			pass "real: $f imports unchanged without flags ($want entries)" ||
			fail "real: $f: $(cat "$T/err") ($(count t1) of $want)"
	done
else
	echo "skip: real: $RW not present"
fi

# -------------------------------------------------------------- bogons
printf '# bogons\n0.0.0.0/8\n10.0.0.0/8\n100.64.0.0/10\n127.0.0.0/8\n169.254.0.0/16\n172.16.0.0/12\n192.0.2.0/24\n192.168.0.0/16\n198.18.0.0/15\n224.0.0.0/3\n' >"$T/bogons"
run 0 v import drop "$T/bogons" && grep -q "imported 10 entries" "$T/out" &&
	pass "bogons: 224.0.0.0/3 and the private /8s import without --allow-wide" ||
	fail "bogons: $(cat "$T/out" "$T/err")"
v dump drop >"$T/before"

# --------------------------------------------------------------- range
printf '# the world as a range\n0.0.0.1-255.255.255.255 ; oops\n' >"$T/range"
run 2 v import drop "$T/range" && grep -q "range:2: 0.0.0.1-255.255.255.255 holds [0-9]* public IPv4 addresses, more than a /8" "$T/err" &&
	v dump drop | cmp -s - "$T/before" &&
	pass "range: refused with file:line, table unchanged: $(head -1 "$T/err" | cut -c1-150)" ||
	fail "range: $(cat "$T/err")"
run 0 v import t2 "$T/range" --allow-wide && grep -q "imported 32 entries" "$T/out" &&
	pass "range: --allow-wide imports it (32 networks)" ||
	fail "range --allow-wide: $(cat "$T/out" "$T/err")"

# -------------------------------------------------------------- halves
printf '192.0.2.0/24\n0.0.0.0/1\n128.0.0.0/1\n' >"$T/halves"
run 2 v import drop "$T/halves" && grep -q "halves:2: 0.0.0.0/1 holds" "$T/err" &&
	pass "halves: refused at line 2" || fail "halves: $(cat "$T/err")"
printf '1.0.0.0-1.255.255.255\n2.0.0.0/8\n' >"$T/eight"
run 0 v import t2 "$T/eight" --force &&
	pass "halves: a /8 as a range or a CIDR is not wider than a /8" ||
	fail "eight: $(cat "$T/err")"

# ------------------------------------------------------------------ v6
printf '2000::/15\n' >"$T/v6"
run 2 v import drop "$T/v6" && grep -q "v6:1: 2000::/15 holds about 2^112 public IPv6 addresses, more than a /16" "$T/err" &&
	pass "v6: 2000::/15 refused" || fail "v6: $(cat "$T/err")"
printf 'fc00::/7\nfe80::/10\n2001:db8::/32\n' >"$T/v6ok"
run 0 v import t2 "$T/v6ok" --force &&
	pass "v6: fc00::/7, fe80::/10, 2001:db8::/32 (special-purpose) accepted" ||
	fail "v6 special: $(cat "$T/err")"

# --------------------------------------------------------------- cover
awk 'BEGIN { for (i = 11; i < 50; i++) printf "%d.0.0.0/8\n", i }' >"$T/many"
run 2 v import drop "$T/many" && grep -q "table drop would cover [0-9]* public IPv4 addresses, 1/5.7 of the public IPv4 space (more than 1/8)" "$T/err" &&
	v dump drop | cmp -s - "$T/before" &&
	pass "cover: 39 /8s refused, table unchanged: $(head -1 "$T/err" | cut -c1-140)" ||
	fail "cover: $(cat "$T/err")"
run 0 v import t2 "$T/many" --allow-wide &&
	pass "cover: --allow-wide imports them" || fail "cover --allow-wide: $(cat "$T/err")"
awk 'BEGIN { for (i = 11; i < 30; i++) printf "%d.0.0.0/8\n", i }' >"$T/first"
awk 'BEGIN { for (i = 30; i < 50; i++) printf "%d.0.0.0/8\n", i }' >"$T/second"
run 0 v import drop "$T/first" --force &&
	pass "cover: 19 /8s (1/11.6) are within the limit" || fail "cover first: $(cat "$T/err")"
run 2 v import drop "$T/second" --merge && grep -q "would cover" "$T/err" &&
	[ "$(count drop)" = 19 ] &&
	pass "cover: --merge of 20 more refused (the table after the merge counts)" ||
	fail "cover merge: $(cat "$T/err")"

# ----------------------------------------------------------------- add
run 2 v add drop 4.0.0.0/7 && grep -q "4.0.0.0/7 holds 33554432 public IPv4 addresses, more than a /8" "$T/err" &&
	pass "add: a /7 refused: $(head -1 "$T/err" | cut -c1-120)" || fail "add /7"
run 0 v add drop 4.0.0.0/7 --allow-wide && pass "add: --allow-wide accepts it" || fail "add --allow-wide"
run 0 v add drop 5.0.0.0/8 && pass "add: a /8 is accepted" || fail "add /8"
run 0 v add ok 0.0.0.0/1 && pass "add: an allow table takes a /1" || fail "add allow /1"

# -------------------------------------------------------------- doctor
run 0 v doctor && grep -q "^WARN  trusted_networks  0.0.0.0/0  holds" "$T/out" &&
	grep -q "^WARN  table     ok  allow table covers [0-9]* public IPv4 addresses, more than a /8" "$T/out" &&
	pass "doctor: WARN for trusted_networks 0.0.0.0/0 and the wide allow table, exit 0" ||
	fail "doctor: $(cat "$T/out" "$T/err")"

echo "faults_wide: $passed passed, $failed failed"
[ "$failed" = 0 ]
