#!/usr/bin/env bash
# milter_chdir.sh - verdict-milter survives its own chdir (issue 16, item
# 6): started as a daemon with a relative -c and a relative `database`
# from a work directory, it opens the database, a SIGUSR1 after a change
# of the file takes effect (miltertest: an address only the new
# configuration blocks is rejected), and a reload of a broken file is
# logged with the file's absolute path while the old configuration keeps
# answering.  The daemon logs to syslog only, so it runs in a private
# mount namespace whose /dev/log is a socket of this test.
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

mkdir -p "$T/work" "$T/run"
chmod 777 "$T/run"
cd "$T/work" || exit 1
printf 'database = db\nblock_tables = drop\n' > m.conf
"$cli" -c m.conf table create drop --kind block >/dev/null || fail "table create"
"$cli" -c m.conf table create other --kind block >/dev/null || fail "table create"
"$cli" -c m.conf add drop 127.0.0.66/32 >/dev/null || fail "add"
"$cli" -c m.conf add other 127.0.0.77/32 >/dev/null || fail "add"
chmod -R a+rwX db
chmod 644 m.conf

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
	exec "$2" -c m.conf -u nobody -s "unix:$3" -P "$1/run/m.pid"
' sh "$T" "$milter" "$sock" > "$T/start.out" 2>&1 ||
	fail "the daemon did not start: $(cat "$T/start.out"; tail -5 "$T/syslog")"
wait_for "the pid file" 10 test -s "$T/run/m.pid" || exit 1
mpid=$(cat "$T/run/m.pid")
wait_for "the socket $sock" 10 test -S "$sock" || exit 1
grep -q 'started: socket' "$T/syslog" || fail "no start logged: $(cat "$T/syslog")"
ok "daemonised with -c m.conf and database = db (both relative)"

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

# a changed file, SIGUSR1: the new configuration answers
printf 'database = db\nblock_tables = drop, other\n' > m.conf
n=$(log_count "$T/syslog" 'configuration reloaded')
kill -USR1 "$mpid"
wait_for "the reload to be logged" 10 log_above "$T/syslog" 'configuration reloaded|reload failed' "$n" || exit 1
grep -q 'reload failed' "$T/syslog" && fail "reload failed: $(grep 'reload failed' "$T/syslog")"
mt 127.0.0.77 SMFIR_REJECT || fail "after SIGUSR1, 127.0.0.77 not rejected: $(cat "$T/mt.out")"
ok "SIGUSR1 after the daemon's chdir reads ./m.conf again and applies it"

# a broken file: the failure is logged with the absolute path, the old
# configuration keeps answering
printf 'database = db\nblock_tables = drop, other\nno_such_key = 1\n' > m.conf
kill -USR1 "$mpid"
wait_for "the failed reload to be logged" 10 log_above "$T/syslog" 'reload failed' 0 || exit 1
grep -q "reload failed, keeping the running configuration: $T/work/m.conf: .*no_such_key" "$T/syslog" ||
	fail "failed reload: $(grep 'reload failed' "$T/syslog")"
mt 127.0.0.77 SMFIR_REJECT || fail "after a failed reload, 127.0.0.77 not rejected"
ok "a failed reload is logged with $T/work/m.conf; the running configuration stays"

kill "$mpid"
wait_for "the daemon to stop" 10 proc_gone "$mpid" || exit 1
mpid=
