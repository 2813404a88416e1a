#!/usr/bin/env bash
# exim_daemon_bench.sh - what the verdict costs a real Exim connection
#
# Debian's own Exim (exim4-daemon-heavy, fetched and unpacked as
# tests/integration/exim.sh does, never installed) runs one daemon per
# variant on loopback, all with the same configuration but for the
# connect ACL:
#   accept   the ACL accepts at once: the reference, Exim's own cost of a
#            connection (fork of the child, ACL, banner)
#   noop     ${dlfunc} of exim_noop.so, an object that answers "neutral"
#            and does nothing else: what any ${dlfunc} costs (Exim's
#            expansion, dlopen into Exim's process with its 40-odd
#            libraries)
#   dlfunc   the stanza of doc/libverdict_exim.3: ${dlfunc} loads
#            libverdict_exim.so in the connection's child, reads the
#            configuration, opens the database and decides
#   preload  the same stanza, the daemon started with LD_PRELOAD naming
#            the object (doc/libverdict_exim.3, "Loading once"): each
#            child inherits it loaded and relocated
#   run      what an Exim site could do before: ${run} of
#            `verdict check` per connection
# A client connects from 127.0.0.5 (in no table: verdict neutral, so all
# greet with 220) and times connect() to the end of the banner.  The
# connections go round-robin over the daemons, so load moves all alike;
# the medians are compared with the reference's.
#
# Target (issue 20): the first call in a fresh process <= 1 ms, i.e.
# dlfunc - accept <= 1 ms.  Exit 0 when met, 1 when not, 77 when it
# cannot run here (not root, Exim cannot be fetched).
#
# Usage: bash tests/bench/exim_daemon_bench.sh BUILD_DIR
# Environment: N (1000 connections per daemon); BEFORE_SO, another
# libverdict_exim.so (an earlier revision's build) run through the
# stanza as one more variant, "before", in the same round-robin.
set -u

build=$(cd "${1:-$(dirname "$0")/../../build}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
so=$build/exim/libverdict_exim.so
noop=$build/tests/bench/exim_noop.so
cli=$build/tools/verdict
N=${N:-1000}

[ -f "$so" ] && [ -f "$noop" ] && [ -x "$cli" ] ||
	{ echo "SKIP: $so, $noop or $cli not built"; exit 77; }
nm -D "$so" 2>/dev/null | grep -qE ' U __(asan|tsan)_init' &&
	{ echo "SKIP: a sanitizer build; Exim cannot load it"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: Exim takes a private -C configuration only from root"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed"; exit 77; }
. "$top/tests/integration/wait.inc"
. "$top/tests/integration/exim.inc"
exim_fetch "$build" || { echo "SKIP: $exim_why"; exit 77; }

T=$(mktemp -d /tmp/vdeximb.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/verdict.conf" <<EOF
database = $T/db
database_group = Debian-exim
database_mode = 0660
log_verdicts = none
block_tables = drop
allow_tables = partners
EOF
V() { "$cli" -c "$T/verdict.conf" "$@" >/dev/null; }
V table create drop --kind block && V table create partners --kind allow &&
V import drop "$top/data/sample-drop.txt" &&
V import partners "$top/data/sample-allow.txt" ||
	{ echo "FAIL: the database"; exit 1; }
chgrp -R Debian-exim "$T/db" && chmod 2770 "$T/db" || exit 1

acl=$(sed -n '/exim-acl-begin/,/exim-acl-end/p' "$top/doc/libverdict_exim.3" |
	sed '1d;$d' | sed 's/\\e/\\/g; s/\\-/-/g' |
	sed "s|/usr/lib/x86_64-linux-gnu/verdict/libverdict_exim.so|$so|")
mkdir -p "$T/spool" "$T/log"
chown Debian-exim:Debian-exim "$T/spool" "$T/log"
cat >"$T/exim.conf" <<EOF
primary_hostname = mx.test.invalid
spool_directory = $T/spool
log_file_path = $T/log/%slog
local_interfaces = 127.0.0.1
acl_smtp_connect = ACL
keep_environment = VERDICT_CONFIG
host_lookup =
rfc1413_hosts =
smtp_accept_max = 0

begin acl

$acl

acl_accept:
  accept

acl_noop:
  warn    set acl_c_verdict = \${dlfunc{$noop}{verdict_exim}{1}{\$sender_host_address}}
  accept

acl_run:
  deny    condition = \${run{$cli -c $T/verdict.conf check \$sender_host_address}\
                         {no}{\${if eq{\$runrc}{1}{yes}{no}}}}
  accept
EOF
chmod 644 "$T/exim.conf"
export VERDICT_CONFIG=$T/verdict.conf

variants="accept noop dlfunc preload run"
if [ -n "${BEFORE_SO:-}" ]; then
	[ -f "$BEFORE_SO" ] || { echo "exim_daemon_bench: no $BEFORE_SO"; exit 2; }
	variants="$variants before"
	sed -n '/^acl_verdict_connect:/,/^  accept/p' "$T/exim.conf" |
		sed "s|^acl_verdict_connect:|acl_before:|; s|$so|$BEFORE_SO|" \
		>>"$T/exim.conf"
fi
ports=$(free_ports $(echo $variants | wc -w))
set -- $ports
for v in $variants; do
	port=$1
	shift
	pre= acl=acl_verdict_connect
	case $v in
	accept) acl=acl_accept ;;
	noop) acl=acl_noop ;;
	preload) pre=$so ;;
	run) acl=acl_run ;;
	before) acl=acl_before ;;
	esac
	LD_PRELOAD=$pre "$exim" -C "$T/exim.conf" -DACL="$acl" -bdf -oX "$port" \
		2>>"$T/daemon.err" &
	pids+=($!)
	wait_for "Exim on port $port" 15 tcp_accepts "$port" || exit 1
