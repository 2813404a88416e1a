/*
 * bench_dnsbl.c - the DNSBL engine and the GeoIP rules against their
 * references (issues 3 and 4, "Must reach"), same run, same server
 *
 * Usage: bench_dnsbl -w WORKDIR -s PORT -z ZONE=FILE[,ZONE=FILE...]
 *	  [-c VERDICT_CLI] [-n BATCH_IPS] [-P PAR[,PAR...]] [-F INFLIGHT,...]
 *	  [-r REPS] [-t SECONDS] [-C COUNTRY.mmdb -A ASN.mmdb -G GEOIPS]...
 *
 * An rbldnsd (started by dnsbl_bench.sh) serves the ip4set zones ZONE on
 * 127.0.0.1:PORT; FILE is the zone's list of IPv4 CIDRs (the listing
 * oracle).  WORKDIR (new or empty) receives a database (one local block table of 10,000
 * /32 in 100.64.0.0/10) and verdict.conf:
 *	profile 1	local table alone
 *	profile 2	local table + the zones, weight 1 each, threshold 1,
 *			on_dns_failure = tempfail (a lost answer is visible)
 *	profile 3+k	local table + country_weights + asn_weights on the
 *			k-th pair of -C/-A databases (no DNS)
 * Measures, repetitions interleaved:
 *	uncached  p50/p99 of verdict_check (profile 2) on distinct IPs, one
 *		  at a time, vs p50/p99 of one c-ares query to the same
 *		  server, one at a time (own channel, poll loop); and, for
 *		  information, vs one query per zone sent at once and all
 *		  waited for (the server answers them one after the other)
 *	rate	  c-ares loop keeping F queries in flight over the batch's
 *		  4 x N names: answered queries/s, lost (timeouts)
 *	batch	  `verdict check -p 2 --parallel P -` of N distinct IPs (a
 *		  new process: cold cache): verdicts/s, lines checked against
 *		  the oracle and the input order; tempfail, neutral instead of
 *		  block, a missing line = lost
 *	cached	  ns of verdict_check (profile 2) on one IP repeated (answers
 *		  in the engine cache) vs profile 1 on the same IP
 *	geo	  ns of verdict_check with the geo rules (profile 3 of a
 *		  context with both MMDBs) minus the same verdict in a context
 *		  without any MMDB (on a copy of the database: one LMDB
 *		  environment opens once per process), vs
 *		  MMDB_lookup_sockaddr + MMDB_get_value on each database
 *		  (country.iso_code, autonomous_system_number), same IPs;
 *		  also, for information, profile 1 of the context with the
 *		  MMDBs (looked up for --json even without rules)
 * -g: the GeoIP part only (no DNS; -s and -z not needed), for perf record.
 * -k SECONDS: the cached verdict alone, in a loop that long (perf record).
 * Prints "key=value" lines, then a Markdown table (ratio, target, met).
 *
 *	main		set up, run, report
 *	aq_*		the c-ares reference (single queries, rate loop)
 *	oracle_*	the zones' CIDR lists, sorted; is an IP listed
 *	run_batch	one CLI run, verified
 *	geo_bench	one database pair
 *
 * Diagnostics: "bench_dnsbl: what" on stderr, exit 1.  Limits: IPv4 only;
 * wall-clock CLOCK_MONOTONIC on whatever else the machine is doing.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_arg.h"
#include "verdict.h"

#define ZONES_MAX 8
#define GEO_MAX 4
#define LAT_BLOCK 200		/* single queries / verdicts per alternation */

static const char *work_dir, *cli_path;
static int port, reps = 5;
static double min_secs = 0.5;
static size_t nbatch = 20000, nlat = 4000;
static long pars[8] = { 64 }, fls[8] = { 64, 256 };
static int npars = 1, nfls = 2, geo_only;
static double cached_only;		/* -k: seconds of the cached loop */

typedef struct ival {
	uint32_t lo, hi;
} ival;

typedef struct zone {
	char name[256];
	ival *iv;
	size_t n;
} zone;

static zone zones[ZONES_MAX];
static int nzones;

typedef struct geodb {
	const char *country, *asn, *ips;
} geodb;

static geodb geos[GEO_MAX];
static int ngeos;

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_dnsbl: %s\n", what);
	exit(1);
}

