/*
 * dnsbl_engine_t.c - the DNSBL engine against a real rbldnsd (ip4set and
 * ip6trie zones) and tests/dnsresponder.py (faults a real server will not
 * produce on demand), both on loopback ports chosen here.  Skips (77)
 * when rbldnsd or python3 is missing.
 *
 * Cache TTLs and self-test ages are tested by moving the injected coarse
 * clock (vd_clock_set_coarse); deadlines run on the real clock and are
 * held to "at least the deadline, at most the deadline plus a margin",
 * the margin four times as wide with VERDICT_SANITIZED=1.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <syslog.h>
#include <unistd.h>

#include "dnsbl.h"
#include "selftest.h"
#include "testutil.h"

static char dir[256];
static pid_t rbl_pid = -1, resp_pid = -1;
static int rbl_port, resp_port;
static char rbl_log[300], resp_log[300];

static const char bl_zone[] =
	":127.0.0.2:Blocked, see http://bl.test/$\n"
	"127.0.0.2\n"
	"127.1.0.0/24\n"
	"127.1.1.1 :127.0.0.4:Exploited $\n";
static const char zen_zone[] =
	"127.0.0.2\n"
	"127.1.2.4 :127.0.0.4:\n"
	"127.1.2.10 :127.0.0.10:\n"
	"127.1.2.30 :127.0.0.30:\n";
static const char wl_zone[] =
	"127.0.0.2 :127.0.10.0:\n"
	"127.2.0.3 :127.0.5.3:\n"
	"127.2.0.1 :127.0.5.1:\n"
	"127.2.0.255 :127.0.0.255:\n";
static const char wild_zone[] =
	"127.0.0.0/24\n"
	"127.3.0.1\n";
static const char notest_zone[] =
	"127.5.0.1\n";
static const char v6_zone[] =
	":127.0.0.3:v6 listed\n"
	"::1\n";
/* an IPv6-only list with the RFC 5782 section 5 test entry */
static const char v6ok_zone[] =
	"2001:db8::/32\n"
	"::ffff:7f00:2\n";

static int
free_udp_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0
	    || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
write_file(const char *name, const char *text)
{
	char *p = tu_write(dir, name, text);

	chmod(p, 0644);
	free(p);
}

static const char *
find_prog(const char *const *cands)
{
	for (; *cands; cands++)
		if (access(*cands, X_OK) == 0)
			return *cands;
	return NULL;
}

/* count_lines - lines of file containing needle */
static int
count_lines(const char *file, const char *needle)
{
	char line[512];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/* wait_lines - count_lines until it reaches n or 5 s pass: a server
 * writes its log line a moment after it answered */
static int
wait_lines(const char *file, const char *needle, int n)
{
	int64_t end = vd_clock_now_ns() + 5 * VD_NS_PER_S;
	int c;

	while ((c = count_lines(file, needle)) < n && vd_clock_now_ns() < end)
		usleep(5000);
	return c;
}

/* engine_for - an engine using one server, timeout ms */
typedef struct tctx {
	vd_config cfg;
	char server[64];
	char *servers[1];
	dnsbl_engine *e;
	vd_logger lg;
} tctx;

static char logbuf[8192];
static pthread_mutex_t logmu = PTHREAD_MUTEX_INITIALIZER;

static void
logfn(int level, const char *line, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&logmu);
	if (strlen(logbuf) + strlen(line) + 8 < sizeof(logbuf)) {
		snprintf(logbuf + strlen(logbuf), sizeof(logbuf) - strlen(logbuf),
			 "%d %s\n", level, line);
	}
	pthread_mutex_unlock(&logmu);
}

static void
engine_for(tctx *t, int port, int64_t timeout_ms)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->server, sizeof(t->server), "127.0.0.1:%d", port);
	t->servers[0] = t->server;
	t->cfg.dns_servers.n = 1;
	t->cfg.dns_servers.v = t->servers;
	t->cfg.cache_size = 1000;
	t->cfg.global.dnsbl_timeout_ms = timeout_ms;
	t->cfg.global.dnsbl_min_ttl = 60;
	t->cfg.global.dnsbl_max_ttl = 3600;
	t->lg.fn = logfn;
	logbuf[0] = 0;
	ck_assert_int_eq(vd_dnsbl_engine_new(&t->cfg, &t->lg, &t->e), VERDICT_OK);
}

static void
profile(config_profile *p, int threshold, int allow, int64_t timeout_ms)
{
	memset(p, 0, sizeof(*p));
	p->number = 1;
	p->dnsbl_threshold = threshold;
	p->dnsbl_allowlist_threshold = allow;
	p->dnsbl_timeout_ms = timeout_ms;
	p->dnsbl_min_ttl = 60;
	p->dnsbl_max_ttl = 3600;
}

static vaddr
ip4(const char *s)
{
	vaddr a;
	unsigned o[4];

	memset(&a, 0, sizeof(a));
	if (sscanf(s, "%u.%u.%u.%u", &o[0], &o[1], &o[2], &o[3]) != 4)
		abort();
	a.b[10] = a.b[11] = 0xff;
	a.b[12] = (uint8_t)o[0];
	a.b[13] = (uint8_t)o[1];
	a.b[14] = (uint8_t)o[2];
	a.b[15] = (uint8_t)o[3];
	return a;
}

static dnsbl_sites *
sites(const char *text, const config_pairlist *names)
{
	dnsbl_sites *s;
	char err[256];

	ck_assert_msg(vd_sites_parse(text, names, &s, err, sizeof(err))
		      == VERDICT_OK, "%s", err);
	return s;
}

static long
ms_since(int64_t t0)
{
	return (long)((vd_clock_now_ns() - t0) / 1000000);
}

