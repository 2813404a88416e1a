/*
 * callout_harness.c - drive libverdict_callout.so the way an MTA does
 *
 *	callout_harness SO cases		single calls, garbage included
 *	callout_harness SO reload		config changes while running
 *	callout_harness SO broken		broken config at start, then fixed
 *	callout_harness SO perm		lock.mdb not writable by the caller
 *	callout_harness SO fork		use after fork in a child
 *	callout_harness SO probe		the whole probe: the client IP
 *					in the fifth field, and garbage
 *	callout_harness SO deadline	a zone that never answers: the call
 *					ends at the profile's dnsbl_timeout
 *					when callout_timeout is longer
 *	callout_harness SO threads [T] [N] [R]	T threads x N calls, every
 *					answer checked; R=1: rewrite the
 *					config meanwhile (reloads)
 *	callout_harness SO bench [N]		costs: callout vs verdict_check,
 *					1 vs 2 threads
 *	callout_harness SO stdin		for shell tests: no set-up; the
 *					caller's VERDICT_CONFIG; one call per
 *					line "slot|ip" of standard input,
 *					printed as "RET REPLY" (REPLY "-"
 *					on a 0 return), flushed
 *
 * Each mode makes a fresh directory under $TMPDIR, creates the tables in a
 * forked child through the public API (the harness links the static
 * library for that; the callout has its own copy, and LMDB wants one
 * environment per path per process, so the parent never opens it), writes
 * verdict.conf, points VERDICT_CONFIG at it and VERDICT_CALLOUT_LOG_FD at
 * a log file, then dlopen()s SO and finds both routines with dlsym by
 * name.  Calls use what the MTA passes: a 252-byte argument buffer not
 * NUL-terminated, junk after the argument, *arglength exact, and a
 * 252-byte result followed by a 16-byte canary that must survive.  A
 * second variant allocates exactly *arglength bytes, so AddressSanitizer
 * catches a read past them.
 *
 * Exit: 0 pass, 1 a case failed (each printed), 2 usage or set-up error,
 * 77 skipped (the reason printed).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "verdict.h"

#define BUF 252
#define CANARY 16

typedef int (*routine_fn)(char *, long *, char *, long *);

static routine_fn vcr, mcr;
static int failures;

/* [profile 7]: a zone that never answers, a DNS deadline shorter than
 * the callout's (mode deadline) */
#define P7_DNSBL_MS 300
#define P7_CALLOUT_MS 1000
#define STR_(x) #x
#define STR(x) STR_(x)

#define R1 "554 5.7.1 Service unavailable; client [192.0.2.1] blocked " \
	   "using drop; SBL123"

/* ------------------------------------------------------------ set-up */

static void
write_file_rename(const char *path, const char *text)
{
	char tmp[PATH_MAX + 64];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	write_file(tmp, text);
	if (rename(tmp, path) != 0)
		die(path);
}

/* The configuration every mode starts from; extra goes at the end of
 * the global section. */
static void
config_text(char *out, size_t len, const char *p1_block, const char *extra)
{
	static char pad[301];

	memset(pad, 'x', 300);
	if (snprintf(out, len,
		 "database = %s/db\n"
		 "%s"
		 "allow_tables = good\n"
		 "block_tables = %s\n"
		 "[profile 2]\n"
		 "allow_tables =\n"
		 "block_tables = other\n"
		 "reply = 554 5.7.1 go away %%{ip}\n"
		 "[profile 3]\n"
		 "mode = monitor\n"
		 "[profile 4]\n"
		 "reply = 554 5.7.1 %s\n"
		 "[profile 5]\n"
		 "dnsbl_sites = bl.example.test\n"
		 "on_dns_failure = tempfail\n"
		 "callout_tempfail = reject\n"
		 "callout_timeout = 300ms\n"
		 "[profile 6]\n"
		 "dnsbl_sites = bl.example.test\n"
		 "on_dns_failure = tempfail\n"
		 "callout_timeout = 300ms\n"
		 "[profile 7]\n"
		 "dnsbl_sites = silent.test\n"
		 "on_dns_failure = tempfail\n"
		 "callout_tempfail = reject\n"
		 "dnsbl_timeout = " STR(P7_DNSBL_MS) "ms\n"
		 "callout_timeout = " STR(P7_CALLOUT_MS) "ms\n",
		 dir, extra, p1_block, pad) >= (int)len) {
		fprintf(stderr, "callout_harness: config text too long\n");
		exit(2);
	}
}


