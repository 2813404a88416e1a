#!/usr/bin/env bash
# faults_security.sh - permissions, privileges and secrets.  Cases (label: what a user relies on):
#   milter-uid    verdict-milter started as root with -u nobody runs as
#                 nobody after binding: /proc/PID/status Uid and Gid all
#                 65534 (real, effective, saved, fs), no group 0
#   milter-files  its unix socket 0660 owned by nobody, its pid file 0644
#                 (written after the drop, owned by nobody)
#                 (root without -u is refused: milter_protocol.sh)
#   db-modes      database files 0660 by default (database_mode), the
#                 directory not accessible to others; database_mode = 0640
#                 and database_group = mail applied
#   table-names   a table name with "/" or ".." (or any character outside
#                 [a-z0-9_-]) is refused, and nothing is created outside
#                 the database directory
#   secret        a DQS-style key in a dnsbl_sites zone, shown through
#                 dnsbl_reply_names: the key appears in no output of
#                 `verdict check` (plain, --json, --explain), no line on
#                 its stderr (timeout and public-resolver warnings
#                 included), no milter log line (log_verdicts = all), and
#                 the display name does
#   world-writable a configuration file or an imported list file writable
#                 by every user: a warning naming it, then business as usual
# Runs as root; exit 0 pass, 1 fail, 77 skip.
set -u
skip() { echo "SKIP: $*"; exit 77; }
passed=0 failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
. "$(dirname "$0")/wait.inc"

B=${VERDICT_BINDIR:-build}
SRC=${VERDICT_SRCDIR:-.}
V=$B/tools/verdict
M=$B/tools/milter/verdict-milter
[ -x "$V" ] || skip "$V is not built"
[ "$(id -u)" = 0 ] || skip "needs root (the milter drops root; file owners)"
command -v python3 >/dev/null || skip "python3 is not installed"