/* scaled - a time bound in ms, four times as long in sanitizer builds
 * (VERDICT_SANITIZED=1), which run several times slower */
static long
scaled(long ms)
{
	const char *san = getenv("VERDICT_SANITIZED");

	return san && strcmp(san, "1") == 0 ? 4 * ms : ms;
}

/* A wait that ends at its deadline takes at least the deadline and at
 * most the deadline plus the time to wake up and return: a margin for
 * the scheduling of a 2-core machine running two tests at once (a
 * missed deadline waits for a later resolver try, far longer).  A batch
 * wakes and finishes several checks, so it gets a wider one. */
#define MARGIN_MS 150
#define MARGIN_BATCH_MS 250

static void
assert_deadline(const char *what, long ms, long deadline_ms, long margin_ms)
{
	ck_assert_msg(ms >= deadline_ms && ms <= deadline_ms + scaled(margin_ms),
		      "%s: took %ld ms, deadline %ld ms (+ %ld)", what, ms,
		      deadline_ms, scaled(margin_ms));
}

/* The coarse clock of cache TTLs and self-test ages, frozen and moved by
 * the test (vd_clock_set_coarse), so that "an hour later" takes no time. */
static int64_t fake_now;

static int64_t
fake_coarse(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_ACQUIRE);
}

static void
clock_freeze(void)
{
	__atomic_store_n(&fake_now, vd_clock_now_ns(), __ATOMIC_RELEASE);
	vd_clock_set_coarse(fake_coarse);
}

static void
clock_advance(int64_t ns)
{
	__atomic_add_fetch(&fake_now, ns, __ATOMIC_ACQ_REL);
}

static void
clock_release(void)
{
	vd_clock_set_coarse(NULL);
}

/* wait_answering - the server answers a query for bl.test/listed.test */
static int
wait_answering(int port, const char *domain, const char *ip)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s;
	dnsbl_result r;
	vaddr a = ip4(ip);
	int i, ok = 0;
	char err[128];

	if (vd_sites_parse(domain, NULL, &s, err, sizeof(err)) != 0)
		return 0;
	profile(&p, 1, 0, 300);
	for (i = 0; i < 50 && !ok; i++) {
		engine_for(&t, port, 300);
		vd_dnsbl_check(t.e, s, &p, &a, 0, vd_clock_now_ns() + 300000000LL, &r);
		ok = r.score == 1;
		vd_dnsbl_engine_free(t.e);
		if (!ok)
			usleep(100000);
	}
	vd_sites_free(s);
	return ok;
}