static void
vfail(const char *what, int rc)
{
	fprintf(stderr, "bench_dnsbl: %s: %s (%s)\n", what,
		verdict_strerror(rc), verdict_errdetail());
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

/* pct - the p-th percentile of n values (sorted in place) */
static double
pct(double *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
best(const double *v, int n, int lowest)
{
	double b = v[0];
	int i;

	for (i = 1; i < n; i++)
		if (lowest ? v[i] < b : v[i] > b)
			b = v[i];
	return b;
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

static void
ip_text(uint32_t v, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff,
		 (v >> 8) & 0xff, v & 0xff);
}

/* --- the oracle -------------------------------------------------------- */

static int
cmp_ival(const void *a, const void *b)
{
	const ival *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* oracle_load - "a.b.c.d[/n]" at the start of a line; anything else is
 * skipped (comments, rbldnsd's ":127.0.0.2:" lines) */
static void
oracle_load(zone *z, const char *file)
{
	FILE *f = fopen(file, "r");
	char line[512];
	size_t cap = 1024;

	if (f == NULL) {
		fprintf(stderr, "bench_dnsbl: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	if ((z->iv = malloc(cap * sizeof(*z->iv))) == NULL)
		die("out of memory");
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned a, b, c, d, m = 32;
		uint32_t v, mask;
		int k;

		k = sscanf(line, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &m);
		if (k < 4 || a > 255 || b > 255 || c > 255 || d > 255 ||
		    m > 32 || m == 0)
			continue;
		v = a << 24 | b << 16 | c << 8 | d;
		mask = m == 32 ? 0xffffffffu : ~(0xffffffffu >> m);
		if (z->n == cap && (z->iv = realloc(z->iv, (cap *= 2) *
						    sizeof(*z->iv))) == NULL)
			die("out of memory");
		z->iv[z->n].lo = v & mask;
		z->iv[z->n].hi = (v & mask) | ~mask;
		z->n++;
	}
	fclose(f);
	qsort(z->iv, z->n, sizeof(*z->iv), cmp_ival);
}

static int
oracle_in(const zone *z, uint32_t v)
{
	size_t lo = 0, hi = z->n, i;

	/* the last interval starting at or below v, and the few before it
	 * (nested entries) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (z->iv[mid].lo <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i-- > 0 && lo - i <= 64;)
		if (z->iv[i].hi >= v)
			return 1;
	return 0;
}

static int
oracle_listed(uint32_t v)
{
	int i;

	for (i = 0; i < nzones; i++)
		if (oracle_in(&zones[i], v))
			return 1;
	return 0;
}

/* query_ip - a random public IPv4 address: not 0/8, 10/8, 100.64/10
 * (the local table), 127/8, 169.254/16, 172.16/12, 192.168/16, >= 224;
 * listed_pct percent drawn inside a random zone entry */
static uint32_t
query_ip(int listed_pct)
{
	for (;;) {
		uint32_t v;

		if ((int)(rnd() % 100) < listed_pct) {
			const zone *z = &zones[rnd() % (unsigned)nzones];

			if (z->n == 0)
				continue;
			const ival *iv = &z->iv[rnd() % z->n];
			v = iv->lo + rnd() % (iv->hi - iv->lo + 1);
		} else
			v = rnd() ^ (uint32_t)rnd() << 16;
		if ((v >> 24) == 0 || (v >> 24) == 10 || (v >> 24) == 127 ||
		    (v >> 24) >= 224 || (v >> 22) == (100u << 2 | 1) ||
		    (v >> 16) == (169u << 8 | 254) ||
		    (v >> 20) == (172u << 4 | 1) ||
		    (v >> 16) == (192u << 8 | 168))
			continue;
		return v;
	}
}

/* distinct - n distinct query IPs (a simple open-addressing set) */
static uint32_t *
distinct(size_t n, int listed_pct, uint32_t *seen, size_t seencap)
{
	uint32_t *out = malloc(n * sizeof(*out));
	size_t i = 0;

	if (out == NULL)
		die("out of memory");
	while (i < n) {
		uint32_t v = query_ip(listed_pct), h;

		for (h = (v * 2654435761u) & (uint32_t)(seencap - 1);
		     seen[h] != 0 && seen[h] != v;
		     h = (h + 1) & (uint32_t)(seencap - 1))
			;
		if (seen[h] == v)
			continue;
		seen[h] = v;
		out[i++] = v;
	}
	return out;
}

/* --- the c-ares reference ---------------------------------------------- */

typedef struct aq {
	ares_channel ch;
	int inflight;
	size_t answered, lost;
} aq;

static void
aq_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	aq *q = arg;

	(void)timeouts;
	(void)abuf;
	(void)alen;
	q->inflight--;
	if (status == ARES_SUCCESS || status == ARES_ENOTFOUND ||
	    status == ARES_ENODATA)
		q->answered++;
	else if (status != ARES_EDESTRUCTION)
		q->lost++;
}

static void
aq_init(aq *q)
{
	struct ares_options o;
	char srv[64];

	memset(q, 0, sizeof(*q));
	memset(&o, 0, sizeof(o));
	o.timeout = 1500;
	o.tries = 1;
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.ndots = 0;
	if (ares_init_options(&q->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
			      ARES_OPT_FLAGS | ARES_OPT_NDOTS) != ARES_SUCCESS)
		die("ares_init_options failed");
	snprintf(srv, sizeof(srv), "127.0.0.1:%d", port);
	if (ares_set_servers_ports_csv(q->ch, srv) != ARES_SUCCESS)
		die("ares_set_servers_ports_csv failed");
}

/* aq_step - one poll + ares_process_fd round */
static void
aq_step(aq *q)
{
	ares_socket_t s[ARES_GETSOCK_MAXNUM];
	struct pollfd pf[ARES_GETSOCK_MAXNUM];
	struct timeval tv, *tvp;
	int bits, i, n = 0, ms;

	bits = ares_getsock(q->ch, s, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		if (!ARES_GETSOCK_READABLE(bits, i) &&
		    !ARES_GETSOCK_WRITABLE(bits, i))
			continue;
		pf[n].fd = s[i];
		pf[n].events = (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
			(ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0);
		pf[n].revents = 0;
		n++;
	}
	tvp = ares_timeout(q->ch, NULL, &tv);
	ms = tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) + 1 : 1000;
	if (poll(pf, (nfds_t)n, ms) < 0 && errno != EINTR)
		die("poll failed");
	if (n == 0) {
		ares_process_fd(q->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		return;
	}
	for (i = 0; i < n; i++)
		ares_process_fd(q->ch,
				pf[i].revents & (POLLIN | POLLERR | POLLHUP) ?
				pf[i].fd : ARES_SOCKET_BAD,
				pf[i].revents & POLLOUT ? pf[i].fd :
				ARES_SOCKET_BAD);
}

static void
qname(uint32_t v, const char *zone, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%u.%u.%u.%u.%s", v & 0xff,
			 (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24, zone);

	if (n < 0 || (size_t)n >= size)
		die("query name too long");
}

/* aq_single - one query, waited for; ns */
static double
aq_single(aq *q, uint32_t v, const char *zone)
{
	char name[300];
	int64_t t0;

	qname(v, zone, name, sizeof(name));
	t0 = now_ns();
	q->inflight++;
	ares_query(q->ch, name, ns_c_in, ns_t_a, aq_cb, q);
	while (q->inflight > 0)
		aq_step(q);
	return (double)(now_ns() - t0);
}

/* aq_multi - one query per zone for v, sent at once, all waited for: what
 * the DNS part of an uncached check costs at least; ns */
static double
aq_multi(aq *q, uint32_t v)
{
	char name[300];
	int64_t t0 = now_ns();
	int i;

	for (i = 0; i < nzones; i++) {
		qname(v, zones[i].name, name, sizeof(name));
		q->inflight++;
		ares_query(q->ch, name, ns_c_in, ns_t_a, aq_cb, q);
	}
	while (q->inflight > 0)
		aq_step(q);
	return (double)(now_ns() - t0);
}

/* aq_rate - every (ip, zone) name with inflight queries kept in flight;
 * answered queries/s */
static double
aq_rate(aq *q, const uint32_t *ips, size_t n, int inflight, size_t *lost)
{
	size_t next = 0, total = n * (size_t)nzones;
	size_t a0 = q->answered, l0 = q->lost;
	int64_t t0 = now_ns();
	char name[300];

	while (next < total || q->inflight > 0) {
		while (next < total && q->inflight < inflight) {
			qname(ips[next / (size_t)nzones],
			      zones[next % (size_t)nzones].name, name,
			      sizeof(name));
			q->inflight++;
			next++;
			ares_query(q->ch, name, ns_c_in, ns_t_a, aq_cb, q);
		}
		aq_step(q);
	}
	*lost = q->lost - l0;
	return (double)(q->answered - a0) * 1e9 / (double)(now_ns() - t0);
}

/* --- set-up ------------------------------------------------------------ */

static void
write_local(const char *list)
{
	char ip[32];
	FILE *f;
	int i;

	if ((f = fopen(list, "w")) == NULL)
		die("cannot write local.txt");
	for (i = 0; i < 10000; i++) {
		ip_text(100u << 24 | 64u << 16 | (rnd() & 0x3fffff), ip,
			sizeof(ip));
		fprintf(f, "%s ; LOCAL%d\n", ip, i);
	}
	if (fclose(f) != 0)
		die("cannot write local.txt");
}

/* make_db - a database with the block table "local" from list */
static void
make_db(const char *db, const char *list)
{
	verdict_ctx *ctx = verdict_new();
	int rc;

	if (ctx == NULL)
		die("verdict_new failed");
	if ((rc = verdict_set_database(ctx, db)) != 0 ||
	    (rc = verdict_open(ctx, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
			       VERDICT_OPEN_NODNS |
			       VERDICT_OPEN_NOTABLECHECK)) != 0)
		vfail(db, rc);
	if ((rc = verdict_table_create(ctx, "local", VERDICT_TABLE_BLOCK)) != 0)
		vfail("table create", rc);
	if ((rc = verdict_import(ctx, "local", list, 0, 0, NULL, NULL,
				 NULL)) != 0)
		vfail(list, rc);
	verdict_free(ctx);
}

static void
write_conf(const char *path, const char *db)
{
	FILE *f = fopen(path, "w");
	int i;

	if (f == NULL)
		die("cannot write verdict.conf");
	fprintf(f, "database = %s\n"
		"dns_servers = 127.0.0.1:%d\n"
		"block_tables = local\n"
		"mode = enforce\n"
		"log_verdicts = none\n", db, port);
	if (ngeos > 0)
		fprintf(f, "geoip_country_db = %s\ngeoip_asn_db = %s\n",
			geos[0].country, geos[0].asn);
	fprintf(f, "\n[profile 2]\ndnsbl_sites =");
	for (i = 0; i < nzones; i++)
		fprintf(f, " %s", zones[i].name);
	fprintf(f, "\ndnsbl_threshold = 1\ndnsbl_timeout = 1500ms\n"
		"on_dns_failure = tempfail\n");
	if (ngeos > 0)
		fprintf(f, "\n[profile 3]\ncountry_weights = CN*2, RU*2, "
			"US*1\nasn_weights = 64496*3, 64511*-2, 15169*1\n"
			"dnsbl_threshold = 100\n");
	if (fclose(f) != 0)
		die("cannot write verdict.conf");
}

static verdict_ctx *
open_ro(const char *conf, unsigned flags)
{
	verdict_ctx *ctx = verdict_new();
	int rc;

	if (ctx == NULL)
		die("verdict_new failed");
	if ((rc = verdict_load_config(ctx, conf)) != 0 ||
	    (rc = verdict_open(ctx, flags)) != 0)
		vfail(conf, rc);
	return ctx;
}

/* --- the CLI batch ----------------------------------------------------- */

typedef struct batch_fig {
	double secs;
	size_t lines, ok, lost, wrong, order;
} batch_fig;

static void
run_batch(const char *conf, const char *in, const uint32_t *ips, size_t n,
	  long par, batch_fig *bf)
{
	char parbuf[32], *outp = path_in(work_dir, "batch.out"), line[512];
	char *argv[] = { (char *)cli_path, "-c", (char *)conf, "check", "-p",
			 "2", "--parallel", parbuf, "-", NULL };
	int64_t t0;
	pid_t pid;
	FILE *f;
	int st;

	snprintf(parbuf, sizeof(parbuf), "%ld", par);
	memset(bf, 0, sizeof(*bf));
	t0 = now_ns();
	if ((pid = fork()) < 0)
		die("fork failed");
	if (pid == 0) {
		int fi = open(in, O_RDONLY), fo = open(outp, O_WRONLY |
				O_CREAT | O_TRUNC, 0644);

		if (fi < 0 || fo < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid failed");
	bf->secs = (double)(now_ns() - t0) / 1e9;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 2 || WEXITSTATUS(st) == 127)
		die("the verdict CLI failed");
	if ((f = fopen(outp, "r")) == NULL)
		die("cannot read the CLI's output");
	while (fgets(line, sizeof(line), f) != NULL) {
		char ip[64], kind[32], want_ip[32];
		uint32_t v;

		if (bf->lines >= n) {
			bf->order++;
			continue;
		}
		v = ips[bf->lines++];
		ip_text(v, want_ip, sizeof(want_ip));
		if (sscanf(line, "%63s %31s", ip, kind) != 2 ||
		    strcmp(ip, want_ip) != 0) {
			bf->order++;
			continue;
		}
		if (strcmp(kind, oracle_listed(v) ? "block" : "neutral") == 0)
			bf->ok++;
		else if (strcmp(kind, "tempfail") == 0 ||
			 (strcmp(kind, "neutral") == 0 && oracle_listed(v)))
			bf->lost++;
		else
			bf->wrong++;
	}
	fclose(f);
	if (bf->lines < n)
		bf->lost += n - bf->lines;
}

/* --- GeoIP ------------------------------------------------------------- */

typedef struct geo_fig {
	double with_ns, without_ns, ref_ns, added_ns, ratio, norules_ns;
	size_t nips, found_c, found_a;
} geo_fig;

static char **
load_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[256], **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (f == NULL) {
		fprintf(stderr, "bench_dnsbl: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == 0 || line[0] == '#')
			continue;
		if (*n == cap && (v = realloc(v, (cap = cap ? cap * 2 : 1024) *
					      sizeof(*v))) == NULL)
			die("out of memory");
		if ((v[(*n)++] = strdup(line)) == NULL)
			die("out of memory");
	}
	fclose(f);
	return v;
}

/* ref_pass - MMDB_lookup_sockaddr + MMDB_get_value on both databases for
 * every address; ns per address (both lookups) */
static double
ref_pass(MMDB_s *c, MMDB_s *a, struct sockaddr_storage *sa, size_t n,
	 size_t *fc, size_t *fa, unsigned *sink)
{
	int64_t t0 = now_ns();
	size_t i;

	for (i = 0; i < n; i++) {
		MMDB_lookup_result_s r;
		MMDB_entry_data_s d;
		int err;

		r = MMDB_lookup_sockaddr(c, (struct sockaddr *)&sa[i], &err);
		if (err == MMDB_SUCCESS && r.found_entry &&
		    MMDB_get_value(&r.entry, &d, "country", "iso_code",
				   NULL) == MMDB_SUCCESS && d.has_data) {
			(*fc)++;
			*sink += (unsigned)d.utf8_string[0];
		}
		r = MMDB_lookup_sockaddr(a, (struct sockaddr *)&sa[i], &err);
		if (err == MMDB_SUCCESS && r.found_entry &&
		    MMDB_get_value(&r.entry, &d, "autonomous_system_number",
				   NULL) == MMDB_SUCCESS && d.has_data) {
			(*fa)++;
			*sink += d.uint32;
		}
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double
verdict_pass(verdict_ctx *ctx, int profile, char **ips, size_t n,
	     verdict_result *res, unsigned *sink)
{
	int64_t t0 = now_ns();
	size_t i;

	for (i = 0; i < n; i++) {
		if (verdict_check(ctx, profile, ips[i], res) != VERDICT_OK)
			die("verdict_check failed (geo)");
		*sink += (unsigned)verdict_result_kind(res);
	}
	return (double)(now_ns() - t0) / (double)n;
}

static void
geo_bench(const geodb *g, const char *db, const char *db2, geo_fig *gf)
{
	char conf[4096], conf2[4096], **ips;
	struct sockaddr_storage *sa;
	double w[64], wo[64], rf[64], nr[64];
	MMDB_s mc, ma;
	verdict_result *res = verdict_result_new();
	verdict_ctx *ctx, *ctx2;
	unsigned sink = 0;
	size_t n, i, passes, p;
	int r;
	FILE *f;

	memset(gf, 0, sizeof(*gf));
	snprintf(conf, sizeof(conf), "%s/geo.conf", work_dir);
	if ((f = fopen(conf, "w")) == NULL)
		die("cannot write geo.conf");
	fprintf(f, "database = %s\nblock_tables = local\nlog_verdicts = none\n"
		"geoip_country_db = %s\ngeoip_asn_db = %s\n\n[profile 3]\n"
		"country_weights = CN*2, RU*2, US*1\n"
		"asn_weights = 64496*3, 64511*-2, 15169*1\n"
		"dnsbl_threshold = 100\n", db, g->country, g->asn);
	fclose(f);
	/* without: the same tables (a copy: one LMDB environment may be
	 * opened once per process) and no GeoIP database at all */
	snprintf(conf2, sizeof(conf2), "%s/nogeo.conf", work_dir);
	if ((f = fopen(conf2, "w")) == NULL)
		die("cannot write nogeo.conf");
	fprintf(f, "database = %s\nblock_tables = local\nlog_verdicts = none\n",
		db2);
	fclose(f);
	ctx = open_ro(conf, VERDICT_OPEN_NODNS);
	ctx2 = open_ro(conf2, VERDICT_OPEN_NODNS);
	ips = load_lines(g->ips, &n);
	if (n == 0 || res == NULL)
		die("no geo IPs");
	if ((sa = calloc(n, sizeof(*sa))) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa[i];
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa[i];

		if (inet_pton(AF_INET, ips[i], &s4->sin_addr) == 1)
			s4->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, ips[i], &s6->sin6_addr) == 1)
			s6->sin6_family = AF_INET6;
		else
			die("bad geo IP");
	}
	if (MMDB_open(g->country, MMDB_MODE_MMAP, &mc) != MMDB_SUCCESS ||
	    MMDB_open(g->asn, MMDB_MODE_MMAP, &ma) != MMDB_SUCCESS)
		die("MMDB_open failed");
	/* passes per timed loop: >= min_secs / 3 each */
	ref_pass(&mc, &ma, sa, n, &gf->found_c, &gf->found_a, &sink);
	verdict_pass(ctx2, 1, ips, n, res, &sink);
	passes = (size_t)(min_secs / 3 * 1e9 /
			  (verdict_pass(ctx, 3, ips, n, res, &sink) *
			   (double)n)) + 1;
	for (r = 0; r < reps && r < 64; r++) {
		double a = 0, b = 0, c = 0, d = 0;

		for (p = 0; p < passes; p++) {
			size_t x = 0, y = 0;

			a += verdict_pass(ctx, 3, ips, n, res, &sink);
			b += verdict_pass(ctx2, 1, ips, n, res, &sink);
			c += ref_pass(&mc, &ma, sa, n, &x, &y, &sink);
			d += verdict_pass(ctx, 1, ips, n, res, &sink);
		}
		w[r] = a / (double)passes;
		wo[r] = b / (double)passes;
		rf[r] = c / (double)passes;
		nr[r] = d / (double)passes;
	}
	gf->nips = n;
	gf->with_ns = median(w, r);
	gf->without_ns = median(wo, r);
	gf->ref_ns = median(rf, r);
	gf->norules_ns = median(nr, r);
	gf->added_ns = gf->with_ns - gf->without_ns;
	/* the ratio per repetition (interleaved), then its median */
	for (i = 0; i < (size_t)r; i++)
		w[i] = (w[i] - wo[i]) / rf[i];
	gf->ratio = median(w, r);
	if (sink == 42)
		putchar(' ');
	MMDB_close(&mc);
	MMDB_close(&ma);
	verdict_free(ctx);
	verdict_free(ctx2);
	verdict_result_free(res);
	for (i = 0; i < n; i++)
		free(ips[i]);
	free(ips);
	free(sa);
}

/* --- main -------------------------------------------------------------- */

static int
parse_list(const char *s, long *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		out[n++] = strtol(s, &end, 10);
		if (end == s || out[n - 1] <= 0)
			die("bad number list");
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static const char *
met(int ok)
{
	return ok ? "yes" : "**no**";
}

int
main(int argc, char **argv)
{
	char db[4096], db2[4096], conf[4096], *zspec = NULL, *tok, *save, ipb[32];
	double lat_q[64][2], lat_v[64][2], lat_m[64], cq[64], cl[64], *sq, *sv,
	       *sm;
	double rate[8][64], bps[8][64];
	size_t lost_rate[8] = { 0 }, seencap;
	batch_fig bf[8][64];
	geo_fig gf[GEO_MAX];
	uint32_t *seen, *bips, *lips, cached_ip;
	verdict_result *res;
	verdict_ctx *ctx;
	aq q;
	int c, r, i, k;
	unsigned sink = 0;
	FILE *f;

	while ((c = getopt(argc, argv, "gk:w:s:z:c:n:P:F:r:t:l:C:A:G:")) != -1) {
		switch (c) {
		case 'g': geo_only = 1; break;
		case 'k': cached_only = strtod(optarg, NULL); break;
		case 'w': work_dir = optarg; break;
		case 's': port = (int)bench_num_arg(optarg, 1, 65535, "bench_dnsbl: -s"); break;
		case 'z': zspec = optarg; break;
		case 'c': cli_path = optarg; break;
		case 'n': nbatch = (size_t)strtoul(optarg, NULL, 10); break;
		case 'l': nlat = (size_t)strtoul(optarg, NULL, 10); break;
		case 'P': npars = parse_list(optarg, pars, 8); break;
		case 'F': nfls = parse_list(optarg, fls, 8); break;
		case 'r': reps = (int)bench_num_arg(optarg, 1, 64, "bench_dnsbl: -r"); break;
		case 't': min_secs = strtod(optarg, NULL); break;
		case 'C':
			if (ngeos < GEO_MAX)
				geos[ngeos].country = optarg;
			break;
		case 'A':
			if (ngeos < GEO_MAX)
				geos[ngeos].asn = optarg;
			break;
		case 'G':
			if (ngeos < GEO_MAX)
				geos[ngeos++].ips = optarg;
			break;
		default:
			die("usage: bench_dnsbl -w DIR -s PORT -z ZONE=FILE,... "
			    "[-c CLI] [-n N] [-l N] [-P P,...] [-F F,...] "
			    "[-r REPS] [-t SECS] [-C CC.mmdb -A ASN.mmdb "
			    "-G IPS]...");
		}
	}
	if (geo_only && zspec == NULL)
		zspec = "";
	if (work_dir == NULL || (!geo_only && (port <= 0 || *zspec == 0)) ||
	    reps < 1 ||
	    reps > 64 || nbatch == 0 || nlat < LAT_BLOCK)
		die("-w, -s and -z are required (-r 1..64)");
	for (tok = strtok_r(zspec, ",", &save); tok != NULL && nzones < ZONES_MAX;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq == NULL)
			die("-z wants ZONE=FILE");
		*eq = 0;
		snprintf(zones[nzones].name, sizeof(zones[0].name), "%s", tok);
		oracle_load(&zones[nzones], eq + 1);
		printf("zone=%s entries=%zu\n", tok, zones[nzones].n);
		nzones++;
	}
	for (i = 0; i < ngeos; i++)
		if (geos[i].country == NULL || geos[i].asn == NULL)
			die("-C, -A and -G come in that order");

	snprintf(db, sizeof(db), "%s/db", work_dir);
	snprintf(db2, sizeof(db2), "%s/db-nogeo", work_dir);
	snprintf(conf, sizeof(conf), "%s/verdict.conf", work_dir);
	mkdir(work_dir, 0755);
	write_local(path_in(work_dir, "local.txt"));
	make_db(db, path_in(work_dir, "local.txt"));
	if (ngeos > 0)
		make_db(db2, path_in(work_dir, "local.txt"));
	write_conf(conf, db);
	if (geo_only)
		goto geo;

	/* the IPs: batch (30% listed), latency (distinct per repetition,
	 * 10% listed), all distinct */
	for (seencap = 1; seencap < 4 * (nbatch + nlat * (size_t)reps + 16);)
		seencap *= 2;
	if ((seen = calloc(seencap, sizeof(*seen))) == NULL)
		die("out of memory");
	bips = distinct(nbatch, 30, seen, seencap);
	lips = distinct(nlat * (size_t)reps + 1, 10, seen, seencap);
	cached_ip = lips[nlat * (size_t)reps];
	{
		size_t listed = 0, j;
		char *in = path_in(work_dir, "batch.in");

		if ((f = fopen(in, "w")) == NULL)
			die("cannot write batch.in");
		for (j = 0; j < nbatch; j++) {
			ip_text(bips[j], ipb, sizeof(ipb));
			fprintf(f, "%s\n", ipb);
			listed += (size_t)oracle_listed(bips[j]);
		}
		fclose(f);
		printf("batch_ips=%zu listed=%zu\n", nbatch, listed);
	}

	ctx = open_ro(conf, 0);
	res = verdict_result_new();
	if (res == NULL)
		die("out of memory");
	aq_init(&q);
	/* warm-up: the self-test of every zone, the server, the channel */
	for (i = 0; i < 50; i++) {
		uint32_t v = query_ip(0);

		ip_text(v, ipb, sizeof(ipb));
		verdict_check(ctx, 2, ipb, res);
		aq_single(&q, v, zones[0].name);
	}

	if (cached_only > 0) {
		int64_t t0 = now_ns();
		size_t j, loops = 0;

		ip_text(cached_ip, ipb, sizeof(ipb));
		do {
			for (j = 0; j < 1000; j++)
				verdict_check(ctx, 2, ipb, res);
			loops += 1000;
		} while (now_ns() - t0 < (int64_t)(cached_only * 1e9));
		printf("cached_only ns=%.0f kind=%d\n", (double)(now_ns() - t0)
		       / (double)loops, verdict_result_kind(res));
		verdict_result_free(res);
		verdict_free(ctx);
		return 0;
	}

	/* uncached latency: blocks of LAT_BLOCK, alternating */
	if ((sq = malloc(nlat * sizeof(*sq))) == NULL ||
	    (sv = malloc(nlat * sizeof(*sv))) == NULL ||
	    (sm = malloc(nlat * sizeof(*sm))) == NULL)
		die("out of memory");
	for (r = 0; r < reps; r++) {
		const uint32_t *ip = lips + (size_t)r * nlat;
		size_t j, b, lostv = 0;

		for (b = 0; b < nlat; b += LAT_BLOCK) {
			for (j = b; j < b + LAT_BLOCK && j < nlat; j++)
				sq[j] = aq_single(&q, ip[j], zones[j %
						(size_t)nzones].name);
			for (j = b; j < b + LAT_BLOCK && j < nlat; j++)
				sm[j] = aq_multi(&q, ip[j] ^ 0x00800000u);
			for (j = b; j < b + LAT_BLOCK && j < nlat; j++) {
				int64_t t0;
				int kind;

				ip_text(ip[j], ipb, sizeof(ipb));
				t0 = now_ns();
				if (verdict_check(ctx, 2, ipb, res) != VERDICT_OK)
					die("verdict_check failed");
				sv[j] = (double)(now_ns() - t0);
				kind = verdict_result_kind(res);
				if (kind != (oracle_listed(ip[j]) ?
					     VERDICT_BLOCK : VERDICT_NEUTRAL))
					lostv++;
			}
		}
		lat_q[r][0] = pct(sq, nlat, 0.5);
		lat_q[r][1] = pct(sq, nlat, 0.99);
		lat_v[r][0] = pct(sv, nlat, 0.5);
		lat_v[r][1] = pct(sv, nlat, 0.99);
		lat_m[r] = pct(sm, nlat, 0.5);
		printf("uncached rep=%d cares_p50_us=%.1f cares_p99_us=%.1f "
		       "verdict_p50_us=%.1f verdict_p99_us=%.1f ratio_p50=%.2f "
		       "cares_%dzones_p50_us=%.1f wrong=%zu\n", r,
		       lat_q[r][0] / 1e3, lat_q[r][1] / 1e3,
		       lat_v[r][0] / 1e3, lat_v[r][1] / 1e3,
		       lat_v[r][0] / lat_q[r][0], nzones, lat_m[r] / 1e3, lostv);
		fflush(stdout);
	}

	/* cached: one IP, answers in the engine cache, vs the local table */
	ip_text(cached_ip, ipb, sizeof(ipb));
	verdict_check(ctx, 2, ipb, res);
	for (r = 0; r < reps; r++) {
		int64_t t0, t1;
		size_t j, loops = 0;

		t0 = now_ns();
		do {
			for (j = 0; j < 1000; j++)
				verdict_check(ctx, 2, ipb, res);
			loops += 1000;
		} while (now_ns() - t0 < (int64_t)(min_secs / 2 * 1e9));
		cq[r] = (double)(now_ns() - t0) / (double)loops;
		sink += (unsigned)verdict_result_kind(res);
		t1 = now_ns();
		loops = 0;
		do {
			for (j = 0; j < 1000; j++)
				verdict_check(ctx, 1, ipb, res);
			loops += 1000;
		} while (now_ns() - t1 < (int64_t)(min_secs / 2 * 1e9));
		cl[r] = (double)(now_ns() - t1) / (double)loops;
		printf("cached rep=%d cached_ns=%.0f local_ns=%.0f ratio=%.2f\n",
		       r, cq[r], cl[r], cq[r] / cl[r]);
		fflush(stdout);
	}
	verdict_result_free(res);
	verdict_free(ctx);

	/* raw rate and the batch, interleaved */
	for (r = 0; r < reps; r++) {
		for (k = 0; k < nfls; k++) {
			size_t lost;

			rate[k][r] = aq_rate(&q, bips, nbatch, (int)fls[k], &lost);
			lost_rate[k] += lost;
			printf("rate rep=%d inflight=%ld qps=%.0f lost=%zu\n", r,
			       fls[k], rate[k][r], lost);
			fflush(stdout);
		}
		for (k = 0; cli_path && k < npars; k++) {
			run_batch(conf, path_in(work_dir, "batch.in"), bips,
				  nbatch, pars[k], &bf[k][r]);
			bps[k][r] = (double)nbatch / bf[k][r].secs;
			printf("batch rep=%d parallel=%ld verdicts_per_s=%.0f "
			       "secs=%.3f lines=%zu ok=%zu lost=%zu wrong=%zu "
			       "order=%zu\n", r, pars[k], bps[k][r],
			       bf[k][r].secs, bf[k][r].lines, bf[k][r].ok,
			       bf[k][r].lost, bf[k][r].wrong, bf[k][r].order);
			fflush(stdout);
		}
	}
	ares_destroy(q.ch);
geo:
	for (i = 0; i < ngeos; i++) {
		geo_bench(&geos[i], db, db2, &gf[i]);
		printf("geo db=%d ips=%zu found_country=%zu found_asn=%zu "
		       "with_ns=%.0f without_ns=%.0f added_ns=%.0f ref_ns=%.0f "
		       "ratio=%.2f dbs_no_rules_ns=%.0f\n", i, gf[i].nips,
		       gf[i].found_c, gf[i].found_a, gf[i].with_ns,
		       gf[i].without_ns, gf[i].added_ns, gf[i].ref_ns,
		       gf[i].ratio, gf[i].norules_ns);
		fflush(stdout);
	}

	if (geo_only)
		goto table_geo;
	/* the table */
	{
		double q50[64], v50[64], q99[64], v99[64], rt[64];
		double bestrate = 0, bestq;
		int bk = 0;

		for (r = 0; r < reps; r++) {
			q50[r] = lat_q[r][0];
			v50[r] = lat_v[r][0];
			q99[r] = lat_q[r][1];
			v99[r] = lat_v[r][1];
			rt[r] = lat_v[r][0] / lat_q[r][0];
		}
		printf("\n| measure | figure | reference (same run) | ratio "
		       "(median; best) | target | met |\n"
		       "|---|---|---|---|---|---|\n");
		printf("| uncached verdict, %d zones, one at a time | p50 %.1f µs, "
		       "p99 %.1f µs | c-ares query p50 %.1f µs, p99 %.1f µs | "
		       "%.2f; %.2f | <= 1.5 | %s |\n", nzones,
		       median(v50, reps) / 1e3, median(v99, reps) / 1e3,
		       median(q50, reps) / 1e3, median(q99, reps) / 1e3,
		       median(rt, reps), best(rt, reps, 1),
		       met(median(rt, reps) <= 1.5));
		for (r = 0; r < reps; r++)
			rt[r] = lat_v[r][0] / lat_m[r];
		printf("| (information) the same vs %d c-ares queries sent at "
		       "once | p50 %.1f µs | %d queries at once, p50 %.1f µs | "
		       "%.2f; %.2f | - | - |\n", nzones,
		       median(v50, reps) / 1e3, nzones,
		       median(lat_m, reps) / 1e3, median(rt, reps),
		       best(rt, reps, 1));
		for (k = 0; k < nfls; k++) {
			double m = median(rate[k], reps);

			printf("| c-ares loop, %ld in flight | %.0f queries/s "
			       "(best %.0f), %zu lost | | | | |\n", fls[k], m,
			       best(rate[k], reps, 0), lost_rate[k]);
			if (m > bestrate) {
				bestrate = m;
				bk = k;
			}
		}
		bestq = bestrate / nzones;
		for (k = 0; cli_path && k < npars; k++) {
			size_t lost = 0, wrong = 0;
			double m;

			for (r = 0; r < reps; r++) {
				lost += bf[k][r].lost;
				wrong += bf[k][r].wrong + bf[k][r].order;
			}
			m = median(bps[k], reps);
			printf("| verdict check --parallel %ld -, %zu IPs | %.0f "
			       "verdicts/s (best %.0f); lost %zu, wrong %zu | "
			       "c-ares %.0f q/s (%ld in flight) / %d = %.0f/s | "
			       "%.2f; %.2f | >= 0.5, 0 lost | %s |\n", pars[k],
			       nbatch, m, best(bps[k], reps, 0), lost, wrong,
			       bestrate, fls[bk], nzones, bestq, m / bestq,
			       best(bps[k], reps, 0) / bestq,
			       met(m / bestq >= 0.5 && lost == 0 && wrong == 0));
		}
		for (r = 0; r < reps; r++)
			rt[r] = cq[r] / cl[r];
		printf("| cached verdict, %d zones, same IP | %.0f ns | local "
		       "tables alone %.0f ns | %.2f; %.2f | <= 2 | %s |\n",
		       nzones, median(cq, reps), median(cl, reps),
		       median(rt, reps), best(rt, reps, 1),
		       met(median(rt, reps) <= 2));
	}
table_geo:
	{
		for (i = 0; i < ngeos; i++)
			printf("| GeoIP Country + ASN rules, added (%s) | %.0f ns "
			       "(%.0f with, %.0f without any MMDB) | 2 x "
			       "(lookup_sockaddr + get_value) %.0f ns | %.2f | "
			       "<= 1.0 | %s |\n",
			       strrchr(geos[i].country, '/') ?
			       strrchr(geos[i].country, '/') + 1 :
			       geos[i].country, gf[i].added_ns, gf[i].with_ns,
			       gf[i].without_ns, gf[i].ref_ns, gf[i].ratio,
			       met(gf[i].ratio <= 1.0));
	}
	if (sink == 42)
		putchar(' ');
	return 0;
}
