#!/usr/bin/env bash
# cli.sh - the verdict(1) command end to end: every command's happy path
# and its errors, exit statuses, output formats, stdin streaming, and the
# real-world oracle rows of ../shared/data/realworld/SOURCES.md when the
# lists are there.
#
# Env: VERDICT_BINDIR (build tree), VERDICT_SRCDIR, VERDICT_SHARED_DATA.
# Exit 0 pass, 1 fail (what failed is printed), 77 skip.
set -u

V=${VERDICT_BINDIR:-build}/tools/verdict
SRC=${VERDICT_SRCDIR:-.}
[ -x "$V" ] || { echo "SKIP: $V is not built"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/verdict-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
DB=$T/db
CONF=$T/verdict.conf
cat >"$CONF" <<EOF
database = $DB
block_tables = drop, local
allow_tables = partners
EOF
ntests=0

v() { "$V" -c "$CONF" "$@"; }

# run LABEL STATUS CMD... - run CMD, keep stdout in $T/out and stderr in
# $T/err, fail unless it exits with STATUS.
run() {
	local label=$1 want=$2 got
	shift 2
	ntests=$((ntests + 1))
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $label: exit status $got, expected $want"
		echo "  command: $*"
		sed 's/^/  stdout: /' "$T/out"
		sed 's/^/  stderr: /' "$T/err"
		exit 1
	fi
}

# run_in LABEL STATUS INPUTFILE CMD... - as run, with stdin from a file.
run_in() {
	local label=$1 want=$2 input=$3 got
	shift 3
	ntests=$((ntests + 1))
	"$@" <"$input" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $label: exit status $got, expected $want"
		echo "  command: $* < $input"
		sed 's/^/  stdout: /' "$T/out" | head -20
		sed 's/^/  stderr: /' "$T/err" | head -20
		exit 1
	fi
}

fail() {
	echo "FAIL: $1"
	sed 's/^/  stdout: /' "$T/out" | head -20
	sed 's/^/  stderr: /' "$T/err" | head -20
	exit 1
}

# out_is LABEL TEXT - stdout is exactly TEXT (plus the final newline).
out_is() {
	[ "$(cat "$T/out")" = "$2" ] || { echo "expected stdout:"; printf '%s\n' "$2" | sed 's/^/  /'; fail "$1"; }
}
out_has() { grep -qF -- "$2" "$T/out" || fail "$1: stdout lacks \"$2\""; }
out_lacks() { ! grep -qF -- "$2" "$T/out" || fail "$1: stdout has \"$2\""; }
err_has() { grep -qF -- "$2" "$T/err" || fail "$1: stderr lacks \"$2\""; }
out_empty() { [ ! -s "$T/out" ] || fail "$1: stdout not empty"; }
# line N of stdout
line() { sed -n "${1}p" "$T/out"; }

# ---------------------------------------------------------------- help
run "verdict --help" 0 "$V" --help
out_has "verdict --help" "usage: verdict"
run "verdict --version" 0 "$V" --version
out_has "verdict --version" "verdict 0."
for cmd in check table "table create" "table drop" "table list" add del \
	   import dump expire doctor; do
	# shellcheck disable=SC2086
	run "verdict $cmd --help" 0 "$V" $cmd --help
	out_has "verdict $cmd --help" "usage: verdict ${cmd%% *}"
done

# ---------------------------------------------------------- usage errors
while IFS='|' read -r label args hint; do
	# shellcheck disable=SC2086
	run "usage: $label" 2 "$V" -c "$CONF" $args
	err_has "usage: $label" "$hint"
	[ "$(wc -l <"$T/err")" -le 2 ] || fail "usage: $label: more than two lines"
done <<'EOF'
no command||try 'verdict --help'
unknown command|frobnicate|try 'verdict --help'
unknown global option|--frob check 1.2.3.4|try 'verdict --help'
check without IPs|check|try 'verdict check --help'
check unknown option|check --bogus 1.2.3.4|try 'verdict check --help'
check -p without value|check -p|try 'verdict check --help'
check bad profile number|check -p x 1.2.3.4|try 'verdict check --help'
check - mixed with IPs|check 1.2.3.4 -|try 'verdict check --help'
check bad --parallel|check --parallel 0 -|try 'verdict check --help'
table without subcommand|table|try 'verdict table --help'
table bad subcommand|table frob|try 'verdict table --help'
table create without kind|table create x|try 'verdict table create --help'
table create bad kind|table create x --kind deny|try 'verdict table create --help'
table create two names|table create x y --kind block|try 'verdict table create --help'
table drop without name|table drop|try 'verdict table drop --help'
table list with argument|table list x|try 'verdict table list --help'
add one argument|add drop|try 'verdict add --help'
add bad expires unit|add drop 10.0.0.0/8 --expires 7x|try 'verdict add --help'
add bad expires month|add drop 10.0.0.0/8 --expires 2026-13-01T00:00:00Z|try 'verdict add --help'
add bad expires day|add drop 10.0.0.0/8 --expires 2026-02-29T00:00:00Z|try 'verdict add --help'
add expires with offset|add drop 10.0.0.0/8 --expires 2026-12-31T00:00:00+01:00|try 'verdict add --help'
add expires at the epoch|add drop 10.0.0.0/8 --expires 1970-01-01T00:00:00Z|try 'verdict add --help'
del one argument|del drop|try 'verdict del --help'
import one argument|import drop|try 'verdict import --help'
import bad max-bad|import drop x --max-bad -1|try 'verdict import --help'
dump without table|dump|try 'verdict dump --help'
expire with argument|expire now|try 'verdict expire --help'
doctor bad profile|doctor -p 0|try 'verdict doctor --help'
EOF

# ------------------------------------------------------ config handling
run "-c missing file" 2 "$V" -c "$T/nonexistent.conf" table list
err_has "-c missing file" "verdict: "
printf 'database = %s\nno_such_key = 1\n' "$DB" >"$T/bad.conf"
run "config unknown key" 2 "$V" -c "$T/bad.conf" table list
err_has "config unknown key" "bad.conf:2"
[ "$(wc -l <"$T/err")" = 1 ] || fail "config error is not one line"
if [ ! -e /etc/verdict/verdict.conf ]; then
	# no -c and no default file: built-in defaults, silently
	run "defaults + -d: table create" 0 "$V" -d "$T/db2" table create t1 --kind block
	[ ! -s "$T/err" ] || fail "defaults: something was said on stderr"
	run "defaults + -d: table list" 0 "$V" -d "$T/db2" table list
	out_has "defaults + -d: table list" "t1"
else
	echo "note: /etc/verdict/verdict.conf exists; built-in defaults not tested"
fi

# --------------------------------------------------------------- tables
run "table create drop" 0 v table create drop --kind block
run "table create local" 0 v table create local --kind block
run "table create partners" 0 v table create partners --kind allow
run "table create twice" 2 v table create drop --kind block
err_has "table create twice" "verdict: "
for bad in Drop "a/b" "a b" "" "$(printf 'x%.0s' {1..65})" "é"; do
	run "table name \"$bad\" refused" 2 v table create "$bad" --kind block
	[ "$(wc -l <"$T/err")" = 1 ] || fail "table name \"$bad\": not one line"
done
run "table name of 64 characters" 0 v table create "$(printf 'y%.0s' {1..64})" --kind allow
run "table drop of 64 characters" 0 v table drop "$(printf 'y%.0s' {1..64})"
run "table name a-z0-9_-" 0 v table create a-z_0-9 --kind allow
run "table drop" 0 v table drop a-z_0-9
run "table drop missing" 2 v table drop a-z_0-9
run "table list" 0 v table list
[ "$(line 1 | tr -s ' ')" = "NAME KIND ENTRIES" ] || fail "table list: header"
[ "$(tr -s ' ' <"$T/out" | grep '^drop ')" = "drop block 0" ] || fail "table list: drop row"
[ "$(tr -s ' ' <"$T/out" | grep '^partners ')" = "partners allow 0" ] || fail "table list: partners row"
# aligned: KIND starts in the same column on every line
[ "$(awk '{ print index($0, $2) }' "$T/out" | sort -u | wc -l)" = 1 ] || fail "table list: columns not aligned"

# -------------------------------------------------------------- import
run "import sample-drop" 0 v import drop "$SRC/data/sample-drop.txt"
out_is "import sample-drop" "imported 5 entries (0 warnings)"
run "import sample-allow" 0 v import partners "$SRC/data/sample-allow.txt"
out_is "import sample-allow" "imported 2 entries (0 warnings)"
run "import into a missing table" 2 v import nosuch "$SRC/data/sample-drop.txt"
run "import of a missing file" 2 v import drop "$T/nonexistent.txt"
err_has "import of a missing file" "nonexistent.txt"

# ---------------------------------------------------------------- check
run "check block" 1 v check 192.0.2.77
case $(line 1) in
"192.0.2.77 block drop SBL-DEMO-2"*) ;;
*) fail "check block: line" ;;
esac
run "check allow beats block" 0 v check 198.51.100.25
case $(line 1) in
"198.51.100.25 allow partners "*) ;;
*) fail "check allow: line" ;;
esac
run "check neutral" 0 v check 203.0.113.9
out_is "check neutral" "203.0.113.9 neutral - -"
run "check outer entry" 1 v check 192.0.2.1
case $(line 1) in
"192.0.2.1 block drop SBL-DEMO-1"*) ;;
*) fail "check outer entry: line" ;;
esac
run "check IPv6 nested, canonical form" 1 v check 2001:DB8:BAD:0:0::1
case $(line 1) in
"2001:db8:bad::1 block drop SBL-DEMO-7"*) ;;
*) fail "check IPv6: line" ;;
esac
run "check IPv4-mapped IPv6 is the IPv4 address" 1 v check ::ffff:192.0.2.77
[ "$(line 1 | cut -d' ' -f2-3)" = "block drop" ] || fail "check ::ffff: line"
run "check three in order" 1 v check 203.0.113.9 192.0.2.77 198.51.100.25
[ "$(cut -d' ' -f1-2 "$T/out" | tr '\n' ,)" = "203.0.113.9 neutral,192.0.2.77 block,198.51.100.25 allow," ] ||
	fail "check three: order"
