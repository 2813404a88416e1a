#!/usr/bin/env bash
# run.sh - the soak tests: readers against a 100,000-entry table that
# another process replaces in a loop (list A, list B, A, ...)
#
#   tests/soak/run.sh BUILDDIR SECONDS [THREADS]
#
# Three runs of SECONDS each (tests/soak/soak_driver.c explains the
# checks): the library (verdict_check threads), the MTA callout
# (libverdict_callout.so dlopen()ed, threads calling it), and
# verdict-milter behind a private Postfix (SMTP clients from 127.x.y.z;
# needs root, postfix; skipped visibly otherwise; 8 client threads, as
# each SMTP connection waits for a Postfix smtpd).  Prints one summary
# line per run and a table; exit 0 when every run was clean, 1 otherwise.
set -u
b=$(cd "${1:?usage: run.sh BUILDDIR SECONDS [THREADS]}" && pwd)
secs=${2:?usage: run.sh BUILDDIR SECONDS [THREADS]}
threads=${3:-2}
drv=$b/tests/soak/soak_driver
so=$b/callout/libverdict_callout.so
milter=$b/tools/milter/verdict-milter
command -v mdb_stat >/dev/null || { echo "SKIP: mdb_stat (lmdb-utils) missing"; exit 77; }
[ -x "$drv" ] || { echo "SKIP: $drv not built"; exit 77; }

T=$(mktemp -d /tmp/vdsoak.XXXXXX)
chmod 755 "$T"
mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	[ -f "$T/pf/conf/main.cf" ] && postfix -c "$T/pf/conf" stop >/dev/null 2>&1
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
rc=0
lines=()
one() {	# name dir driver-args...: run, keep the summary line
	local name=$1 d=$2; shift 2
	"$drv" setup "$d" >/dev/null || { echo "FAIL: $name: setup"; rc=1; return; }
	"$drv" "$@" >"$d/out" 2>"$d/err"
	local st=$?
	cat "$d/out"; head -n 20 "$d/err"
	[ $st = 0 ] || rc=1
	lines+=("$(grep '^soak: front=' "$d/out" || echo "soak: front=$name result=FAIL")")
}

mkdir -p "$T/lib" "$T/callout"
one lib "$T/lib" lib "$T/lib" "$secs" "$threads"
if [ -f "$so" ]; then
	one callout "$T/callout" callout "$so" "$T/callout" "$secs" "$threads"
else
	echo "SKIP: callout: $so not built"
fi

# --- verdict-milter behind a private Postfix (as milter_postfix.sh)
milter_skip=
[ -x "$milter" ] || milter_skip="verdict-milter not built"
[ "$(id -u)" = 0 ] || milter_skip="Postfix's master must start as root"
command -v postfix >/dev/null || milter_skip="postfix is not installed"
command -v python3 >/dev/null || milter_skip="python3 is needed to find free ports"
if [ -n "$milter_skip" ]; then
	echo "SKIP: milter: $milter_skip"
else
	d=$T/milter
	mkdir -p "$d/run" "$T/pf/conf" "$T/pf/queue" "$T/pf/data"
	chmod 777 "$d/run"
	"$drv" setup "$d" >/dev/null || { echo "FAIL: milter setup"; exit 1; }
	chmod -R a+rwX "$d"	# the milter runs as nobody; readers write lock.mdb
	read -r MPORT SPORT <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
	"$milter" -f -c "$d/milter.conf" -s "inet:$MPORT@127.0.0.1" -u nobody \
		2>"$d/milter.log" &
	mpid=$!
	chown postfix "$T/pf/data"
	cat >"$T/pf/conf/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $T/pf/queue
data_directory = $T/pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.invalid
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = discard
alias_maps =
alias_database =
biff = no
maillog_file = $T/pf/maillog
maillog_file_prefixes = $T
smtpd_milters = inet:127.0.0.1:$MPORT
milter_default_action = tempfail
smtpd_client_connection_count_limit = 0
default_process_limit = 200
EOC
	cat >"$T/pf/conf/master.cf" <<EOC
127.0.0.1:$SPORT inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOC
	if ! postfix -c "$T/pf/conf" start >"$T/pf/start.log" 2>&1; then
		cat "$T/pf/start.log"; echo "FAIL: milter: postfix start"; rc=1
	else
		for _ in $(seq 100); do
			python3 -c "import socket; socket.create_connection(('127.0.0.1', $SPORT), 0.2); socket.create_connection(('127.0.0.1', $MPORT), 0.2)" \
				2>/dev/null && break
			sleep 0.1
		done
		"$drv" smtp "$d" "$SPORT" "$secs" 8 "$mpid" "$d/milter.log" \
			>"$d/out" 2>"$d/err"
		st=$?
		cat "$d/out"; head -n 20 "$d/err"
		kill -TERM "$mpid"; wait "$mpid"; mst=$?; mpid=
		[ $mst = 0 ] || { echo "FAIL: milter exit status $mst"; tail -n 30 "$d/milter.log"; st=1; }
		[ $st = 0 ] || rc=1
		lines+=("$(grep '^soak: front=' "$d/out" || echo "soak: front=smtp result=FAIL")")
	fi
fi

echo
echo "soak summary ($secs s per run, $threads threads, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs)"
printf '%-8s %10s %7s %6s %9s %9s %8s %19s %19s %6s %6s %s\n' front checks errors wrong from_A from_B imports "RssAnon kB" "RssFile kB" slots stale result
for l in "${lines[@]}"; do
	get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$l"; }
	f=$(sed -n 's/^soak: front=\([^ ]*\).*/\1/p' <<<"$l")
	[ "$f" = smtp ] && f=milter
	printf '%-8s %10s %7s %6s %9s %9s %8s %19s %19s %6s %6s %s\n' "$f" "$(get checks)" \
		"$(get errors)" "$(get wrong)" "$(get from_a)" "$(get from_b)" "$(get imports)" \
		"$(get rss_anon_kb)" "$(get rss_file_kb)" "$(get reader_slots_max)" \
		"$(get stale_readers)" "$(get result)"
done
exit $rc