/* setup - directory, tables, config, environment, dlopen. */
static void
setup(const char *so, const char *extra)
{
	char text[16384], fdtext[16];
	void *h;
	int fd;

	harness_setup("vdcallout");
	config_text(text, sizeof(text), "drop", extra ? extra : "");
	write_file(conf, text);
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		       0644)) < 0)
		die(logpath);
	snprintf(fdtext, sizeof(fdtext), "%d", fd);
	setenv("VERDICT_CONFIG", conf, 1);
	setenv("VERDICT_CALLOUT_LOG_FD", fdtext, 1);
	if ((h = dlopen(so, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "callout_harness: dlopen: %s\n", dlerror());
		exit(2);
	}
	vcr = (routine_fn)dlsym(h, "verdict_check_reputation");
	mcr = (routine_fn)dlsym(h, "mm_check_reputation");
	if (vcr == NULL || mcr == NULL) {
		fprintf(stderr, "callout_harness: dlsym: %s\n", dlerror());
		exit(2);
	}
	printf("# directory %s\n", dir);
}

/* ------------------------------------------------------------ calling */

/*
 * call - one call as the MTA makes it.  arg/alen: the argument bytes;
 * arglen: the value of *arglength (normally alen).  exact: allocate
 * exactly alen bytes (ASan sees over-reads) instead of 252 + junk.
 * The reply goes to reply (BUF bytes).  Checks the canary, that the
 * argument was not written, and the result's NUL and length.
 */
static int
call_fn(routine_fn fn, const char *arg, size_t alen, long arglen, int exact,
	char *reply, const char *label)
{
	size_t cap = exact ? (alen ? alen : 1) : BUF;
	char *a = malloc(cap), *copy = malloc(cap);
	char *res = malloc(BUF + CANARY);
	long al = arglen, rl = -7;
	int ret;

	if (a == NULL || copy == NULL || res == NULL)
		die("malloc");
	/* Junk after the argument: digits, so reading past *arglength
	 * turns "192.0.2.1" into a malformed "192.0.2.1999...". */
	memset(a, '9', cap);
	memcpy(a, arg, alen < cap ? alen : cap);
	memcpy(copy, a, cap);
	memset(res, 0xEE, BUF);
	memset(res + BUF, 0xC5, CANARY);
	ret = fn(a, &al, res, &rl);
	for (int i = 0; i < CANARY; i++)
		if ((unsigned char)res[BUF + i] != 0xC5) {
			printf("not ok - %s: canary after 252 bytes of result "
			       "overwritten\n", label);
			failures++;
			break;
		}
	if (memcmp(a, copy, cap) != 0 || al != arglen) {
		printf("not ok - %s: argument or *arglength written\n", label);
		failures++;
	}
	reply[0] = 0;
	if (ret == -1) {
		if (rl < 0 || rl > BUF - 1 || res[rl] != 0 ||
		    strlen(res) != (size_t)rl) {
			printf("not ok - %s: *reslength %ld does not match the "
			       "NUL-terminated result\n", label, rl);
			failures++;
		} else {
			memcpy(reply, res, (size_t)rl + 1);
		}
	} else if (rl != -7) {
		printf("not ok - %s: *reslength written on a 0 return\n",
		       label);
		failures++;
	}
	free(a);
	free(copy);
	free(res);
	return ret;
}

/* mode_stdin - a long-running caller for the fault tests: each input
 * line is one call; the answer line is flushed at once. */