run "check malformed among good ones" 2 v check 203.0.113.9 1.2.3.256 192.0.2.77 ""
[ "$(wc -l <"$T/out")" = 4 ] || fail "malformed: not one line per input"
[ "$(line 2)" = "1.2.3.256 error - -" ] || fail "malformed: line 2"
[ "$(line 3 | cut -d' ' -f1-2)" = "192.0.2.77 block" ] || fail "malformed: line 3"
[ "$(line 4)" = '"" error - -' ] || fail "malformed: empty argument"
err_has "malformed" "1.2.3.256"
run "check -q block" 1 v check -q 192.0.2.77
out_empty "check -q block"
run "check -q neutral" 0 v check -q 203.0.113.9
out_empty "check -q neutral"
run "check -q malformed" 2 v check -q nonsense
out_empty "check -q malformed"
run "check undeclared profile" 2 v check -p 3 192.0.2.77
err_has "check undeclared profile" "profile 3"
run "check --explain" 1 v check --explain 192.0.2.77
[ "$(tail -n 1 "$T/out" | cut -d' ' -f1-3)" = "192.0.2.77 block drop" ] || fail "--explain: last line"
[ "$(wc -l <"$T/out")" -ge 2 ] || fail "--explain: no steps printed"

# ----------------------------------------------------------------- json
if command -v python3 >/dev/null; then
	run "check --json" 2 v check --json 203.0.113.9 192.0.2.77 198.51.100.25 bad.ip
	python3 - "$T/out" <<'EOF' || fail "check --json: keys, order or values"