static void
servers_start(void)
{
	static const char *const rbl[] = { "/usr/sbin/rbldnsd", "/usr/bin/rbldnsd",
					   NULL };
	static const char *const py[] = { "/usr/bin/python3", "/bin/python3",
					  "/usr/local/bin/python3", NULL };
	const char *rbldnsd = find_prog(rbl), *python = find_prog(py);
	char portfile[300], script[512], b[64], zones[7][320], logarg[310];
	int i;

	if (rbldnsd == NULL || python == NULL) {
		printf("SKIP: %s not installed\n", rbldnsd ? "python3" : "rbldnsd");
		exit(TU_SKIP);
	}
	snprintf(dir, sizeof(dir), "/tmp/dnsbl_t.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	chmod(dir, 0777);	/* rbldnsd drops root for user rbldns */
	write_file("bl", bl_zone);
	write_file("zen", zen_zone);
	write_file("wl", wl_zone);
	write_file("wild", wild_zone);
	write_file("notest", notest_zone);
	write_file("v6", v6_zone);
	write_file("v6ok", v6ok_zone);
	snprintf(rbl_log, sizeof(rbl_log), "%s/rbldnsd.log", dir);
	snprintf(resp_log, sizeof(resp_log), "%s/resp.log", dir);
	rbl_port = free_udp_port();
	snprintf(b, sizeof(b), "127.0.0.1/%d", rbl_port);
	snprintf(zones[0], 320, "bl.test:ip4set:%s/bl", dir);
	snprintf(zones[1], 320, "zen.test:ip4set:%s/zen", dir);
	snprintf(zones[2], 320, "wl.test:ip4set:%s/wl", dir);
	snprintf(zones[3], 320, "wild.test:ip4set:%s/wild", dir);
	snprintf(zones[4], 320, "notest.test:ip4set:%s/notest", dir);
	snprintf(zones[5], 320, "v6.test:ip6trie:%s/v6", dir);
	snprintf(zones[6], 320, "v6ok.test:ip6trie:%s/v6ok", dir);

	snprintf(logarg, sizeof(logarg), "+%s", rbl_log);
	if ((rbl_pid = fork()) == 0) {
		freopen("/dev/null", "w", stdout);
		execl(rbldnsd, "rbldnsd", "-n", "-b", b, "-l", logarg, zones[0],
		      zones[1], zones[2], zones[3], zones[4], zones[5],
		      zones[6], (char *)NULL);
		_exit(127);
	}
	snprintf(portfile, sizeof(portfile), "%s/resp.port", dir);
	snprintf(script, sizeof(script), "%s/tests/dnsresponder.py",
		 tu_srcdir());
	if ((resp_pid = fork()) == 0) {
		execl(python, "python3", script, portfile, resp_log,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (fscanf(f, "%d", &resp_port) != 1)
				resp_port = 0;
			fclose(f);
			if (resp_port)
				break;
		}
		usleep(50000);
	}
	if (!resp_port || !wait_answering(resp_port, "listed.test",
					   "127.9.9.9")) {
		printf("FAIL: dnsresponder.py did not start\n");
		exit(1);
	}
	if (!wait_answering(rbl_port, "bl.test", "127.1.0.9")) {
		printf("FAIL: rbldnsd did not answer on 127.0.0.1/%d\n",
		       rbl_port);
		exit(1);
	}
}

static void
servers_stop(void)
{
	char cmd[300];

	if (rbl_pid > 0) {
		kill(rbl_pid, SIGTERM);
		waitpid(rbl_pid, NULL, 0);
	}
	if (resp_pid > 0) {
		kill(resp_pid, SIGTERM);
		waitpid(resp_pid, NULL, 0);
	}
	if (dir[0] && getenv("VERDICT_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
}

/* --- rbldnsd: postscreen profiles --- */

static const struct {
	const char *label, *sites, *ip;
	int threshold, allow;
	int score;
	const char *source;
	const char *answer0;	/* zones[0].answer, or NULL */
	int unsettled;		/* 1: an unknown answer keeps it open */
} prof_cases[] = {
	{ "listed", "bl.test", "127.1.0.7", 1, 0, 1, "bl.test", "127.0.0.2", 0 },
	{ "not listed", "bl.test", "127.1.9.9", 1, 0, 0, "", "NXDOMAIN", 0 },
	{ "filter hit", "bl.test=127.0.0.4*3", "127.1.1.1", 1, 0, 3, "bl.test",
	  "127.0.0.4", 0 },
	{ "filter miss", "bl.test=127.0.0.4*3", "127.1.0.8", 1, 0, 0, "",
	  "127.0.0.2", 0 },
	{ "zen range: XBL", "zen.test=127.0.0.[2..11]*3", "127.1.2.4", 3, 0, 3,
	  "zen.test", NULL, 0 },
	{ "zen range: PBL", "zen.test=127.0.0.[2..11]*3", "127.1.2.10", 3, 0,
	  3, "zen.test", NULL, 0 },
	{ "zen range: BCL outside", "zen.test=127.0.0.[2..11]*3", "127.1.2.30",
	  3, 0, 0, "", "127.0.0.30", 0 },
	{ "zen list", "zen.test=127.0.0.[4;10]*2", "127.1.2.10", 2, 0, 2,
	  "zen.test", NULL, 0 },
	{ "mask", "zen.test&0.0.0.8*2", "127.1.2.10", 2, 0, 2, "zen.test",
	  NULL, 0 },
	{ "mask miss", "zen.test&0.0.0.8*2", "127.1.2.4", 2, 0, 0, "", NULL, 0 },
	{ "weights add", "zen.test*2 bl.test*1", "127.1.2.4", 3, 0, 2,
	  "zen.test", NULL, 0 },
	{ "readme example", "zen.test*2 bl.test*1 wl.test*1", "127.1.0.3", 2,
	  0, 1, "bl.test", NULL, 0 },
	{ "repeated domain", "zen.test=127.0.0.[2..11] zen.test=127.0.0.4*2",
	  "127.1.2.4", 3, 0, 3, "zen.test", NULL, 0 },
	{ "dnswl high trust allows", "bl.test*2 "
	  "wl.test=127.0.[2..15].[2..3]*-5 wl.test=127.0.[2..15].1*-2",
	  "127.2.0.3", 1, -3, -5, "wl.test", NULL, 0 },
	{ "dnswl low trust", "bl.test*2 wl.test=127.0.[2..15].[2..3]*-5 "
	  "wl.test=127.0.[2..15].1*-2", "127.2.0.1", 1, -3, -2, "", NULL, 0 },
	{ "dnswl blocked code ignored", "wl.test*-5", "127.2.0.255", 1, -3, 0,
	  "", "ignored 127.0.0.255 (DNSWL: queries blocked)", 1 },
	{ "block wins by score", "bl.test*3 wl.test*-1", "127.1.0.5", 1, -3,
	  3, "bl.test", NULL, 0 },
};

START_TEST(test_profiles)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites(prof_cases[_i].sites, NULL);
	dnsbl_result r;
	vaddr a = ip4(prof_cases[_i].ip);

	engine_for(&t, rbl_port, 400);
	profile(&p, prof_cases[_i].threshold, prof_cases[_i].allow, 400);
	p.dnsbl_wait_all = 1;
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
				     vd_clock_now_ns() + 400000000LL, &r),
			 VERDICT_OK);
	ck_assert_msg(r.score == prof_cases[_i].score, "%s: score %d, not %d",
		      prof_cases[_i].label, r.score, prof_cases[_i].score);
	ck_assert_msg(strcmp(r.source, prof_cases[_i].source) == 0,
		      "%s: source \"%s\"", prof_cases[_i].label, r.source);
	ck_assert_int_eq(r.settled, !prof_cases[_i].unsettled);
	ck_assert_int_eq(r.unknown, prof_cases[_i].unsettled);
	if (prof_cases[_i].answer0)
		ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r.zones[0]), prof_cases[_i].answer0);
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

START_TEST(test_display_names_and_txt)
{
	config_pair pairs[] = { { "bl.test", "public.example" } };
	config_pairlist names = { 1, pairs };
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("bl.test*2 zen.test", &names);
	dnsbl_result r;
	vaddr a = ip4("127.1.0.77");

	engine_for(&t, rbl_port, 400);
	profile(&p, 1, 0, 400);
	p.dnsbl_txt = 1;
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
				     vd_clock_now_ns() + 400000000LL, &r), 0);
	ck_assert_int_eq(r.score, 2);
	ck_assert_str_eq(r.source, "public.example");
	ck_assert_str_eq(r.zones[0].zone, "public.example");
	ck_assert_str_eq(r.txt, "Blocked, see http://bl.test/127.1.0.77");
	/* the secret name never reaches a log line */
	ck_assert_ptr_null(strstr(logbuf, "bl.test "));
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

