#!/usr/bin/env bash
# install.sh - the Debian packages built, installed, used and purged on
# this machine, as a postmaster would (issue 17, item 5)
#
#   tests/package/install.sh [BUILD_DIR]
#
# Builds the five packages from an export of the tree (git archive of
# the working tree's tracked files when .git is there, a copy otherwise)
# with DEB_BUILD_OPTIONS="nocheck noddebs parallel=2", runs lintian (no error and
# no warning may be left: the justified ones are overridden in debian/),
# installs them with apt-get install ./*.deb and checks from the installed
# paths:
#   - verdict --version is dpkg-query's upstream version; the five
#     packages have one version; the header's and the library's version
#     numbers agree (a program built with pkg-config against libverdict-dev);
#   - the user and group verdict, /var/lib/verdict 2770 verdict:verdict,
#     /etc/verdict/verdict.conf a conffile with database_group = verdict;
#   - verdict table create / import / check as the user verdict;
#   - verdict-milter started from its unit's ExecStart line as verdict
#     (its RuntimeDirectory made as systemd would, the socket moved to a
#     free loopback port with -s) answers miltertest CONNECTs: accept with
#     the shipped configuration, reject once a table is named;
#     under a running systemd also that the unit itself is active;
#   - systemd-analyze verify accepts every unit (SKIP printed when it
#     cannot run here);
#   - the callout harness (BUILD_DIR/tests/callout/callout_harness, from
#     the "build" stage) loads the installed libverdict_callout.so: its
#     "cases" mode, and one call as verdict against the installed tables;
#   - the Exim harness (BUILD_DIR/tests/exim/exim_harness) runs its
#     "cases" on the installed libverdict_exim.so;
#   - every program has its man page;
# then purges the packages and checks that none of their files, nor
# /etc/verdict, /var/lib/verdict, /var/cache/verdict, nor a unit link
# is left; only the user and group stay (Debian policy), and the test
# removes them when it created them.  The trap purges on every exit, so
# the machine is left as it was.
#
# Exit 0 pass, 1 fail (each failure printed), 77 skip (the reason printed).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-${VERDICT_BINDIR:-$top/build}}
PKGS="libverdict0 libverdict-dev verdict verdict-milter libverdict-callout"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: installing packages needs root"
for t in dpkg-buildpackage apt-get lintian miltertest setpriv runuser pkg-config cc; do
	command -v $t >/dev/null || skip "$t is not installed"
done
for p in $PKGS; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
		skip "$p is installed already: this test would change it"
	fi
done
# shellcheck source=../integration/wait.inc
. "$top/tests/integration/wait.inc"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

T=$(mktemp -d "${TMPDIR:-/tmp}/verdict-package.XXXXXX")
chmod 755 "$T"	# the user verdict reads the test's configuration here
user_made=0
getent passwd verdict >/dev/null || user_made=1
group_made=0
getent group verdict >/dev/null || group_made=1
mpid=
# man-db's trigger formats the new pages into /var/cache/man on install
# and leaves them on purge: those the test made go with it
catpages() { find /var/cache/man -name '*verdict*' 2>/dev/null | sort; }
catpages >"$T/cat.before"

cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null
	local installed=()
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed\|config-files' &&
			installed+=("$p")
	done
	[ ${#installed[@]} -eq 0 ] ||
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${installed[@]}" >/dev/null 2>&1
	rm -rf /run/verdict-milter
	catpages | comm -13 "$T/cat.before" - | xargs -r rm -f
	[ $user_made = 1 ] && getent passwd verdict >/dev/null && deluser --quiet verdict >/dev/null 2>&1
	[ $group_made = 1 ] && getent group verdict >/dev/null && delgroup --quiet verdict >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- build from an export of the tree -----------------------------------
ver=$(sed -n 's/^project(libverdict VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
src=$T/src/libverdict-$ver
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	# the tracked files as they are on disk, committed or not
	rev=$(git -C "$top" stash create 2>/dev/null)
	git -C "$top" archive "${rev:-HEAD}" | tar -x -C "$src" || fail "git archive"
else
	tar -C "$top" --exclude='./build*' --exclude=./demo --exclude='./obj-*' \
		-cf - . | tar -x -C "$src"
fi
t0=$(date +%s)
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
	dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1); then
	tail -40 "$T/build.log"
	fail "dpkg-buildpackage -us -uc -b"
	exit 1
fi
pass "dpkg-buildpackage: $(($(date +%s) - t0)) s"
grep -A20 'dpkg-gensymbols: warning' "$T/build.log" &&
	fail "libverdict0's symbols changed: update debian/libverdict0.symbols (above)"
debs=()
for p in $PKGS; do
	f=$(ls "$T"/src/"${p}"_*.deb 2>/dev/null)
	[ -n "$f" ] || { fail "no ${p}_*.deb built"; exit 1; }
	debs+=("$f")
done

t0=$(date +%s)
lintian --fail-on none "$T"/src/libverdict_*.changes >"$T/lintian.txt" 2>&1
echo "lintian ($(($(date +%s) - t0)) s):" \
	"$(grep -c '^E:' "$T/lintian.txt") errors," \
	"$(grep -c '^W:' "$T/lintian.txt") warnings," \
	"$(grep -c '^I:' "$T/lintian.txt") infos"
sed 's/^/  /' "$T/lintian.txt"
grep -q '^[EW]:' "$T/lintian.txt" && fail "lintian: errors or warnings not overridden"

# --- install ------------------------------------------------------------
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"${debs[@]}" >"$T/apt.log" 2>&1; then
	tail -20 "$T/apt.log"
	fail "apt-get install ./*.deb"
	exit 1
fi
pass "apt-get install of the five packages"

# --- versions -----------------------------------------------------------
dv=$(dpkg-query -W -f='${Version}' verdict)
for p in $PKGS; do
	[ "$(dpkg-query -W -f='${Version}' "$p")" = "$dv" ] || fail "$p is not version $dv"
done
[ "${dv%-*}" = "$ver" ] || fail "package version $dv is not project(VERSION) $ver-N"
vv=$(/usr/bin/verdict --version)
[ "$(echo "$vv" | awk '{print $2}')" = "${dv%-*}" ] &&
	pass "verdict --version \"$vv\" matches dpkg-query $dv" ||
	fail "verdict --version \"$vv\" does not match dpkg-query $dv"
cat >"$T/v.c" <<'EOF'
#include <stdio.h>
#include <verdict.h>
int main(void) { printf("%s %d %d\n", verdict_version(), verdict_version_number(),
	VERDICT_VERSION_NUMBER); return 0; }
EOF
IFS=. read -r a b c <<<"$ver"
want="$ver $((a * 10000 + b * 100 + c)) $((a * 10000 + b * 100 + c))"
# shellcheck disable=SC2046
if cc -o "$T/v" "$T/v.c" $(pkg-config --cflags --libs libverdict) 2>"$T/cc.log" &&
	[ "$("$T/v")" = "$want" ]; then
	pass "libverdict-dev: pkg-config build runs, \"$want\""
else
	cat "$T/cc.log"
	fail "libverdict-dev: program built with pkg-config: \"$("$T/v" 2>&1)\", want \"$want\""
fi

# --- user, directory, conffile -----------------------------------------
IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd verdict)"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/verdict ] && [ "$shell" = /usr/sbin/nologin ] &&
	[ "$(getent group verdict | cut -d: -f3)" = "$gid" ] &&
	pass "system user verdict ($uid, group verdict, home $home, $shell)" ||
	fail "user verdict: $(getent passwd verdict)"
m=$(stat -c '%a %U %G' /var/lib/verdict 2>&1)
[ "$m" = "2770 verdict verdict" ] && pass "/var/lib/verdict $m" || fail "/var/lib/verdict: $m"
dpkg-query -W -f='${Conffiles}\n' verdict | grep -q ' /etc/verdict/verdict.conf ' &&
	grep -qx 'database_group = verdict' /etc/verdict/verdict.conf &&
	pass "/etc/verdict/verdict.conf: a conffile, database_group = verdict" ||
	fail "/etc/verdict/verdict.conf: not a conffile or no database_group = verdict"

# --- tables as the user verdict ----------------------------------------
CONF=$T/verdict.conf	# the shipped one with the table named
sed 's/^#block_tables = drop$/block_tables = drop/' /etc/verdict/verdict.conf >"$CONF"
chmod 644 "$CONF"
asv() { runuser -u verdict -- "$@"; }
asv /usr/bin/verdict table create drop --kind block >"$T/out" 2>&1 || fail "table create: $(cat "$T/out")"
asv /usr/bin/verdict import drop - <"$top/data/sample-drop.txt" >"$T/out" 2>&1 || fail "import: $(cat "$T/out")"
asv /usr/bin/verdict -c "$CONF" check 192.0.2.77 >"$T/out" 2>&1
rc=$?
asv /usr/bin/verdict -c "$CONF" check 203.0.113.9 >"$T/out2" 2>&1
rc2=$?
[ $rc = 1 ] && grep -q '^192.0.2.77 block drop' "$T/out" && [ $rc2 = 0 ] &&
	pass "as verdict: table create, import, check (block $(cat "$T/out"))" ||
	fail "as verdict: check 192.0.2.77 exit $rc \"$(cat "$T/out")\", 203.0.113.9 exit $rc2"
m=$(stat -c '%a %U %G' /var/lib/verdict/data.mdb /var/lib/verdict/lock.mdb 2>&1 | sort -u)
[ "$m" = "660 verdict verdict" ] && pass "tables' files $m" || fail "tables' files: $m"

# --- the milter from its unit -------------------------------------------
unit=/lib/systemd/system/verdict-milter.service
if [ -d /run/systemd/system ]; then
	systemctl is-active --quiet verdict-milter && systemctl is-enabled --quiet verdict-milter &&
		pass "verdict-milter.service enabled and active" ||
		fail "verdict-milter.service not enabled and active after install"
else
	echo "SKIP: systemd is not running here: verdict-milter.service started by hand below"
fi
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$(sed -n 's/^User=//p' "$unit")" = verdict ] || fail "$unit: not User=verdict"
rundir=/run/$(sed -n 's/^RuntimeDirectory=//p' "$unit")
install -d -o verdict -g verdict -m 0750 "$rundir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
milter() {	# milter CONF: start it as the unit does, on $port
	local c=$1
	# shellcheck disable=SC2086
	set -- $exec_start
	[ "$c" = shipped ] || set -- "${@/\/etc\/verdict\/verdict.conf/$c}"
	setpriv --reuid=verdict --regid=verdict --init-groups -- \
		"$@" -s "inet:$port@127.0.0.1" >"$T/milter.log" 2>&1 &
	mpid=$!
	wait_for "verdict-milter on 127.0.0.1:$port" 20 tcp_accepts "$port"
}
mt() {	# mt IP WANT(SMFIR_ACCEPT|SMFIR_REJECT)
	cat >"$T/mt.lua" <<EOF
local conn = mt.connect("inet:$port@127.0.0.1", 20, 0.1)
if conn == nil then error("cannot connect to the milter") end
if mt.conninfo(conn, "client.example", "$1") ~= nil then error("conninfo") end
if mt.getreply(conn) ~= $2 then error("CONNECT $1: not $2") end
mt.disconnect(conn)
EOF
	miltertest -s "$T/mt.lua" >"$T/mt.out" 2>&1
}
stop_milter() {
	kill "$mpid"
	wait_for "verdict-milter to stop" 40 proc_gone "$mpid"
	wait "$mpid" 2>/dev/null
	mpid=
}
if milter shipped; then
	[ "$(ps -o user= -p "$mpid")" = verdict ] || fail "verdict-milter does not run as verdict"
	mt 192.0.2.77 SMFIR_ACCEPT && pass "milter (unit's ExecStart, as verdict, shipped config): CONNECT accepted" ||
		fail "milter with the shipped config: $(cat "$T/mt.out")"
	stop_milter
	milter "$CONF" &&
		mt 192.0.2.77 SMFIR_REJECT && pass "milter with block_tables = drop: CONNECT 192.0.2.77 rejected" ||
		fail "milter with block_tables = drop: $(cat "$T/mt.out" "$T/milter.log")"
	[ -n "$mpid" ] && stop_milter
else
	fail "verdict-milter did not listen: $(cat "$T/milter.log")"
fi

# --- systemd-analyze verify ---------------------------------------------
units=$(dpkg -L verdict verdict-milter | grep -E '^/lib/systemd/system/.*\.(service|timer)$')
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: systemd-analyze verify: systemd-analyze is not installed"
elif systemd-analyze verify /lib/systemd/system/systemd-journald.service >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	systemd-analyze verify $units >"$T/verify.log" 2>&1 &&
		pass "systemd-analyze verify: $(echo $units | wc -w) units" ||
		fail "systemd-analyze verify: $(cat "$T/verify.log")"
else
	echo "SKIP: systemd-analyze verify cannot check even systemd's own units here:" \
		"$(systemd-analyze verify /lib/systemd/system/systemd-journald.service 2>&1 | head -1)"
fi

# --- the callout --------------------------------------------------------
so=$(dpkg -L libverdict-callout | grep '/verdict/libverdict_callout.so$')
H=$B/tests/callout/callout_harness
if [ -z "$so" ] || [ "$(stat -c %a "$so")" != 644 ]; then
	fail "libverdict_callout.so not installed world-readable: ${so:-none}"
elif [ ! -x "$H" ]; then
	echo "SKIP: callout harness: $H is not built (stage build)"
else
	"$H" "$so" cases >"$T/co.log" 2>&1 && pass "callout harness cases on $so" ||
		fail "callout harness cases on $so: $(tail -5 "$T/co.log")"
	out=$(echo "1|192.0.2.77" | VERDICT_CONFIG=$CONF runuser -u verdict -- "$H" "$so" stdin 2>&1)
	case $out in
	"-1 "*192.0.2.77*) pass "callout as verdict on the installed tables: $out" ;;
	*) fail "callout as verdict: \"$out\"" ;;
	esac