done

echo "exim_daemon_bench: $("$exim" -bV | head -n 1)"
echo "exim_daemon_bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cat >"$T/client.py" <<'EOF'
import socket, statistics, sys, time

n, ports = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
names = ["accept", "noop", "dlfunc", "preload", "run", "before"][:len(ports)]
what = {
    "accept": "connect ACL accepts at once (reference)",
    "noop": "${dlfunc} of a do-nothing object",
    "dlfunc": "${dlfunc} libverdict_exim.so (doc stanza)",
    "preload": "the same, the daemon with LD_PRELOAD",
    "run": "${run} verdict check",
    "before": "the stanza with BEFORE_SO",
}
times = {k: [] for k in names}


def greet(port):
    s = socket.socket()
    s.bind(("127.0.0.5", 0))
    t0 = time.perf_counter()
    s.connect(("127.0.0.1", port))
    buf = b""
    # the banner ends with a line "220 ..." (a continuation is "220-")
    while not any(l[3:4] == b" " for l in buf.split(b"\r\n")[:-1]):
        b = s.recv(4096)
        if not b:
            break
        buf += b
    t = time.perf_counter() - t0
    s.sendall(b"QUIT\r\n")
    s.close()
    return t, buf


for i in range(n + 20):
    for k, p in zip(names, ports):
        t, buf = greet(p)
        if not buf.startswith(b"220"):
            print("FAIL: %s: greeting %r" % (k, buf[:80]))
            sys.exit(1)
        if i >= 20:  # the first connections warm the page cache
            times[k].append(t)

med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
p90 = {k: sorted(v)[int(len(v) * 0.9)] * 1e3 for k, v in times.items()}
print("time to the greeting, %d connections each from 127.0.0.5 "
      "(neutral), round-robin; + is the median over the reference's:" % n)
for k in names:
    print("  %-41s median %.3f ms, p90 %.3f ms, +%.3f ms" %
          (what[k], med[k], p90[k], med[k] - med["accept"]))
d = med["dlfunc"] - med["accept"]
print("exim daemon: the verdict adds %.3f ms per connection through "
      "${dlfunc} (target <= 1 ms), of which any ${dlfunc} costs %.3f ms "
      "and libverdict %.3f ms; %.3f ms with LD_PRELOAD; ${run} adds "
      "%.3f ms" % (d, med["noop"] - med["accept"],
                   med["dlfunc"] - med["noop"],
                   med["preload"] - med["accept"],
                   med["run"] - med["accept"]))
if "before" in med:
    print("exim daemon: BEFORE_SO adds %.3f ms; this build / BEFORE_SO, "
          "over the reference: %.2f" % (med["before"] - med["accept"],
                                       d / (med["before"] - med["accept"])))
sys.exit(0 if d <= 1.0 else 1)
EOF
python3 "$T/client.py" "$N" $ports
rc=$?
echo "exim_daemon_bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$T/log/paniclog" ] && { echo "FAIL: Exim's panic log: $(head -n 3 "$T/log/paniclog")"; rc=1; }
exit $rc
