/*
 * exim_harness.c - drive libverdict_exim.so the way Exim's ${dlfunc} does
 *
 *	exim_harness SO cases		single calls, garbage included, a
 *					fresh process per connection, fork,
 *					descriptors, no configuration
 *	exim_harness SO threads [T] [N]	T threads x N calls at once (a host
 *					with threads; Exim has one), every
 *					answer checked, the yields apart
 *	exim_harness SO ir CALLOUT_SO [N]	for callgrind (--collect-atstart=no):
 *					N calls of each routine, collected
 *					alone, in two children (the pids
 *					printed); instructions per call do
 *					not move with the machine's load
 *	exim_harness SO bench CALLOUT_SO [N]
 *					costs: the first call in a fresh
 *					process, and a later call against
 *					the callout's for the same verdict
 *
 * Like Exim, the harness exports log_write (local_scan.h's signature), so
 * the library logs through it; every line is kept in a file and checked.
 * Each mode makes a fresh directory under $TMPDIR, creates the tables in
 * a forked child through the public API (the harness links the static
 * library for that; the .so has its own copy, and LMDB wants one
 * environment per path per process, so the parent never opens it), writes
 * verdict.conf, points VERDICT_CONFIG at it, then dlopen()s SO (RTLD_LAZY,
 * as Exim) and finds verdict_exim with dlsym.  Arguments are copies in
 * exactly-sized heap blocks, so AddressSanitizer sees any read past them.
 *
 * Exit: 0 pass, 1 a case failed (each printed), 2 usage or set-up error.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "verdict.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#endif

#define OK		0
#define FAIL		2
#define LOG_MAIN	1

typedef unsigned char uschar;
typedef int (*dlfunc_fn)(uschar **, int, uschar *[]);

static dlfunc_fn vex;
static int failures, logfd = -1;

#define R1 "block 554 5.7.1 Service unavailable; client [192.0.2.1] " \
	   "blocked using drop; SBL123"

void log_write(unsigned int selector, int flags, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* log_write - Exim's logger as the .so finds it: one line to the log. */
void
log_write(unsigned int selector, int flags, const char *format, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(line, sizeof(line) - 32, format, ap);
	va_end(ap);
	if (n < 0 || logfd < 0)
		return;
	n = snprintf(line + strlen(line), 32, " [sel=%u flags=%d]\n", selector,
		     flags);
	if (write(logfd, line, strlen(line)) < 0)
		(void)n;
}

/* ------------------------------------------------------------ set-up */

static int dns_port;

/* config_write - verdict.conf: extra at the end of the global section,
 * reply2 the reply of [profile 2]; dnsbl: with profile 5, whose DNSBL
 * zone starts the resolver. */
static void
config_write(const char *extra, int dnsbl, const char *reply2)
{
	char text[PATH_MAX + 1024];

	snprintf(text, sizeof(text),
		 "database = %s/db\n"
		 "dns_servers = 127.0.0.1:%d\n"
		 "%.200s"
		 "allow_tables = good\n"
		 "block_tables = drop\n"
		 "[profile 2]\n"
		 "allow_tables =\n"
		 "block_tables = other\n"
		 "reply = %.100s\n"
		 "[profile 3]\n"
		 "mode = monitor\n"
		 "%s",
		 dir, dns_port, extra, reply2, dnsbl ?
		 "[profile 5]\n"
		 "dnsbl_sites = bl.example.test\n"
		 "on_dns_failure = tempfail\n"
		 "dnsbl_timeout = 200ms\n"
		 "callout_timeout = 3s\n" : "");
	write_file(conf, text);
}

/* setup - directory, tables, config, environment (no dlopen yet). */
static void
setup(const char *extra, int dnsbl)
{
	harness_setup("vdexim");
	dns_port = silent_dns_port();
	config_write(extra, dnsbl, "554 5.7.1 go away %{ip}");
	if ((logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0644)) < 0)
		die(logpath);
	setenv("VERDICT_CONFIG", conf, 1);
	printf("# directory %s\n", dir);
}