START_TEST(test_ipv6)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("v6.test=127.0.0.3*2 bl.test", NULL);
	dnsbl_result r;
	vaddr a;

	memset(&a, 0, sizeof(a));
	a.b[15] = 1;	/* ::1 */
	engine_for(&t, rbl_port, 400);
	profile(&p, 2, 0, 400);
	p.dnsbl_wait_all = 1;
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
				     vd_clock_now_ns() + 400000000LL, &r), 0);
	ck_assert_int_eq(r.score, 2);
	ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r.zones[0]), "127.0.0.3");
	ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r.zones[1]), "NXDOMAIN");
	ck_assert_int_gt(count_lines(rbl_log, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
				     "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.v6.test"),
			 0);
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* an rbldnsd zone that lists 127.0.0.1 does not count */
START_TEST(test_wild_rbldnsd)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("wild.test*5 bl.test", NULL);
	dnsbl_result r;
	vaddr a = ip4("127.3.0.1");

	engine_for(&t, rbl_port, 400);
	profile(&p, 1, 0, 400);
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
				     vd_clock_now_ns() + 400000000LL, &r), 0);
	ck_assert_int_eq(r.score, 0);
	ck_assert_int_eq(r.settled, 1);
	ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r.zones[0]), "wild (lists 127.0.0.1)");
	ck_assert_int_eq(r.zones[0].weight, 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "wild.test lists 127.0.0.1"));
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

static char doc[1024];

static int
doc_cb(const char *zone, int ok, const char *detail, void *arg)
{
	(void)arg;
	snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "%s %d %s|",
		 zone, ok, detail);
	return 0;
}

START_TEST(test_doctor)
{
	tctx t;
	dnsbl_sites *s = sites("bl.test wild.test notest.test v6ok.test "
			       "v6.test", NULL);

	engine_for(&t, rbl_port, 400);
	doc[0] = 0;
	ck_assert_int_eq(vd_selftest_doctor(t.e, s, vd_clock_now_ns() + 400000000LL,
				      doc_cb, NULL), 0);
	ck_assert_str_eq(doc, "bl.test 1 ok|"
			 "wild.test 0 wild: lists 127.0.0.1 (127.0.0.2); "
			 "wild: lists ::ffff:7f00:1 (127.0.0.2)|"
			 "notest.test 0 does not list 127.0.0.2 or "
			 "::ffff:7f00:2|"
			 "v6ok.test 1 ok|"
			 "v6.test 0 does not list 127.0.0.2 or "
			 "::ffff:7f00:2|");
	vd_sites_free(s);
	vd_sites_free(NULL);
	s = sites("listed.test silent.test servfail.test", NULL);
	vd_dnsbl_engine_free(t.e);
	engine_for(&t, resp_port, 300);
	doc[0] = 0;
	ck_assert_int_eq(vd_selftest_doctor(t.e, s, vd_clock_now_ns() + 300000000LL,
				      doc_cb, NULL), 0);
	ck_assert_str_eq(doc, "listed.test 1 ok|silent.test 0 not answering|"
			 "servfail.test 0 127.0.0.1: SERVFAIL; ::ffff:7f00:1: "
			 "SERVFAIL; 127.0.0.2: SERVFAIL; ::ffff:7f00:2: "
			 "SERVFAIL|");
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* second check: zero queries; rbldnsd saw one query per zone */
START_TEST(test_cache)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("bl.test zen.test*2", NULL);
	dnsbl_result r;
	vaddr a = ip4("127.1.0.42");
	dnsbl_stats st;

	engine_for(&t, rbl_port, 400);
	profile(&p, 3, 0, 400);
	p.dnsbl_wait_all = 1;
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
				     vd_clock_now_ns() + 400000000LL, &r), 0);
	ck_assert_int_eq(r.queries, 2);
	ck_assert_int_eq(r.cache_hits, 0);
	ck_assert_int_eq(r.score, 1);
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
				     vd_clock_now_ns() + 400000000LL, &r), 0);
	ck_assert_int_eq(r.queries, 0);
	ck_assert_int_eq(r.cache_hits, 2);
	ck_assert_int_eq(r.score, 1);
	ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r.zones[1]), "NXDOMAIN");
	ck_assert_int_eq(count_lines(rbl_log, "42.0.1.127.bl.test"), 1);
	ck_assert_int_eq(count_lines(rbl_log, "42.0.1.127.zen.test"), 1);
	vd_dnsbl_engine_stats(t.e, &st);
	ck_assert_uint_eq(st.cache_hits, 2);
	/* a profile with a shorter max TTL does not see an older answer */
	p.dnsbl_min_ttl = 0;
	p.dnsbl_max_ttl = 0;
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
				     vd_clock_now_ns() + 400000000LL, &r), 0);
	ck_assert_int_eq(r.cache_hits, 0);
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* an answer lives for its clamped TTL on the coarse clock: a second
 * before it ends it is a hit, at its end it is asked again; the stale hit
 * is not counted as one */