import json, sys
keys = ["ip", "verdict", "score", "source", "cidr", "reason", "reply",
        "elapsed_us", "country", "asn", "as_org", "zones"]
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 4, lines
objs = [json.loads(l) for l in lines]
for o in objs:
    assert list(o.keys()) == keys, list(o.keys())
n, b, a, e = objs
assert n["ip"] == "203.0.113.9" and n["verdict"] == "neutral", n
assert n["source"] is None and n["cidr"] is None and n["reason"] is None, n
assert n["reply"] is None and n["country"] is None and n["asn"] is None, n
assert n["zones"] == [] and n["score"] == 0, n
assert isinstance(n["elapsed_us"], int), n
assert b["verdict"] == "block" and b["source"] == "drop", b
assert b["cidr"] == "192.0.2.64/26" and b["reason"].startswith("SBL-DEMO-2"), b
assert b["reply"].startswith("554 5.7.1 ") and "192.0.2.77" in b["reply"], b
assert a["verdict"] == "allow" and a["source"] == "partners", a
assert a["cidr"] == "198.51.100.0/25", a
assert e["verdict"] == "error" and e["ip"] == "bad.ip", e
EOF
else
	echo "note: python3 missing: --json checked by grep only"
	run "check --json" 1 v check --json 203.0.113.9
	out_has "check --json" '"source":null'
