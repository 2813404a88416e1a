/*
 * bench_verdict.c - libverdict against its references, same run, same data
 *
 * Usage: bench_verdict -D DATADIR -w WORKDIR [-m FILE.mmdb] [-c VERDICT_CLI]
 *	  [-i IPRANGE] [-r REPS] [-t SECONDS] [-P import|verdict|stats]
 *
 * DATADIR holds bench_gen's files.  WORKDIR is emptied and receives the
 * LMDB databases and configs.  Measures, in this order:
 *	import	verdict_import of block.txt (1.2M CIDRs with reasons) into a
 *		new block table, vs `iprange --optimize block4.txt`
 *	verdict	ns per verdict_check (trusted 127.0.0.0/8 + ::1, one allow
 *		table, one block table), one thread and two threads on one
 *		opened ctx, vs MMDB_lookup_string + MMDB_get_value("reason")
 *		and vs a sorted in-memory array of flattened intervals
 *		(inet_pton + binary search: the floor)
 *	growth	the same verdict with a 10,000-entry block table, on
 *		queries10k.txt (the same mix, hits drawn inside its own
 *		entries) and, for information, on queries.txt
 *	counters the same verdict with counting off (verdict_set_stats):
 *		what the metrics counters cost (thread CPU time of
 *		alternating batches: see stats_cost)
 *	cli	`verdict -c CONF check -` whole process, stdin = queries.txt
 * -P stats measures only the counters' cost, on the 10k table (made when
 * missing) and queries10k.txt.
 * -P import|verdict runs only that (one import into WORKDIR/db; or one
 * timed verdict loop on it, kept from an earlier run): for perf record or
 * valgrind --tool=callgrind.
 * A validation pass first checks that verdict, MMDB and the array give
 * the same block answers and reasons on every query.
 *
 * Prints one "key=value" line per figure, then a Markdown table with the
 * ratio against each reference and the target.
 *
 *	main		run everything
 *	timed_loop	passes over the queries until >= -t seconds; ns/op
 *	median		median of the repetitions
 *	flat_*		the sorted-array floor
 *	spawn_time	time one child process with stdin/stdout redirected
 *
 * Diagnostics: "bench_verdict: what" on stderr, exit 1.  Limits: timings
 * are wall-clock CLOCK_MONOTONIC on whatever else the machine is doing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verdict.h"

typedef unsigned __int128 u128;

static const char *data_dir, *work_dir, *mmdb_path, *cli_path, *iprange_path,
		  *profile_what;
static int reps = 5;
static double min_secs = 1.0;

static char **queries, **queries10k;
static size_t nqueries, nqueries10k;

static void
die(const char *what)
{
	fprintf(stderr, "bench_verdict: %s\n", what);
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* median - of n values (sorted in place). */
static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *
path_in(const char *dir, const char *name)
{
	static char buf[8][4096];
	static int k;
	char *p = buf[k++ % 8];

	if ((size_t)snprintf(p, 4096, "%s/%s", dir, name) >= 4096)
		die("path too long");
	return p;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "bench_verdict: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read a data file");
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* load_queries - the lines of DATADIR/name into *q, *n */
static void
load_queries(const char *name, char ***q, size_t *n)
{
	size_t len, i, cap = 1 << 20;
	char *buf = read_file(path_in(data_dir, name), &len), *p;
	char **v = malloc(cap * sizeof(*v));

	if (v == NULL)
		die("out of memory");
	for (p = buf, i = 0; p < buf + len; i++) {
		char *nl = strchr(p, '\n');

		if (i == cap && (v = realloc(v, (cap *= 2) * sizeof(*v))) == NULL)
			die("out of memory");
		if (nl)
			*nl = 0;
		v[i] = p;
		p = nl ? nl + 1 : buf + len;
	}
	*q = v;
	*n = i;
}

static long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* spawn_time - seconds for argv to run, stdin from in (or /dev/null),
 * stdout to /dev/null; *status gets the exit status (-1: signal). */
