#!/usr/bin/env bash
# exim.sh - libverdict_exim.so inside Debian's own Exim (exim4-daemon-heavy)
#
# Exim conflicts with Postfix as a package, so exim.inc fetches it with
# `apt-get download` into the build tree (once) and unpacks it with
# `dpkg -x`; that exim4 binary runs with a private configuration (-C) whose
# connect ACL is the stanza of doc/libverdict_exim.3, taken from the page
# (only the library's path changed).  Exim's run-time libraries come from
# tools/bootstrap.sh (PKGS_TEST); the user Debian-exim is created when
# missing.  The database is made with database_group = Debian-exim, as
# the page says.  Cases, in Exim's ACL test mode (-bh IP: a fake SMTP
# session on stdin/stdout that runs the real ACLs):
#   listed     192.0.2.77 gets 554 with the profile's reply at the greeting
#   allowed    198.51.100.25: 220, verdict "allow"
#   neutral    203.0.113.9: 220, verdict "neutral"
#   slot       port 587 (-oMi 127.0.0.1.587) is slot 2: 203.0.113.5 gets
#              slot 2's own reply; on port 25 it is neutral
#   tempfail   port 587, a DNSBL whose server refuses: 421 (defer) with
#              the tempfail_reply
#   monitor    VERDICT_CONFIG (through keep_environment) names a
#              mode = monitor file: 220 and a would-block line
#   malformed  the ACL calling {1} alone defers (451), Exim logs our
#              message; {1}{not-an-ip} is neutral: 220, logged
#   local      exim -bs (no client IP): 220
#   debian     Debian's own split configuration (exim4-config, fetched and
#              unpacked likewise; update-exim4.conf from it) with the ACL
#              placed as the page says: 554 for a listed source, 220 else
#   daemon     exim4 -bdf -oX PORT on 127.0.0.1; swaks from 127.0.0.66
#              (listed) sees 554 at the greeting, from 127.0.0.5 220
#   preload    the same daemon started with LD_PRELOAD naming the object
#              and LD_PRELOAD in keep_environment (the page's "Loading
#              once"): mapped in the daemon, 554 for the listed source;
#              after a SIGHUP re-execution the variable is kept and the
#              listed source still refused
# Needs root (Exim's -C with a private file, Debian-exim), apt-get and
# dpkg, swaks, python3; skips (77) with the reason otherwise or when the
# package cannot be fetched.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
passed=0 failed=0
. "$(dirname "$0")/wait.inc"

