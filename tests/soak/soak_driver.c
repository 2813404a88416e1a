/*
 * soak_driver.c - readers against a table replaced over and over
 *
 *	soak_driver setup DIR			lists A and B, DIR/db with table
 *						"soak" = A, DIR/verdict.conf and
 *						DIR/milter.conf
 *	soak_driver lib DIR SECONDS THREADS	verdict_check() threads
 *	soak_driver callout SO DIR SECONDS THREADS
 *						threads calling the routine of
 *						libverdict_callout.so (dlopen)
 *	soak_driver smtp DIR PORT SECONDS THREADS PID LOG
 *						SMTP clients from 127.x.y.z to
 *						a Postfix with verdict-milter
 *						(PID), then its verdict lines
 *						(LOG) checked too
 *
 * Each run forks an importer process that replaces table "soak" with list
 * A, then B, then A ... (100,000 entries each, one verdict_import() each)
 * until the time is up, while THREADS threads ask continuously.  The two
 * lists are built so that every answer says which list it came from:
 * network i is 127.0.0.0 + (i + 4096) * 16;
 *	A: i in [0, 100000)	  /28, reason "A"
 *	B: i in [50000, 100000)	  /29 (the lower half), reason "B"
 *	   i in [100000, 150000)  /28, reason "B"
 *	   i in [150000, 160000)  in neither (probes: always neutral)
 * A probe is offset 1 (inside both /28 and /29) or 12 (outside the /29)
 * of a random network.  An answer (kind, network, reason) must equal what
 * A gives or what B gives: anything else - an error, a half-imported
 * index, the network of one list with the reason of the other - counts
 * as wrong.  The callout returns 0 for errors as for neutral, so there a
 * probe both lists block answered 0 is wrong, and its log must be empty;
 * for the milter, the greeting (554 or 220) and each logged verdict line
 * (ip, verdict, cidr, reason) are checked.
 *
 * Once a second the main thread samples RssAnon and RssFile of the
 * process under test (/proc/PID/status; LMDB's mapped pages count in
 * RssFile) and the reader slots in use (mdb_stat -r, a separate process).
 * At the end mdb_stat -rr clears and counts stale reader slots.
 *
 * Output: one line "soak: front=... key=value ..." and exit 0 when the run
 * was clean: no error, no wrong answer, both lists seen, no stale reader,
 * reader slots bounded (<= 64), and - unless $VERDICT_SANITIZED is set,
 * the sanitizers' shadow memory grows on its own - RssAnon at the end
 * at most 8 MiB above the first sample.  1 otherwise, 2 set-up errors.
 *
 * Limits: Linux (/proc, 127.0.0.0/8 on lo); mdb_stat (lmdb-utils) in PATH.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verdict.h"

#define NETS_A_END	100000
#define NETS_B_START	50000
#define NETS_B_END	150000
#define NETS_PROBE	160000
#define NET_BASE	((127u << 24) + 4096u * 16u)
#define MAX_THREADS	64
#define SLOTS_BOUND	64
#define RSS_SLACK_KB	(8 * 1024)
#define BUF		252

typedef int (*routine_fn)(char *, long *, char *, long *);

static const char *front, *dir;
static int seconds, nthreads, smtp_port;
static routine_fn routine;
static _Atomic int stop;
static _Atomic long n_checks, n_errors, n_wrong, n_from[3];
static _Atomic int n_reported;

/* ------------------------------------------------------------ helpers */

static void
die(const char *what)
{
	fprintf(stderr, "soak_driver: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
parse_int(const char *s, int lo, int hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "soak_driver: bad number \"%s\"\n", s);
		exit(2);
	}
	return (int)v;
}

static void
path_of(char *out, size_t len, const char *name)
{
	if (snprintf(out, len, "%s/%s", dir, name) >= (int)len) {
		fprintf(stderr, "soak_driver: path too long\n");
		exit(2);
	}
}

/* ---------------------------------------------------- the two lists */

/* expect - what list g (0 = A, 1 = B) answers for network i, offset off:
 * 0 neutral, else the prefix length of the blocking entry. */
static int
expect(int g, unsigned i, unsigned off)
{
	if (g == 0)
		return i < NETS_A_END ? 28 : 0;
	if (i >= NETS_B_START && i < NETS_A_END)
		return off < 8 ? 29 : 0;
	if (i >= NETS_A_END && i < NETS_B_END)
		return 28;
	return 0;
}