START_TEST(test_cache_ttl)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("bl.test", NULL);
	dnsbl_result r;
	vaddr a = ip4("127.1.0.43");
	dnsbl_stats st;
	int64_t dl = 400000000LL;

	clock_freeze();
	engine_for(&t, rbl_port, 400);
	profile(&p, 1, 0, 400);
	p.dnsbl_min_ttl = 60;
	p.dnsbl_max_ttl = 60;
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
					vd_clock_now_ns() + dl, &r), 0);
	ck_assert_int_eq(r.queries, 1);
	ck_assert_int_eq(r.score, 1);
	clock_advance(59 * VD_NS_PER_S);
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
					vd_clock_now_ns() + dl, &r), 0);
	ck_assert_int_eq(r.queries, 0);
	ck_assert_int_eq(r.cache_hits, 1);
	ck_assert_int_eq(r.score, 1);
	clock_advance(1 * VD_NS_PER_S);
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
					vd_clock_now_ns() + dl, &r), 0);
	ck_assert_int_eq(r.queries, 1);
	ck_assert_int_eq(r.cache_hits, 0);
	ck_assert_int_eq(r.score, 1);
	ck_assert_int_eq(count_lines(rbl_log, "43.0.1.127.bl.test"), 2);
	vd_dnsbl_engine_stats(t.e, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	clock_release();
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* the self-test runs with a zone's first use and again once its result
 * is older than VD_SELFTEST_AGE_NS, from a check that needs nothing else
 * from the network, without waiting for it */
START_TEST(test_selftest_retest)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("bl.test", NULL);
	dnsbl_result r;
	vaddr a = ip4("127.1.0.44");
	dnsbl_stats st;
	int64_t dl = 400000000LL;
	int n2, n1;

	clock_freeze();
	engine_for(&t, rbl_port, 400);
	profile(&p, 1, 0, 400);
	p.dnsbl_min_ttl = 3600;
	/* first use: the four probes and the answer */
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
					vd_clock_now_ns() + dl, &r), 0);
	ck_assert_int_eq(r.score, 1);
	ck_assert_int_eq(r.settled, 1);
	vd_dnsbl_engine_stats(t.e, &st);
	ck_assert_uint_eq(st.queries, 5);
	n2 = wait_lines(rbl_log, "2.0.0.127.bl.test", 1);
	n1 = wait_lines(rbl_log, "1.0.0.127.bl.test", 1);
	/* at the age limit: still good, nothing asked */
	clock_advance(VD_SELFTEST_AGE_NS);
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
					vd_clock_now_ns() + dl, &r), 0);
	ck_assert_int_eq(r.cache_hits, 1);
	vd_dnsbl_engine_stats(t.e, &st);
	ck_assert_uint_eq(st.queries, 5);
	/* past it: the check is answered from the cache and sends the
	 * probes again */
	clock_advance(1);
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0,
					vd_clock_now_ns() + dl, &r), 0);
	ck_assert_int_eq(r.cache_hits, 1);
	ck_assert_int_eq(r.queries, 0);
	ck_assert_int_eq(r.score, 1);
	vd_dnsbl_engine_stats(t.e, &st);
	ck_assert_uint_eq(st.queries, 9);
	ck_assert_int_eq(wait_lines(rbl_log, "2.0.0.127.bl.test", n2 + 1),
			 n2 + 1);
	ck_assert_int_eq(wait_lines(rbl_log, "1.0.0.127.bl.test", n1 + 1),
			 n1 + 1);
	clock_release();
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* --- sharing: N threads, one IP --- */

#define NTHREADS 16

typedef struct targ {
	dnsbl_engine *e;
	const dnsbl_sites *s;
	const config_profile *p;
	vaddr ip;
	dnsbl_result r;
} targ;

static void *
thread_check(void *arg)
{
	targ *a = arg;

	vd_dnsbl_check(a->e, a->s, a->p, &a->ip, 0, vd_clock_now_ns() + 1000000000LL,
		    &a->r);
	return NULL;
}

/* sharing_setup - an engine on the scripted responder, every answer
 * waited for, and the zones' self-test done first, so that it does not
 * hide the sharing */
static void
sharing_setup(tctx *t, config_profile *p, const dnsbl_sites *s)
{
	engine_for(t, resp_port, 1000);
	profile(p, 5, 0, 1000);
	p->dnsbl_wait_all = 1;
	doc[0] = 0;
	vd_selftest_doctor(t->e, s, vd_clock_now_ns() + 1000000000LL, doc_cb, NULL);
}