bindir=${VERDICT_BINDIR:-$(cd "$(dirname "$0")/../.." && pwd)/build}
srcdir=${VERDICT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
so=$bindir/exim/libverdict_exim.so
cli=$bindir/tools/verdict
page=$srcdir/doc/libverdict_exim.3

[ -f "$so" ] || skip "libverdict_exim.so not built ($so)"
[ -x "$cli" ] || skip "the verdict CLI is not built ($cli)"
# a sanitizer's runtime must be loaded first, and Exim is not built with it
nm -D "$so" 2>/dev/null | grep -qE ' U __(asan|tsan)_init' &&
	skip "libverdict_exim.so is built with a sanitizer; Exim cannot load it (tests/exim_harness.c covers it)"
[ "$(id -u)" = 0 ] || skip "Exim accepts a private -C configuration only from root"
command -v swaks >/dev/null || skip "swaks is not installed"
command -v python3 >/dev/null || skip "python3 is needed to find free ports"

# --- Debian's Exim, unpacked into the build tree (fetched once)
. "$(dirname "$0")/exim.inc"
exim_fetch "$bindir" || skip "$exim_why"
pkg=$bindir/exim-pkg

T=$(mktemp -d /tmp/vdexim.XXXXXX)
chmod 755 "$T"
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	if [ "$failed" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- exim main log"; tail -n 40 "$T/log/mainlog" 2>/dev/null
		echo "--- exim panic log"; tail -n 20 "$T/log/paniclog" 2>/dev/null
	fi
	[ -z "${KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

read -r SPORT DEADPORT <<<"$(free_ports 2)"

# --- the database, readable and lockable by Debian-exim
cat >"$T/verdict.conf" <<EOF
database = $T/db
database_group = Debian-exim
database_mode = 0660
# nothing listens there: every DNSBL query fails at once
dns_servers = 127.0.0.1:$DEADPORT
log_verdicts = all
block_tables = drop
allow_tables = partners
[profile 2]
block_tables = submission
reply = 554 5.7.1 submission refused for %{ip}
dnsbl_sites = bl.example.test
on_dns_failure = tempfail
EOF
sed 's/^log_verdicts = all/log_verdicts = all\nmode = monitor/' \
	"$T/verdict.conf" >"$T/monitor.conf"
V() { "$cli" -c "$T/verdict.conf" "$@"; }
for t in drop:block partners:allow submission:block; do
	V table create "${t%%:*}" --kind "${t##*:}" >/dev/null ||
		{ echo "FAIL: table create $t"; exit 1; }
done
V add drop 192.0.2.0/24 --reason SBL-DEMO >/dev/null &&
V add drop 127.0.0.66 --reason LOOPBACK-TEST >/dev/null &&
V add partners 198.51.100.25 --reason "partner MX" >/dev/null &&
V add submission 203.0.113.0/24 >/dev/null ||
	{ echo "FAIL: add"; exit 1; }
chgrp Debian-exim "$T/db" && chmod 2770 "$T/db" ||
	{ echo "FAIL: chgrp the database directory"; exit 1; }

# --- Exim's private configuration: the page's stanza, our library path
mkdir -p "$T/spool" "$T/log"
chown Debian-exim:Debian-exim "$T/spool" "$T/log"
acl=$(sed -n '/exim-acl-begin/,/exim-acl-end/p' "$page" | sed '1d;$d' |
	sed 's/\\e/\\/g; s/\\-/-/g' |
	sed "s|/usr/lib/x86_64-linux-gnu/verdict/libverdict_exim.so|$so|")
case "$acl" in *"{verdict_exim}"*) ;;
*) echo "FAIL: no ACL stanza between the exim-acl markers of $page"; exit 1 ;; esac
cat >"$T/exim.conf" <<EOF
ACL_CONNECT = acl_verdict_connect
KEEP_ENV = VERDICT_CONFIG
primary_hostname = mx.test.invalid
# the unpacked binary: the daemon re-executes it on SIGHUP
exim_path = $exim
spool_directory = $T/spool
log_file_path = $T/log/%slog
local_interfaces = 127.0.0.1
daemon_smtp_ports = $SPORT
acl_smtp_connect = ACL_CONNECT
acl_smtp_rcpt = acl_rcpt
keep_environment = KEEP_ENV
queue_only = true
host_lookup =
rfc1413_hosts =

begin acl

$acl

acl_malformed_argc:
  warn    set acl_c_verdict = \${dlfunc{$so}{verdict_exim}{1}}
  accept

acl_malformed_ip:
  warn    set acl_c_verdict = \${dlfunc{$so}{verdict_exim}{1}{not-an-ip}}
  accept

acl_rcpt:
  accept
EOF
chmod 644 "$T/exim.conf"
export VERDICT_CONFIG=$T/verdict.conf

# bh NAME IP [exim options...] - an ACL test session; the SMTP answers in
# $T/bh.NAME, Exim's trace in $T/bh.NAME.err
bh() {
	local name=$1 ip=$2
	shift 2
	printf 'QUIT\r\n' | "$exim" -C "$T/exim.conf" "$@" -bh "$ip" \
		>"$T/bh.$name" 2>"$T/bh.$name.err"
}
# greeting NAME - the first SMTP reply, continuation lines joined (Exim
# repeats the extended code on each line; it is kept once)
greeting() {
	tr -d '\r' <"$T/bh.$1" | awk '/^[0-9][0-9][0-9][- ]/ {
		l = substr($0, 5)
		if (t != "")
			sub(/^[245]\.[0-9]+\.[0-9]+ /, "", l)
		t = t (t != "" ? " " : "") l
		if (substr($0, 4, 1) == " ") { print substr($0, 1, 3) " " t; exit } }'
}
verdict_of() { grep -m1 -A1 'set acl_c_verdict' "$T/bh.$1.err" | sed -n '2s/^>>> *= //p'; }
expect_greeting() {	# NAME PATTERN WHAT
	local g
	g=$(greeting "$1")
	case "$g" in
	$2) pass "$3: \"$g\"" ;;
	*) fail "$3: greeting \"$g\" (want $2)"; sed -n 1,40p "$T/bh.$1.err" ;;
	esac
}