static int
mode_stdin(const char *so)
{
	char line[BUF + 2], reply[BUF];
	void *h;

	if ((h = dlopen(so, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "callout_harness: dlopen: %s\n", dlerror());
		return 2;
	}
	if ((vcr = (routine_fn)dlsym(h, "verdict_check_reputation")) == NULL) {
		fprintf(stderr, "callout_harness: dlsym: %s\n", dlerror());
		return 2;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		size_t n = strcspn(line, "\n");
		int ret;

		line[n] = 0;
		ret = call_fn(vcr, line, n, (long)n, 0, reply, line);
		printf("%d %s\n", ret, ret == -1 ? reply : "-");
		fflush(stdout);
	}
	return failures ? 1 : 0;
}

/* expect - one case: both variants (junk after, exact allocation). */
static void
expect(const char *label, const char *arg, size_t alen, long arglen,
       int want, const char *want_reply)
{
	char reply[BUF];

	for (int exact = 0; exact < 2; exact++) {
		int ret = call_fn(exact ? mcr : vcr, arg, alen, arglen,
				  exact && arglen >= 0 && arglen <= BUF,
				  reply, label);

		if (ret != want || (want == -1 && want_reply &&
				    strcmp(reply, want_reply) != 0)) {
			printf("not ok - %s%s: returned %d \"%s\", expected "
			       "%d \"%s\"\n", label, exact ? " (exact)" : "",
			       ret, reply, want, want_reply ? want_reply : "");
			failures++;
			return;
		}
	}
	printf("ok - %s\n", label);
}

#define S(lit) lit, sizeof(lit) - 1, sizeof(lit) - 1

static void
expect_log(const char *what, const char *s, int min, int max)
{
	int n = log_count(s);

	if (n < min || n > max) {
		printf("not ok - log: %s: %d lines with \"%s\", expected "
		       "%d..%d\n", what, n, s, min, max);
		failures++;
	} else {
		printf("ok - log: %s\n", what);
	}
}

/* -------------------------------------------------------------- modes */

static int
tempfail_probe(void *arg)
{
	verdict_ctx *c = verdict_new();
	verdict_result *r = verdict_result_new();
	int kind;

	(void)arg;
	if (verdict_load_config(c, conf) || verdict_open(c, 0) ||
	    verdict_check(c, 5, "203.0.113.9", r))
		return 2;
	kind = verdict_result_kind(r);
	verdict_result_free(r);
	verdict_free(c);
	return kind == VERDICT_TEMPFAIL ? 0 : 1;
}

static int
mode_cases(void)
{
	char arg[400], reply[BUF], lr[BUF];
	struct timespec t0, t1;
	long ms;
	int ret;

	expect("block v4", S("1|192.0.2.1"), -1, R1);
	expect("allow table wins", S("1|192.0.2.200"), 0, NULL);
	expect("neutral", S("1|203.0.113.5"), 0, NULL);
	expect("block v6", S("1|2001:db8::1"), -1, "554 5.7.1 Service "
	       "unavailable; client [2001:db8::1] blocked using drop; "
	       "v6 block");
	expect("profile 2 own table and reply", S("2|198.51.100.7"), -1,
	       "554 5.7.1 go away 198.51.100.7");
	expect("profile 2 does not use drop", S("2|192.0.2.1"), 0, NULL);
	expect("monitor mode passes", S("3|192.0.2.1"), 0, NULL);
	expect("white space around fields", S(" 1 | 192.0.2.1 "), -1, R1);
	expect("tabs and port field", S("\t1\t|\t192.0.2.1\t|\t25"), -1, R1);
	expect("port field ignored", S("1|192.0.2.1|25"), -1, R1);
	expect("leading zero slot", S("01|192.0.2.1"), -1, R1);
	memset(arg, ' ', sizeof(arg));
	memcpy(arg, "1|192.0.2.1", 11);
	expect("252-byte argument, padded", arg, 252, 252, -1, R1);
	memset(arg, '1', sizeof(arg));
	memcpy(arg, "1|", 2);
	expect("251-byte garbage", arg, 251, 251, 0, NULL);
	expect("252-byte garbage", arg, 252, 252, 0, NULL);
	expect("empty", "", 0, 0, 0, NULL);
	expect("bar only", S("|"), 0, NULL);
	expect("no IP", S("1|"), 0, NULL);
	expect("blank IP", S("1|   "), 0, NULL);
	expect("empty IP, port", S("1||192.0.2.1"), 0, NULL);
	expect("no bar", S("192.0.2.1"), 0, NULL);
	expect("slot not a number", S("x|1.2.3.4"), 0, NULL);
	expect("slot 0", S("0|192.0.2.1"), 0, NULL);
	expect("slot 1000", S("1000|192.0.2.1"), 0, NULL);
	expect("negative slot", S("-1|192.0.2.1"), 0, NULL);
	expect("empty slot", S("|192.0.2.1"), 0, NULL);
	expect("short IP", S("1|1.2.3"), 0, NULL);
	expect("IP with junk", S("1|192.0.2.1 x"), 0, NULL);
	expect("IP with zone", S("1|fe80::1%eth0"), 0, NULL);
	expect("overlong IP", S("1|1111:2222:3333:4444:5555:6666:7777:8888:"
				"9999"), 0, NULL);
	expect("undeclared profile", S("999|1.2.3.4"), 0, NULL);
	expect("NUL inside IP", "1|192.0\0.2.1", 12, 12, 0, NULL);
	expect("NUL after IP", "1|192.0.2.1\0", 12, 12, 0, NULL);
	expect("*arglength -1", "1|192.0.2.1", 11, -1, 0, NULL);
	expect("*arglength 253", "1|192.0.2.1", 11, 253, 0, NULL);
	expect("*arglength 1000000", "1|192.0.2.1", 11, 1000000, 0, NULL);
	expect("*arglength LONG_MIN", "1|192.0.2.1", 11, LONG_MIN, 0, NULL);

	/* A reply longer than the buffer is cut at 251 bytes. */
	memset(lr, 'x', sizeof(lr));
	memcpy(lr, "554 5.7.1 ", 10);
	lr[251] = 0;
	expect("long reply cut at 251 bytes", S("4|192.0.2.1"), -1, lr);

	/* NULL pointers: 0, nothing touched. */
	ret = vcr(NULL, NULL, NULL, NULL);
	printf("%s - NULL pointers\n", ret == 0 ? "ok" : "not ok");
	failures += ret != 0;

	/* TEMPFAIL: a DNSBL behind a server that never answers.  Needs the
	 * library's DNSBL engine. */
	if (in_child(tempfail_probe, NULL) != 0) {
		printf("ok - # SKIP tempfail: this library gives no TEMPFAIL "
		       "(no DNSBL engine)\n");
	} else {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		expect("tempfail reject", S("5|203.0.113.9"), -1,
		       "421 4.7.1 Service temporarily unavailable; try again "
		       "later");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > 2 * (300 + 200)) {
			printf("not ok - tempfail: 2 calls took %ld ms, "
			       "callout_timeout is 300ms\n", ms);
			failures++;
		}
		expect("tempfail pass", S("6|203.0.113.9"), 0, NULL);
	}
	(void)reply;

	/* Once per minute per kind: the cases above repeat most kinds. */
	expect_log("no '|'", "has no '|'", 1, 1);
	expect_log("bad slot", "must be a profile number", 1, 1);
	expect_log("bad length", "outside 0..252", 1, 1);
	expect_log("undeclared profile", "declares no [profile 999]", 1, 1);
	expect_log("malformed IP", "IP address", 1, 2);
	expect_log("NUL byte", "NUL byte", 1, 1);
	return failures ? 1 : 0;
}