START_TEST(test_shared_flights)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("slow.test listed.test", NULL);
	static targ args[NTHREADS];
	pthread_t th[NTHREADS];
	int i, queries = 0;
	int64_t t0;

	sharing_setup(&t, &p, s);
	for (i = 0; i < NTHREADS; i++) {
		args[i].e = t.e;
		args[i].s = s;
		args[i].p = &p;
		args[i].ip = ip4("127.4.0.1");
		pthread_create(&th[i], NULL, thread_check, &args[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		queries += args[i].r.queries;
		ck_assert_msg(args[i].r.score == 2, "score %d: %s %s",
			      args[i].r.score, vd_dnsbl_check_zone_answer(&args[i].r.zones[0]),
			      vd_dnsbl_check_zone_answer(&args[i].r.zones[1]));
	}
	ck_assert_int_eq(queries, 2);
	ck_assert_int_eq(count_lines(resp_log, "1.0.4.127.slow.test"), 1);
	ck_assert_int_eq(count_lines(resp_log, "1.0.4.127.listed.test"), 1);
	/* different IPs proceed in parallel: 16 x 150 ms in far less */
	t0 = vd_clock_now_ns();
	for (i = 0; i < NTHREADS; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "127.4.1.%d", i + 1);
		args[i].ip = ip4(ip);
		pthread_create(&th[i], NULL, thread_check, &args[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(args[i].r.score, 2);
		ck_assert_int_eq(args[i].r.queries, 2);
	}
	ck_assert_int_lt(ms_since(t0), scaled(600));
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* --- faults (dnsresponder.py) --- */

static const struct {
	const char *label, *sites;
	int settled, score, unknown;
	const char *answer;
	const char *log;	/* substring of the warning, or NULL */
} fault_cases[] = {
	{ "silence", "silent.test", 0, 0, 1, "timeout", NULL },
	{ "servfail", "servfail.test", 0, 0, 1, "SERVFAIL", "SERVFAIL" },
	{ "refused", "refused.test", 0, 0, 1, "REFUSED", "REFUSED" },
	{ "public resolver", "public.test", 0, 0, 1,
	  "ignored 127.255.255.254 (query through a public resolver)",
	  "public.test answered 127.255.255.254 for 127.0.0.2: query through "
	  "a public resolver; not counted as a listing" },
	{ "outside 127/8", "outside.test", 0, 0, 1,
	  "ignored 192.0.2.1 (answer outside 127.0.0.0/8)", "outside 127" },
	{ "dnswl blocked", "dnswl.test*-5", 1, 0, 1,
	  "ignored 127.0.0.255 (DNSWL: queries blocked)", "DNSWL" },
	{ "truncated", "trunc.test", 0, 0, 1, "bad answer (truncated)", NULL },
	{ "cut packet", "cut.test", 0, 0, 1, "bad answer", NULL },
	{ "garbage", "garbage.test", 0, 0, 1, "bad answer", NULL },
	{ "wild zone", "wild.test*3", 1, 0, 0, "wild (lists 127.0.0.1)",
	  "gone wild" },
};

START_TEST(test_faults)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites(fault_cases[_i].sites, NULL);
	dnsbl_result r;
	vaddr a = ip4("127.6.0.1");
	int64_t t0;
	long ms;

	engine_for(&t, resp_port, 300);
	profile(&p, 1, 0, 300);
	p.dnsbl_wait_all = 1;
	t0 = vd_clock_now_ns();
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0, t0 + 300000000LL, &r),
			 0);
	ms = ms_since(t0);
	/* at the latest at the deadline (an answer may end it sooner) */
	ck_assert_msg(ms <= 300 + scaled(MARGIN_MS), "%s: %ld ms",
		      fault_cases[_i].label, ms);
	ck_assert_msg(r.settled == fault_cases[_i].settled, "%s: settled %d",
		      fault_cases[_i].label, r.settled);
	ck_assert_int_eq(r.score, fault_cases[_i].score);
	ck_assert_int_eq(r.unknown, fault_cases[_i].unknown);
	ck_assert_str_eq(r.source, "");
	ck_assert_msg(strcmp(vd_dnsbl_check_zone_answer(&r.zones[0]), fault_cases[_i].answer) == 0,
		      "%s: answer \"%s\"", fault_cases[_i].label,
		      vd_dnsbl_check_zone_answer(&r.zones[0]));
	if (fault_cases[_i].log)
		ck_assert_msg(strstr(logbuf, fault_cases[_i].log) != NULL,
			      "%s: log lacks \"%s\": %s", fault_cases[_i].label,
			      fault_cases[_i].log, logbuf);
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* a silent zone cannot undo a block already reached: return at once;
 * with dnsbl_wait_all, wait for it (until the deadline) */
START_TEST(test_early_termination)
{
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("silent.test listed.test*2", NULL);
	dnsbl_result r;
	vaddr a = ip4("127.7.0.1");
	int64_t t0;
	long ms;

	/* the resolver's own timeout (a third of it a try, two tries) ends
	 * after the checks' deadlines: the deadline ends the wait */
	engine_for(&t, resp_port, 1500);
	profile(&p, 2, 0, 400);
	t0 = vd_clock_now_ns();
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0, t0 + 400000000LL, &r),
			 0);
	ms = ms_since(t0);
	ck_assert_msg(ms < scaled(150), "took %ld ms", ms);
	ck_assert_int_eq(r.score, 2);
	ck_assert_int_eq(r.settled, 1);
	ck_assert_str_eq(r.source, "listed.test");
	ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r.zones[0]), "pending");
	ck_assert_int_eq(r.zones[0].ms, -1);
	p.dnsbl_wait_all = 1;
	a = ip4("127.7.0.2");
	t0 = vd_clock_now_ns();
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0, t0 + 400000000LL, &r),
			 0);
	assert_deadline("wait_all", ms_since(t0), 400, MARGIN_MS);
	ck_assert_int_eq(r.score, 2);
	ck_assert_int_eq(r.settled, 1);
	ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r.zones[0]), "timeout");
	/* unsettled: a silent zone that could reach the threshold */
	p.dnsbl_threshold = 3;
	p.dnsbl_wait_all = 0;
	a = ip4("127.7.0.3");
	t0 = vd_clock_now_ns();
	ck_assert_int_eq(vd_dnsbl_check(t.e, s, &p, &a, 0, t0 + 300000000LL, &r),
			 0);
	assert_deadline("unsettled", ms_since(t0), 300, MARGIN_MS);
	ck_assert_int_eq(r.settled, 0);
	ck_assert_int_eq(r.unknown, 1);
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* --- vd_dnsbl_check_many: n checks from one thread --- */

/* the same answers as one vd_dnsbl_check at a time, on a fresh engine each
 * (nothing cached): listed, not, allowlisted, a repeated IP in the batch,
 * IPv6, and the TXT reason of a block (asked after the group's wait) */