static double
spawn_time(char *const argv[], const char *in, int *status)
{
	int64_t t0 = now_ns();
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		die("fork failed");
	if (pid == 0) {
		int fi = open(in ? in : "/dev/null", O_RDONLY);
		int fo = open("/dev/null", O_WRONLY);

		if (fi < 0 || fo < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid failed");
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return (double)(now_ns() - t0) / 1e9;
}

/* --- engines: one lookup of one query string ------------------------ */

typedef struct engine {
	const char *name;
	/* per-thread state */
	void *(*tstate)(void *shared);
	void (*tfree)(void *st);
	/* one lookup; returns a value folded into the checksum */
	unsigned (*look)(void *shared, void *st, const char *ip);
	void *shared;
	char **qs;		/* its queries; NULL: queries.txt */
	size_t nqs;
} engine;

#define QS(e)	((e)->qs ? (e)->qs : queries)
#define NQS(e)	((e)->qs ? (e)->nqs : nqueries)

/* verdict */
static void *
v_tstate(void *shared)
{
	verdict_result *r = verdict_result_new();

	(void)shared;
	if (r == NULL)
		die("verdict_result_new failed");
	return r;
}

static void
v_tfree(void *st)
{
	verdict_result_free(st);
}

static unsigned
v_look(void *shared, void *st, const char *ip)
{
	const char *reason;
	unsigned k;

	verdict_check(shared, 1, ip, st);
	k = (unsigned)verdict_result_kind(st);
	reason = verdict_result_reason(st);
	return k * 31 + (reason ? (unsigned char)reason[3] : 0);
}

/* libmaxminddb */
static void *
m_tstate(void *shared)
{
	(void)shared;
	return NULL;
}

static void
m_tfree(void *st)
{
	(void)st;
}

static unsigned
m_look(void *shared, void *st, const char *ip)
{
	MMDB_lookup_result_s r;
	MMDB_entry_data_s d;
	int gai, merr;

	(void)st;
	r = MMDB_lookup_string(shared, ip, &gai, &merr);
	if (gai != 0 || merr != MMDB_SUCCESS || !r.found_entry)
		return 0;
	if (MMDB_get_value(&r.entry, &d, "reason", NULL) != MMDB_SUCCESS ||
	    !d.has_data)
		return 1;
	return 2 * 31 + (unsigned char)d.utf8_string[3];
}

/* the floor: flattened intervals, one 128-bit key space */
typedef struct interval {
	u128 start, end;
	const char *reason;	/* "SBLnnn", NUL-ended in the file buffer */
} interval;

typedef struct flat {
	interval *iv;
	u128 *ends;		/* iv[i].end, dense for the binary search */
	size_t n;
} flat;

typedef struct fcidr {
	u128 start, end;
	uint8_t plen;
	const char *reason;
} fcidr;

static int
cmp_fcidr(const void *a, const void *b)
{
	const fcidr *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

/* parse_ip - text to a 128-bit key (IPv4 as ::ffff:a.b.c.d); 0 on
 * success. */
static int
parse_ip(const char *s, u128 *out)
{
	unsigned char b[16];
	u128 v = 0;
	int k;

	if (strchr(s, ':') == NULL) {
		if (inet_pton(AF_INET, s, b + 12) != 1)
			return -1;
		memset(b, 0, 10);
		b[10] = b[11] = 0xff;
	} else if (inet_pton(AF_INET6, s, b) != 1) {
		return -1;
	}
	for (k = 0; k < 16; k++)
		v = v << 8 | b[k];
	*out = v;
	return 0;
}

static void
flat_emit(flat *f, size_t *cap, u128 s, u128 e, const char *reason)
{
	if (f->n == *cap &&
	    (f->iv = realloc(f->iv, (*cap *= 2) * sizeof(*f->iv))) == NULL)
		die("out of memory");
	f->iv[f->n].start = s;
	f->iv[f->n].end = e;
	f->iv[f->n].reason = reason;
	f->n++;
}

/* flat_build - the longest-prefix answer of block.txt as sorted disjoint
 * intervals: sweep the CIDRs in (start, plen) order with a stack of the
 * ones still open. */
static void
flat_build(flat *f, size_t *ncidr)
{
	size_t len, n = 0, cap = 1 << 21, fcap = 1 << 21, sp = 0, i;
	char *buf = read_file(path_in(data_dir, "block.txt"), &len), *p;
	fcidr *c = malloc(cap * sizeof(*c)), *stack[130];
	u128 cur = 0;

	f->iv = malloc(fcap * sizeof(*f->iv));
	f->n = 0;
	for (p = buf; p < buf + len;) {
		char *nl = strchr(p, '\n'), *slash, *semi;
		int bits;

		if (nl)
			*nl = 0;
		slash = strchr(p, '/');
		semi = strchr(p, ';');
		if (slash == NULL || semi == NULL)
			die("block.txt: bad line");
		*slash = 0;
		if (parse_ip(p, &c[n].start) != 0)
			die("block.txt: bad address");
		bits = strchr(p, ':') ? 0 : 96;
		c[n].plen = (uint8_t)(bits + strtol(slash + 1, NULL, 10));
		c[n].end = c[n].start | (c[n].plen == 128 ? 0 :
			   (((u128)1 << (128 - c[n].plen)) - 1));
		for (semi++; *semi == ' '; semi++)
			;
		c[n].reason = semi;
		n++;
		p = nl ? nl + 1 : buf + len;
	}
	*ncidr = n;
	qsort(c, n, sizeof(*c), cmp_fcidr);
	for (i = 0; i <= n; i++) {
		/* close what ends before c[i] starts (or everything at the end) */
		while (sp > 0 && (i == n || stack[sp - 1]->end < c[i].start)) {
			fcidr *t = stack[--sp];

			if (cur <= t->end)
				flat_emit(f, &fcap, cur, t->end, t->reason);
			cur = t->end + 1;
		}
		if (i == n)
			break;
		if (sp > 0 && cur < c[i].start)
			flat_emit(f, &fcap, cur, c[i].start - 1,
				  stack[sp - 1]->reason);
		cur = c[i].start;
		if (sp == 130)
			die("nesting too deep");
		stack[sp++] = &c[i];
	}
	free(c);	/* reasons stay in buf, which lives on */
	if ((f->ends = malloc((f->n + 1) * sizeof(*f->ends))) == NULL)
		die("out of memory");
	for (i = 0; i < f->n; i++)
		f->ends[i] = f->iv[i].end;
}

static const interval *
flat_find(const flat *f, const char *ip)
{
	size_t lo = 0, hi = f->n;
	u128 a;

	if (parse_ip(ip, &a) != 0)
		return NULL;
	while (lo < hi) {	/* first interval with end >= a */
		size_t mid = lo + (hi - lo) / 2;

		if (f->ends[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->n && f->iv[lo].start <= a)
		return &f->iv[lo];
	return NULL;
}

static unsigned
f_look(void *shared, void *st, const char *ip)
{
	const interval *iv = flat_find(shared, ip);

	(void)st;
	return iv ? 2 * 31 + (unsigned char)iv->reason[3] : 0;
}

/* --- timing ---------------------------------------------------------- */

typedef struct job {
	const engine *e;
	size_t first, ops;
	int64_t ns;
	unsigned sum;
	pthread_barrier_t *bar;
} job;

/* run_ops - ops lookups starting at query first (wrapping). */
static unsigned
run_ops(const engine *e, void *st, size_t first, size_t ops)
{
	char **qs = QS(e);
	size_t i, n = NQS(e), q = first % n;
	unsigned sum = 0;

	for (i = 0; i < ops; i++) {
		sum += e->look(e->shared, st, qs[q]);
		if (++q == n)
			q = 0;
	}
	return sum;
}

static void *
job_main(void *arg)
{
	job *j = arg;
	void *st = j->e->tstate(j->e->shared);
	int64_t t0;

	run_ops(j->e, st, j->first, NQS(j->e) / 4);	/* warm up */
	pthread_barrier_wait(j->bar);
	t0 = now_ns();
	j->sum = run_ops(j->e, st, j->first, j->ops);
	j->ns = now_ns() - t0;
	j->e->tfree(st);
	return NULL;
}

static volatile unsigned sink;

/* sized - operations per thread for one repetition of >= min_secs (whole
 * passes over the query set), from one timed pass (also a warm-up). */
static size_t
sized(const engine *e)
{
	void *st = e->tstate(e->shared);
	int64_t t0 = now_ns();

	sink += run_ops(e, st, 0, NQS(e));
	t0 = now_ns() - t0;
	e->tfree(st);
	return NQS(e) * (size_t)(min_secs * 1e9 / (double)t0 + 1);
}

/*
 * timed_rep - one repetition of ops lookups on each of nthreads threads
 * (each its own per-thread state, all on the same shared handle).
 * Returns ns per lookup as one thread sees it; *agg gets the wall time
 * per lookup over all threads (the throughput view).
 */
static double
timed_rep(const engine *e, int nthreads, size_t ops, double *agg)
{
	pthread_t th[8];
	job j[8];
	pthread_barrier_t bar;
	int64_t w0, wall, tot = 0;
	int t;

	pthread_barrier_init(&bar, NULL, (unsigned)nthreads + 1);
	for (t = 0; t < nthreads; t++) {
		j[t] = (job){ e, (size_t)t * NQS(e) / (size_t)nthreads, ops,
			      0, 0, &bar };
		if (pthread_create(&th[t], NULL, job_main, &j[t]) != 0)
			die("pthread_create failed");
	}
	pthread_barrier_wait(&bar);
	w0 = now_ns();
	for (t = 0; t < nthreads; t++) {
		pthread_join(th[t], NULL);
		tot += j[t].ns;
		sink += j[t].sum;
	}
	wall = now_ns() - w0;
	pthread_barrier_destroy(&bar);
	*agg = (double)wall / ((double)ops * nthreads);
	return (double)tot / nthreads / (double)ops;
}

/* A measurement: engine, threads, and its repetitions. */
typedef struct meas {
	const engine *e;
	int threads;
	size_t ops;
	double per[8], agg[8];
} meas;

/*
 * measure_all - the repetitions of every measurement interleaved (rep 1
 * of each, then rep 2 of each, ...), so that a load change on the
 * machine hits every engine alike; medians into per/agg[0].
 */
static void
measure_all(meas *m, int n)
{
	int r, i;

	for (i = 0; i < n; i++)
		m[i].ops = sized(m[i].e);
	for (r = 0; r < reps; r++)
		for (i = 0; i < n; i++)
			m[i].per[r] = timed_rep(m[i].e, m[i].threads, m[i].ops,
						&m[i].agg[r]);
	for (i = 0; i < n; i++) {
		double p = median(m[i].per, reps), a = median(m[i].agg, reps);

		m[i].per[0] = p;
		m[i].agg[0] = a;
	}
}

/* --- set-up ---------------------------------------------------------- */

static void
write_conf(const char *path, const char *db)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		die("cannot write a config file");
	fprintf(f, "database = %s\n"
		"trusted_networks = 127.0.0.0/8, ::1\n"
		"allow_tables = allow\n"
		"block_tables = block\n"
		"mode = enforce\n"
		"log_verdicts = block\n", db);
	if (fclose(f) != 0)
		die("cannot write a config file");
}

static void
vfail(const char *what, int rc)
{
	fprintf(stderr, "bench_verdict: %s: %s (%s)\n", what,
		verdict_strerror(rc), verdict_errdetail());
	exit(1);
}

/* make_db - a database dir with tables block (from blockfile) and allow;
 * returns the seconds verdict_import took for the block table. */
static double
make_db(const char *db, const char *blockfile, size_t *entries)
{
	verdict_ctx *ctx = verdict_new();
	int64_t t0;
	double secs;
	int rc;

	if (ctx == NULL)
		die("verdict_new failed");
	if ((rc = verdict_set_database(ctx, db)) != 0 ||
	    (rc = verdict_open(ctx, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
			       VERDICT_OPEN_NODNS |
			       VERDICT_OPEN_NOTABLECHECK)) != 0)
		vfail(db, rc);
	if ((rc = verdict_table_create(ctx, "block", VERDICT_TABLE_BLOCK)) != 0 ||
	    (rc = verdict_table_create(ctx, "allow", VERDICT_TABLE_ALLOW)) != 0)
		vfail("table create", rc);
	t0 = now_ns();
	rc = verdict_import(ctx, "block", blockfile, 0, 0, NULL, entries, NULL);
	secs = (double)(now_ns() - t0) / 1e9;
	if (rc != 0)
		vfail(blockfile, rc);
	if ((rc = verdict_import(ctx, "allow", path_in(data_dir, "allow.txt"),
				 0, 0, NULL, NULL, NULL)) != 0)
		vfail("allow.txt", rc);
	verdict_free(ctx);
	return secs;
}

static verdict_ctx *
open_ro(const char *conf)
{
	verdict_ctx *ctx = verdict_new();
	int rc;

	if (ctx == NULL)
		die("verdict_new failed");
	if ((rc = verdict_load_config(ctx, conf)) != 0 ||
	    (rc = verdict_open(ctx, VERDICT_OPEN_NODNS)) != 0)
		vfail(conf, rc);
	return ctx;
}

/* open_nostats - open_ro with counting off (verdict_set_stats): the
 * reference of the counters' cost */
static verdict_ctx *
open_nostats(const char *conf)
{
	verdict_ctx *ctx = verdict_new();
	int rc;

	if (ctx == NULL)
		die("verdict_new failed");
	if ((rc = verdict_load_config(ctx, conf)) != 0 ||
	    (rc = verdict_set_stats(ctx, 0)) != 0 ||
	    (rc = verdict_open(ctx, VERDICT_OPEN_NODNS)) != 0)
		vfail(conf, rc);
	return ctx;
}

/* cpu_ns - the calling thread's CPU time: a batch measured on it is not
 * charged for the time other processes had the core */
static int64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define SC_BATCH 20000
#define SC_ROUNDS 60

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * stats_cost - verdict_check with counters (on) vs without (off): the
 * same SC_BATCH queries on each context in turn, SC_ROUNDS times, each
 * batch timed on thread CPU time; ns per check at the 10th percentile
 * and the median of the rounds (a shared, loaded machine inflates some
 * batches of either; the low percentile is what the code costs).
 */
static void
stats_cost(const char *conf, char **qs, size_t nqs, double *on_p10,
	   double *off_p10, double *on_med, double *off_med)
{
	verdict_ctx *c[2] = { open_ro(conf), open_nostats(conf) };
	verdict_result *r = verdict_result_new();
	int64_t t[2][SC_ROUNDS], t0;
	size_t q = 0;

	if (r == NULL)
		die("verdict_result_new failed");
	for (int k = 0; k < 2; k++)	/* warm up */
		for (size_t i = 0; i < SC_BATCH; i++)
			sink += v_look(c[k], r, qs[i % nqs]);
	for (int round = 0; round < SC_ROUNDS; round++) {
		for (int k = 0; k < 2; k++) {
			int kk = round & 1 ? 1 - k : k;	/* alternate first */

			t0 = cpu_ns();
			for (size_t i = 0; i < SC_BATCH; i++)
				sink += v_look(c[kk], r, qs[(q + i) % nqs]);
			t[kk][round] = cpu_ns() - t0;
		}
		q += SC_BATCH;
	}
	for (int k = 0; k < 2; k++)
		qsort(t[k], SC_ROUNDS, sizeof(int64_t), cmp_i64);
	*on_p10 = (double)t[0][SC_ROUNDS / 10] / SC_BATCH;
	*off_p10 = (double)t[1][SC_ROUNDS / 10] / SC_BATCH;
	*on_med = (double)t[0][SC_ROUNDS / 2] / SC_BATCH;
	*off_med = (double)t[1][SC_ROUNDS / 2] / SC_BATCH;
	verdict_result_free(r);
	verdict_free(c[0]);
	verdict_free(c[1]);
}

static void
rm_rf(const char *dir)
{
	char *argv[] = { "/bin/rm", "-rf", (char *)dir, NULL };
	int st;

	spawn_time(argv, NULL, &st);
	if (st != 0)
		die("rm -rf failed");
}

/* validate - every query: verdict block <=> floor hit (unless allowed or
 * trusted) with the same reason; MMDB == floor.  Counts into *c. */
static void
validate(verdict_ctx *ctx, const flat *f, MMDB_s *mm, size_t c[8])
{
	verdict_result *r = verdict_result_new();
	size_t i;

	memset(c, 0, 8 * sizeof(*c));
	for (i = 0; i < nqueries; i++) {
		const interval *iv = flat_find(f, queries[i]);
		const char *reason;
		int k;

		verdict_check(ctx, 1, queries[i], r);
		k = verdict_result_kind(r);
		reason = verdict_result_reason(r);
		c[k]++;
		if (iv)
			c[5]++;
		if (k == VERDICT_BLOCK && (iv == NULL || reason == NULL ||
					   strcmp(reason, iv->reason) != 0))
			c[6]++;
		else if (k == VERDICT_NEUTRAL && iv != NULL)
			c[6]++;
		if (mm) {
			MMDB_lookup_result_s m;
			MMDB_entry_data_s d;
			int gai, merr;

			m = MMDB_lookup_string(mm, queries[i], &gai, &merr);
			if (m.found_entry != (iv != NULL))
				c[7]++;
			else if (m.found_entry &&
				 (MMDB_get_value(&m.entry, &d, "reason", NULL) !=
				  MMDB_SUCCESS || !d.has_data ||
				  d.data_size != strlen(iv->reason) ||
				  memcmp(d.utf8_string, iv->reason,
					 d.data_size) != 0))
				c[7]++;
		}
	}
	verdict_result_free(r);
}

/* --- report ---------------------------------------------------------- */

static void
row(const char *what, const char *fig, const char *ref, double ratio,
    const char *target, int ok)
{
	char rs[32] = "-";

	if (ratio > 0)
		snprintf(rs, sizeof(rs), "%.2f", ratio);
	printf("| %s | %s | %s | %s | %s | %s |\n", what, fig, ref, rs, target,
	       ok < 0 ? "-" : ok ? "yes" : "**no**");
}

int
main(int argc, char **argv)
{
	double s_on1, s_off1, s_on2, s_off2;
	double imp[8], ipr[8], v1, v2, v2agg, m1, m2, m2agg, f1, g1, h1, cli_s = -1,
	       cliq_s = -1, ipr_s = -1, imp_s, cimp[8], cimp_s = -1;
	size_t entries = 0, e10k = 0, ncidr = 0, counts[8];
	char db[4096], db10k[4096], conf[4096], conf10k[4096], fig[128],
	     ref[128];
	verdict_ctx *ctx, *ctx10k;
	MMDB_s mm;
	int have_mm = 0, opt, r, st;
	engine ev, em, ef, eg, eh;
	flat fl;

	while ((opt = getopt(argc, argv, "D:w:m:c:i:r:t:P:")) != -1) {
		switch (opt) {
		case 'P': profile_what = optarg; break;
		case 'D': data_dir = optarg; break;
		case 'w': work_dir = optarg; break;
		case 'm': mmdb_path = optarg; break;
		case 'c': cli_path = optarg; break;
		case 'i': iprange_path = optarg; break;
		case 'r': reps = (int)strtol(optarg, NULL, 10); break;
		case 't': min_secs = strtod(optarg, NULL); break;
		default:
			fprintf(stderr, "usage: bench_verdict -D DATADIR -w "
				"WORKDIR [-m MMDB] [-c CLI] [-i IPRANGE] "
				"[-r REPS] [-t SECONDS]\n");
			return 2;
		}
	}
	if (data_dir == NULL || work_dir == NULL)
		die("-D and -w are required");
	if (reps < 1 || reps > 8)
		reps = 5;
	if (profile_what == NULL) {
		rm_rf(work_dir);
		if (mkdir(work_dir, 0755) != 0)
			die("cannot create the work directory");
	} else {
		mkdir(work_dir, 0755);
		snprintf(db, sizeof(db), "%s/db", work_dir);
		if (strcmp(profile_what, "import") == 0)
			rm_rf(db);
	}
	load_queries("queries.txt", &queries, &nqueries);
	load_queries("queries10k.txt", &queries10k, &nqueries10k);
	snprintf(db, sizeof(db), "%s/db", work_dir);
	snprintf(db10k, sizeof(db10k), "%s/db10k", work_dir);
	snprintf(conf, sizeof(conf), "%s/verdict.conf", work_dir);
	snprintf(conf10k, sizeof(conf10k), "%s/verdict10k.conf", work_dir);
	write_conf(conf, db);
	write_conf(conf10k, db10k);

	/* -P import|verdict: only that, for perf/callgrind */
	if (profile_what && strcmp(profile_what, "import") == 0) {
		imp_s = make_db(db, path_in(data_dir, "block.txt"), &entries);
		printf("import_s=%.3f entries=%zu\n", imp_s, entries);
		return 0;
	}
	if (profile_what && strcmp(profile_what, "stats") == 0) {
		double on1, off1, on2, off2;

		if (access(db10k, F_OK) != 0)
			make_db(db10k, path_in(data_dir, "block10k.txt"), &e10k);
		stats_cost(conf10k, queries10k, nqueries10k, &on1, &off1, &on2,
			   &off2);
		printf("stats_on_p10_ns=%.1f stats_off_p10_ns=%.1f ratio=%.3f "
		       "stats_on_median_ns=%.1f stats_off_median_ns=%.1f "
		       "ratio_median=%.3f\n", on1, off1, on1 / off1, on2,
		       off2, on2 / off2);
		return 0;
	}
	if (profile_what && strcmp(profile_what, "verdict") == 0) {
		size_t ops;

		if (access(db, F_OK) != 0)
			make_db(db, path_in(data_dir, "block.txt"), &entries);
		ctx = open_ro(conf);
		ev = (engine){ "verdict", v_tstate, v_tfree, v_look, ctx, NULL, 0 };
		ops = sized(&ev);
		v1 = timed_rep(&ev, 1, ops, &v2agg);
		printf("verdict_ns=%.0f\n", v1);
		verdict_free(ctx);
		return 0;
	}

	/* 1. import vs iprange --optimize, interleaved, median of 5: the
	 * API in this process (information), `verdict import` as a user runs
	 * it (whole process, like iprange: the figure the target is about) */
	fprintf(stderr, "bench_verdict: import ...\n");
	for (r = 0; r < 5; r++) {
		rm_rf(db);
		imp[r] = make_db(db, path_in(data_dir, "block.txt"), &entries);
		if (cli_path) {
			char dbc[4200];
			char *av[] = { (char *)cli_path, "-d", dbc, "import",
				       "block", path_in(data_dir, "block.txt"),
				       NULL };
			char *cv[] = { (char *)cli_path, "-d", dbc, "table",
				       "create", "block", "--kind", "block",
				       NULL };

			snprintf(dbc, sizeof(dbc), "%s/dbcli", work_dir);
			rm_rf(dbc);
			mkdir(dbc, 0755);
			spawn_time(cv, NULL, &st);
			if (st != 0)
				die("verdict table create failed");
			cimp[r] = spawn_time(av, NULL, &st);
			if (st != 0)
				die("verdict import failed");
			rm_rf(dbc);
		}
		if (iprange_path) {
			char *av[] = { (char *)iprange_path, "--optimize",
				       path_in(data_dir, "block4.txt"), NULL };

			ipr[r] = spawn_time(av, NULL, &st);
			if (st != 0)
				die("iprange failed");
		}
	}
	imp_s = median(imp, 5);
	if (cli_path)
		cimp_s = median(cimp, 5);
	if (iprange_path)
		ipr_s = median(ipr, 5);
	make_db(db10k, path_in(data_dir, "block10k.txt"), &e10k);

	/* references */
	flat_build(&fl, &ncidr);
	if (mmdb_path) {
		if ((r = MMDB_open(mmdb_path, MMDB_MODE_MMAP, &mm)) != MMDB_SUCCESS) {
			fprintf(stderr, "bench_verdict: %s: %s\n", mmdb_path,
				MMDB_strerror(r));
			return 1;
		}
		have_mm = 1;
	}
	ctx = open_ro(conf);
	ctx10k = open_ro(conf10k);

	fprintf(stderr, "bench_verdict: validate ...\n");
	validate(ctx, &fl, have_mm ? &mm : NULL, counts);

	/* 2./3. lookups */
	fprintf(stderr, "bench_verdict: lookups ...\n");
	ev = (engine){ "verdict", v_tstate, v_tfree, v_look, ctx, NULL, 0 };
	eg = (engine){ "verdict10k", v_tstate, v_tfree, v_look, ctx10k, NULL,
		       0 };
	eh = (engine){ "verdict10k-hits", v_tstate, v_tfree, v_look, ctx10k,
		       queries10k, nqueries10k };
	em = (engine){ "mmdb", m_tstate, m_tfree, m_look, &mm, NULL, 0 };
	ef = (engine){ "floor", m_tstate, m_tfree, f_look, &fl, NULL, 0 };
	{
		meas m[7] = {
			{ .e = &ev, .threads = 1 }, { .e = &ef, .threads = 1 },
			{ .e = &eg, .threads = 1 }, { .e = &eh, .threads = 1 },
			{ .e = &ev, .threads = 2 },
			{ .e = &em, .threads = 1 }, { .e = &em, .threads = 2 } };

		measure_all(m, have_mm ? 7 : 5);
		v1 = m[0].per[0];
		f1 = m[1].per[0];
		g1 = m[2].per[0];
		h1 = m[3].per[0];
		v2 = m[4].per[0];
		v2agg = m[4].agg[0];
		m1 = have_mm ? m[5].per[0] : -1;
		m2 = have_mm ? m[6].per[0] : -1;
		m2agg = have_mm ? m[6].agg[0] : -1;
	}

	/* 3b. the counters' cost: the same checks with counting off */
	fprintf(stderr, "bench_verdict: counters ...\n");
	stats_cost(conf, queries, nqueries, &s_on1, &s_off1, &s_on2, &s_off2);

	/* 4. the CLI, whole process */
	if (cli_path && access(cli_path, X_OK) == 0) {
		double c[8], cq[8];

		fprintf(stderr, "bench_verdict: cli ...\n");
		for (r = 0; r < 3; r++) {
			char *av[] = { (char *)cli_path, "-c", conf, "check",
				       "-", NULL };
			char *avq[] = { (char *)cli_path, "-c", conf, "check",
					"-q", "-", NULL };

			c[r] = spawn_time(av, path_in(data_dir, "queries.txt"), &st);
			if (st < 0 || st >= 2)
				die("verdict check - failed");
			cq[r] = spawn_time(avq, path_in(data_dir, "queries.txt"),
					   &st);
			if (st < 0 || st >= 2)
				die("verdict check -q - failed");
		}
		cli_s = median(c, 3);
		cliq_s = median(cq, 3);
	}

	printf("cidrs=%zu entries=%zu entries10k=%zu queries=%zu\n", ncidr,
	       entries, e10k, nqueries);
	printf("intervals=%zu data_mdb_bytes=%ld mmdb_bytes=%ld\n", fl.n,
	       file_size(path_in(db, "data.mdb")),
	       have_mm ? file_size(mmdb_path) : -1);
	printf("verdicts neutral=%zu allow=%zu block=%zu error=%zu "
	       "floor_hits=%zu mismatch_verdict_floor=%zu "
	       "mismatch_mmdb_floor=%zu\n", counts[0], counts[1], counts[2],
	       counts[4], counts[5], counts[6], have_mm ? counts[7] : 0);
	printf("import_s=%.3f cli_import_s=%.3f iprange_s=%.3f\n", imp_s,
	       cimp_s, ipr_s);
	printf("verdict_ns=%.0f verdict2_ns=%.0f verdict2_agg_ns=%.0f\n", v1, v2,
	       v2agg);
	printf("mmdb_ns=%.0f mmdb2_ns=%.0f mmdb2_agg_ns=%.0f floor_ns=%.0f\n",
	       m1, m2, have_mm ? m2agg : -1, f1);
	printf("verdict10k_hits_ns=%.0f\n", h1);
	printf("stats_on_p10_ns=%.1f stats_off_p10_ns=%.1f "
	       "stats_on_median_ns=%.1f stats_off_median_ns=%.1f\n", s_on1,
	       s_off1, s_on2, s_off2);
	printf("verdict10k_ns=%.0f cli_s=%.3f cli_q_s=%.3f checksum=%u\n", g1,
	       cli_s, cliq_s, sink);

	printf("\n| measure | figure | reference (same run) | ratio | target "
	       "| met |\n|---|---|---|---|---|---|\n");
	snprintf(fig, sizeof(fig), "%.2f s (%zu entries)", imp_s, entries);
	snprintf(ref, sizeof(ref), ipr_s > 0 ? "iprange --optimize %.2f s" :
		 "iprange not run%.0f", ipr_s > 0 ? ipr_s : 0);
	row("import 1.2M CIDRs (API, in process)", fig, ref,
	    ipr_s > 0 ? imp_s / ipr_s : 0, "(information)", -1);
	if (cimp_s > 0) {
		snprintf(fig, sizeof(fig), "%.2f s (%zu entries)", cimp_s,
			 entries);
		row("import 1.2M CIDRs (`verdict import`, whole process)",
		    fig, ref, ipr_s > 0 ? cimp_s / ipr_s : 0, "<= 1.5",
		    ipr_s > 0 ? cimp_s <= 1.5 * ipr_s : -1);
	}
	snprintf(fig, sizeof(fig), "%.0f ns", v1);
	snprintf(ref, sizeof(ref), have_mm ? "MMDB %.0f ns" : "no MMDB%.0f",
		 have_mm ? m1 : 0);
	row("verdict_check, 1 thread", fig, ref, have_mm ? v1 / m1 : 0,
	    "<= 1.25 (goal < 1.0)", have_mm ? v1 <= 1.25 * m1 : -1);
	snprintf(fig, sizeof(fig), "%.0f ns/thread (%.0f ns aggregate)", v2,
		 v2agg);
	snprintf(ref, sizeof(ref), have_mm ? "MMDB %.0f ns/thread (%.0f agg)" :
		 "no MMDB%.0f%.0f", have_mm ? m2 : 0, have_mm ? m2agg : 0);
	row("verdict_check, 2 threads", fig, ref, have_mm ? v2 / m2 : 0,
	    "<= 1.25 (goal < 1.0)", have_mm ? v2 <= 1.25 * m2 : -1);
	snprintf(fig, sizeof(fig), "%.0f ns", v1);
	snprintf(ref, sizeof(ref), "sorted array %.0f ns", f1);
	row("verdict_check vs the floor", fig, ref, v1 / f1, "(information)",
	    -1);
	/* the same mix of hits (~27% drawn inside an entry of the table
	 * asked): what the target compares */
	snprintf(fig, sizeof(fig), "%.0f ns (1.2M) vs %.0f ns (10k)", v1, h1);
	row("growth 10k -> 1.2M entries", fig, "10k table, its own "
	    "queries.txt mix", v1 / h1, "<= 2", v1 <= 2 * h1);
	/* queries.txt on the 10k table: nearly all misses (information) */
	snprintf(fig, sizeof(fig), "%.0f ns (1.2M) vs %.0f ns (10k)", v1, g1);
	row("growth, 1.2M table's queries on both", fig, "10k table, ~0.3% "
	    "hits", v1 / g1, "(information)", -1);
	snprintf(fig, sizeof(fig), "%.0f ns (median %.0f ns)", s_on1, s_on2);
	snprintf(ref, sizeof(ref), "counting off %.0f ns (median %.0f ns)",
		 s_off1, s_off2);
	row("verdict_check with counters, CPU time p10 (issue 19)", fig, ref,
	    s_on1 / s_off1, "<= 1.05", s_on1 <= 1.05 * s_off1);
	if (cli_s > 0) {
		snprintf(fig, sizeof(fig), "%.0f verdicts/s (%.2f s; -q %.2f s)",
			 (double)nqueries / cli_s, cli_s, cliq_s);
		row("verdict check - (1M IPs, whole process)", fig,
		    "500,000/s", (double)nqueries / cli_s / 500000, ">= 1.0",
		    (double)nqueries / cli_s >= 500000);
	} else {
		snprintf(fig, sizeof(fig), "CLI not built; API %.0f verdicts/s",
			 1e9 / v1);
		row("verdict check - (1M IPs, whole process)", fig,
		    "500,000/s", 0, ">= 1.0", -1);
	}
	if (have_mm)
		MMDB_close(&mm);
	verdict_free(ctx);
	verdict_free(ctx10k);
	return 0;
}