static int
mode_reload(void)
{
	char text[16384];

	expect("before: drop blocks", S("1|192.0.2.1"), -1, R1);
	expect("before: other passes", S("1|198.51.100.7"), 0, NULL);
	config_text(text, sizeof(text), "other", "");
	write_file(conf, text);
	sleep_ms(1100);
	expect("rewritten in place: other blocks", S("1|198.51.100.7"), -1,
	       "554 5.7.1 Service unavailable; client [198.51.100.7] blocked "
	       "using other");
	expect("rewritten in place: drop passes", S("1|192.0.2.1"), 0, NULL);
	write_file(conf, "database = /nonexistent\nno_such_key = 1\n");
	sleep_ms(1100);
	expect("broken new config: old one still served", S("1|198.51.100.7"),
	       -1, NULL);
	expect("broken new config: still not drop", S("1|192.0.2.1"), 0,
	       NULL);
	expect_log("broken new config logged", "keeping the running one", 1,
		   1);
	expect_log("broken new config names file:line", "verdict.conf:2:", 1,
		   1);
	sleep_ms(1100);
	expect("broken config: logged once", S("1|192.0.2.1"), 0, NULL);
	expect_log("broken new config logged once", "keeping the running one",
		   1, 1);
	config_text(text, sizeof(text), "drop, other", "");
	write_file_rename(conf, text);
	sleep_ms(1100);
	expect("renamed over: drop blocks", S("1|192.0.2.1"), -1, R1);
	expect("renamed over: other blocks", S("1|198.51.100.7"), -1, NULL);
	expect_log("reloads logged", "configuration reloaded", 2, 2);
	return failures ? 1 : 0;
}

static int
mode_broken(void)
{
	char text[16384];

	write_file(conf, "database = /nonexistent\nno_such_key = 1\n");
	for (int i = 0; i < 100; i++) {
		char reply[BUF];

		if (call_fn(vcr, S("1|192.0.2.1"), 0, reply, "broken") != 0) {
			printf("not ok - broken config: call %d returned -1\n",
			       i);
			return 1;
		}
	}
	printf("ok - broken config: 100 calls return 0\n");
	expect_log("broken config logged once", "not configured", 1, 1);
	expect_log("broken config names the cause", "unknown key", 1, 1);
	config_text(text, sizeof(text), "drop", "");
	write_file(conf, text);
	sleep_ms(1100);
	expect("fixed config picked up", S("1|192.0.2.1"), -1, R1);
	return failures ? 1 : 0;
}