fi

# ----------------------------------------------------------- stdin (-)
# 3000 inputs in order, one empty line (malformed), a final line without
# a newline; answers must come back one per line in the same order.
{
	for i in $(seq 0 2999); do
		case $((i % 3)) in
		0) echo "192.0.2.$((i % 256))" ;;
		1) echo "203.0.113.$((i % 256))" ;;
		2) echo "198.51.100.$((i % 128))" ;;
		esac
	done
	echo
	printf '  10.9.8.7 \r\n'
	printf '203.0.113.1'
} >"$T/ips.txt"
run_in "check - (stdin)" 2 "$T/ips.txt" v check -
[ "$(wc -l <"$T/out")" = 3003 ] || fail "stdin: $(wc -l <"$T/out") lines for 3003 inputs"
paste -d' ' <(head -n 3000 "$T/ips.txt") <(head -n 3000 "$T/out" | cut -d' ' -f1,2) |
	awk '$1 != $2 { print "order: " $0; exit 1 }
	     $2 ~ /^192\.0\.2\./ && $3 != "block" { print; exit 1 }
	     $2 ~ /^203\.0\.113\./ && $3 != "neutral" { print; exit 1 }
	     $2 ~ /^198\.51\.100\./ && $3 != "allow" { print; exit 1 }' ||
	fail "stdin: order or verdicts"
[ "$(line 3001)" = '"" error - -' ] || fail "stdin: empty line is not an error"
[ "$(line 3002)" = "10.9.8.7 neutral - -" ] || fail "stdin: blanks and CR not trimmed"
[ "$(line 3003)" = "203.0.113.1 neutral - -" ] || fail "stdin: last line without newline"
printf '192.0.2.9\n203.0.113.9\n' >"$T/two.txt"
run_in "check - exit 1" 1 "$T/two.txt" v check -
run_in "check - --parallel 1" 1 "$T/two.txt" v check --parallel 1 -
[ "$(wc -l <"$T/out")" = 2 ] || fail "--parallel 1: lines"
: >"$T/empty.txt"
run_in "check - on empty input" 0 "$T/empty.txt" v check -
out_empty "check - on empty input"
# streaming: the answer to the first line is written out while verdict
# still waits for more input (killed by timeout before EOF, its output
# must already be there)
if command -v timeout >/dev/null; then
	ntests=$((ntests + 1))
	(echo 192.0.2.1; sleep 3) | timeout 1 "$V" -c "$CONF" check - >"$T/out" 2>"$T/err"
	case $(line 1) in
	"192.0.2.1 block"*) ;;
	*) fail "check - does not stream its answers" ;;
	esac
fi