static dlfunc_fn
load(const char *so, const char *name)
{
	void *h = dlopen(so, RTLD_LAZY);
	dlfunc_fn f;

	if (h == NULL) {
		fprintf(stderr, "exim_harness: dlopen: %s\n", dlerror());
		exit(2);
	}
	*(void **)&f = dlsym(h, name);
	if (f == NULL) {
		fprintf(stderr, "exim_harness: dlsym: %s\n", dlerror());
		exit(2);
	}
	return f;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* minflt - minor page faults of this process so far */
static long
minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* ------------------------------------------------------------ calling */

/* call - verdict_exim as Exim calls it: argc arguments, each a copy in a
 * block of exactly its size (NULL stays NULL).  The yield into out. */
static int
call(int argc, const char *const *args, char *out, size_t outlen)
{
	uschar *argv[10] = { NULL }, *yield = NULL;
	int rc;

	for (int i = 0; i < argc && i < 9; i++)
		if (args[i] != NULL && (argv[i] = (uschar *)strdup(args[i]))
		    == NULL)
			die("strdup");
	rc = vex(&yield, argc, argv);
	snprintf(out, outlen, "%s", yield ? (char *)yield : "(null)");
	for (int i = 0; i < argc && i < 9; i++)
		free(argv[i]);
	return rc;
}

/* expect - one call with arguments slot and ip. */
static void
expect(const char *label, const char *slot, const char *ip, int want,
       const char *want_yield)
{
	const char *args[2] = { slot, ip };
	char out[512];
	int rc = call(2, args, out, sizeof(out));

	if (rc != want || strcmp(out, want_yield) != 0) {
		printf("not ok - %s: returned %d \"%s\", expected %d \"%s\"\n",
		       label, rc, out, want, want_yield);
		failures++;
	} else {
		printf("ok - %s\n", label);
	}
}

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

/* ------------------------------------------------------------- cases */

/* argc_cases - a wrong argument count fails (not forced) with a message;
 * a NULL yield pointer or argv does not crash. */
static void
argc_cases(void)
{
	const char *args[3] = { "1", "192.0.2.1", "x" };
	char out[512];

	for (int n = 0; n <= 3; n += (n == 1 ? 2 : 1)) {
		int rc = call(n, args, out, sizeof(out));

		if (rc != FAIL || strstr(out, "expected 2") == NULL) {
			printf("not ok - argc %d: returned %d \"%s\", expected "
			       "FAIL with a message\n", n, rc, out);
			failures++;
		} else {
			printf("ok - argc %d: FAIL \"%s\"\n", n, out);
		}
	}
	if (vex(NULL, 2, NULL) != FAIL) {
		printf("not ok - NULL yield pointer: not FAIL\n");
		failures++;
	}
}

static void
verdict_cases(void)
{
	char big[200];
	double t0, dt;

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	expect("listed source: block + reply", "1", "192.0.2.1", OK, R1);
	expect("white space around the arguments", " 1 ", " 192.0.2.1\t", OK,
	       R1);
	expect("allow table", "1", "192.0.2.200", OK, "allow");
	expect("unlisted source", "1", "203.0.113.9", OK, "neutral");
	expect("IPv6 listed", "1", "2001:db8::1", OK,
	       "block 554 5.7.1 Service unavailable; client [2001:db8::1] "
	       "blocked using drop; v6 block");
	expect("slot 2 (its own table and reply)", "2", "198.51.100.7", OK,
	       "block 554 5.7.1 go away 198.51.100.7");
	expect("slot 2 does not use slot 1's table", "2", "192.0.2.1", OK,
	       "neutral");
	expect("monitor mode passes a listed source", "3", "192.0.2.1", OK,
	       "neutral");
	expect("empty IP (local SMTP)", "1", "", OK, "neutral");
	expect("blank IP", "1", "  ", OK, "neutral");
	expect("NULL IP argument", "1", NULL, OK, "neutral");
	expect("non-IP", "1", "not-an-ip", OK, "neutral");
	expect("IP with junk", "1", "192.0.2.1x", OK, "neutral");
	expect("overlong IP", "1", big, OK, "neutral");
	expect("slot 0", "0", "192.0.2.1", OK, "neutral");
	expect("slot 1000", "1000", "192.0.2.1", OK, "neutral");
	expect("slot not a number", "abc", "192.0.2.1", OK, "neutral");
	expect("empty slot", "", "192.0.2.1", OK, "neutral");
	expect("undeclared profile", "9", "192.0.2.1", OK, "neutral");
	t0 = now_s();
	expect("DNS failure under on_dns_failure = tempfail", "5",
	       "203.0.113.9", OK, "tempfail 421 4.7.1 Service temporarily "
	       "unavailable; try again later");
	dt = now_s() - t0;
	if (dt > 1.5) {
		printf("not ok - deadline: the tempfail took %.2f s; "
		       "dnsbl_timeout 200ms < callout_timeout 3s\n", dt);
		failures++;
	} else {
		printf("ok - deadline: min(callout_timeout, dnsbl_timeout): "
		       "%.2f s\n", dt);
	}
}

static char inherited[1024];

/* note_inherited - the descriptors open before the first call (from the
 * test runner) are not the library's. */
static void
note_inherited(void)
{
	for (int fd = 3; fd < 1024; fd++)
		inherited[fd] = fcntl(fd, F_GETFD) >= 0;
}

/* reload_case - a changed configuration is in force within a few
 * seconds (the file is looked at once a second), without a restart. */
static void
reload_case(void)
{
	const char *args[2] = { "2", "198.51.100.7" };
	char out[512];
	int i;

	config_write("", 1, "554 5.7.1 changed %{ip}");
	for (i = 0; i < 100; i++) {
		if (call(2, args, out, sizeof(out)) == OK &&
		    strcmp(out, "block 554 5.7.1 changed 198.51.100.7") == 0)
			break;
		sleep_ms(50);
	}
	if (i == 100) {
		printf("not ok - reload: still \"%s\" after 5 s\n", out);
		failures++;
	} else {
		printf("ok - reload: the new reply is in force\n");
	}
}

/* cloexec_all - every descriptor above 2 opened since note_inherited is
 * close-on-exec (the harness's own are too). */
static int
cloexec_all(void)
{
	int bad = 0;

	for (int fd = 3; fd < 1024; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0 && !(fl & FD_CLOEXEC) && !inherited[fd]) {
			char p[64], t[PATH_MAX];
			ssize_t n;

			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			n = readlink(p, t, sizeof(t) - 1);
			t[n > 0 ? n : 0] = 0;
			printf("not ok - descriptor %d (%s) is not "
			       "close-on-exec\n", fd, t);
			bad++;
		}
	}
	return bad;
}