START_TEST(test_many_equals_single)
{
	static const char *const ips[] = {
		"127.1.0.3", "127.1.2.4", "127.9.9.9", "127.2.0.3",
		"127.1.2.10", "127.1.0.3", "127.2.0.1", "127.1.1.1",
		"127.1.2.30", "127.8.0.1",
	};
	enum { N = sizeof(ips) / sizeof(ips[0]) + 1 };
	tctx t1, t2;
	config_profile p;
	dnsbl_sites *s = sites("zen.test=127.0.0.[2..11]*2 bl.test*1 "
			       "wl.test=127.0.[2..15].[2..3]*-3 v6.test", NULL);
	static dnsbl_result one[N], many[N];
	dnsbl_result *rp[N];
	const vaddr *ap[N];
	vaddr a[N];
	int base[N];
	size_t i, d;

	for (i = 0; i < N - 1; i++)
		a[i] = ip4(ips[i]);
	memset(&a[N - 1], 0, sizeof(a[N - 1]));
	a[N - 1].b[15] = 1;	/* ::1, listed by v6.test */
	engine_for(&t1, rbl_port, 600);
	engine_for(&t2, rbl_port, 600);
	profile(&p, 2, -1, 600);
	p.dnsbl_wait_all = 1;
	p.dnsbl_txt = 1;
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(vd_dnsbl_check(t1.e, s, &p, &a[i], (int)(i % 2),
					     vd_clock_now_ns() + 600000000LL,
					     &one[i]), VERDICT_OK);
		ap[i] = &a[i];
		base[i] = (int)(i % 2);
		rp[i] = &many[i];
	}
	ck_assert_int_eq(vd_dnsbl_check_many(t2.e, s, &p, ap, base, N,
					  vd_clock_now_ns() + 600000000LL, rp),
			 VERDICT_OK);
	for (i = 0; i < N; i++) {
		ck_assert_msg(many[i].score == one[i].score,
			      "#%zu: score %d, alone %d", i, many[i].score,
			      one[i].score);
		ck_assert_int_eq(many[i].settled, one[i].settled);
		ck_assert_int_eq(many[i].settled, 1);
		ck_assert_int_eq(many[i].unknown, one[i].unknown);
		ck_assert_str_eq(many[i].source, one[i].source);
		ck_assert_str_eq(many[i].txt, one[i].txt);
		ck_assert_uint_eq(many[i].nzones, one[i].nzones);
		for (d = 0; d < many[i].nzones; d++)
			ck_assert_str_eq(vd_dnsbl_check_zone_answer(&many[i].zones[d]),
					 vd_dnsbl_check_zone_answer(&one[i].zones[d]));
	}
	/* the cases the comparison must cover */
	ck_assert_int_eq(many[1].score, 2 + 1);		/* zen, odd base */
	ck_assert_int_eq(many[3].score, -3 + 1);	/* allowlisted */
	ck_assert_int_eq(many[2].score, 0);		/* nowhere */
	ck_assert_str_eq(many[7].txt, "Exploited 127.1.1.1");
	ck_assert_int_eq(many[N - 1].score, 1);		/* ::1 */
	/* the repeated IP was asked once per zone (4 A queries), plus the
	 * TXT query of #5, a block with its base of 1 */
	ck_assert_str_eq(many[5].txt, "Blocked, see http://bl.test/127.1.0.3");
	ck_assert_int_eq(many[0].queries + many[5].queries, 4 + 1);
	vd_sites_free(s);
	vd_dnsbl_engine_free(t1.e);
	vd_dnsbl_engine_free(t2.e);
}
END_TEST

/* a batch keeps its deadline: a silent zone ends every check of the batch
 * at the deadline with dnsbl_wait_all, and does not hold back a batch
 * whose checks a listing settles */
START_TEST(test_many_deadline)
{
	enum { N = 8 };
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("silent.test listed.test*2", NULL);
	static dnsbl_result r[N];
	dnsbl_result *rp[N];
	const vaddr *ap[N];
	vaddr a[N];
	int base[N] = { 0 };
	int64_t t0;
	long ms;
	size_t i;
	char ip[32];

	/* the deadline, not the resolver's timeout, ends the waits */
	engine_for(&t, resp_port, 1500);
	profile(&p, 2, 0, 300);
	for (i = 0; i < N; i++) {
		snprintf(ip, sizeof(ip), "127.7.1.%zu", i + 1);
		a[i] = ip4(ip);
		ap[i] = &a[i];
		rp[i] = &r[i];
	}
	/* settled by listed.test: at once, the silent zone pending */
	t0 = vd_clock_now_ns();
	ck_assert_int_eq(vd_dnsbl_check_many(t.e, s, &p, ap, base, N,
					  t0 + 300000000LL, rp), VERDICT_OK);
	ms = ms_since(t0);
	ck_assert_msg(ms < scaled(150), "took %ld ms", ms);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(r[i].score, 2);
		ck_assert_int_eq(r[i].settled, 1);
		ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r[i].zones[0]), "pending");
	}
	/* every answer asked for: the batch ends at the deadline */
	p.dnsbl_wait_all = 1;
	for (i = 0; i < N; i++) {
		snprintf(ip, sizeof(ip), "127.7.2.%zu", i + 1);
		a[i] = ip4(ip);
	}
	t0 = vd_clock_now_ns();
	ck_assert_int_eq(vd_dnsbl_check_many(t.e, s, &p, ap, base, N,
					  t0 + 300000000LL, rp), VERDICT_OK);
	assert_deadline("batch", ms_since(t0), 300, MARGIN_BATCH_MS);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(r[i].score, 2);
		ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r[i].zones[0]), "timeout");
		ck_assert_str_eq(vd_dnsbl_check_zone_answer(&r[i].zones[1]),
				 "127.0.0.2");
	}
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

typedef struct margs {
	dnsbl_engine *e;
	const dnsbl_sites *s;
	const config_profile *p;
	const vaddr *const *ap;
	size_t n;
	dnsbl_result *const *rp;
} margs;

static void *
thread_many(void *arg)
{
	margs *m = arg;
	int base[16] = { 0 };

	vd_dnsbl_check_many(m->e, m->s, m->p, m->ap, base, m->n,
			 vd_clock_now_ns() + 1000000000LL, m->rp);
	return NULL;
}