# ------------------------------------------------------------ add / del
run "add with host bits" 2 v add local 172.16.1.3/21
err_has "add with host bits" "did you mean 172.16.0.0/21"
[ "$(wc -l <"$T/err")" = 1 ] || fail "add host bits: not one line"
run "add /0" 2 v add local 0.0.0.0/0
run "add covering ::ffff:0:0/96" 2 v add local ::/8
run "add malformed" 2 v add local 10.0.0.0/33
run "add to missing table" 2 v add nosuch 10.0.0.0/8
run "add reason too long" 2 v add local 10.0.0.0/8 --reason "$(printf 'r%.0s' {1..201})"
run "add" 0 v add local 10.1.0.0/16 --reason "local test"
run "add duplicate" 2 v add local 10.1.0.0/16
run "check added entry" 1 v check 10.1.2.3
out_is "check added entry" "10.1.2.3 block local local test"
run "del" 0 v del local 10.1.0.0/16
run "check after del" 0 v check 10.1.2.3
out_is "check after del" "10.1.2.3 neutral - -"
run "del absent" 2 v del local 10.1.0.0/16
run "add bare address" 0 v add local 10.7.7.7
run "check bare address" 1 v check 10.7.7.7
run "del exactly that CIDR" 0 v add local 10.7.0.0/16 --reason outer
run "del inner" 0 v del local 10.7.7.7
run "check outer remains" 1 v check 10.7.7.7
out_is "check outer remains" "10.7.7.7 block local outer"

# -------------------------------------------------------------- expiry
run "add expired (absolute, past)" 0 v add local 10.2.0.0/16 --expires 2000-01-01T00:00:00Z
run "check expired entry" 0 v check 10.2.0.1
out_is "check expired entry" "10.2.0.1 neutral - -"
run "add outer" 0 v add local 10.4.0.0/16 --reason outer
run "add nested expired" 0 v add local 10.4.1.0/24 --reason inner --expires 2001-01-01T00:00:00Z
run "nested expired: outer answers" 1 v check 10.4.1.1
out_is "nested expired: outer answers" "10.4.1.1 block local outer"
run "add expires 7d" 0 v add local 10.3.0.0/16 --expires 7d --reason week
run "check expiring entry" 1 v check 10.3.0.1
run "add expires future absolute" 0 v add local 10.5.0.0/16 --expires 2099-12-31T00:00:00Z
run "dump local" 0 v dump local
grep -qP '^10\.2\.0\.0/16\t-\t2000-01-01T00:00:00Z$' "$T/out" || fail "dump: expired entry line"
grep -qP '^10\.5\.0\.0/16\t-\t2099-12-31T00:00:00Z$' "$T/out" || fail "dump: expiry column"
grep -qP '^10\.4\.0\.0/16\touter\t-$' "$T/out" || fail "dump: reason column"
run "expire" 0 v expire
out_is "expire" "purged 2 entries"
run "dump after expire" 0 v dump local
out_lacks "dump after expire" "10.2.0.0/16"
out_lacks "dump after expire" "10.4.1.0/24"
out_has "dump after expire" "10.3.0.0/16"
run "expire again" 0 v expire
out_is "expire again" "purged 0 entries"

# ------------------------------------------------------------------ dump
run "dump drop" 0 v dump drop
[ "$(wc -l <"$T/out")" = 5 ] || fail "dump drop: 5 lines"
[ "$(line 1 | cut -f1)" = "192.0.2.0/24" ] || fail "dump drop: address order"
[ "$(tail -n 1 "$T/out" | cut -f1)" = "2001:db8:bad::/48" ] || fail "dump drop: IPv6 last"
awk -F'\t' 'NF != 3 { exit 1 }' "$T/out" || fail "dump drop: not three TAB-separated fields"
run "dump missing table" 2 v dump nosuch
if command -v python3 >/dev/null; then
	run "dump --json" 0 v dump --json local
	python3 - "$T/out" <<'EOF' || fail "dump --json"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert objs, "no entries"
for o in objs:
    assert list(o.keys()) == ["cidr", "reason", "origin", "added", "expires"], o
