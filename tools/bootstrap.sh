#!/usr/bin/env bash
# bootstrap.sh - set up libverdict on a fresh Debian 12 machine.
#
#   tools/bootstrap.sh demo   install build dependencies, build, create a
#                             demo database from data/ and check three IPs
#   tools/bootstrap.sh test   install build and test dependencies, build,
#                             run the whole test suite, then rebuild and rerun
#                             it under AddressSanitizer + UBSan, the
#                             multi-threaded tests under ThreadSanitizer,
#                             and every fuzz target for FUZZ_SECONDS (30),
#                             one per core; each stage prints its seconds
#   tools/bootstrap.sh bench  build (Release) and run the benchmarks
#   tools/bootstrap.sh package  install the packaging tools, build the
#                             Debian packages (dpkg-buildpackage -us -uc -b;
#                             the .deb files land in the tree's parent
#                             folder) and run lintian on them
#
# Runs as root (apt-get); set NO_APT=1 to skip package installation.
# STAGES picks some stages of "test" (build test package asan tsan fuzz).
set -euo pipefail

mode=${1:-demo}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
# Warnings are errors in the test builds (CI); packagers' builds leave it off.
WERROR=
[ "$mode" = test ] && WERROR=-DVERDICT_WERROR=ON

# Build dependencies (all from Debian's archive).
PKGS_BUILD="build-essential cmake pkgconf liblmdb-dev lmdb-utils libc-ares-dev
 libmaxminddb-dev libmilter-dev check
 libmicrohttpd-dev"
# Test dependencies: real servers and tools the integration tests start.
#   rbldnsd (DNSBL zones), postfix + swaks (milter), miltertest, iprange,
#   nftables + ipset + iproute2 (feeds, in a private network namespace),
#   libmaxmind-db-writer-perl (MMDB fixtures), faketime, valgrind, clang
#   (libFuzzer, TSan), mmdb-bin, curl + python3 (local HTTP server),
#   prometheus (promtool check metrics).
PKGS_TEST="rbldnsd swaks miltertest iprange nftables ipset iproute2
 libmaxmind-db-writer-perl mmdb-bin faketime valgrind clang libclang-rt-14-dev
 curl python3 dnsutils procps
 spamd spamass-milter spamc prometheus mimedefang"
# Exim's run-time libraries (dpkg-deb -f exim4-daemon-heavy_*.deb Depends):
# tests/integration/exim.sh fetches the package itself (apt-get download)
# and runs it unpacked, never installed (it conflicts with postfix).
PKGS_TEST="$PKGS_TEST libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0
 libldap-2.5-0 libmariadb3 libnsl2 libpam0g libpcre2-8-0 libperl5.36 libpq5
 libsasl2-2 libspf2-2 libsqlite3-0 libcrypt1"

# Packaging: what debian/control's Build-Depends adds, and lintian.
PKGS_DEB="debhelper dpkg-dev lintian adduser"

install_pkgs() {
	[ "${NO_APT:-0}" = 1 ] && return 0
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bootstrap: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# MIMEDefang's system instance stays stopped: its test starts its own.
	case " ${missing[*]} " in
	*" mimedefang "*)
		(systemctl stop mimedefang mimedefang-multiplexor ||
			service mimedefang stop || true) >/dev/null 2>&1 ;;
	esac
}

# Postfix for the milter tests, only when no other MTA is installed (the
# tests then skip visibly).  Installed without configuring a system MTA.
install_postfix() {
	[ "${NO_APT:-0}" = 1 ] && return 0
	dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q 'install ok installed' && return 0
	if dpkg-query -W -f='${Provides}\n' 2>/dev/null | grep -qw mail-transport-agent; then
		echo "bootstrap: another MTA is installed; Postfix tests will be skipped"
		return 0
	fi
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
	# The system instance stays stopped: tests start private instances.
	(systemctl stop postfix || service postfix stop || true) >/dev/null 2>&1
}

# stage NAME COMMAND... - run one stage of "test", print its wall time;
# the times are summed up at the end (stage_report).  STAGES (default
# "build test package asan tsan fuzz") picks some of them, e.g. STAGES=fuzz to
# fuzz again; a stage needs the build directory of the ones before it.
stage_names=()
stage_secs=()
# cpu_secs - user + system seconds of this shell's finished children so
# far (cutime + cstime of /proc/$$/stat: $$ is this shell even in $(...))
cpu_secs() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, "")
		printf "%d\n", ($14 + $15) / hz }' "/proc/$$/stat"
}

stage() {
	local name=$1 t0 c0 rc=0
	shift
	case " ${STAGES:-build test package asan tsan fuzz} " in
	*" ${name%%-*} "*) ;;
	*) return 0 ;;
	esac
	t0=$(date +%s)
	c0=$(cpu_secs)
	echo "bootstrap: stage $name"
	"$@" || rc=$?
	stage_names+=("$name")
	stage_secs+=($(($(date +%s) - t0)))
	# CPU time: what the stage costs whatever else the machine runs
	local cpu="wall, $(($(cpu_secs) - c0)) s CPU"
	if [ $rc = 0 ]; then
		echo "bootstrap: stage $name: ${stage_secs[-1]} s $cpu"
	else
		echo "bootstrap: stage $name: ${stage_secs[-1]} s $cpu, FAILED (exit $rc)"
		stage_report
		exit "$rc"
	fi
}