bh listed 192.0.2.77
expect_greeting listed "554 5.7.1 Service unavailable; client \[192.0.2.77\] blocked using drop; SBL-DEMO" \
	"listed source refused at the greeting with the reply"

bh allowed 198.51.100.25
expect_greeting allowed "220 *" "allow-table source greeted"
[ "$(verdict_of allowed)" = allow ] && pass "allow-table source: verdict allow" ||
	fail "allow-table source: verdict \"$(verdict_of allowed)\""

bh neutral 203.0.113.9
expect_greeting neutral "220 *" "unlisted source greeted"
[ "$(verdict_of neutral)" = neutral ] && pass "unlisted source: verdict neutral" ||
	fail "unlisted source: verdict \"$(verdict_of neutral)\""

bh slot2 203.0.113.5 -oMi 127.0.0.1.587
expect_greeting slot2 "554 5.7.1 submission refused for 203.0.113.5" \
	"port 587 uses slot 2's table and reply"
bh slot1 203.0.113.5
expect_greeting slot1 "220 *" "port 25 (slot 1) does not use slot 2's table"

bh tempfail 198.51.100.99 -oMi 127.0.0.1.587
expect_greeting tempfail "421 4.7.1 Service temporarily unavailable; try again later" \
	"DNSBL failure under on_dns_failure = tempfail deferred"

VERDICT_CONFIG=$T/monitor.conf bh monitor 192.0.2.77
expect_greeting monitor "220 *" "mode = monitor greets a listed source"
grep -q 'verdict=would-block' "$T/bh.monitor.err" &&
	pass "mode = monitor: would-block logged through Exim's log_write" ||
	fail "mode = monitor: no would-block line"

bh argc 192.0.2.77 -DACL_CONNECT=acl_malformed_argc
expect_greeting argc "4[0-9][0-9] *" "a wrong argument count defers the connection"
grep -q 'verdict_exim: 1 argument, expected 2' "$T/bh.argc.err" &&
	pass "a wrong argument count: Exim logs our message" ||
	fail "a wrong argument count: message missing"
bh badip 192.0.2.77 -DACL_CONNECT=acl_malformed_ip
expect_greeting badip "220 *" "a non-IP argument is neutral"
grep -q 'verdict_exim: malformed IP address' "$T/bh.badip.err" &&
	pass "a non-IP argument is logged" || fail "a non-IP argument: no log line"

printf 'QUIT\r\n' | "$exim" -C "$T/exim.conf" -bs >"$T/bh.local" 2>"$T/bh.local.err"
expect_greeting local "220 *" "local SMTP (no client IP) greeted"

if [ -s "$T/log/paniclog" ]; then
	fail "Exim's panic log is not empty: $(head -n 3 "$T/log/paniclog")"
else
	pass "no panic log"
fi