w = [o for o in objs if o["cidr"] == "10.3.0.0/16"][0]
assert w["reason"] == "week" and w["expires"].endswith("Z"), w
assert w["added"].endswith("Z"), w
n = [o for o in objs if o["cidr"] == "10.7.0.0/16"][0]
assert n["expires"] is None, n
EOF
fi

# ------------------------------------------------ import: bad lines etc.
run "table create imp" 0 v table create imp --kind block
printf '# test list\n10.10.0.0/16\nnot-an-ip\n10.11.0.0/16 ; with reason\n1.2.3.4/40\n10.12.0.1\n10.13.0.0-10.13.0.255\n' >"$T/bad.txt"
run "import bad lines, default --max-bad 0" 2 v import imp "$T/bad.txt"
err_has "import bad lines" "bad.txt:3"
[ "$(wc -l <"$T/out")" = 0 ] || fail "failed import printed a count"
run "table untouched after failed import" 0 v dump imp
out_empty "table untouched after failed import"
run "import --max-bad 1 still too many" 2 v import imp "$T/bad.txt" --max-bad 1
run "import --max-bad 2" 0 v import imp "$T/bad.txt" --max-bad 2 --reason from-file
out_is "import --max-bad 2" "imported 4 entries (2 warnings)"
err_has "import --max-bad 2" "bad.txt:3: "
err_has "import --max-bad 2" "bad.txt:5: "
run "dump after import" 0 v dump imp
grep -qP '^10\.10\.0\.0/16\tfrom-file\t-$' "$T/out" || fail "--reason fills lines without one"
grep -qP '^10\.11\.0\.0/16\twith reason\t-$' "$T/out" || fail "a line's own reason wins over --reason"
run "import from stdin" 0 bash -c "printf '10.20.0.0/16\n10.21.0.0/16\n10.22.0.0/16\n10.23.0.0/16\n' | \"\$0\" -c \"\$1\" import imp - " "$V" "$CONF"
out_is "import from stdin" "imported 4 entries (0 warnings)"
# shrink guard: 4 entries -> 1 is more than half gone
printf '10.30.0.0/16\n' >"$T/one.txt"
run "import shrink guard" 2 v import imp "$T/one.txt"
run "table kept after shrink guard" 0 v dump imp
[ "$(wc -l <"$T/out")" = 4 ] || fail "shrink guard: table changed"
run "import --force" 0 v import imp "$T/one.txt" --force
out_is "import --force" "imported 1 entries (0 warnings)"
printf '10.31.0.0/16 ; new\n10.30.0.0/16 ; updated\n' >"$T/merge.txt"
run "import --merge" 0 v import imp "$T/merge.txt" --merge
out_is "import --merge" "imported 2 entries (0 warnings)"
run "dump after merge" 0 v dump imp
[ "$(wc -l <"$T/out")" = 2 ] || fail "--merge: entries"
grep -qP '^10\.30\.0\.0/16\tupdated\t-$' "$T/out" || fail "--merge updates the reason"
printf '# nothing here\n' >"$T/emptylist.txt"
run "table create e" 0 v table create e --kind block
run "import an empty list" 0 v import e "$T/emptylist.txt"
out_is "import an empty list" "imported 0 entries (0 warnings)"

# ---------------------------------------------------------------- doctor
run "doctor" 0 v doctor
[ -s "$T/out" ] || fail "doctor: nothing printed"
awk '$1 != "ok" { exit 1 }' "$T/out" || fail "doctor: an item not ok"
run "doctor undeclared profile" 2 v doctor -p 7
run "table drop local" 0 v table drop local
run "doctor with a missing table" 1 v doctor
grep -q '^FAIL' "$T/out" || fail "doctor: missing table not reported"
run "check with a missing configured table" 2 v check 192.0.2.77
err_has "check with a missing configured table" "local"
echo "note: exit status 3 (tempfail) needs DNS: tested by the DNSBL tests"

# ------------------------------------------------ real-world oracle rows
RW=${VERDICT_SHARED_DATA:-}/realworld
if [ -n "${VERDICT_SHARED_DATA:-}" ] && [ -f "$RW/drop.txt" ]; then
	RCONF=$T/rw.conf
	cat >"$RCONF" <<EOF