/* connection - what an Exim child does: its first call after fork. */
static int
connection(void *arg)
{
	const char *args[2] = { "1", arg };
	char out[512];

	return call(2, args, out, sizeof(out)) == OK && strcmp(out, R1) == 0
	       ? 0 : 1;
}

static int
noconf(void *arg)
{
	const char *args[2] = { "1", "192.0.2.1" };
	char out[512];

	(void)arg;
	setenv("VERDICT_CONFIG", "/nonexistent/verdict.conf", 1);
	return call(2, args, out, sizeof(out)) == OK &&
	       strcmp(out, "neutral") == 0 ? 0 : 1;
}

static void
child_case(const char *label, int (*fn)(void *), void *arg)
{
	int rc = in_child(fn, arg);

	if (rc != 0) {
		printf("not ok - %s: child exit %d\n", label, rc);
		failures++;
	} else {
		printf("ok - %s\n", label);
	}
}

static int
mode_cases(const char *so)
{
	note_inherited();
	setup("", 1);
	vex = load(so, "verdict_exim");
	argc_cases();
	/* Before the parent's first call: the once-per-process start. */
	child_case("no configuration file: neutral", noconf, NULL);
	expect_log("no configuration file is logged", "not configured, "
		   "every connection passes", 1, 1);
	child_case("first call in a fresh child (an Exim connection)",
		   connection, (void *)"192.0.2.1");
	verdict_cases();
	child_case("a child after the parent's calls", connection,
		   (void *)"192.0.2.1");
	reload_case();
	if (cloexec_all() == 0)
		printf("ok - every descriptor is close-on-exec\n");
	else
		failures++;
	expect_log("malformed IP logged once per process",
		   "verdict_exim: malformed IP address", 1, 1);
	expect_log("bad slot logged", "verdict_exim: slot \"0\" is not", 1, 1);
	expect_log("undeclared profile logged", "declares no [profile 9]",
		   1, 1);
	expect_log("an empty IP is not logged", "\"\"", 0, 0);
	expect_log("lines go to Exim's main log (LOG_MAIN)", "[sel=0 flags=1]",
		   3, 1000);
	expect_log("the reload is logged", "changed: configuration reloaded",
		   1, 1);
	expect_log("the first build's \"loaded\" is not logged", " loaded [",
		   0, 0);
	cleanup();
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}