stage_report() {
	local i total=0 line=
	for i in "${!stage_names[@]}"; do
		line+=" ${stage_names[$i]} ${stage_secs[$i]} s,"
		total=$((total + stage_secs[i]))
	done
	echo "bootstrap: stages:${line} total $total s"
}

build() {	# build DIR [cmake options...]
	local dir=$1; shift
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo $WERROR "$@" >/dev/null &&
		cmake --build "$dir" -j "$jobs"
}

# tsan_build, tsan_test - the multi-threaded tests again under ThreadSanitizer
# (tests/tsan.supp: libmilter's own shutdown races only).  callout_fork
# is left out: TSan cannot start threads in a child of a threaded fork.
tsan_build() {
	build build-tsan -DVERDICT_TSAN=ON
}

tsan_test() {
	(cd build-tsan && TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$top/tests/tsan.supp" \
		VERDICT_SANITIZED=1 ctest --output-on-failure -j "$jobs" \
		-R '^(table_t|dnsbl_engine_t|geo_t|it_cli|it_dnsbl_geo|it_milter_.*|it_soak_short|callout_.*|dnsbl_burst_t|exim_threads|stats_t|learn_t|dbmove_t|it_callout_metrics)$' \
		-E '^callout_(fork|exports)$')
}

# fuzz_build, fuzz_run - the libFuzzer targets (tests/fuzz), built with
# clang under ASan + UBSan in build-fuzz, run for FUZZ_SECONDS (default
# 30) each, one target per core at once.
fuzz_build() {
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		$WERROR -DVERDICT_FUZZ=ON >/dev/null &&
		cmake --build build-fuzz -j "$jobs" --target fuzz
}

fuzz_run() {
	echo "bootstrap: fuzzing, ${FUZZ_SECONDS:-30} s per target, $jobs at once"
	FUZZ_JOBS=$jobs bash tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-30}"
}

test_run() {	# test_run DIR: the whole suite
	(cd "$1" && ctest --output-on-failure -j "$jobs")
}

asan_test() {
	(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		VERDICT_SANITIZED=1 ctest --output-on-failure -j "$jobs")
}

# package_build - the Debian packages from this tree, as a packager
# builds them (DEB_BUILD_OPTIONS honoured, e.g. nocheck), then lintian;
# the .deb files land in the parent folder.  Works without .git.
package_build() {
	local opts=${DEB_BUILD_OPTIONS:-} ver changes
	case " $opts " in *" parallel="*) ;; *) opts="$opts parallel=$jobs" ;; esac
	DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b
	ver=$(dpkg-parsechangelog -S Version)
	changes=../libverdict_${ver}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
	lintian --fail-on error "$changes"
	echo "bootstrap: packages in $(cd .. && pwd):"
	sed -n '/^Files:/,$s/.* \([^ ]*\.deb\)$/  \1/p' "$changes"
}

# package_test - tests/package/install.sh: build, install, use and purge
# the packages on this machine (root only; it skips, visibly, otherwise)
package_test() {
	local rc=0
	bash tests/package/install.sh "$top/build" || rc=$?
	[ $rc = 77 ] && return 0
	return $rc
}

case "$mode" in
demo)
	install_pkgs $PKGS_BUILD
	build build
	rm -rf demo && mkdir -p demo
	sed "s|^database = .*|database = $top/demo/db|" data/verdict.conf.example > demo/verdict.conf
	v="build/tools/verdict -c demo/verdict.conf"
	$v table create drop --kind block
	$v table create mx-partners --kind allow
	$v import drop data/sample-drop.txt
	$v import mx-partners data/sample-allow.txt
	$v table list
	echo "bootstrap: verdict check 192.0.2.77 198.51.100.25 203.0.113.9"
	set +e
	$v check 192.0.2.77 198.51.100.25 203.0.113.9
	echo "bootstrap: exit status $? (1 = at least one block)"
	;;
test)
	install_pkgs $PKGS_BUILD $PKGS_TEST $PKGS_DEB
	install_postfix
	stage build build build
	stage test test_run build
	stage package package_test
	stage asan-build build build-asan -DVERDICT_SANITIZE=ON
	stage asan-test asan_test
	stage tsan-build tsan_build
	stage tsan-test tsan_test
	stage fuzz-build fuzz_build
	stage fuzz fuzz_run
	stage_report
	;;
bench)
	install_pkgs $PKGS_BUILD $PKGS_TEST
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DVERDICT_TESTS=ON >/dev/null
	cmake --build build-bench -j "$jobs"
	bash tests/bench/run.sh build-bench
	;;
package)
	install_pkgs $PKGS_BUILD $PKGS_DEB
	package_build
	;;
*)
	echo "usage: $0 demo|test|bench|package" >&2
	exit 2
	;;
esac