static int
mode_perm(void)
{
	char p[PATH_MAX + 32];
	pid_t pid;
	int st;

	/* Everything readable, lock.mdb not writable by the caller: root
	 * runs the calls as nobody, another user drops its own write bit. */
	snprintf(p, sizeof(p), "%s/db", dir);
	if (chmod(p, 0755) != 0)
		die(p);
	snprintf(p, sizeof(p), "%s/db/data.mdb", dir);
	if (chmod(p, 0644) != 0)
		die(p);
	snprintf(p, sizeof(p), "%s/db/lock.mdb", dir);
	if (chmod(p, geteuid() == 0 ? 0644 : 0444) != 0)
		die(p);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) != 0 ||
				       setgid(65534) != 0 ||
				       setuid(65534) != 0)) {
			printf("ok - # SKIP cannot become nobody: %s\n",
			       strerror(errno));
			_exit(77);
		}
		expect("lock.mdb not writable: passes", S("1|192.0.2.1"), 0,
		       NULL);
		expect("lock.mdb not writable: still passes", S("1|192.0.2.1"),
		       0, NULL);
		expect_log("the cause is logged", "lock.mdb", 1, 1);
		expect_log("the cause is logged once", "not configured", 1, 1);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int
mode_fork(void)
{
	pid_t pid;
	int st;

	expect("parent before fork", S("1|192.0.2.1"), -1, R1);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		expect("child: blocks", S("1|192.0.2.1"), -1, R1);
		expect("child: neutral", S("1|203.0.113.5"), 0, NULL);
		expect("child: profile 2", S("2|198.51.100.7"), -1, NULL);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("not ok - fork child failed\n");
		failures++;
	}
	expect("parent after fork", S("1|192.0.2.1"), -1, R1);
	expect_log("no context error", "failed", 0, 0);
	return failures ? 1 : 0;
}

/* mode_probe - the whole probe a PORT_ACCESS mapping can pass:
 * slot|TCP|server-ip|server-port|client-ip|client-port (UDP alike), the
 * client IP in the fifth field; the short form still works; garbage
 * passes and is logged. */
static int
mode_probe(void)
{
	char arg[BUF];

	expect("probe: TCP, client listed", S("1|TCP|10.0.0.1|25|192.0.2.1|"
					      "41234"), -1, R1);
	expect("probe: UDP", S("1|UDP|10.0.0.1|25|192.0.2.1|41234"), -1, R1);
	expect("probe: lower case", S("1|tcp|10.0.0.1|25|192.0.2.1|41234"),
	       -1, R1);
	expect("probe: white space", S(" 1 | TCP | 10.0.0.1 | 25 | 192.0.2.1 "
				       "| 41234 "), -1, R1);
	expect("probe: no client port", S("1|TCP|10.0.0.1|25|192.0.2.1"), -1,
	       R1);
	expect("probe: fields after the client port ignored",
	       S("1|TCP|10.0.0.1|25|192.0.2.1|41234|x|y"), -1, R1);
	expect("probe: the client IP counts, not the server's",
	       S("1|TCP|192.0.2.1|25|203.0.113.5|41234"), 0, NULL);
	expect("probe: profile 2", S("2|TCP|10.0.0.1|25|198.51.100.7|41234"),
	       -1, "554 5.7.1 go away 198.51.100.7");
	expect("probe: IPv6 client", S("1|TCP|2001:db8::25|25|2001:db8::1|"
				       "41234"), -1, "554 5.7.1 Service "
	       "unavailable; client [2001:db8::1] blocked using drop; "
	       "v6 block");
	expect("short form", S("1|192.0.2.1"), -1, R1);
	expect("short form with port", S("1|192.0.2.1|25"), -1, R1);
	memset(arg, ' ', sizeof(arg));
	memcpy(arg, "1|TCP|10.0.0.1|25|192.0.2.1|41234", 33);
	expect("probe: 252-byte argument, padded", arg, 252, 252, -1, R1);

	expect("probe: transport only", S("1|TCP"), 0, NULL);
	expect("probe: no client IP field", S("1|TCP|10.0.0.1|25"), 0, NULL);
	expect("probe: empty client IP", S("1|TCP|10.0.0.1|25||41234"), 0,
	       NULL);
	expect("probe: all empty", S("1|TCP|||||"), 0, NULL);
	expect("probe: junk client IP", S("1|TCP|10.0.0.1|25|192.0.2.1 x|1"),
	       0, NULL);
	expect("probe: overlong client IP", S("1|TCP|10.0.0.1|25|1111:2222:"
		"3333:4444:5555:6666:7777:8888:9999|1"), 0, NULL);
	expect("probe: other transport", S("1|SCTP|10.0.0.1|25|192.0.2.1|1"),
	       0, NULL);
	expect("probe: TCPX", S("1|TCPX|10.0.0.1|25|192.0.2.1|1"), 0, NULL);
	expect("probe: bad slot", S("x|TCP|10.0.0.1|25|192.0.2.1|1"), 0,
	       NULL);
	expect("probe: no slot", S("TCP|10.0.0.1|25|192.0.2.1|41234"), 0,
	       NULL);
	expect("probe: NUL in client IP", "1|TCP|1|2|192.0\0.2.1|3", 22, 22,
	       0, NULL);
	expect_log("short probe logged", "has no fifth field", 1, 1);
	expect_log("no probe taken for an IP", "malformed IP address \"TCP\"",
		   0, 0);
	return failures ? 1 : 0;
}