static void
fmt_ip(char *out, size_t len, uint32_t a)
{
	snprintf(out, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
		 (a >> 8) & 255, a & 255);
}

/* want_text - the (cidr, reason) list g gives, "" for neutral. */
static void
want_text(char *out, size_t len, int g, unsigned i, unsigned off)
{
	int pfx = expect(g, i, off);
	char net[32];

	if (pfx == 0) {
		out[0] = 0;
		return;
	}
	fmt_ip(net, sizeof(net), NET_BASE + i * 16);
	snprintf(out, len, "%s/%d; %c", net, pfx, g ? 'B' : 'A');
}

/* classify - count one answer: got is "cidr; reason" or "" (neutral),
 * or NULL for an error. */
static void
classify(unsigned i, unsigned off, const char *got, const char *ip)
{
	char wa[64], wb[64];
	int ma, mb;

	atomic_fetch_add(&n_checks, 1);
	if (got == NULL) {
		atomic_fetch_add(&n_errors, 1);
		return;
	}
	want_text(wa, sizeof(wa), 0, i, off);
	want_text(wb, sizeof(wb), 1, i, off);
	ma = strcmp(got, wa) == 0;
	mb = strcmp(got, wb) == 0;
	if (ma || mb) {
		atomic_fetch_add(&n_from[ma && mb ? 2 : mb], 1);
		return;
	}
	atomic_fetch_add(&n_wrong, 1);
	if (atomic_fetch_add(&n_reported, 1) < 10)
		fprintf(stderr, "soak: wrong answer for %s: \"%s\" (A: \"%s\","
			" B: \"%s\")\n", ip, got, wa, wb);
}

static int
write_list(const char *name, int g)
{
	char path[PATH_MAX], net[32];
	unsigned lo = g ? NETS_B_START : 0, hi = g ? NETS_B_END : NETS_A_END;
	FILE *f;

	path_of(path, sizeof(path), name);
	if ((f = fopen(path, "w")) == NULL)
		die(path);
	for (unsigned i = lo; i < hi; i++) {
		fmt_ip(net, sizeof(net), NET_BASE + i * 16);
		fprintf(f, "%s/%d ; %c\n", net, expect(g, i, 1), g ? 'B' : 'A');
	}
	if (fclose(f) != 0)
		die(path);
	return 0;
}

static int
mode_setup(void)
{
	char db[PATH_MAX], conf[PATH_MAX], a[PATH_MAX];
	verdict_ctx *c;
	size_t n = 0;
	FILE *f;

	write_list("a.txt", 0);
	write_list("b.txt", 1);
	path_of(db, sizeof(db), "db");
	for (int m = 0; m < 2; m++) {
		path_of(conf, sizeof(conf), m ? "milter.conf" : "verdict.conf");
		if ((f = fopen(conf, "w")) == NULL)
			die(conf);
		fprintf(f, "database = %s\nblock_tables = soak\n"
			"log_verdicts = %s\n"
			"reply = 554 5.7.1 %%{ip} %%{cidr}%%{reason}\n",
			db, m ? "all" : "none");
		if (fclose(f) != 0)
			die(conf);
	}
	path_of(conf, sizeof(conf), "verdict.conf");
	path_of(a, sizeof(a), "a.txt");
	if ((c = verdict_new()) == NULL || verdict_load_config(c, conf) ||
	    verdict_open(c, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
			 VERDICT_OPEN_NOTABLECHECK | VERDICT_OPEN_NODNS) ||
	    verdict_table_create(c, "soak", VERDICT_TABLE_BLOCK) ||
	    verdict_import(c, "soak", a, 0, 0, NULL, &n, NULL)) {
		fprintf(stderr, "soak_driver: setup: %s\n", verdict_errdetail());
		return 2;
	}
	verdict_free(c);
	printf("soak: setup %s: %zu entries in table soak\n", dir, n);
	return 0;
}

/* -------------------------------------------------------- importer */

/* importer - the other process: replace the table, B, A, B, ... until
 * the deadline; exit status 0 and the count on fd out. */