/* ----------------------------------------------------------- threads */

static long thr_calls;
static int thr_bad;
static pthread_mutex_t thr_mu = PTHREAD_MUTEX_INITIALIZER;

/* thr_run - N calls over four answers; the yield must be this thread's
 * own and stay right until the thread's next call. */
static void *
thr_run(void *arg)
{
	static const char *const ips[4] = { "192.0.2.1", "192.0.2.200",
					    "203.0.113.9", "" };
	static const char *const want[4] = { R1, "allow", "neutral",
					     "neutral" };
	uschar *argv[2] = { (uschar *)"1", NULL }, *y = NULL, *first = NULL;
	long seed = (long)(intptr_t)arg;
	int bad = 0;

	for (long i = 0; i < thr_calls; i++) {
		int k = (int)((i + seed) % 4);

		argv[1] = (uschar *)ips[k];
		if (vex(&y, 2, argv) != OK ||
		    strcmp((char *)y, want[k]) != 0) {
			if (bad++ == 0)
				printf("not ok - thread %ld call %ld: \"%s\", "
				       "expected \"%s\"\n", seed, i,
				       (char *)y, want[k]);
		}
		if (first == NULL)
			first = y;
		else if (y != first && bad++ == 0)
			printf("not ok - thread %ld: the yield moved\n", seed);
	}
	pthread_mutex_lock(&thr_mu);
	thr_bad += bad;
	pthread_mutex_unlock(&thr_mu);
	return first;
}

static int
mode_threads(const char *so, long nthr, long n)
{
	pthread_t t[64];
	void *y[64];

	if (nthr < 1 || nthr > 64) {
		fprintf(stderr, "exim_harness: 1..64 threads\n");
		return 2;
	}
	setup("log_verdicts = none\n", 0);
	vex = load(so, "verdict_exim");
	/* the first call builds the context; a call on another thread
	 * meanwhile would pass at once (neutral), by design */
	expect("first call builds the context", "1", "192.0.2.1", OK, R1);
	thr_calls = n;
	for (long i = 0; i < nthr; i++)
		if (pthread_create(&t[i], NULL, thr_run, (void *)(intptr_t)i))
			die("pthread_create");
	for (long i = 0; i < nthr; i++)
		pthread_join(t[i], &y[i]);
	for (long i = 0; i < nthr; i++)
		for (long j = 0; j < i; j++)
			if (y[i] == y[j]) {
				printf("not ok - threads %ld and %ld share a "
				       "yield buffer\n", j, i);
				thr_bad++;
			}
	printf("%s - %ld threads x %ld calls, %d wrong\n", thr_bad ? "not ok"
	       : "ok", nthr, n, thr_bad);
	cleanup();
	return thr_bad || failures ? 1 : 0;
}