# --- Debian's own configuration (exim4-config, split), the ACL placed as
# libverdict_exim(3) says: macro and acl_smtp_connect in
# conf.d/main/00_local_verdict, the ACL in conf.d/acl/05_local_verdict,
# generated by Debian's update-exim4.conf (from the unpacked package)
cfgpkg=$pkg/config
if [ ! -x "$cfgpkg/usr/sbin/update-exim4.conf" ]; then
	(cd "$pkg" && timeout 180 apt-get download exim4-config) \
		>"$pkg/download-config.log" 2>&1
	cdeb=$(ls "$pkg"/exim4-config_*.deb 2>/dev/null | head -n 1)
	[ -n "$cdeb" ] && dpkg -x "$cdeb" "$cfgpkg"
fi
if [ -x "$cfgpkg/usr/sbin/update-exim4.conf" ]; then
	D=$T/debian
	mkdir -p "$D"
	cp -a "$cfgpkg/etc/exim4" "$D/etc"
	{
		echo "dc_eximconfig_configtype='local'"
		echo "dc_other_hostnames='mx.test.invalid'"
		echo "dc_local_interfaces='127.0.0.1'"
		echo "dc_relay_nets=''"
		echo "dc_use_split_config='true'"
		echo "dc_localdelivery='mail_spool'"
		echo "CFILEMODE='644'"
	} >"$D/etc/update-exim4.conf.conf"
	printf '%s\n' 'MAIN_KEEP_ENVIRONMENT = VERDICT_CONFIG' \
		'acl_smtp_connect = acl_verdict_connect' \
		>"$D/etc/conf.d/main/00_local_verdict"
	# this test's own places, not /var/spool/exim4 and /var/log/exim4
	printf '%s\n' "SPOOLDIR = $T/spool" "log_file_path = $T/log/%slog" \
		>"$D/etc/conf.d/main/00_local_test"
	printf '%s\n' "$acl" >"$D/etc/conf.d/acl/05_local_verdict"
	if bash "$cfgpkg/usr/sbin/update-exim4.conf" -d "$D/etc" \
		-o "$D/exim4.conf" >"$D/update.log" 2>&1; then
		chmod 644 "$D/exim4.conf"
		printf 'QUIT\r\n' | "$exim" -C "$D/exim4.conf" -bh 192.0.2.77 \
			>"$T/bh.debian" 2>"$T/bh.debian.err"
		expect_greeting debian "554 5.7.1 Service unavailable; client \[192.0.2.77\] blocked using drop; SBL-DEMO" \
			"Debian's split configuration, the ACL placed as documented"
		printf 'QUIT\r\n' | "$exim" -C "$D/exim4.conf" -bh 203.0.113.9 \
			>"$T/bh.debian2" 2>"$T/bh.debian2.err"
		expect_greeting debian2 "220 *" \
			"Debian's configuration greets an unlisted source"
	else
		fail "update-exim4.conf: $(tail -n 3 "$D/update.log")"
	fi
else
	echo "note: exim4-config could not be fetched; Debian's own configuration not tried"
fi

# --- a real daemon on loopback, swaks from listed and unlisted sources
"$exim" -C "$T/exim.conf" -bdf -oX "$SPORT" 2>"$T/daemon.err" &
dpid=$!
wait_for "Exim to accept on port $SPORT" 15 tcp_accepts "$SPORT" || exit 1
swaks --server "127.0.0.1:$SPORT" --local-interface 127.0.0.66 \
	--from sender@example.org --to rcpt@example.net --timeout 20 \
	>"$T/swaks.block" 2>&1
g=$(grep -m1 '^<[-*]\{1,2\} *[0-9]' "$T/swaks.block" | sed 's/^<[-*]* *//')
case "$g" in
554*) pass "daemon: listed loopback source gets \"$g\" at the greeting" ;;
*) fail "daemon: greeting \"$g\" (want 554)"; cat "$T/swaks.block" ;;
esac
grep -q 'LOOPBACK-TEST' "$T/swaks.block" &&
	pass "daemon: the reply carries the table's reason" ||
	fail "daemon: the reason is missing from the reply"
swaks --server "127.0.0.1:$SPORT" --local-interface 127.0.0.5 \
	--from sender@example.org --to rcpt@example.net --timeout 20 \
	>"$T/swaks.pass" 2>&1