static void
importer(int64_t deadline, int out)
{
	char conf[PATH_MAX], list[2][PATH_MAX];
	verdict_ctx *c = verdict_new();
	long imports = 0, failures = 0;
	size_t n;

	path_of(conf, sizeof(conf), "verdict.conf");
	path_of(list[0], sizeof(list[0]), "a.txt");
	path_of(list[1], sizeof(list[1]), "b.txt");
	if (c == NULL || verdict_load_config(c, conf) ||
	    verdict_open(c, VERDICT_OPEN_WRITE | VERDICT_OPEN_NODNS)) {
		fprintf(stderr, "soak: importer: %s\n", verdict_errdetail());
		_exit(2);
	}
	while (now_ms() < deadline) {
		if (verdict_import(c, "soak", list[(imports + 1) % 2], 0, 0,
				   NULL, &n, NULL) != 0 || n == 0) {
			fprintf(stderr, "soak: import failed: %s\n",
				verdict_errdetail());
			failures++;
		}
		imports++;
	}
	verdict_free(c);
	dprintf(out, "%ld %ld\n", imports, failures);
	_exit(failures ? 1 : 0);
}

static pid_t
start_importer(int64_t deadline, int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		die("pipe");
	fflush(stdout);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		close(p[0]);
		importer(deadline, p[1]);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* ---------------------------------------------------------- readers */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
probe(uint64_t *seed, unsigned *i, unsigned *off, char *ip, size_t len)
{
	uint64_t r = rnd(seed);

	*i = (unsigned)(r % NETS_PROBE);
	*off = (r >> 40) & 1 ? 1 : 12;
	fmt_ip(ip, len, NET_BASE + *i * 16 + *off);
}

static void *
lib_reader(void *arg)
{
	verdict_ctx *ctx = arg;
	verdict_result *res = verdict_result_new();
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uintptr_t)&seed;
	char ip[32], got[96];
	unsigned i, off;
	int rc;

	if (res == NULL)
		die("verdict_result_new");
	while (!atomic_load(&stop)) {
		probe(&seed, &i, &off, ip, sizeof(ip));
		rc = verdict_check_ex(ctx, 1, ip, 0, VERDICT_CHECK_NOLOG, res);
		if (rc != 0 || verdict_result_kind(res) == VERDICT_ERROR ||
		    verdict_result_kind(res) == VERDICT_TEMPFAIL) {
			if (atomic_load(&n_errors) < 10)
				fprintf(stderr, "soak: %s: error %s (%s)\n", ip,
					verdict_strerror(rc),
					verdict_errdetail());
			classify(i, off, NULL, ip);
			continue;
		}
		got[0] = 0;
		if (verdict_result_kind(res) == VERDICT_BLOCK)
			snprintf(got, sizeof(got), "%s; %s",
				 verdict_result_cidr(res),
				 verdict_result_reason(res) ?
				 verdict_result_reason(res) : "-");
		else if (verdict_result_kind(res) != VERDICT_NEUTRAL)
			snprintf(got, sizeof(got), "kind %s",
				 verdict_kind_name(verdict_result_kind(res)));
		classify(i, off, got, ip);
	}
	verdict_result_free(res);
	return NULL;
}

/* call_routine - one call the MTA way: 252-byte buffers, no NUL. */
static int
call_routine(const char *ip, char *reply, size_t len)
{
	char arg[BUF], result[BUF];
	long alen, rlen = BUF;
	int n, rc;

	n = snprintf(arg, sizeof(arg), "1|%s", ip);
	alen = n;
	memset(result, 0, sizeof(result));
	rc = routine(arg, &alen, result, &rlen);
	reply[0] = 0;
	if (rc == -1) {
		if (rlen < 0 || rlen >= BUF)
			rlen = 0;
		snprintf(reply, len, "%.*s", (int)rlen, result);
	}
	return rc;
}

static void *
callout_reader(void *arg)
{
	uint64_t seed = 0x2545f4914f6cdd1dull ^ (uintptr_t)&seed;
	char ip[32], reply[BUF + 1], got[BUF + 1], pre[64];
	unsigned i, off;
	size_t pl;

	(void)arg;
	while (!atomic_load(&stop)) {
		probe(&seed, &i, &off, ip, sizeof(ip));
		if (call_routine(ip, reply, sizeof(reply)) == -1) {
			/* "554 5.7.1 IP CIDR; R" -> "CIDR; R" */
			pl = (size_t)snprintf(pre, sizeof(pre), "554 5.7.1 %s ",
					      ip);
			snprintf(got, sizeof(got), "%s",
				 strncmp(reply, pre, pl) == 0 ? reply + pl :
				 reply);
		} else
			got[0] = 0;	/* neutral, allow or an error */
		classify(i, off, got, ip);
	}
	return NULL;
}