/* ------------------------------------------------------------- bench */

static double *bench_out;

/* bench_fresh - one Exim connection: dlopen and the first call, timed in
 * the child from just after fork. */
static int
bench_fresh(void *arg)
{
	const char *args[2] = { "1", "192.0.2.1" };
	char out[512];
	double t0 = now_s(), c0 = cpu_s(), t1;
	long f0 = minflt(), f1;

	vex = load(arg, "verdict_exim");
	t1 = now_s();
	f1 = minflt();
	if (call(2, args, out, sizeof(out)) != OK || strcmp(out, R1) != 0)
		return 1;
	bench_out[0] = now_s() - t0;
	bench_out[1] = t1 - t0;
	bench_out[2] = cpu_s() - c0;
	bench_out[3] = (double)(f1 - f0);
	bench_out[4] = (double)(minflt() - f1);
	return 0;
}

static int
bench_nothing(void *arg)
{
	(void)arg;
	return 0;
}

typedef int (*callout_fn)(char *, long *, char *, long *);

/* bench_later - n warm calls of one routine in this process: seconds. */
static int
bench_later(void *arg)
{
	char **a = arg, res[252], argbuf[252];
	long n = strtol(a[2], NULL, 10), al, rl;
	uschar *argv[2] = { (uschar *)"1", (uschar *)"192.0.2.1" }, *y;
	double t0;

	if (strcmp(a[1], "exim") == 0) {
		vex = load(a[0], "verdict_exim");
		vex(&y, 2, argv);
		t0 = now_s();
		for (long i = 0; i < n; i++)
			if (vex(&y, 2, argv) != OK || y[0] != 'b')
				return 1;
	} else {
		callout_fn co;

		*(void **)&co = dlsym(dlopen(a[0], RTLD_LAZY),
				      "verdict_check_reputation");
		if (co == NULL)
			return 2;
		memcpy(argbuf, "1|192.0.2.1", 11);
		al = 11;
		co(argbuf, &al, res, &rl);
		t0 = now_s();
		for (long i = 0; i < n; i++)
			if (co(argbuf, &al, res, &rl) != -1)
				return 1;
	}
	bench_out[0] = (now_s() - t0) / n;
	return 0;
}

/* ir_calls - a warm call, then n calls collected by callgrind alone */
static int
ir_calls(void *arg)
{
	char **a = arg, res[252], argbuf[252] = "1|192.0.2.1";
	long n = strtol(a[2], NULL, 10), al = 11, rl;
	uschar *argv[2] = { (uschar *)"1", (uschar *)"192.0.2.1" }, *y;
	callout_fn co = NULL;

	if (strcmp(a[1], "exim") == 0)
		vex = load(a[0], "verdict_exim");
	else if ((*(void **)&co = dlsym(dlopen(a[0], RTLD_LAZY),
					 "verdict_check_reputation")) == NULL)
		return 2;
	if (co ? co(argbuf, &al, res, &rl) != -1 :
	    vex(&y, 2, argv) != OK || y[0] != 'b')
		return 1;
	CALLGRIND_TOGGLE_COLLECT;
	for (long i = 0; i < n; i++)
		if (co ? co(argbuf, &al, res, &rl) != -1 :
		    vex(&y, 2, argv) != OK)
			return 1;
	CALLGRIND_TOGGLE_COLLECT;
	printf("ir %s pid %ld calls %ld\n", a[1], (long)getpid(), n);
	return 0;
}

