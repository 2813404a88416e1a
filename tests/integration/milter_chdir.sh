#!/usr/bin/env bash
# milter_chdir.sh - verdict-milter survives its own chdir (issue 16, item
# 6): started as a daemon with a relative -c, a relative `database` and a
# relative `geoip_country_db` from a work directory, it opens the
# database, blocks by the GeoIP rule (the MaxMind test database: GB for
# 81.2.69.160), a SIGUSR1 after a change of the file takes effect
# (miltertest: an address only the new configuration blocks is
# rejected), and a reload of a broken file is logged with the file's
# absolute path while the old configuration keeps answering.  The
# database and the MMDB sit in a directory beside the file, not in the
# one the daemon was started from: relative paths of the file are the
# file's.  The daemon logs to syslog only, so it runs in a private mount
# namespace whose /dev/log is a socket of this test.
set -u
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
. "$(dirname "$0")/wait.inc"

bindir=${VERDICT_BINDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
milter=$bindir/tools/milter/verdict-milter
cli=$bindir/tools/verdict
[ -x "$milter" ] || skip "verdict-milter not built ($milter)"
command -v miltertest >/dev/null || skip "miltertest is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
mmdb=${VERDICT_SHARED_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/data}/mmdb/GeoIP2-Country-Test.mmdb
[ -r "$mmdb" ] || skip "no MaxMind test database ($mmdb)"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace"

T=$(mktemp -d /tmp/vmchdir.XXXXXX)
chmod 755 "$T"
lpid= mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# syslog receiver: every datagram on $T/log.sock, one line each
python3 - "$T/log.sock" "$T/syslog" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
PY
lpid=$!
wait_for "the syslog socket" 10 test -S "$T/log.sock" || exit 1

# started in $T/work, the file in $T/work/etc: db and country.mmdb are
# $T/work/etc/db and $T/work/etc/country.mmdb
mkdir -p "$T/work/etc" "$T/run"
chmod 777 "$T/run"
cd "$T/work" || exit 1
cp "$mmdb" etc/country.mmdb
conf() {
	printf 'database = db\ngeoip_country_db = country.mmdb\n'
	printf 'block_countries = GB\nblock_tables = %s\n' "$1"
}
conf drop > etc/m.conf
"$cli" -c etc/m.conf table create drop --kind block >/dev/null || fail "table create"
"$cli" -c etc/m.conf table create other --kind block >/dev/null || fail "table create"
"$cli" -c etc/m.conf add drop 127.0.0.66/32 >/dev/null || fail "add"
"$cli" -c etc/m.conf add other 127.0.0.77/32 >/dev/null || fail "add"
[ -d etc/db ] || fail "the CLI did not make the database beside the file"
chmod -R a+rwX etc/db
chmod 644 etc/m.conf etc/country.mmdb

# the daemon in its own mount namespace: /dev rebuilt on a tmpfs with
# the devices it uses and /dev/log pointing at our receiver
sock=$T/run/milter.sock
unshare -m sh -c '
	set -e
	mount --make-rprivate /
	mkdir -p "$1/realdev"
	mount --rbind /dev "$1/realdev"
	mount -t tmpfs tmpfs /dev
	for d in null zero random urandom full; do
		touch "/dev/$d"
		mount --bind "$1/realdev/$d" "/dev/$d"
	done
	ln -s "$1/log.sock" /dev/log
	exec "$2" -c etc/m.conf -u nobody -s "unix:$3" -P "$1/run/m.pid"
' sh "$T" "$milter" "$sock" > "$T/start.out" 2>&1 ||
	fail "the daemon did not start: $(cat "$T/start.out"; tail -5 "$T/syslog")"
wait_for "the pid file" 10 test -s "$T/run/m.pid" || exit 1
mpid=$(cat "$T/run/m.pid")
wait_for "the socket $sock" 10 test -S "$sock" || exit 1
grep -q 'started: socket' "$T/syslog" || fail "no start logged: $(cat "$T/syslog")"
ok "daemonised with -c etc/m.conf, database = db, geoip_country_db = country.mmdb (all relative)"

# mt IP EXPECTED - one miltertest CONNECT; 0 when the answer is EXPECTED
mt() {
	cat > "$T/mt.lua" <<L
local conn = mt.connect("unix:$sock", 20, 0.1)
if conn == nil then error("cannot connect") end
mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "smtpd")
if mt.conninfo(conn, "client.example", "$1") ~= nil then error("conninfo") end
if mt.getreply(conn) ~= $2 then error("unexpected reply for $1") end
mt.disconnect(conn)
L
	miltertest -s "$T/mt.lua" > "$T/mt.out" 2>&1
}
mt 127.0.0.66 SMFIR_REJECT || fail "127.0.0.66 not rejected: $(cat "$T/mt.out")"
mt 127.0.0.77 SMFIR_ACCEPT || fail "127.0.0.77 not accepted: $(cat "$T/mt.out")"
mt 81.2.69.160 SMFIR_REJECT || fail "81.2.69.160 (GB) not rejected: $(cat "$T/mt.out"; grep -i geo "$T/syslog")"
ok "the relative GeoIP database is read after the daemon's chdir"

# a changed file, SIGUSR1: the new configuration answers
conf 'drop, other' > etc/m.conf
n=$(log_count "$T/syslog" 'configuration reloaded')
kill -USR1 "$mpid"
wait_for "the reload to be logged" 10 log_above "$T/syslog" 'configuration reloaded|reload failed' "$n" || exit 1
grep -q 'reload failed' "$T/syslog" && fail "reload failed: $(grep 'reload failed' "$T/syslog")"
mt 127.0.0.77 SMFIR_REJECT || fail "after SIGUSR1, 127.0.0.77 not rejected: $(cat "$T/mt.out")"
mt 81.2.69.160 SMFIR_REJECT || fail "after SIGUSR1, 81.2.69.160 (GB) not rejected"
ok "SIGUSR1 after the daemon's chdir reads etc/m.conf again and applies it"

# a broken file: the failure is logged with the absolute path, the old
# configuration keeps answering
{ conf 'drop, other'; echo 'no_such_key = 1'; } > etc/m.conf
kill -USR1 "$mpid"
wait_for "the failed reload to be logged" 10 log_above "$T/syslog" 'reload failed' 0 || exit 1
grep -q "reload failed, keeping the running configuration: $T/work/etc/m.conf: .*no_such_key" "$T/syslog" ||
	fail "failed reload: $(grep 'reload failed' "$T/syslog")"
mt 127.0.0.77 SMFIR_REJECT || fail "after a failed reload, 127.0.0.77 not rejected"
ok "a failed reload is logged with $T/work/etc/m.conf; the running configuration stays"

kill "$mpid"
wait_for "the daemon to stop" 10 proc_gone "$mpid" || exit 1
mpid=