/* smtp_once - connect from ip to the Postfix; "554" / "220" greeting
 * code, or NULL on a failure. */
static const char *
smtp_once(const char *ip)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = src;
	struct pollfd pfd;
	char buf[512];
	const char *code = NULL;
	size_t have = 0;
	ssize_t n;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, ip, &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	dst.sin_port = htons((uint16_t)smtp_port);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0)
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (have < sizeof(buf) - 1 && !memchr(buf, '\n', have)) {
		if (poll(&pfd, 1, 20000) != 1)
			goto out;
		if ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
			goto out;
		have += (size_t)n;
	}
	buf[have] = 0;
	if (strncmp(buf, "554", 3) == 0)
		code = "554";
	else if (strncmp(buf, "220", 3) == 0)
		code = "220";
	else if (atomic_load(&n_errors) < 10)
		fprintf(stderr, "soak: %s: greeting %.60s\n", ip, buf);
	if (write(fd, "QUIT\r\n", 6) != 6)
		code = NULL;
out:
	close(fd);
	return code;
}

static void *
smtp_client(void *arg)
{
	uint64_t seed = 0x853c49e6748fea9bull ^ (uintptr_t)&seed;
	char ip[32], wa[64], wb[64];
	const char *code;
	unsigned i, off;
	int ba, bb;

	(void)arg;
	while (!atomic_load(&stop)) {
		probe(&seed, &i, &off, ip, sizeof(ip));
		code = smtp_once(ip);
		atomic_fetch_add(&n_checks, 1);
		if (code == NULL) {
			atomic_fetch_add(&n_errors, 1);
			continue;
		}
		/* the greeting tells block from pass, not which list */
		want_text(wa, sizeof(wa), 0, i, off);
		want_text(wb, sizeof(wb), 1, i, off);
		ba = wa[0] != 0;
		bb = wb[0] != 0;
		if ((code[0] == '5' && (ba || bb)) ||
		    (code[0] == '2' && (!ba || !bb)))
			continue;
		atomic_fetch_add(&n_wrong, 1);
		if (atomic_fetch_add(&n_reported, 1) < 10)
			fprintf(stderr, "soak: wrong greeting %s for %s "
				"(A \"%s\", B \"%s\")\n", code, ip, wa, wb);
	}
	return NULL;
}

/* milter_log - check each "verdict: ip=... verdict=... cidr=...
 * reason=..." line of the milter's log; the number of lines. */
static long
milter_log(const char *path)
{
	char line[1024], ip[64], kind[32], cidr[64], reason[64], got[160];
	const char *p;
	unsigned a, b, c, d, i, off;
	long lines = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		if ((p = strstr(line, " verdict: ip=")) == NULL)
			continue;
		ip[0] = kind[0] = cidr[0] = reason[0] = 0;
		sscanf(p, " verdict: ip=%63s verdict=%31s", ip, kind);
		if ((p = strstr(line, " cidr=")) != NULL)
			sscanf(p, " cidr=%63s", cidr);
		if ((p = strstr(line, " reason=")) != NULL)
			sscanf(p, " reason=%63s", reason);
		lines++;
		if (sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 ||
		    a != 127) {
			atomic_fetch_add(&n_wrong, 1);
			continue;
		}
		i = ((b << 16 | c << 8 | d) - (NET_BASE & 0xffffff)) / 16;
		off = d & 15;
		if (strcmp(kind, "neutral") == 0)
			got[0] = 0;
		else if (strcmp(kind, "block") == 0)
			snprintf(got, sizeof(got), "%s; %s", cidr,
				 reason[0] == '"' ? reason + 1 : reason);
		else {
			atomic_fetch_add(&n_errors, 1);
			continue;
		}
		/* counted apart from the greetings: only wrong/error */
		{
			char wa[64], wb[64];

			want_text(wa, sizeof(wa), 0, i, off);
			want_text(wb, sizeof(wb), 1, i, off);
			if (strcmp(got, wa) != 0 && strcmp(got, wb) != 0) {
				atomic_fetch_add(&n_wrong, 1);
				if (atomic_fetch_add(&n_reported, 1) < 10)
					fprintf(stderr, "soak: milter logged "
						"\"%s\" for %s (A \"%s\", B "
						"\"%s\")\n", got, ip, wa, wb);
			} else
				atomic_fetch_add(&n_from[strcmp(got, wa) ? 1 :
					strcmp(got, wb) ? 0 : 2], 1);
		}
	}
	fclose(f);
	return lines;
}