static int
mode_ir(const char *so, const char *callout, long n)
{
	char nbuf[32];
	char *ea[3] = { (char *)so, "exim", nbuf };
	char *ca[3] = { (char *)callout, "callout", nbuf };

	setup("log_verdicts = none\n", 0);
	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	if (in_child(ir_calls, ea) != 0 || in_child(ir_calls, ca) != 0)
		return 1;
	cleanup();
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
mode_bench(const char *so, const char *callout, long n)
{
	double fresh[201], total[201], dl[201], cpu[201], base[201];
	double ex = 1e9, co = 1e9;
	char nbuf[32];

	setup("log_verdicts = none\n", 0);
	bench_out = mmap(NULL, 5 * sizeof(double), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bench_out == MAP_FAILED)
		die("mmap");
	for (int i = 0; i < 201; i++) {
		double t0 = now_s();

		if (in_child(bench_fresh, (void *)so) != 0)
			return 2;
		total[i] = now_s() - t0;
		fresh[i] = bench_out[0];
		t0 = now_s();
		if (in_child(bench_nothing, NULL) != 0)
			return 2;
		base[i] = now_s() - t0;
		dl[i] = bench_out[1];
		cpu[i] = bench_out[2];
	}
	qsort(dl, 201, sizeof(double), cmp_double);
	qsort(base, 201, sizeof(double), cmp_double);
	qsort(cpu, 201, sizeof(double), cmp_double);
	qsort(fresh, 201, sizeof(double), cmp_double);
	qsort(total, 201, sizeof(double), cmp_double);
	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	for (int r = 0; r < 5; r++) {
		char *ea[3] = { (char *)so, "exim", nbuf };
		char *ca[3] = { (char *)callout, "callout", nbuf };

		if (in_child(bench_later, ea) != 0)
			return 2;
		ex = bench_out[0] < ex ? bench_out[0] : ex;
		if (in_child(bench_later, ca) != 0)
			return 2;
		co = bench_out[0] < co ? bench_out[0] : co;
	}
	printf("exim first call (dlopen + config + open + verdict), in the "
	       "child: median %.3f ms, p90 %.3f ms (target <= 1 ms)\n",
	       fresh[100] * 1e3, fresh[180] * 1e3);
	printf("  fastest %.3f ms; of which dlopen: median %.3f ms; CPU time "
	       "(user + system) median %.3f ms, p90 %.3f ms\n", fresh[0] * 1e3,
	       dl[100] * 1e3, cpu[100] * 1e3, cpu[180] * 1e3);
	printf("  page faults: dlopen %.0f, first call %.0f\n", bench_out[3],
	       bench_out[4]);
	printf("exim connection (fork + the above + exit + wait): median "
	       "%.3f ms, p90 %.3f ms; an empty child (fork + exit + wait): "
	       "median %.3f ms\n", total[100] * 1e3, total[180] * 1e3,
	       base[100] * 1e3);
	printf("exim later call: %.1f ns, callout: %.1f ns, exim / callout "
	       "%.2f (target <= 1.2)\n", ex * 1e9, co * 1e9, ex / co);
	cleanup();
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[2], "cases") == 0)
		return mode_cases(argv[1]);
	if (argc >= 3 && strcmp(argv[2], "threads") == 0)
		return mode_threads(argv[1], argc > 3 ? strtol(argv[3], NULL,
				    10) : 8, argc > 4 ? strtol(argv[4], NULL,
				    10) : 100000);
	if (argc >= 4 && strcmp(argv[2], "ir") == 0)
		return mode_ir(argv[1], argv[3], argc > 4 ?
			       strtol(argv[4], NULL, 10) : 10000);
	if (argc >= 4 && strcmp(argv[2], "bench") == 0)
		return mode_bench(argv[1], argv[3], argc > 4 ?
				  strtol(argv[4], NULL, 10) : 1000000);
	fprintf(stderr, "usage: exim_harness SO cases | SO threads [T] [N] | "
		"SO ir|bench CALLOUT_SO [N]\n");
	return 2;
}