database = $T/rwdb
block_tables = drop
[profile 2]
block_tables = dropv6
[profile 3]
block_tables = bde
[profile 4]
block_tables = edrop
EOF
	rv() { "$V" -c "$RCONF" "$@"; }
	for t in drop dropv6 bde edrop; do
		run "realworld: table create $t" 0 rv table create $t --kind block
	done
	run "realworld: import drop.txt" 0 rv import drop "$RW/drop.txt"
	# 1,699 lines, but 62.60.226.0/24 is listed twice: 1,698 entries
	out_has "realworld: import drop.txt" "imported 1698 entries"
	run "realworld: import dropv6.txt" 0 rv import dropv6 "$RW/dropv6.txt"
	out_has "realworld: import dropv6.txt" "imported 91 entries"
	run "realworld: import blocklist_de_mail" 0 rv import bde "$RW/blocklist_de_mail.ipset"
	out_has "realworld: import blocklist_de_mail" "imported 12200 entries"
	run "realworld: import empty edrop" 0 rv import edrop "$RW/edrop_merged_2024/edrop.txt"
	out_is "realworld: import empty edrop" "imported 0 entries (0 warnings)"
	while read -r p ip want; do
		if [ "$want" = "-" ]; then
			run "realworld: -p $p $ip" 0 rv check --json -p "$p" "$ip"
			out_has "realworld: -p $p $ip" '"verdict":"neutral"'
		else
			run "realworld: -p $p $ip" 1 rv check --json -p "$p" "$ip"
			out_has "realworld: -p $p $ip" '"verdict":"block"'
			[ "$want" = "any" ] || out_has "realworld: -p $p $ip" "$want"
		fi
	done <<'EOF'
1 1.10.16.1 "cidr":"1.10.16.0/20","reason":"SBL256894"
1 1.10.31.255 "cidr":"1.10.16.0/20","reason":"SBL256894"
1 1.10.32.0 -
1 41.71.150.7 "cidr":"41.71.150.0/24","reason":"SBL647138"
1 41.71.151.1 "cidr":"41.71.128.0/17","reason":"SBL647149"
1 110.48.0.1 "cidr":"110.48.0.0/18","reason":"SBL677423"
1 110.48.64.1 "cidr":"110.48.0.0/16","reason":"SBL695356"
1 8.8.8.8 -
1 127.0.0.2 -
2 2001:678:254::1 "cidr":"2001:678:254::/48","reason":"SBL697648"
2 2001:678:255::1 -
2 2a14:c380:12:ffff::1 "cidr":"2a14:c380:12::/48","reason":"SBL688015"
3 1.20.178.157 any
3 223.236.99.217 any
4 1.10.16.1 -
EOF
	# the same rows through stdin, in one run
	printf '1.10.16.1\n8.8.8.8\n41.71.150.7\n41.71.151.1\n' >"$T/rw.txt"
	run_in "realworld: stdin" 1 "$T/rw.txt" rv check -
	[ "$(cut -d' ' -f1-4 "$T/out" | tr '\n' ,)" = "1.10.16.1 block drop SBL256894,8.8.8.8 neutral - -,41.71.150.7 block drop SBL647138,41.71.151.1 block drop SBL647149," ] ||
		fail "realworld: stdin answers"
	# a nested entry that has expired uncovers its parent
	run "realworld: del nested" 0 rv del drop 41.71.150.0/24
	run "realworld: re-add nested, expired" 0 rv add drop 41.71.150.0/24 --reason SBL647138 --expires 2000-01-01T00:00:00Z
	run "realworld: expired nested, parent answers" 1 rv check 41.71.150.7
	out_is "realworld: expired nested, parent answers" "41.71.150.7 block drop SBL647149"
else
	echo "note: ${RW} absent: real-world oracle rows skipped"
fi

echo "cli.sh: $ntests checks passed"
exit 0
