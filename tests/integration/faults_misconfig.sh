#!/usr/bin/env bash
# faults_misconfig.sh - misconfiguration is loud (issue 16 item 11).
# Cases (label: the documented outcome):
#   missing-dir   database directory that does not exist, profile without
#                 tables: doctor exits 1 with a FAIL line naming it
#   empty-profile a profile with no table, no zone, no GeoIP rule: doctor
#                 exits 1 saying "every address passes"; check warns once
#                 on stderr (for two IPs: one line), still answers
#   config-error  a table named in the config but missing, bad
#                 dnsbl_sites: the error is not prefixed "cannot open the
#                 database:"
#   empty-data    a 0-byte data.mdb: check exits 2 calling it damaged,
#                 never "Bad file descriptor"
#   reply-var     an unknown %{name} in reply: exit 2 with file:line
#   group         a database_group with no such group (looked up only when
#                 a file is created): doctor WARNs naming it, exit 0
# Exit 0 pass, 1 fail, 77 skip.
set -u

skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
B=${VERDICT_BINDIR:-build}
V=$B/tools/verdict
[ -x "$V" ] || skip "$V is not built"
T=$(mktemp -d /tmp/vdmis.XXXXXX)
trap 'rm -rf "$T"' EXIT
run() {	# run STATUS CMD... (stdout $T/out, stderr $T/err)
	local want=$1 got
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] && return 0
	echo "  exit status $got, expected $want: $*"
	sed 's/^/  out: /' "$T/out" | head -5
	sed 's/^/  err: /' "$T/err" | head -5
	return 1
}

# ---------------------------------------------------------- missing-dir
printf 'database = %s\ntrusted_networks = 10.0.0.0/8\n' "$T/nowhere" >"$T/m.conf"
run 1 "$V" -c "$T/m.conf" doctor && grep -q "^FAIL  database  $T/nowhere.*No such file" "$T/out" &&
	pass "missing-dir: doctor exits 1: $(grep nowhere "$T/out")" ||
	fail "missing-dir: doctor"

# -------------------------------------------------------- empty-profile
mkdir "$T/db"
cat >"$T/e.conf" <<EOF
database = $T/db
[profile 1]
block_tables = drop
[profile 2]
trusted_networks = 192.0.2.0/24
EOF
"$V" -c "$T/e.conf" table create drop --kind block >/dev/null || { echo "FAIL: set-up"; exit 1; }
run 1 "$V" -c "$T/e.conf" doctor -p 2 && grep -q "^FAIL  profile   2 .*every address passes" "$T/out" &&
	pass "empty-profile: doctor -p 2 exits 1: $(grep profile "$T/out")" ||
	fail "empty-profile: doctor -p 2"
run 0 "$V" -c "$T/e.conf" doctor -p 1 && ! grep -q "^FAIL" "$T/out" &&
	pass "empty-profile: doctor -p 1 (a table) is clean" ||
	fail "empty-profile: doctor -p 1"
run 0 "$V" -c "$T/e.conf" check -p 2 10.0.0.1 10.0.0.2 &&
	[ "$(grep -c "profile 2 has no table, no DNSBL zone and no GeoIP rule" "$T/err")" = 1 ] &&
	[ "$(grep -c neutral "$T/out")" = 2 ] &&
	pass "empty-profile: check warns once: $(head -1 "$T/err")" ||
	fail "empty-profile: check warning count $(grep -c 'has no table' "$T/err")"
printf '10.0.0.%d\n' 1 2 3 | "$V" -c "$T/e.conf" check -p 2 - >"$T/out" 2>"$T/err"
[ "$(grep -c "has no table" "$T/err")" = 1 ] &&
	pass "empty-profile: check - warns once for 3 lines" ||
	fail "empty-profile: check -: $(cat "$T/err")"
run 0 "$V" -c "$T/e.conf" check -p 1 10.0.0.1 && [ ! -s "$T/err" ] &&
	pass "empty-profile: no warning for a profile with a table" ||
	fail "empty-profile: profile 1 warned: $(cat "$T/err")"

# --------------------------------------------------------- config-error
printf 'database = %s\nblock_tables = nosuch\n' "$T/db" >"$T/c1.conf"
run 2 "$V" -c "$T/c1.conf" check 10.0.0.1 && grep -q 'names table "nosuch"' "$T/err" &&
	! grep -q "cannot open the database" "$T/err" &&
	pass "config-error: missing table: $(head -1 "$T/err")" ||
	fail "config-error: missing table: $(cat "$T/err")"
printf 'database = %s\ndnsbl_sites = zen.example*x\n' "$T/db" >"$T/c2.conf"
run 2 "$V" -c "$T/c2.conf" check 10.0.0.1 && grep -q "c2.conf:2" "$T/err" &&
	! grep -q "cannot open the database" "$T/err" &&
	pass "config-error: dnsbl_sites: $(head -1 "$T/err")" ||
	fail "config-error: dnsbl_sites: $(cat "$T/err")"

# ----------------------------------------------------------- empty-data
mkdir "$T/db0"
: >"$T/db0/data.mdb"
printf 'database = %s\nblock_tables = drop\n' "$T/db0" >"$T/z.conf"
run 2 "$V" -c "$T/z.conf" check 10.0.0.1 && grep -q "data.mdb is empty (0 bytes): a damaged database" "$T/err" &&
	! grep -q "Bad file descriptor" "$T/err" &&
	pass "empty-data: $(head -1 "$T/err")" ||
	fail "empty-data: $(cat "$T/err")"
run 1 "$V" -c "$T/z.conf" doctor && grep -q "damaged" "$T/out" &&
	pass "empty-data: doctor exits 1 naming the damage" ||
	fail "empty-data: doctor"

# ------------------------------------------------------------ reply-var
printf 'database = %s\nblock_tables = drop\n\nreply = 554 5.7.1 %%{ipp} is blocked\n' "$T/db" >"$T/r.conf"
run 2 "$V" -c "$T/r.conf" check 10.0.0.1 && grep -q "r.conf:4: reply: unknown variable %{ipp}" "$T/err" &&
	pass "reply-var: $(head -1 "$T/err")" ||
	fail "reply-var: $(cat "$T/err")"
printf 'database = %s\nblock_tables = drop\nreply = 554 5.7.1 %%{ip} %%{source} %%{reason} %%{cidr} %%{score} %%{country} %%{asn}\n' "$T/db" >"$T/r2.conf"
run 0 "$V" -c "$T/r2.conf" check 10.0.0.1 &&
	pass "reply-var: every documented variable is accepted" ||
	fail "reply-var: documented variables"

# ---------------------------------------------------------------- group
printf 'database = %s\nblock_tables = drop\ndatabase_group = vd-no-such-group\n' "$T/db" >"$T/g.conf"
run 0 "$V" -c "$T/g.conf" doctor &&
	grep -q "^WARN  database  vd-no-such-group  database_group: no such group" "$T/out" &&
	pass "group: doctor warns: $(grep no-such "$T/out")" ||
	fail "group: doctor: $(cat "$T/out")"
printf 'database = %s\nblock_tables = drop\ndatabase_group = root\n' "$T/db" >"$T/g2.conf"
run 0 "$V" -c "$T/g2.conf" doctor && ! grep -q "group" "$T/out" &&
	pass "group: an existing group gives no line" ||
	fail "group: existing group: $(cat "$T/out")"

echo "faults_misconfig: $passed passed, $failed failed"
[ "$failed" = 0 ]
