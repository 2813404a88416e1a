#!/usr/bin/env bash
# milter_protocol.sh - verdict-milter at the milter-protocol level
#
# Cases (label: what a user relies on):
#   socket     a unix socket created 0660 (owned by the milter's user when
#              started as root) and removed on SIGTERM; exit status 0
#   rlimit     RLIMIT_NOFILE raised to the hard limit by the daemon
#   miltertest IPv4 listed -> reject, IPv6 listed -> reject, IPv6 and IPv4
#              unlisted -> accept, local (hostaddr NULL) -> accept,
#              {daemon_name} mapped to none -> accept (miltertest, Lua)
#   many       400 simultaneous milter connections from a client speaking
#              the protocol directly, all open at once, with the daemon's
#              descriptors above 1024 (--test-fds) and four SIGUSR1
#              reloads in the middle: every answer right
#   root       as root without -u: refused with a reason
# Skips (77) visibly when miltertest or python3 is missing.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
passed=0 failed=0
. "$(dirname "$0")/wait.inc"

bindir=${VERDICT_BINDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
milter=$bindir/tools/milter/verdict-milter
cli=$bindir/tools/verdict
[ -x "$milter" ] || skip "verdict-milter not built ($milter)"
[ -x "$cli" ] || skip "the verdict CLI is not built ($cli)"
command -v miltertest >/dev/null || skip "miltertest is not installed (Debian package miltertest)"
command -v python3 >/dev/null || skip "python3 is not installed"

T=$(mktemp -d /tmp/vmproto.XXXXXX)
chmod 755 "$T"
mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	[ "$failed" -gt 0 ] && { echo "--- milter log"; tail -n 30 "$T/milter.log"; }
	rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/db" "$T/run"
chmod 777 "$T/run"
cat >"$T/verdict.conf" <<EOF
database = $T/db
block_tables = drop
milter_profiles = submission=none, smtpd=1
EOF
V() { "$cli" -c "$T/verdict.conf" "$@"; }
V table create drop --kind block >/dev/null || { echo "FAIL: table create"; exit 1; }
printf '127.0.0.66/32 ; SBL666\n2001:db8:66::/48\n' >"$T/drop.txt"
V import drop "$T/drop.txt" >/dev/null || { echo "FAIL: import"; exit 1; }
chmod -R a+rwX "$T/db"

asuser=()
if [ "$(id -u)" = 0 ]; then
	asuser=(-u nobody)
	"$milter" -f -c "$T/verdict.conf" -s "unix:$T/run/x.sock" \
		>"$T/root.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -q 'refusing to run as root' "$T/root.out" &&
		pass "root without -u refused: $(head -1 "$T/root.out")" ||
		fail "root without -u: status $rc, $(head -1 "$T/root.out")"
fi

sock=$T/run/milter.sock
(ulimit -Sn 1024; exec "$milter" -f -c "$T/verdict.conf" -s "unix:$sock" \
	"${asuser[@]}" --test-fds 1100 2>"$T/milter.log") &
mpid=$!
# up once it has logged its start: socket chowned, descriptors placed,
# the signal thread (SIGUSR1 below) running
wait_for "verdict-milter to log its start" 10 log_above "$T/milter.log" 'started: socket ' 0 &&
	wait_for "the socket $sock" 10 test -S "$sock" || exit 1

mode=$(stat -c %a "$sock" 2>/dev/null)
[ "$mode" = 660 ] && pass "socket created with mode 0660" || fail "socket mode \"$mode\""
if [ "$(id -u)" = 0 ]; then
	owner=$(stat -c %U "$sock")
	[ "$owner" = nobody ] && pass "socket owned by the -u user" || fail "socket owner $owner"
fi
soft=$(awk '/Max open files/ {print $4}' "/proc/$mpid/limits")
hard=$(awk '/Max open files/ {print $5}' "/proc/$mpid/limits")
[ "$soft" = "$hard" ] && [ "$soft" != 1024 ] &&
	pass "RLIMIT_NOFILE raised from 1024 to the hard limit ($hard)" ||
	fail "RLIMIT_NOFILE soft $soft hard $hard"

# --- miltertest: one connection per case (label, daemon, ip, expected)
cat >"$T/cases.lua" <<EOF
local cases = {
  { "IPv4 listed", "smtpd", "127.0.0.66", SMFIR_REJECT, "reject" },
  { "IPv4 unlisted", "smtpd", "127.0.0.5", SMFIR_ACCEPT, "accept" },
  { "IPv6 listed", "smtpd", "2001:db8:66::25", SMFIR_REJECT, "reject" },
  { "IPv6 unlisted", "smtpd", "2001:db8:67::25", SMFIR_ACCEPT, "accept" },
  { "IPv6 mapped IPv4 listed", "smtpd", "::ffff:127.0.0.66", SMFIR_REJECT, "reject" },
  { "local (hostaddr NULL)", "smtpd", "unspec", SMFIR_ACCEPT, "accept" },
  { "listed on daemon_name=submission (none)", "submission", "127.0.0.66", SMFIR_ACCEPT, "accept" },
  { "listed on an unmapped daemon_name (-p 1)", "other", "127.0.0.66", SMFIR_REJECT, "reject" },
}
local bad = 0
for _, c in ipairs(cases) do
  local conn = mt.connect("unix:$sock", 20, 0.1)
  if conn == nil then error("cannot connect to the milter") end
  mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", c[2])
  local host = "client.example"
  if c[3] == "unspec" then host = "localhost" end
  if mt.conninfo(conn, host, c[3]) ~= nil then error("conninfo " .. c[1]) end
  if mt.getreply(conn) == c[4] then
    print("ok: miltertest " .. c[1] .. " -> " .. c[5])
  else
    print("FAIL: miltertest " .. c[1] .. " (want " .. c[5] .. ")")
    bad = bad + 1
  end
  mt.disconnect(conn)
end
if bad > 0 then error(bad .. " miltertest cases failed") end
EOF
miltertest -s "$T/cases.lua" >"$T/mt.out" 2>&1
cat "$T/mt.out"
passed=$((passed + $(grep -c '^ok:' "$T/mt.out")))
failed=$((failed + $(grep -c '^FAIL:' "$T/mt.out")))
grep -q '^ok:' "$T/mt.out" || fail "miltertest ran no case: $(tail -1 "$T/mt.out")"

# --- 400 simultaneous connections, descriptors above 1024 in the daemon
python3 - "$sock" "$mpid" "$T/milter.log" >"$T/many.out" 2>&1 <<'EOF'
import os, signal, socket, struct, sys, time
path, pid, log, N = sys.argv[1], sys.argv[2], sys.argv[3], 400

def reloads():
    with open(log, errors="replace") as f:
        return sum("configuration reloaded" in l for l in f)

def wait_reloads(n, secs=10):
    end = time.monotonic() + secs
    while reloads() < n:
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for reload %d in the log" % n)
        time.sleep(0.05)

def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data

def read_pkt(s):
    hdr = b""
    while len(hdr) < 4:
        b = s.recv(4 - len(hdr))
        if not b: raise EOFError("milter closed")
        hdr += b
    n = struct.unpack(">I", hdr)[0]
    body = b""
    while len(body) < n:
        b = s.recv(n - len(body))
        if not b: raise EOFError("milter closed")
        body += b
    return body[:1], body[1:]

socks = []
for i in range(N):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    # SMFIC_OPTNEG: version 6, every action, every protocol flag offered
    s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1ff, 0x1fffff)))
    socks.append(s)