fi

# --- the Exim object (shipped in libverdict-callout) ----------------------
so=$(dpkg -L libverdict-callout | grep '/verdict/libverdict_exim.so$')
H=$B/tests/exim/exim_harness
if [ -z "$so" ] || [ "$(stat -c %a "$so")" != 644 ]; then
	fail "libverdict_exim.so not installed world-readable: ${so:-none}"
elif [ ! -x "$H" ]; then
	echo "SKIP: exim harness: $H is not built (stage build)"
else
	"$H" "$so" cases >"$T/ex.log" 2>&1 && pass "exim harness cases on $so" ||
		fail "exim harness cases on $so: $(tail -5 "$T/ex.log")"
fi

# --- man pages ------------------------------------------------------------
for prog in $(dpkg -L $PKGS | grep -E '^/usr/s?bin/'); do
	n=${prog##*/}
	ls /usr/share/man/man[18]/"$n".[18].gz >/dev/null 2>&1 || fail "no man page for $prog"
done
for page in libverdict.3 libverdict_callout.3 libverdict_exim.3 verdict.conf.5 \
	verdict-update.8; do
	[ -e "/usr/share/man/man${page##*.}/$page.gz" ] || fail "man page $page not installed"
done

# --- purge ----------------------------------------------------------------
dpkg -L $PKGS 2>/dev/null | sort -u >"$T/files"
if ! DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $PKGS >"$T/apt.log" 2>&1; then
	tail -20 "$T/apt.log"
	fail "apt-get purge"
fi
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'not-installed' ||
		[ -z "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" ] ||
		fail "$p not purged: $(dpkg-query -W -f='${Status}' "$p")"
done
left=()
while read -r f; do
	[ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
done <"$T/files"
for d in /etc/verdict /var/lib/verdict /var/cache/verdict \
	"/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/verdict"; do
	[ -e "$d" ] && left+=("$d")
done
links=$(find /etc/systemd/system -name 'verdict-*' 2>/dev/null)
[ -n "$links" ] && left+=($links)
[ ${#left[@]} = 0 ] && pass "purged: no file of the packages left (user verdict kept, as policy says)" ||
	fail "left after purge: ${left[*]}"
getent passwd verdict >/dev/null || fail "the user verdict was removed on purge"

[ $fails = 0 ] || { echo "FAIL: $fails checks failed"; exit 1; }
echo "PASS: packages built, lintian clean, installed, used, purged"