T=$(mktemp -d /tmp/vdsec.XXXXXX)
chmod 755 "$T"
RPID= MPID=
cleanup() {
	[ -n "$MPID" ] && kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
KEY=s3cr3tk3y0123456789

python3 "$SRC/tests/dnsresponder.py" "$T/port" "$T/dns.log" &
RPID=$!
wait_for "dnsresponder.py to write its port" 20 test -s "$T/port" || exit 1

cat >"$T/verdict.conf" <<EOF
database = $T/db
block_tables = drop
dns_servers = 127.0.0.1:$(cat "$T/port")
dnsbl_sites = $KEY.listed.test*2, $KEY.public.test*1, $KEY.silent.test*1
dnsbl_reply_names = $KEY.listed.test=dqs-zen, $KEY.public.test=dqs-pub,
	$KEY.silent.test=dqs-silent
dnsbl_threshold = 2
dnsbl_timeout = 300ms
log_verdicts = all
EOF
chmod 644 "$T/verdict.conf"
v() { "$V" -c "$T/verdict.conf" "$@"; }

# ------------------------------------------------------------ db-modes
umask 022
v table create drop --kind block >/dev/null || { echo "FAIL: set-up"; exit 1; }
for f in data.mdb lock.mdb; do
	m=$(stat -c %a "$T/db/$f")
	[ "$m" = 660 ] && pass "db-modes: $f created 0660 (database_mode default)" ||
		fail "db-modes: $f mode $m"
done
m=$(stat -c %a "$T/db")
[ $((8#$m & 8#007)) = 0 ] && pass "db-modes: directory $m, nothing for others" ||
	fail "db-modes: directory mode $m"
cat >"$T/mode.conf" <<EOF
database = $T/db2
database_mode = 0640
database_group = mail
EOF
"$V" -c "$T/mode.conf" table create x --kind block >/dev/null
[ "$(stat -c '%a %G' "$T/db2/data.mdb")" = "640 mail" ] &&
	[ "$(stat -c '%a %G' "$T/db2/lock.mdb")" = "640 mail" ] &&
	pass "db-modes: database_mode 0640, database_group mail applied" ||
	fail "db-modes: $(stat -c '%n %a %G' "$T/db2"/*.mdb)"

# --------------------------------------------------------- table-names
: >"$T/out"
names() { (cd "$T" && ls -A . db; ls -A "$(dirname "$T")" | grep -c evil); }
before=$(names)
while read -r name; do
	v table create "$name" --kind block >"$T/out" 2>&1
	rc=$?
	[ $rc = 2 ] && pass "table-names: \"$name\" refused (exit 2)" ||
		fail "table-names: \"$name\" exit $rc: $(cat "$T/out")"
	v import "$name" "$T/verdict.conf" >/dev/null 2>&1 &&
		fail "table-names: import into \"$name\" accepted"
done <<'EOF'
../evil
a/b
..
/etc/passwd
Drop
x y
EOF
[ "$(names)" = "$before" ] &&
	pass "table-names: no file created in or beside the database" ||
	fail "table-names: files appeared: $(names)"

# -------------------------------------------------------------- secret
v check 127.9.9.9 >"$T/c1" 2>&1
v check --json 127.9.9.9 >"$T/c2" 2>&1
v check --explain 127.9.9.9 >"$T/c3" 2>&1
v check --json 192.0.2.99 >"$T/c4" 2>&1	# not listed: every zone answers
cat "$T"/c[1-4] >"$T/all"
grep -q "$KEY" "$T/all" &&
	fail "secret: the key appears: $(grep -m3 "$KEY" "$T/all")" ||
	pass "secret: the key is in no CLI output (plain, --json, --explain, warnings)"
grep -q "dqs-zen" "$T/c2" && grep -q "blocked using dqs-zen" "$T/c2" &&
	pass "secret: the reply names dqs-zen" ||
	fail "secret: no display name in the reply: $(cat "$T/c2")"
grep -q "dqs-pub" "$T/all" &&
	pass "secret: the public-resolver warning uses the display name" ||
	fail "secret: no dqs-pub warning: $(cat "$T/all")"

if [ -x "$M" ] && command -v miltertest >/dev/null; then
	mkdir "$T/run" && chown nobody:nogroup "$T/run"
	chmod -R a+rwX "$T/db"
	"$M" -f -c "$T/verdict.conf" -u nobody -s "unix:$T/run/m.sock" \
		-P "$T/run/m.pid" 2>"$T/milter.log" &
	MPID=$!
	# up once it has logged its start: privileges dropped, pid file
	# written, socket chowned
	wait_for "verdict-milter to log its start" 10 \
		log_above "$T/milter.log" 'started: socket ' 0 &&
		wait_for "the milter's pid file and socket" 10 \
			test -s "$T/run/m.pid" -a -S "$T/run/m.sock" || exit 1
	st=/proc/$MPID/status
	uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")
	gid=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$st")
	groups=$(awk '/^Groups:/ {$1 = ""; print}' "$st")
	ng=$(getent group nogroup | cut -d: -f3)
	[ "$uid" = "65534 65534 65534 65534" ] &&
		[ "$gid" = "$ng $ng $ng $ng" ] &&
		! echo " $groups " | grep -q " 0 " &&
		pass "milter-uid: runs as nobody (Uid $uid, Gid $gid, Groups$groups)" ||
		fail "milter-uid: Uid $uid Gid $gid Groups $groups"
	[ "$(stat -c '%a %U' "$T/run/m.sock")" = "660 nobody" ] &&
		pass "milter-files: socket 0660 owned by nobody" ||
		fail "milter-files: socket $(stat -c '%a %U' "$T/run/m.sock")"
	[ "$(stat -c '%a %U' "$T/run/m.pid")" = "644 nobody" ] &&
		[ "$(cat "$T/run/m.pid")" = "$MPID" ] &&
		pass "milter-files: pid file 0644 owned by nobody" ||
		fail "milter-files: pid file $(stat -c '%a %U' "$T/run/m.pid")"
	cat >"$T/mt.lua" <<EOF
local conn = mt.connect("unix:$T/run/m.sock", 20, 0.1)
if conn == nil then error("cannot connect") end
if mt.conninfo(conn, "client.example", "127.9.9.9") ~= nil then error("conninfo") end
if mt.getreply(conn) ~= SMFIR_REJECT then error("not rejected") end
mt.disconnect(conn)
EOF
	miltertest -s "$T/mt.lua" >"$T/mt.out" 2>&1 &&
		pass "secret: the milter rejects 127.9.9.9 (dqs-zen)" ||
		fail "secret: miltertest: $(cat "$T/mt.out")"
	# the counters, too: a report is complete once the next one begins
	# (signals do not queue: the second only after the first started)
	n=$(log_count "$T/milter.log" 'stats: connections=')
	kill -USR2 "$MPID"
	wait_for "the counters in the milter log" 10 \
		log_above "$T/milter.log" 'stats: connections=' "$n"
	kill -USR2 "$MPID"
	wait_for "a second counter report in the milter log" 10 \
		log_above "$T/milter.log" 'stats: connections=' "$((n + 1))"
	grep -q "verdict=block" "$T/milter.log" && ! grep -q "$KEY" "$T/milter.log" &&
		grep -q "source=dqs-zen" "$T/milter.log" &&
		pass "secret: milter log lines name dqs-zen, never the key" ||
		fail "secret: milter log: $(grep -m3 -e "$KEY" -e verdict= "$T/milter.log")"
	kill "$MPID"
	wait "$MPID"
	MPID=
	[ ! -e "$T/run/m.pid" ] && pass "milter-files: pid file removed at exit" ||
		fail "milter-files: pid file left behind"
fi

# ------------------------------------------------------ world-writable
cp "$T/verdict.conf" "$T/ww.conf"
chmod 666 "$T/ww.conf"
printf '192.0.2.0/24 ; listed\n' >"$T/ww.txt"
chmod 666 "$T/ww.txt"
"$V" -c "$T/ww.conf" import drop "$T/ww.txt" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] && grep -q "configuration file $T/ww.conf is writable by every user" "$T/err" &&
	grep -q "list file $T/ww.txt is writable by every user" "$T/err" &&
	pass "world-writable: config and list file warned about: $(head -1 "$T/err")" ||
	fail "world-writable: exit $rc: $(cat "$T/err")"
chmod 664 "$T/ww.conf" "$T/ww.txt"
"$V" -c "$T/ww.conf" import drop "$T/ww.txt" >"$T/out" 2>"$T/err"
[ ! -s "$T/err" ] && pass "world-writable: group-writable files: no warning" ||
	fail "world-writable: unexpected: $(cat "$T/err")"

echo "faults_security: $passed passed, $failed failed"
[ "$failed" = 0 ]