for s in socks:
    cmd, _ = read_pkt(s)
    assert cmd == b"O", cmd
# every connection is open and negotiated: now the descriptors
fds = [int(f) for f in os.listdir("/proc/%s/fd" % pid)]
high = [f for f in fds
        if f > 1024 and os.readlink("/proc/%s/fd/%d" % (pid, f)).startswith("socket:")]
print("daemon sockets above fd 1024: %d" % len(high))
want = {}
sent = 0
for i, s in enumerate(socks):
    ip = "127.0.0.66" if i % 2 else "127.0.%d.%d" % (1 + i // 250, 1 + i % 250)
    want[i] = b"r" if i % 2 else b"a"
    if i % 100 == 50:	# reloads while checks run: contexts swap under them
        os.kill(int(pid), signal.SIGUSR1)
        sent += 1
        wait_reloads(sent)	# signals do not queue: one reload at a time
    s.sendall(pkt(b"D", b"C" + b"{daemon_name}\0smtpd\0") +
              pkt(b"C", b"client\0" + b"4" + struct.pack(">H", 25) +
                  ip.encode() + b"\0"))
bad = 0
for i, s in enumerate(socks):
    cmd, _ = read_pkt(s)
    if cmd != want[i]:
        bad += 1
print("answers: %d right, %d wrong" % (N - bad, bad))
for s in socks:
    s.close()
sys.exit(1 if bad or len(high) < N else 0)
EOF
rc=$?
cat "$T/many.out"
[ $rc = 0 ] && [ "$(grep -c 'configuration reloaded' "$T/milter.log")" = 4 ] &&
	pass "400 simultaneous connections, fds above 1024, 4 reloads amid them, every answer right" ||
	fail "400 simultaneous connections (status $rc, $(grep -c 'configuration reloaded' "$T/milter.log") reloads)"

# the daemon is still well after that
miltertest -s "$T/cases.lua" >"$T/mt2.out" 2>&1 &&
	pass "still answering after the burst" || fail "after the burst: $(tail -1 "$T/mt2.out")"

kill -TERM "$mpid"; wait "$mpid"; rc=$?; mpid=
[ $rc = 0 ] && pass "SIGTERM: exit status 0" || fail "SIGTERM: exit status $rc"
[ ! -e "$sock" ] && pass "socket file removed on exit" || fail "socket file left behind"

echo "milter_protocol: $passed passed, $failed failed"
[ "$failed" = 0 ]