/* silent_server - a loopback UDP port that is bound and never read: a
 * DNS server that never answers; the dns_servers line naming it. */
static const char *
silent_server(void)
{
	static char line[64];

	snprintf(line, sizeof(line), "dns_servers = 127.0.0.1:%d\n",
		 silent_dns_port());
	return line;
}

/* mode_deadline - [profile 7] asks a zone whose server never answers,
 * with dnsbl_timeout shorter than callout_timeout: the call ends at the
 * profile's own deadline with the tempfail reply, well before the
 * callout's (the midpoint of the two is the bound). */
static int
mode_deadline(void)
{
	static const char *args[] = { "7|203.0.113.9", "7|203.0.113.10",
				      "7|2001:db9::9" };
	long lo = P7_DNSBL_MS, hi = P7_CALLOUT_MS, ms;
	struct timespec t0, t1;
	char reply[BUF];
	int ret;

	/* the first call builds the context: not timed */
	call_fn(vcr, S("1|203.0.113.5"), 0, reply, "init");
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = call_fn(vcr, args[i], strlen(args[i]),
			      (long)strlen(args[i]), 0, reply, args[i]);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ret != -1 || strncmp(reply, "421 ", 4) != 0 ||
		    ms < lo * 9 / 10 || ms >= (lo + hi) / 2) {
			printf("not ok - %s: returned %d \"%s\" after %ld ms; "
			       "expected 421 after about %ld ms (dnsbl_timeout),"
			       " under %ld ms (callout_timeout %ld ms)\n",
			       args[i], ret, ret == -1 ? reply : "", ms, lo,
			       (lo + hi) / 2, hi);
			failures++;
		} else {
			printf("ok - %s: 421 after %ld ms (dnsbl_timeout %ld "
			       "ms, callout_timeout %ld ms)\n", args[i], ms,
			       lo, hi);
		}
	}
	return failures ? 1 : 0;
}

/* ------------------------------------------------------- concurrency */

static const struct tcase {
	const char *arg;
	int want;
	const char *reply;
} mix[] = {
	{ "1|192.0.2.1", -1, R1 },
	{ "1|192.0.2.200", 0, NULL },
	{ "1|203.0.113.5", 0, NULL },
	{ "1|2001:db8::1", -1, "554 5.7.1 Service unavailable; client "
	  "[2001:db8::1] blocked using drop; v6 block" },
	{ "2|198.51.100.7", -1, "554 5.7.1 go away 198.51.100.7" },
	{ "2|192.0.2.1", 0, NULL },
	{ "1|2001:db9::1", 0, NULL },
	{ "1|192.0.2.77|25", -1, "554 5.7.1 Service unavailable; client "
	  "[192.0.2.77] blocked using drop; SBL123" },
	{ "1|1.2.3", 0, NULL },
	{ "999|192.0.2.1", 0, NULL },
};
#define NMIX (sizeof(mix) / sizeof(mix[0]))

struct worker {
	pthread_t t;
	int id;
	long n;
	long bad;
	int done;
};