/* ---------------------------------------------------------- monitor */

static long
status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* readers - mdb_stat -r (or -rr: clear stale slots first) on DIR/db:
 * reader slots in use; *stale gets the number cleared. */
static int
readers(int clear, int *stale)
{
	char cmd[PATH_MAX + 64], line[256];
	int slots = 0, seen = 0, n;
	FILE *p;

	if (snprintf(cmd, sizeof(cmd), "mdb_stat -%s '%s/db' 2>&1",
		     clear ? "rr" : "r", dir) >= (int)sizeof(cmd))
		return -1;
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, "Reader Table Status"))
			seen = 1;
		else if (strstr(line, "stale readers cleared")) {
			if (stale && sscanf(line, " %d", &n) == 1)
				*stale = n;
			slots = 0;	/* the list after clearing counts */
		} else if (sscanf(line, " %d %*s %*s", &n) == 1 && n > 0)
			slots++;
	}
	pclose(p);		/* mdb_stat -r exits 1 without a main db */
	if (!seen)
		return -1;
	return slots;
}

/* ------------------------------------------------------------- runs */

static int
run(pid_t watched, const char *mlog)
{
	pthread_t th[MAX_THREADS];
	void *(*fn)(void *) = strcmp(front, "lib") == 0 ? lib_reader :
	    strcmp(front, "callout") == 0 ? callout_reader : smtp_client;
	verdict_ctx *ctx = NULL;
	int64_t t0 = now_ms(), deadline = t0 + seconds * 1000LL;
	long anon0 = -1, file0 = -1, anon1 = -1, file1 = -1, imports = -1,
	    ifail = -1, logged = -1;
	int rfd, st, slots, slots_max = 0, stale = -1, ok;
	char conf[PATH_MAX], buf[64];
	pid_t ipid;
	ssize_t n;

	ipid = start_importer(deadline, &rfd);
	if (strcmp(front, "lib") == 0) {
		path_of(conf, sizeof(conf), "verdict.conf");
		if ((ctx = verdict_new()) == NULL ||
		    verdict_load_config(ctx, conf) ||
		    verdict_open(ctx, VERDICT_OPEN_NODNS)) {
			fprintf(stderr, "soak: open: %s\n", verdict_errdetail());
			return 2;
		}
	}
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, fn, ctx) != 0)
			die("pthread_create");
	for (int64_t next = t0 + 1000; now_ms() < deadline; next += 1000) {
		int64_t w = next - now_ms();

		if (w > 0) {
			struct timespec ts = { w / 1000, (w % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
		anon1 = status_kb(watched, "RssAnon");
		file1 = status_kb(watched, "RssFile");
		if (anon0 < 0) {
			anon0 = anon1;
			file0 = file1;
		}
		if ((slots = readers(0, NULL)) > slots_max)
			slots_max = slots;
	}
	atomic_store(&stop, 1);
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	if (waitpid(ipid, &st, 0) < 0)
		die("waitpid");
	if ((n = read(rfd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		sscanf(buf, "%ld %ld", &imports, &ifail);
	}
	close(rfd);
	/* the importer is gone, the readers still open: none is stale */
	slots = readers(1, &stale);
	if (mlog)
		logged = milter_log(mlog);
	if (ctx)
		verdict_free(ctx);
	ok = atomic_load(&n_errors) == 0 && atomic_load(&n_wrong) == 0 &&
	    WIFEXITED(st) && WEXITSTATUS(st) == 0 && imports >= 2 &&
	    stale == 0 && slots >= 0 && slots_max <= SLOTS_BOUND &&
	    atomic_load(&n_checks) > 0 &&
	    (atomic_load(&n_from[0]) > 0 || atomic_load(&n_from[1]) > 0);
	if (strcmp(front, "smtp") != 0)
		ok = ok && atomic_load(&n_from[0]) > 0 &&
		    atomic_load(&n_from[1]) > 0;
	if (!getenv("VERDICT_SANITIZED") && anon1 > anon0 + RSS_SLACK_KB)
		ok = 0;
	printf("soak: front=%s seconds=%d threads=%d checks=%ld errors=%ld "
	       "wrong=%ld from_a=%ld from_b=%ld either=%ld imports=%ld "
	       "import_failures=%ld rss_anon_kb=%ld->%ld rss_file_kb=%ld->%ld "
	       "reader_slots_max=%d stale_readers=%d logged=%ld result=%s\n",
	       front, seconds, nthreads, atomic_load(&n_checks),
	       atomic_load(&n_errors), atomic_load(&n_wrong),
	       atomic_load(&n_from[0]), atomic_load(&n_from[1]),
	       atomic_load(&n_from[2]), imports, ifail, anon0, anon1, file0,
	       file1, slots_max, stale, logged, ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

/* callout_log - the callout's own lines: only "... loaded" is expected;
 * anything else (an error it answered 0 for) fails the run. */
static int
callout_log(const char *path)
{
	char line[1024];
	int bad = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die(path);
	while (fgets(line, sizeof(line), f))
		if (!strstr(line, " loaded")) {
			printf("soak: callout log: %s", line);
			bad++;
		}
	fclose(f);
	return bad;
}

/* warm_up - the callout initialises lazily; wait for a real answer. */
static void
warm_up(void)
{
	char ip[32], reply[BUF + 1];

	fmt_ip(ip, sizeof(ip), NET_BASE + (NETS_A_END - 1) * 16 + 1);
	for (int k = 0; k < 500; k++) {
		if (call_routine(ip, reply, sizeof(reply)) == -1)
			return;
		usleep(10000);
	}
	fprintf(stderr, "soak: the callout never answered block for %s\n", ip);
	exit(2);
}

int
main(int argc, char **argv)
{
	char conf[PATH_MAX], logp[PATH_MAX], fdtext[16];
	void *h;
	int lfd;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "setup") == 0) {
		dir = argv[2];
		return mode_setup();
	}
	if (argc == 5 && strcmp(argv[1], "lib") == 0) {
		front = "lib";
		dir = argv[2];
		seconds = parse_int(argv[3], 1, 86400);
		nthreads = parse_int(argv[4], 1, MAX_THREADS);
		return run(getpid(), NULL);
	}
	if (argc == 6 && strcmp(argv[1], "callout") == 0) {
		front = "callout";
		dir = argv[3];
		seconds = parse_int(argv[4], 1, 86400);
		nthreads = parse_int(argv[5], 1, MAX_THREADS);
		path_of(conf, sizeof(conf), "verdict.conf");
		path_of(logp, sizeof(logp), "callout.log");
		if ((lfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
				0644)) < 0)
			die(logp);
		snprintf(fdtext, sizeof(fdtext), "%d", lfd);
		setenv("VERDICT_CONFIG", conf, 1);
		setenv("VERDICT_CALLOUT_LOG_FD", fdtext, 1);
		if ((h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL)) == NULL ||
		    (routine = (routine_fn)dlsym(h,
			"verdict_check_reputation")) == NULL) {
			fprintf(stderr, "soak_driver: %s\n", dlerror());
			return 2;
		}
		warm_up();
		lfd = run(getpid(), NULL);
		if (callout_log(logp) != 0)
			lfd = 1;
		return lfd;
	}
	if (argc == 8 && strcmp(argv[1], "smtp") == 0) {
		front = "smtp";
		dir = argv[2];
		smtp_port = parse_int(argv[3], 1, 65535);
		seconds = parse_int(argv[4], 1, 86400);
		nthreads = parse_int(argv[5], 1, MAX_THREADS);
		return run((pid_t)parse_int(argv[6], 1, INT_MAX), argv[7]);
	}
	fprintf(stderr, "usage: soak_driver setup DIR | lib DIR SECONDS THREADS"
		" | callout SO DIR SECONDS THREADS\n"
		"       | smtp DIR PORT SECONDS THREADS MILTER_PID MILTER_LOG\n");
	return 2;
}