g=$(grep -m1 '^<[-*]\{1,2\} *[0-9]' "$T/swaks.pass" | sed 's/^<[-*]* *//')
case "$g" in
220*) pass "daemon: unlisted loopback source greeted" ;;
*) fail "daemon: greeting \"$g\" (want 220)"; cat "$T/swaks.pass" ;;
esac
grep -q 'rejected connection in "connect" ACL: 554' "$T/log/mainlog" &&
	pass "daemon: Exim's main log has the refusal" ||
	fail "daemon: no refusal in Exim's main log"
grep -q 'verdict_exim: verdict: ip=127.0.0.66 verdict=block' "$T/log/mainlog" &&
	pass "daemon: the verdict line is in Exim's main log (log_write)" ||
	fail "daemon: no verdict line in Exim's main log"
kill "$dpid" && wait "$dpid" 2>/dev/null
dpid=

# --- loading once (libverdict_exim(3)): the daemon under LD_PRELOAD, the
# variable kept through the re-execution a SIGHUP makes
maps_has_so() { grep -q "$so" "/proc/$dpid/maps" 2>/dev/null; }
greeting_of() {	# SOURCE-IP -> the first SMTP reply swaks saw
	swaks --server "127.0.0.1:$SPORT" --local-interface "$1" \
		--from sender@example.org --to rcpt@example.net --timeout 20 \
		--quit-after CONNECT 2>&1 |
		grep -m1 '^<[-*]\{1,2\} *[0-9]' | sed 's/^<[-*]* *//'
}
LD_PRELOAD=$so "$exim" -C "$T/exim.conf" -DKEEP_ENV="VERDICT_CONFIG : LD_PRELOAD" \
	-bdf -oX "$SPORT" 2>"$T/daemon2.err" &
dpid=$!
if wait_for "the preloading Exim to accept on port $SPORT" 15 tcp_accepts "$SPORT"; then
	maps_has_so && pass "preload: the daemon has the object mapped" ||
		fail "preload: the object is not in the daemon's maps"
	g=$(greeting_of 127.0.0.66)
	case "$g" in
	554*) pass "preload: listed source gets \"$g\"" ;;
	*) fail "preload: greeting \"$g\" (want 554)" ;;
	esac
	# SIGHUP: the daemon re-executes itself in place (same pid).  This
	# daemon runs a private -C file, so Exim has made it the Exim user,
	# and glibc ignores LD_PRELOAD when it executes the setuid binary;
	# what can be checked is that keep_environment kept the variable
	# (a daemon that stays root, as Debian's does, loads it again).
	kill -HUP "$dpid"
	env_has_preload() { tr '\0' '\n' <"/proc/$dpid/environ" 2>/dev/null |
		grep -qx "LD_PRELOAD=$so"; }
	reexec_done() { [ "$(log_count "$T/log/mainlog" 'daemon started')" -ge 3 ]; }
	wait_for "the re-executed daemon to log its start" 15 reexec_done
	wait_for "the re-executed daemon to accept" 15 tcp_accepts "$SPORT"
	env_has_preload && pass "preload: LD_PRELOAD kept through the re-execution on SIGHUP" ||
		fail "preload: LD_PRELOAD lost on SIGHUP"
	g=$(greeting_of 127.0.0.66)
	case "$g" in
	554*) pass "preload: after SIGHUP the listed source gets 554" ;;
	*) fail "preload: after SIGHUP greeting \"$g\"" ;;
	esac
	g=$(greeting_of 127.0.0.5)
	case "$g" in
	220*) pass "preload: unlisted source greeted" ;;
	*) fail "preload: unlisted source: greeting \"$g\"" ;;
	esac
fi
kill "$dpid" && wait "$dpid" 2>/dev/null
dpid=

echo "exim: $passed passed, $failed failed"
[ "$failed" = 0 ]