static _Atomic int stop_reloads, stop_workers;

static void *
worker_run(void *p)
{
	struct worker *w = p;
	char *a = malloc(BUF), *res = malloc(BUF + CANARY);
	size_t lens[NMIX];

	for (size_t k = 0; k < NMIX; k++)
		lens[k] = strlen(mix[k].arg);
	memset(res + BUF, 0xC5, CANARY);
	for (long j = 0; j < w->n || !atomic_load_explicit(&stop_workers,
					memory_order_relaxed); j++) {
		const struct tcase *c = &mix[(size_t)(w->id + j) % NMIX];
		size_t k = (size_t)(c - mix);
		long al = (long)lens[k], rl = 0;
		int ret;

		memset(a, '9', BUF);
		memcpy(a, c->arg, lens[k]);
		ret = ((j & 1) ? mcr : vcr)(a, &al, res, &rl);
		if (ret != c->want || (ret == -1 && (rl != (long)strlen(
		    c->reply) || memcmp(res, c->reply, (size_t)rl + 1))) ||
		    res[BUF] != (char)0xC5 || res[BUF + CANARY - 1] !=
		    (char)0xC5) {
			if (w->bad++ < 3)
				printf("not ok - thread %d call %ld \"%s\": "
				       "returned %d\n", w->id, j, c->arg, ret);
		}
	}
	free(a);
	free(res);
	return NULL;
}

static void *
reloader_run(void *p)
{
	char text[16384], extra[64];
	int i = 0;

	(void)p;
	while (!atomic_load(&stop_reloads)) {
		/* Same verdicts, a different file: a reload each time. */
		snprintf(extra, sizeof(extra), "# reload %d%*s\n", i, i % 7,
			 "");
		config_text(text, sizeof(text), "drop", extra);
		write_file_rename(conf, text);
		i++;
		sleep_ms(350);
	}
	return NULL;
}

static int
mode_threads(int nt, long n, int reloads)
{
	struct worker *w = calloc((size_t)nt, sizeof(*w));
	pthread_t rt;
	long bad = 0;
	char reply[BUF];

	/* Initialise first: calls during the initialisation pass (0). */
	call_fn(vcr, S("1|203.0.113.5"), 0, reply, "init");
	if (reloads && pthread_create(&rt, NULL, reloader_run, NULL) != 0)
		die("pthread_create");
	for (int i = 0; i < nt; i++) {
		w[i].id = i;
		w[i].n = n;
		if (pthread_create(&w[i].t, NULL, worker_run, &w[i]) != 0)
			die("pthread_create");
	}
	if (reloads) {
		/* Keep calling until the file was reloaded a few times. */
		for (int k = 0; k < 300 && log_count("configuration reloaded")
		     < 4; k++)
			sleep_ms(100);
	}
	atomic_store(&stop_workers, 1);
	for (int i = 0; i < nt; i++) {
		pthread_join(w[i].t, NULL);
		bad += w[i].bad;
	}
	if (reloads) {
		atomic_store(&stop_reloads, 1);
		pthread_join(rt, NULL);
		int nr = log_count("configuration reloaded");

		printf("%s - %d reloads while calling\n", nr >= 4 ? "ok" :
		       "not ok", nr);
		bad += nr < 4;
	}
	free(w);
	printf("%s - %d threads x %ld calls, %ld wrong answers\n",
	       bad ? "not ok" : "ok", nt, n, bad);
	return bad ? 1 : 0;
}

/* -------------------------------------------------------------- bench */

struct bench {
	long n;
	int threads;
	int direct;
	verdict_ctx *vc;
	double secs;
};

static void *
bench_run(void *p)
{
	struct bench *b = p;
	char a[BUF], res[BUF];
	verdict_result *r = verdict_result_new();

	memset(a, '9', sizeof(a));
	memcpy(a, "1|192.0.2.1", 11);
	for (long j = 0; j < b->n; j++) {
		long al = 11, rl;

		if (b->direct) {
			/* the same answer the callout gives: the verdict and
			 * the reply text an MTA sends */
			if (verdict_check(b->vc, 1, "192.0.2.1", r) ||
			    verdict_result_kind(r) != VERDICT_BLOCK ||
			    verdict_result_reply(r) == NULL)
				abort();
		} else if (vcr(a, &al, res, &rl) != -1) {
			abort();
		}
	}
	verdict_result_free(r);
	return NULL;
}