/* batches and single checks of the same slow IPs at once, from several
 * threads: every answer right, one query per (zone, IP) however many
 * checks ask, whichever thread drives the resolver */
START_TEST(test_many_shared)
{
	enum { NB = 4, N = 8, NS = 8 };
	tctx t;
	config_profile p;
	dnsbl_sites *s = sites("slow.test listed.test", NULL);
	static targ single[NS];
	static dnsbl_result r[NB][N];
	static vaddr a[N];
	static const vaddr *ap[N];
	static dnsbl_result *rp[NB][N];
	margs m[NB];
	pthread_t th[NB + NS];
	int i, j, queries = 0;
	char ip[32];

	sharing_setup(&t, &p, s);
	for (j = 0; j < N; j++) {
		snprintf(ip, sizeof(ip), "127.4.2.%d", j + 1);
		a[j] = ip4(ip);
		ap[j] = &a[j];
	}
	for (i = 0; i < NB; i++) {
		for (j = 0; j < N; j++)
			rp[i][j] = &r[i][j];
		m[i] = (margs){ t.e, s, &p, ap, N, rp[i] };
		pthread_create(&th[i], NULL, thread_many, &m[i]);
	}
	for (i = 0; i < NS; i++) {
		single[i].e = t.e;
		single[i].s = s;
		single[i].p = &p;
		single[i].ip = a[i % N];
		pthread_create(&th[NB + i], NULL, thread_check, &single[i]);
	}
	for (i = 0; i < NB + NS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NB; i++)
		for (j = 0; j < N; j++) {
			ck_assert_msg(r[i][j].score == 2, "batch %d #%d: %d",
				      i, j, r[i][j].score);
			queries += r[i][j].queries;
		}
	for (i = 0; i < NS; i++) {
		ck_assert_int_eq(single[i].r.score, 2);
		queries += single[i].r.queries;
	}
	ck_assert_int_eq(queries, 2 * N);
	ck_assert_int_eq(count_lines(resp_log, "1.2.4.127.slow.test"), 1);
	ck_assert_int_eq(count_lines(resp_log, "8.2.4.127.listed.test"), 1);
	vd_sites_free(s);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

/* a secret domain (a DQS key) never reaches a log line, a result or the
 * doctor of a profile that maps it, even when a profile that does not
 * map it met the zone first: public.test answers 127.255.255.254 (a
 * warning from the engine), wild.test lists 127.0.0.1 (the self-test's
 * and the check's "gone wild") */
START_TEST(test_secret_names)
{
	char k1[] = "k3ys3cret.public.test", k2[] = "k3ys3cret.wild.test";
	char v1[] = "public.example", v2[] = "wild.example";
	config_pair pairs[] = { { k1, v1 }, { k2, v2 } };
	config_pairlist names = { 2, pairs };
	tctx t;
	config_profile p;
	dnsbl_sites *plain = sites("k3ys3cret.public.test k3ys3cret.wild.test",
				   NULL);
	dnsbl_sites *mapped = sites("k3ys3cret.public.test "
				    "k3ys3cret.wild.test*3", &names);
	dnsbl_result r;
	vaddr a = ip4("127.6.0.9");
	size_t d;

	engine_for(&t, resp_port, 300);
	profile(&p, 3, 0, 300);
	p.dnsbl_wait_all = 1;
	/* the profile without names meets the zones first */
	for (d = 0; d < 2; d++)
		ck_assert_ptr_nonnull(vd_dnsbl_engine_zone(t.e, plain, d));
	ck_assert_int_eq(vd_dnsbl_check(t.e, mapped, &p, &a, 0,
					vd_clock_now_ns() + 300000000LL, &r), 0);
	ck_assert_str_eq(r.zones[0].zone, "public.example");
	ck_assert_str_eq(r.zones[1].zone, "wild.example");
	ck_assert_ptr_nonnull(strstr(logbuf, "public.example answered "
				     "127.255.255.254"));
	ck_assert_ptr_nonnull(strstr(logbuf, "wild.example lists 127.0.0.1"));
	doc[0] = 0;
	ck_assert_int_eq(vd_selftest_doctor(t.e, mapped,
					    vd_clock_now_ns() + 300000000LL,
					    doc_cb, NULL), 0);
	ck_assert_ptr_nonnull(strstr(doc, "public.example 0"));
	ck_assert_ptr_nonnull(strstr(doc, "wild.example 0 wild"));
	ck_assert_msg(strstr(logbuf, "k3ys3cret") == NULL, "log: %s", logbuf);
	ck_assert_msg(strstr(doc, "k3ys3cret") == NULL, "doctor: %s", doc);
	ck_assert_msg(strstr(r.source, "k3ys3cret") == NULL, "source: %s",
		      r.source);
	vd_sites_free(plain);
	vd_sites_free(mapped);
	vd_dnsbl_engine_free(t.e);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsbl_engine");
	TCase *tc = tcase_create("engine");

	tcase_add_unchecked_fixture(tc, servers_start, servers_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_profiles, 0,
			    sizeof(prof_cases) / sizeof(prof_cases[0]));
	tcase_add_test(tc, test_display_names_and_txt);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_wild_rbldnsd);
	tcase_add_test(tc, test_doctor);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_cache_ttl);
	tcase_add_test(tc, test_selftest_retest);
	tcase_add_test(tc, test_shared_flights);
	tcase_add_loop_test(tc, test_faults, 0,
			    sizeof(fault_cases) / sizeof(fault_cases[0]));
	tcase_add_test(tc, test_early_termination);
	tcase_add_test(tc, test_many_equals_single);
	tcase_add_test(tc, test_many_deadline);
	tcase_add_test(tc, test_many_shared);
	tcase_add_test(tc, test_secret_names);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