/* bench_once - wall time of threads x n calls (callout or direct). */
static double
bench_once(int direct, int threads, long n, verdict_ctx *vc)
{
	pthread_t t[2];
	struct bench b = { n, threads, direct, vc, 0 };
	double t0 = now_s();

	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, bench_run, &b);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return now_s() - t0;
}

static double *bench_shared;	/* the child's ns/call, shared memory */

static int
bench_direct(void *arg)
{
	long n = *(long *)arg;
	verdict_ctx *vc = verdict_new();
	double best1 = 1e9, best2 = 1e9;

	if (verdict_load_config(vc, conf) || verdict_open(vc, 0)) {
		fprintf(stderr, "bench: %s\n", verdict_errdetail());
		return 2;
	}
	bench_once(1, 1, n / 10, vc);
	for (int r = 0; r < 5; r++) {
		double s1 = bench_once(1, 1, n, vc), s2 = bench_once(1, 2, n, vc);

		best1 = s1 < best1 ? s1 : best1;
		best2 = s2 < best2 ? s2 : best2;
	}
	printf("direct   verdict_check: %7.1f ns/call, 1 thread %9.0f "
	       "calls/s, 2 threads %9.0f calls/s (x%.2f)\n", best1 * 1e9 / n,
	       n / best1, 2 * n / best2, (2 * n / best2) / (n / best1));
	fflush(stdout);
	verdict_free(vc);
	*bench_shared = best1 * 1e9 / n;
	return 0;
}

static int
mode_bench(long n)
{
	double best1 = 1e9, best2 = 1e9, ns;

	bench_shared = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bench_shared == MAP_FAILED)
		die("mmap");
	*bench_shared = 0;
	if (n < 10 || in_child(bench_direct, &n) != 0)
		return 2;
	bench_once(0, 1, n / 10, NULL);
	for (int r = 0; r < 5; r++) {
		double s1 = bench_once(0, 1, n, NULL), s2 = bench_once(0, 2, n,
								      NULL);

		best1 = s1 < best1 ? s1 : best1;
		best2 = s2 < best2 ? s2 : best2;
	}
	ns = best1 * 1e9 / n;
	printf("callout  routine:       %7.1f ns/call, 1 thread %9.0f "
	       "calls/s, 2 threads %9.0f calls/s (x%.2f, target >= 1.7)\n",
	       ns, n / best1, 2 * n / best2, (2 * n / best2) / (n / best1));
	printf("callout / direct: %.2f (target <= 1.2)\n", ns / *bench_shared);
	return 0;
}

/* num - argv[i] as a positive number, or def when absent. */
static long
num(int argc, char **argv, int i, long def)
{
	char *end;
	long v;

	if (argc <= i)
		return def;
	errno = 0;
	v = strtol(argv[i], &end, 10);
	if (errno || end == argv[i] || *end || v < 0) {
		fprintf(stderr, "callout_harness: bad number %s\n", argv[i]);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	const char *mode;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: callout_harness SO cases|reload|broken|"
			"perm|fork|deadline|probe|threads [T N R]|bench [N]\n");
		return 2;
	}
	mode = argv[2];
	if (strcmp(mode, "stdin") == 0)
		return mode_stdin(argv[1]);
	setup(argv[1], strcmp(mode, "bench") == 0 ? "log_verdicts = none\n" :
	      strcmp(mode, "deadline") == 0 ? silent_server() : NULL);
	if (strcmp(mode, "cases") == 0)
		rc = mode_cases();
	else if (strcmp(mode, "reload") == 0)
		rc = mode_reload();
	else if (strcmp(mode, "broken") == 0)
		rc = mode_broken();
	else if (strcmp(mode, "perm") == 0)
		rc = mode_perm();
	else if (strcmp(mode, "fork") == 0)
		rc = mode_fork();
	else if (strcmp(mode, "deadline") == 0)
		rc = mode_deadline();
	else if (strcmp(mode, "probe") == 0)
		rc = mode_probe();
	else if (strcmp(mode, "threads") == 0)
		rc = mode_threads((int)num(argc, argv, 3, 16),
				  num(argc, argv, 4, 100000),
				  (int)num(argc, argv, 5, 0));
	else if (strcmp(mode, "bench") == 0)
		rc = mode_bench(num(argc, argv, 3, 2000000));
	else {
		fprintf(stderr, "callout_harness: unknown mode %s\n", mode);
		rc = 2;
	}
	cleanup();
	return rc;
}
