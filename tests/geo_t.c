/*
 * geo_t.c - geo/: lookups, rules, hot replacement, broken databases
 *
 * Fixtures are MMDB files built at test time with data/mkmmdb.pl
 * (MaxMind's Perl writer); the MaxMind test databases of the shared data
 * directory, when present, give the oracle tables, and every file of
 * that directory is opened as a database that must not crash anything.
 * Without the Perl writer and without the shared data the test skips.
 * Time is the injected coarse clock (clock.h): the re-check interval is
 * crossed by moving it, never by sleeping.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <maxminddb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "testutil.h"
#include "geo.h"

/* ---- helpers ---------------------------------------------------------- */

/* the logger: counts LOG_ERR lines, keeps the last line of each level */
typedef struct logcap {
	pthread_mutex_t mu;
	int nerr, nwarn, ninfo;
	char last_err[1024];
	char last_info[1024];
} logcap;

static void
cap_fn(int level, const char *line, void *arg)
{
	logcap *c = arg;

	pthread_mutex_lock(&c->mu);
	if (level == LOG_ERR) {
		c->nerr++;
		snprintf(c->last_err, sizeof(c->last_err), "%s", line);
	} else if (level == LOG_WARNING) {
		c->nwarn++;
	} else {
		c->ninfo++;
		snprintf(c->last_info, sizeof(c->last_info), "%s", line);
	}
	pthread_mutex_unlock(&c->mu);
}

static void
cap_init(logcap *c, vd_logger *lg)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	lg->fn = cap_fn;
	lg->arg = c;
}

/* ip - the 16-byte key of a text address (inet_pton: no addr.c needed) */
static vaddr
ip(const char *s)
{
	vaddr a;
	uint8_t v4[4];

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, v4) == 1) {
		a.b[10] = a.b[11] = 0xff;
		memcpy(a.b + 12, v4, 4);
	} else if (inet_pton(AF_INET6, s, a.b) != 1) {
		ck_abort_msg("bad test address %s", s);
	}
	return a;
}

static int have_writer;

/* the coarse clock of the library, moved by the tests */
static int64_t fake_ns = 1000 * VD_NS_PER_S;

static int64_t
fake_now(void)
{
	return __atomic_load_n(&fake_ns, __ATOMIC_RELAXED);
}

/* clock_fake - the library reads fake_now from here on (this process) */
static void
clock_fake(void)
{
	vd_clock_set_coarse(fake_now);
}

static void
clock_advance(int64_t seconds)
{
	__atomic_add_fetch(&fake_ns, seconds * VD_NS_PER_S, __ATOMIC_RELAXED);
}

/* mkdb_try - build dir/name from spec with data/mkmmdb.pl opts; the
 * malloc'd path, or NULL */
static char *
mkdb_try(const char *dir, const char *name, const char *opts,
	 const char *spec)
{
	char cmd[2048], *specf, *out;
	size_t n = strlen(dir) + strlen(name) + 2;
	int rc;

	specf = tu_write(dir, "spec.txt", spec);
	out = malloc(n);
	if (out == NULL)
		abort();
	snprintf(out, n, "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "perl '%s/data/mkmmdb.pl' %s -o '%s' '%s'",
		 tu_srcdir(), opts, out, specf);
	rc = system(cmd);
	free(specf);
	if (rc != 0) {
		fprintf(stderr, "geo_t: failed: %s\n", cmd);
		free(out);
		return NULL;
	}
	return out;
}

static char *
mkdb(const char *dir, const char *name, const char *opts, const char *spec)
{
	char *p = mkdb_try(dir, name, opts, spec);

	ck_assert_msg(p != NULL, "mkmmdb.pl failed for %s", name);
	return p;
}

static void
cfg_init(vd_config *cfg, const char *country, const char *asn, int64_t iv)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->geoip_country_db = (char *)country;
	cfg->geoip_asn_db = (char *)asn;
	cfg->geoip_check_interval = iv;
}

typedef struct doc_rec {
	int n, ok;
	char detail[512];
} doc_rec;

static int
doc_cb(const char *path, int ok, const char *detail, void *arg)
{
	doc_rec *d = arg;

	(void)path;
	d->n++;
	d->ok = ok;
	snprintf(d->detail, sizeof(d->detail), "%s", detail);
	return 0;
}

/* ---- fixtures --------------------------------------------------------- */

static const char country_spec[] =
	"81.2.69.0/24 country=GB registered=US\n"
	"2.125.160.216/29 country=GB registered=FR\n"
	"10.0.0.0/8 registered=FR\n"		/* registered_country only */
	"214.1.1.0/24 continent=NA\n"		/* no country key at all */
	"127.0.0.0/8 country=cn\n"		/* lower case in the file */
	"192.0.2.0/24 country=USA\n"		/* malformed, no fallback */
	"198.51.100.0/24 country=1X registered=DE\n"
	"2001:db8::/32 country=JP registered=JP\n"
	"2001:db8:1::/48 country=KR\n";

static const char asn_spec[] =
	"81.2.69.0/24 asn=64496 org=\"Example One\"\n"
	"10.0.0.0/8 asn=64511\n"			/* no organisation */
	"2001:db8::/32 asn=4200000000 org=\"Big \xc3\xa9 ASN\"\n"
	"198.51.100.0/24 org=\"no number\"\n";	/* org only: no ASN */

typedef struct lk_case {
	const char *label, *ip, *country;	/* "" = no country */
	uint32_t asn;				/* 0 = no ASN */
	const char *org;
} lk_case;

static const lk_case lk_cases[] = {
	{ "IPv4 both", "81.2.69.142", "GB", 64496, "Example One" },
	{ "IPv4-mapped text", "::ffff:81.2.69.142", "GB", 64496, "Example One" },
	{ "6to4 alias", "2002:5102:458e::", "GB", 64496, "Example One" },
	{ "country only", "2.125.160.217", "GB", 0, "" },
	{ "registered only", "10.1.2.3", "FR", 64511, "" },
	{ "no country key", "214.1.1.1", "", 0, "" },
	{ "lower case in db", "127.0.0.1", "CN", 0, "" },
	{ "malformed code", "192.0.2.1", "", 0, "" },
	{ "malformed, registered", "198.51.100.7", "DE", 0, "" },
	{ "IPv6", "2001:db8::1", "JP", 4200000000u, "Big \xc3\xa9 ASN" },
	{ "IPv6 more specific", "2001:db8:1::5", "KR", 4200000000u,
	  "Big \xc3\xa9 ASN" },
	{ "not found v4", "8.8.8.8", "", 0, "" },
	{ "not found v6", "2001:db9::1", "", 0, "" },
};

static void
check_case(geo_db *g, const lk_case *c)
{
	vaddr a = ip(c->ip);
	geo_info in;

	vd_geo_lookup(g, &a, &in);
	ck_assert_msg(in.have_country == (c->country[0] != 0),
		      "%s: have_country %d", c->label, in.have_country);
	if (c->country[0])
		ck_assert_msg(strcmp(in.country, c->country) == 0,
			      "%s: country %s, want %s", c->label,
			      in.country, c->country);
	ck_assert_msg(in.have_asn == (c->asn != 0), "%s: have_asn %d",
		      c->label, in.have_asn);
	if (c->asn) {
		ck_assert_msg(in.asn == c->asn, "%s: asn %u, want %u",
			      c->label, in.asn, c->asn);
		ck_assert_msg(strcmp(in.as_org, c->org) == 0,
			      "%s: org '%s', want '%s'", c->label, in.as_org,
			      c->org);
	}
}

/* built once in main() (before the forks): the country and ASN fixture.
 * Not under tu_tmpdir(): its root is removed by the atexit handler of
 * every forked test that inherits it. */
static char *cdb, *adb;
static char fixdir[300];
static pid_t mainpid;

static void
fix_cleanup(void)
{
	char cmd[400];

	if (getpid() == mainpid && fixdir[0] &&
	    getenv("VERDICT_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixdir);
		if (system(cmd) != 0)
			fprintf(stderr, "geo_t: cannot remove %s\n", fixdir);
	}
}

START_TEST(test_lookup_table)
{
	vd_config cfg;
	vd_logger lg;
	logcap cap;
	geo_db *g;

	cap_init(&cap, &lg);
	cfg_init(&cfg, cdb, adb, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, &lg, &g), VERDICT_OK);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(cap.nerr, 0);
	check_case(g, &lk_cases[_i]);
	{	/* without the organisation: the rest is the same */
		vaddr x = ip(lk_cases[_i].ip);
		geo_info in;

		vd_geo_lookup_ex(g, &x, &in, GEO_LOOKUP_NOORG);
		ck_assert_str_eq(in.as_org, "");
		ck_assert_uint_eq(in.asn, lk_cases[_i].asn);
	}
	vd_geo_close(g);
}
END_TEST

/* An IPv6 tree without the ::ffff:0:0/96 alias: only a reader that looks
 * up IPv4 as IPv4 (the ::a.b.c.d subtree) finds 81.2.69.142. */
START_TEST(test_v4_without_alias)
{
	const char *d = tu_tmpdir();
	char *cdb = mkdb(d, "n.mmdb", "-n", "81.2.69.0/24 country=GB\n");
	vd_config cfg;
	geo_db *g;
	geo_info in;
	vaddr a = ip("81.2.69.142");

	cfg_init(&cfg, cdb, NULL, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	vd_geo_lookup(g, &a, &in);
	ck_assert_int_eq(in.have_country, 1);
	ck_assert_str_eq(in.country, "GB");
	vd_geo_close(g);
	free(cdb);
}
END_TEST

/* An IPv4-only tree: IPv4 answers, IPv6 gives no data (error 11). */
START_TEST(test_ipv4_tree)
{
	const char *d = tu_tmpdir();
	char *cdb = mkdb(d, "4.mmdb", "-4", "81.2.69.0/24 country=GB\n");
	vd_config cfg;
	geo_db *g;
	geo_info in;
	vaddr a = ip("81.2.69.142"), b = ip("2001:db8::1");

	cfg_init(&cfg, cdb, NULL, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	vd_geo_lookup(g, &a, &in);
	ck_assert_str_eq(in.country, "GB");
	vd_geo_lookup(g, &b, &in);
	ck_assert_int_eq(in.have_country, 0);
	vd_geo_close(g);
	free(cdb);
}
END_TEST

/* values of the wrong type are no data: a number where the country code
 * and the organisation belong, a string where the AS number belongs */
START_TEST(test_wrong_types)
{
	const char *d = tu_tmpdir();
	char *w = mkdb(d, "w.mmdb", "-w",
		       "81.2.69.0/24 country=44 registered=45 asn=64496 org=7\n");
	char *r = mkdb(d, "r.mmdb", "", "81.2.69.0/24 country=GB asn=64496\n");
	vd_config cfg;
	geo_db *g;
	geo_info in;
	vaddr a = ip("81.2.69.142");

	cfg_init(&cfg, w, w, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	vd_geo_lookup(g, &a, &in);
	ck_assert_int_eq(in.have_country, 0);
	ck_assert_int_eq(in.have_asn, 0);
	ck_assert_str_eq(in.as_org, "");
	vd_geo_close(g);
	/* the same address with the right types: the fixture is not empty */
	cfg_init(&cfg, r, r, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	vd_geo_lookup(g, &a, &in);
	ck_assert_str_eq(in.country, "GB");
	ck_assert_uint_eq(in.asn, 64496);
	vd_geo_close(g);
	free(w);
	free(r);
}
END_TEST

START_TEST(test_none_configured)
{
	vd_config cfg;
	geo_db *g = (geo_db *)&cfg;
	geo_info in;
	vaddr a = ip("81.2.69.142");

	cfg_init(&cfg, NULL, "", 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	ck_assert_ptr_null(g);
	vd_geo_lookup(NULL, &a, &in);
	ck_assert_int_eq(in.have_country + in.have_asn, 0);
	ck_assert_int_eq(vd_geo_doctor(NULL, doc_cb, NULL), 0);
	vd_geo_close(NULL);
}
END_TEST

/* missing, damaged and implausible files: logged once, no data, doctor */
typedef struct bad_case {
	const char *label;
	const char *content;	/* NULL: missing; "@epoch": build_epoch 100 */
	const char *logged;	/* substring of the LOG_ERR line */
} bad_case;

static const bad_case bad_cases[] = {
	{ "missing", NULL, "No such file" },
	{ "garbage", "this is not a MaxMind DB\n", "metadata" },
	{ "empty", "", "" },
	{ "build epoch 1970", "@epoch", "build_epoch" },
};

START_TEST(test_bad_file)
{
	const bad_case *c = &bad_cases[_i];
	const char *d = tu_tmpdir();
	char path[512];
	vd_config cfg;
	vd_logger lg;
	logcap cap;
	doc_rec doc;
	geo_db *g;
	geo_info in;
	vaddr a = ip("81.2.69.142");
	int i;

	snprintf(path, sizeof(path), "%s/x.mmdb", d);
	if (c->content && strcmp(c->content, "@epoch") == 0)
		free(mkdb(d, "x.mmdb", "-e 100", "81.2.69.0/24 country=GB\n"));
	else if (c->content)
		free(tu_write(d, "x.mmdb", c->content));
	cap_init(&cap, &lg);
	cfg_init(&cfg, path, path, 1);
	clock_fake();
	ck_assert_int_eq(vd_geo_open(&cfg, &lg, &g), VERDICT_OK);
	ck_assert_ptr_nonnull(g);
	ck_assert_msg(cap.nerr == 2, "%s: %d errors logged", c->label,
		      cap.nerr);
	ck_assert_msg(strstr(cap.last_err, path) &&
		      strstr(cap.last_err, "geoip_asn_db") &&
		      strstr(cap.last_err, c->logged),
		      "%s: log line '%s'", c->label, cap.last_err);
	for (i = 0; i < 3; i++) {
		vd_geo_lookup(g, &a, &in);
		ck_assert_int_eq(in.have_country + in.have_asn, 0);
	}
	memset(&doc, 0, sizeof(doc));
	ck_assert_int_eq(vd_geo_doctor(g, doc_cb, &doc), 0);
	ck_assert_int_eq(doc.n, 2);
	ck_assert_int_eq(doc.ok, 0);
	ck_assert_msg(strstr(doc.detail, c->logged), "%s: doctor '%s'",
		      c->label, doc.detail);
	/* same file, checked again: not logged again */
	ck_assert_int_eq(cap.nerr, 2);

	/* a good file renamed into place is picked up after the interval */
	{
		char *good = mkdb(d, "good.mmdb", "",
				  "81.2.69.0/24 country=GB asn=64496\n");

		ck_assert_int_eq(rename(good, path), 0);
		free(good);
	}
	clock_advance(1);
	vd_geo_lookup(g, &a, &in);
	ck_assert_int_eq(in.have_country, 1);
	ck_assert_int_eq(in.have_asn, 1);
	ck_assert_int_eq(cap.nerr, 2);
	memset(&doc, 0, sizeof(doc));
	vd_geo_doctor(g, doc_cb, &doc);
	ck_assert_int_eq(doc.ok, 1);
	ck_assert_msg(strstr(doc.detail, "GeoIP2-Country, IPv6 tree, "),
		      "doctor '%s'", doc.detail);
	vd_geo_close(g);
}
END_TEST

/* ---- rules ------------------------------------------------------------ */

#define CC(c, w) { c, 0, w }
#define AS(n, w) { "", n, w }
#define GL(...) { sizeof((config_geo_item[]){ __VA_ARGS__ }) / \
		  sizeof(config_geo_item), (config_geo_item[]){ __VA_ARGS__ } }
#define NOGL { 0, NULL }

typedef struct rule_case {
	const char *label;
	geo_info info;
	config_geolist cw, aw, bc, ba, ac, aa;
	int want, weight;
	const char *why;
} rule_case;

#define GB_64496 { "GB", 64496, "Example", 1, 1 }
#define GB_ONLY { "GB", 0, "", 1, 0 }
#define AS_ONLY { "", 64496, "", 0, 1 }
#define NODATA { "", 0, "", 0, 0 }

static const rule_case rule_cases[] = {
	{ "no rules", GB_64496, NOGL, NOGL, NOGL, NOGL, NOGL, NOGL,
	  GEO_NONE, 0, "" },
	{ "weights sum", GB_64496, GL(CC("GB", 2), CC("CN", 7)),
	  GL(AS(64496, 3)), NOGL, NOGL, NOGL, NOGL,
	  GEO_NONE, 5, "country GB, AS64496" },
	{ "negative weight", GB_64496, GL(CC("GB", 2)), GL(AS(64496, -5)),
	  NOGL, NOGL, NOGL, NOGL, GEO_NONE, -3, "country GB, AS64496" },
	{ "country item twice", GB_ONLY, GL(CC("GB", 2), CC("GB", 1)), NOGL,
	  NOGL, NOGL, NOGL, NOGL, GEO_NONE, 3, "country GB" },
	{ "asn weight only", AS_ONLY, GL(CC("GB", 2)), GL(AS(64496, 4)),
	  NOGL, NOGL, NOGL, NOGL, GEO_NONE, 4, "AS64496" },
	{ "lower-case rule", GB_ONLY, GL(CC("gb", 2)), NOGL, NOGL, NOGL,
	  NOGL, NOGL, GEO_NONE, 2, "country GB" },
	{ "block country", GB_64496, NOGL, NOGL, GL(CC("CN", 0), CC("GB", 0)),
	  NOGL, NOGL, NOGL, GEO_BLOCK, 0, "country GB" },
	{ "block asn", GB_64496, GL(CC("GB", 1)), NOGL, NOGL,
	  GL(AS(64496, 0)), NOGL, NOGL, GEO_BLOCK, 1, "AS64496" },
	{ "allow asn beats block country", GB_64496, NOGL, NOGL,
	  GL(CC("GB", 0)), NOGL, NOGL, GL(AS(64496, 0)),
	  GEO_ALLOW, 0, "AS64496" },
	{ "allow country beats block asn", GB_64496, NOGL, NOGL, NOGL,
	  GL(AS(64496, 0)), GL(CC("GB", 0)), NOGL,
	  GEO_ALLOW, 0, "country GB" },
	{ "allow other country: exempt, not only", GB_64496, NOGL, NOGL,
	  GL(CC("GB", 0)), NOGL, GL(CC("FR", 0)), NOGL,
	  GEO_BLOCK, 0, "country GB" },
	{ "allow other: no block rule", GB_64496, NOGL, NOGL, NOGL, NOGL,
	  GL(CC("FR", 0)), GL(AS(1, 0)), GEO_NONE, 0, "" },
	{ "no data never blocks", NODATA, GL(CC("GB", 9)), GL(AS(64496, 9)),
	  GL(CC("GB", 0)), GL(AS(64496, 0)), NOGL, NOGL, GEO_NONE, 0, "" },
	{ "no asn: asn block ignored", GB_ONLY, NOGL, NOGL, NOGL,
	  GL(AS(64496, 0)), NOGL, NOGL, GEO_NONE, 0, "" },
};

START_TEST(test_decide)
{
	const rule_case *c = &rule_cases[_i];
	config_profile p;
	char why[64];
	int w = 12345, r;

	memset(&p, 0, sizeof(p));
	p.country_weights = c->cw;
	p.asn_weights = c->aw;
	p.block_countries = c->bc;
	p.block_asns = c->ba;
	p.allow_countries = c->ac;
	p.allow_asns = c->aa;
	r = vd_georule_decide(&p, &c->info, &w, why, sizeof(why));
	ck_assert_msg(r == c->want, "%s: decided %d, want %d", c->label, r,
		      c->want);
	ck_assert_msg(w == c->weight, "%s: weight %d, want %d", c->label, w,
		      c->weight);
	ck_assert_msg(strcmp(why, c->why) == 0, "%s: why '%s', want '%s'",
		      c->label, why, c->why);
	ck_assert_int_eq(vd_georule_profile_uses(&p),
			 c->cw.n + c->aw.n + c->bc.n + c->ba.n + c->ac.n +
			 c->aa.n > 0);
	/* NULL weight and why are allowed */
	ck_assert_int_eq(vd_georule_decide(&p, &c->info, NULL, NULL, 0), c->want);
}
END_TEST

/* lookup and rules together: what a verdict sees */
START_TEST(test_lookup_decide)
{
	config_profile p;
	vd_config cfg;
	geo_db *g;
	geo_info in;
	vaddr a = ip("81.2.69.142"), b = ip("10.9.9.9");
	char why[64];
	int w;

	cfg_init(&cfg, cdb, adb, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	memset(&p, 0, sizeof(p));
	p.country_weights = (config_geolist)GL(CC("GB", 2), CC("FR", 1));
	p.asn_weights = (config_geolist)GL(AS(64496, 3), AS(64511, -4));
	p.block_countries = (config_geolist)GL(CC("FR", 0));
	p.allow_asns = (config_geolist)GL(AS(64511, 0));
	vd_geo_lookup(g, &a, &in);
	ck_assert_int_eq(vd_georule_decide(&p, &in, &w, why, sizeof(why)), GEO_NONE);
	ck_assert_int_eq(w, 5);
	vd_geo_lookup(g, &b, &in);	/* FR (registered) + AS64511 */
	ck_assert_int_eq(vd_georule_decide(&p, &in, &w, why, sizeof(why)),
			 GEO_ALLOW);
	ck_assert_int_eq(w, -3);
	ck_assert_str_eq(why, "AS64511");
	vd_geo_close(g);
}
END_TEST

/* ---- hot replacement -------------------------------------------------- */

/* put - make src the file at dst by link + rename (a new inode each time
 * is what geoipupdate's rename gives) */
static void
put(const char *src, const char *dst)
{
	char tmp[600];

	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	unlink(tmp);
	ck_assert_int_eq(link(src, tmp), 0);
	ck_assert_int_eq(rename(tmp, dst), 0);
}

START_TEST(test_replace)
{
	const char *d = tu_tmpdir();
	char *A = mkdb(d, "A.mmdb", "", "81.2.69.0/24 country=GB\n");
	char *B = mkdb(d, "B.mmdb", "", "81.2.69.0/24 country=DE\n");
	char *bad = tu_write(d, "bad.mmdb", "garbage, not an MMDB file\n");
	char db[512];
	vd_config cfg;
	vd_logger lg;
	logcap cap;
	doc_rec doc;
	geo_db *g;
	geo_info in;
	vaddr a = ip("81.2.69.142");

	snprintf(db, sizeof(db), "%s/db.mmdb", d);
	put(A, db);
	cap_init(&cap, &lg);
	cfg_init(&cfg, db, NULL, 10);
	clock_fake();
	ck_assert_int_eq(vd_geo_open(&cfg, &lg, &g), VERDICT_OK);
	vd_geo_lookup(g, &a, &in);
	ck_assert_str_eq(in.country, "GB");

	put(B, db);
	clock_advance(9);
	vd_geo_lookup(g, &a, &in);	/* within the interval: not checked yet */
	ck_assert_str_eq(in.country, "GB");
	clock_advance(1);
	vd_geo_lookup(g, &a, &in);
	ck_assert_str_eq(in.country, "DE");
	ck_assert_int_eq(cap.nerr, 0);
	ck_assert_msg(strstr(cap.last_info, "reopened"), "info '%s'",
		      cap.last_info);

	/* a broken replacement: logged once, the previous copy serves */
	put(bad, db);
	clock_advance(10);
	vd_geo_lookup(g, &a, &in);
	ck_assert_str_eq(in.country, "DE");
	ck_assert_int_eq(cap.nerr, 1);
	clock_advance(10);
	vd_geo_lookup(g, &a, &in);
	ck_assert_str_eq(in.country, "DE");
	ck_assert_int_eq(cap.nerr, 1);
	memset(&doc, 0, sizeof(doc));
	vd_geo_doctor(g, doc_cb, &doc);
	ck_assert_int_eq(doc.ok, 0);
	ck_assert_msg(strstr(doc.detail, "copy opened before"), "doctor '%s'",
		      doc.detail);

	/* and a good one after it */
	put(A, db);
	clock_advance(10);
	vd_geo_lookup(g, &a, &in);
	ck_assert_str_eq(in.country, "GB");

	/* the same inode with a new mtime is a new identity: reopened at
	 * the next check, not before */
	{
		struct timespec ts[2] = { { 0, UTIME_OMIT },
					  { 1700000000, 0 } };
		int ninfo = cap.ninfo;

		ck_assert_int_eq(utimensat(AT_FDCWD, db, ts, 0), 0);
		clock_advance(5);
		vd_geo_lookup(g, &a, &in);
		ck_assert_int_eq(cap.ninfo, ninfo);
		clock_advance(5);
		vd_geo_lookup(g, &a, &in);
		ck_assert_int_eq(cap.ninfo, ninfo + 1);
		ck_assert_msg(strstr(cap.last_info, "reopened"), "info '%s'",
			      cap.last_info);
		ck_assert_str_eq(in.country, "GB");
	}
	vd_geo_close(g);
	free(A);
	free(B);
	free(bad);
}
END_TEST

typedef struct race {
	geo_db *g;
	volatile int stop;
	int last;		/* 1 GB, 2 DE: the latest answer seen */
	int seen_gb, seen_de, bad;
	long n;
	pthread_mutex_t mu;
} race;

static void *
racer(void *arg)
{
	race *r = arg;
	vaddr a = ip("81.2.69.142"), b = ip("2001:db8::1");
	geo_info in;
	int gb = 0, de = 0, bad = 0;
	long n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		vd_geo_lookup(r->g, &a, &in);
		if (in.have_country && strcmp(in.country, "GB") == 0) {
			gb = 1;
			__atomic_store_n(&r->last, 1, __ATOMIC_RELAXED);
		} else if (in.have_country && strcmp(in.country, "DE") == 0) {
			de = 1;
			__atomic_store_n(&r->last, 2, __ATOMIC_RELAXED);
		} else {
			bad++;
		}
		if (!in.have_asn || in.asn != 64496)
			bad++;
		vd_geo_lookup(r->g, &b, &in);
		if (!in.have_country || strcmp(in.country, "JP") != 0)
			bad++;
		n++;
	}
	pthread_mutex_lock(&r->mu);
	r->seen_gb |= gb;
	r->seen_de |= de;
	r->bad += bad;
	r->n += n;
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* many threads look up while the file is replaced under them: every
 * answer is the old or the new one, never none (ASan/TSan: no race) */
START_TEST(test_replace_threads)
{
	const char *d = tu_tmpdir();
	char *A = mkdb(d, "A.mmdb", "",
		       "81.2.69.0/24 country=GB asn=64496\n"
		       "2001:db8::/32 country=JP\n");
	char *B = mkdb(d, "B.mmdb", "",
		       "81.2.69.0/24 country=DE asn=64496\n"
		       "2001:db8::/32 country=JP\n");
	char db[512], adb[512];
	pthread_t t[8];
	vd_config cfg;
	race r;
	int i;

	snprintf(db, sizeof(db), "%s/db.mmdb", d);
	snprintf(adb, sizeof(adb), "%s/asn.mmdb", d);
	put(A, db);
	put(A, adb);
	cfg_init(&cfg, db, adb, 1);
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	clock_fake();
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &r.g), VERDICT_OK);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer, &r), 0);
	/* four replacements, each must be seen within 3 s (real time) of
	 * moving the clock; the clock moves on while waiting, because a
	 * replacement found while the previous one's grace period runs is
	 * taken at the next check */
	for (i = 0; i < 4; i++) {
		int want = i % 2 ? 1 : 2, k;

		put(i % 2 ? A : B, db);
		put(i % 2 ? B : A, adb);
		for (k = 0; k < 300; k++) {
			clock_advance(1);
			if (__atomic_load_n(&r.last, __ATOMIC_RELAXED) == want)
				break;
			usleep(10 * 1000);
		}
		ck_assert_msg(k < 300, "replacement %d not seen in 3 s", i);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	vd_geo_close(r.g);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_msg(r.seen_gb && r.seen_de, "gb %d de %d after %ld lookups",
		      r.seen_gb, r.seen_de, r.n);
	free(A);
	free(B);
}
END_TEST

/* ---- MaxMind's test databases (shared data) ---------------------------- */

static const lk_case oracle_country[] = {
	{ "81.2.69.142", "81.2.69.142", "GB", 0, "" },
	{ "81.2.69.160", "81.2.69.160", "GB", 0, "" },
	{ "2.125.160.216", "2.125.160.216", "GB", 0, "" },
	{ "216.160.83.56", "216.160.83.56", "US", 0, "" },
	{ "89.160.20.112", "89.160.20.112", "SE", 0, "" },
	{ "67.43.156.1", "67.43.156.1", "BT", 0, "" },
	{ "202.196.224.1", "202.196.224.1", "PH", 0, "" },
	{ "175.16.199.1", "175.16.199.1", "CN", 0, "" },
	{ "50.114.0.1", "50.114.0.1", "US", 0, "" },
	{ "2001:218::1", "2001:218::1", "JP", 0, "" },
	{ "2001:220::1", "2001:220::1", "KR", 0, "" },
	{ "2a02:cf40::1", "2a02:cf40::1", "NO", 0, "" },
	{ "214.1.1.1 no country", "214.1.1.1", "", 0, "" },
	{ "2a02:d500::1 no country", "2a02:d500::1", "", 0, "" },
	{ "1.1.1.1", "1.1.1.1", "", 0, "" },
	{ "8.8.8.8", "8.8.8.8", "", 0, "" },
	{ "127.0.0.1", "127.0.0.1", "", 0, "" },
	{ "2001:db8::1", "2001:db8::1", "", 0, "" },
	{ "mapped", "::ffff:81.2.69.142", "GB", 0, "" },
	{ "6to4", "2002:5102:458e::", "GB", 0, "" },
};

static const lk_case oracle_asn[] = {
	{ "1.0.0.1", "1.0.0.1", "", 15169, "Google Inc." },
	{ "1.128.0.1", "1.128.0.1", "", 1221, "Telstra Pty Ltd" },
	{ "12.81.92.1", "12.81.92.1", "", 7018, "AT&T Services" },
	{ "12.81.96.1", "12.81.96.1", "", 7018, "" },
	{ "18.1.2.3", "18.1.2.3", "", 3,
	  "Massachusetts Institute of Technology" },
	{ "38.108.80.30", "38.108.80.30", "", 174, "Cogent Communications" },
	{ "64.17.254.200", "64.17.254.200", "", 33224, "" },
	{ "67.43.156.1", "67.43.156.1", "", 35908, "" },
	{ "2600:7000::1", "2600:7000::1", "", 6939,
	  "Hurricane Electric, Inc." },
	{ "2a02:a440::1", "2a02:a440::1", "", 8737, "Koninklijke KPN N.V." },
	{ "2c0f:ff40::1", "2c0f:ff40::1", "", 10474, "MWEB-10474" },
	{ "240e::1", "240e::1", "", 4134, "Chinanet" },
	{ "mapped", "::ffff:1.128.0.1", "", 1221, "Telstra Pty Ltd" },
	{ "8.8.8.8", "8.8.8.8", "", 0, "" },
	{ "127.0.0.1", "127.0.0.1", "", 0, "" },
	{ "2001:db8::1", "2001:db8::1", "", 0, "" },
};

START_TEST(test_oracle_country)
{
	const char *p = tu_shared("mmdb/GeoIP2-Country-Test.mmdb");
	vd_config cfg;
	geo_db *g;

	ck_assert_ptr_nonnull(p);
	cfg_init(&cfg, p, NULL, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	check_case(g, &oracle_country[_i]);
	check_case(g, &oracle_country[_i]);	/* the same, twice */
	vd_geo_close(g);
}
END_TEST

START_TEST(test_oracle_asn)
{
	const char *p = tu_shared("mmdb/GeoLite2-ASN-Test.mmdb");
	vd_config cfg;
	geo_db *g;

	ck_assert_ptr_nonnull(p);
	cfg_init(&cfg, p, NULL, 60);
	cfg.geoip_country_db = NULL;
	cfg.geoip_asn_db = (char *)p;
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
	check_case(g, &oracle_asn[_i]);
	{	/* without the organisation, then with it again */
		vaddr x = ip(oracle_asn[_i].ip);
		geo_info in;

		vd_geo_lookup_ex(g, &x, &in, GEO_LOOKUP_NOORG);
		ck_assert_uint_eq(in.asn, oracle_asn[_i].asn);
		ck_assert_int_eq(in.have_asn, oracle_asn[_i].asn != 0);
	}
	check_case(g, &oracle_asn[_i]);
	vd_geo_close(g);
}
END_TEST

static vaddr *wips;
static size_t nwips;

/* broken: the shared broken databases (relative names) */
static char **broken;
static size_t nbroken;

/* add_file - nftw callback: every regular file of the shared data */
static int
add_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char **v;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	v = realloc(broken, (nbroken + 1) * sizeof(*v));
	if (v == NULL || (v[nbroken] = strdup(path)) == NULL)
		abort();
	broken = v;
	nbroken++;
	return 0;
}

/* find_broken - every file under the shared data directory, the MaxMind
 * test databases (good and bad-data/) and the rest, taken as MMDB files */
static void
find_broken(void)
{
	const char *d = getenv("VERDICT_SHARED_DATA");

	if (d == NULL || nftw(d, add_file, 16, FTW_PHYS) != 0)
		abort();
	if (nbroken < 20) {
		fprintf(stderr, "geo_t: only %zu files in %s\n", nbroken, d);
		abort();
	}
}

static const char *const probe_ips[] = {
	"1.1.1.1", "1.1.1.3", "1.1.1.32", "1.0.0.1", "81.2.69.142",
	"175.16.199.1", "214.1.1.1", "8.8.8.8", "127.0.0.1", "0.0.0.0",
	"255.255.255.255", "::", "::1", "::1:ffff:ffff", "::2:0:40",
	"2001:218::1", "2001:db8::1", "2002:5102:458e::", "240e::1",
	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

/* every file of the shared data: it opens or is refused (logged once), a
 * lookup gives well-formed data or none, a lookup error is logged at
 * most once per file, and a file that did not open never blocks */
START_TEST(test_broken)
{
	const char *path = broken[_i], *rel = path;
	static config_geo_item all[26 * 26 + 64];
	config_profile p;
	vd_config cfg;
	vd_logger lg;
	logcap cap;
	doc_rec doc;
	geo_db *g;
	geo_info in;
	size_t i, n = 0;
	int ok_open;

	if (strstr(path, "/mmdb/"))
		rel = strstr(path, "/mmdb/") + 1;
	cap_init(&cap, &lg);
	cfg_init(&cfg, path, path, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, &lg, &g), VERDICT_OK);
	memset(&doc, 0, sizeof(doc));
	vd_geo_doctor(g, doc_cb, &doc);
	ok_open = cap.nerr == 0;
	ck_assert_int_eq(doc.ok, ok_open);

	/* a profile that blocks every country code and every ASN seen */
	for (i = 0; i < 26 * 26; i++) {
		memset(&all[n], 0, sizeof(all[n]));
		all[n].country[0] = (char)('A' + i / 26);
		all[n].country[1] = (char)('A' + i % 26);
		n++;
	}
	memset(&p, 0, sizeof(p));
	p.block_countries.v = all;
	p.block_countries.n = n;
	p.block_asns.v = all + n;
	for (i = 0; i < sizeof(probe_ips) / sizeof(probe_ips[0]); i++) {
		vaddr a = ip(probe_ips[i]);

		vd_geo_lookup(g, &a, &in);
		if (in.have_country)
			ck_assert_msg(strlen(in.country) == 2 &&
				      in.country[0] >= 'A' &&
				      in.country[0] <= 'Z' &&
				      in.country[1] >= 'A' &&
				      in.country[1] <= 'Z',
				      "%s: country '%s'", rel, in.country);
		if (in.have_asn && p.block_asns.n < 64) {
			all[n + p.block_asns.n].asn = in.asn;
			p.block_asns.n++;
		}
		if (!ok_open) {
			ck_assert_msg(!in.have_country && !in.have_asn,
				      "%s failed to open but gave data", rel);
			ck_assert_int_eq(vd_georule_decide(&p, &in, NULL, NULL, 0),
					 GEO_NONE);
		}
	}
	/* rate-limited: one warning per file (both keys name it) */
	ck_assert_msg(cap.nwarn <= 2, "%s: %d lookup warnings", rel,
		      cap.nwarn);
	if (strstr(rel, "broken-search-tree"))
		ck_assert_msg(!ok_open || cap.nwarn > 0,
			      "%s: lookup errors not logged", rel);
	printf("geo_t: %s: %s, %d lookup warnings: %s\n", rel,
	       ok_open ? "opened" : "refused", cap.nwarn, doc.detail);
	vd_geo_close(g);
}
END_TEST

/* ---- many addresses ---------------------------------------------------- */

/* the addresses the pair and damage tests look up: oracle IPs, the first and last
 * address of every network of the fixtures and of the MaxMind source
 * data (and their neighbours), pseudo-random IPv4 and IPv6 addresses */
static size_t awips;

static void
wip_add(const vaddr *a)
{
	if (nwips == awips) {
		vaddr *v;

		awips = awips ? awips * 2 : 1024;
		v = realloc(wips, awips * sizeof(*v));
		if (v == NULL)
			abort();
		wips = v;
	}
	wips[nwips++] = *a;
}

/* wip_net - first, last, first - 1 and last + 1 of b/plen (128-bit) */
static void
wip_net(const uint8_t b[16], int plen)
{
	vaddr lo, hi, x;
	int i, k;

	if (plen < 0 || plen > 128)
		return;
	for (i = 0; i < 16; i++) {
		int keep = plen - i * 8;
		uint8_t m = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (uint8_t)(0xff << (8 - keep));

		lo.b[i] = b[i] & m;
		hi.b[i] = (uint8_t)(b[i] | (uint8_t)~m);
	}
	wip_add(&lo);
	wip_add(&hi);
	x = lo;		/* lo - 1, unless lo is :: */
	for (k = 15; k >= 0 && x.b[k] == 0; k--)
		x.b[k] = 0xff;
	if (k >= 0) {
		x.b[k]--;
		wip_add(&x);
	}
	x = hi;		/* hi + 1, unless hi is all ones */
	for (k = 15; k >= 0 && x.b[k] == 0xff; k--)
		x.b[k] = 0;
	if (k >= 0) {
		x.b[k]++;
		wip_add(&x);
	}
}

/* wip_cidr - a text network: IPv4 as ::ffff:a.b.c.d/96+n; 0 not one */
static int
wip_cidr(const char *s)
{
	char buf[64];
	const char *sl = strchr(s, '/');
	uint8_t b[16];
	size_t n;
	long plen;
	char *end;

	if (sl == NULL || (n = (size_t)(sl - s)) >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = 0;
	plen = strtol(sl + 1, &end, 10);
	if (end == sl + 1 || (*end && *end != '"' && *end != ' ' &&
			      *end != '\n'))
		return 0;
	memset(b, 0, sizeof(b));
	if (inet_pton(AF_INET, buf, b + 12) == 1) {
		b[10] = b[11] = 0xff;
		plen += 96;
	} else if (inet_pton(AF_INET6, buf, b) != 1) {
		return 0;
	}
	wip_net(b, (int)plen);
	return 1;
}

/* wip_spec - the networks of a fixture spec (first word of each line) */
static void
wip_spec(const char *spec)
{
	const char *p = spec;

	while (*p) {
		wip_cidr(p);
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
}

/* wip_json - the networks of a MaxMind source-data file: every string
 * key with a '/' that parses as a network; returns how many */
static int
wip_json(const char *rel)
{
	const char *path = tu_shared(rel);
	char *buf, *p, *q;
	FILE *f;
	long len;
	int n = 0;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return 0;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len + 1)) ==
	    NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		abort();
	fclose(f);
	buf[len] = 0;
	for (p = buf; (p = strchr(p, '"')) != NULL; p = q + 1) {
		q = strchr(p + 1, '"');
		if (q == NULL)
			break;
		*q = 0;
		if (q[1] == ':' && strchr(p + 1, '/'))
			n += wip_cidr(p + 1);
		*q = '"';
	}
	free(buf);
	return n;
}

static const char early_spec[] =
	"::/8 country=XX\n"			/* ends the IPv4 start early */
	"2001:db8::/32 country=JP\n";

static const char v4_spec[] =
	"81.2.69.0/24 country=GB registered=US\n"
	"2.125.160.216/29 country=GB registered=FR\n"
	"10.0.0.0/8 registered=FR\n"
	"127.0.0.0/8 country=cn\n"
	"255.255.255.255/32 country=ZZ\n"
	"0.0.0.0/32 country=ZZ\n";

static void
wip_build(void)
{
	static const char *const one[] = {
		"0.0.0.0", "255.255.255.255", "::", "::1",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:0:0",
		"::1.2.3.4", "2002::", "2002:ffff:ffff::",
	};
	uint64_t x = 0x243f6a8885a308d3ULL;
	size_t i, j;
	vaddr a;
	int n;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		a = ip(one[i]);
		wip_add(&a);
	}
	for (i = 0; i < sizeof(lk_cases) / sizeof(lk_cases[0]); i++) {
		a = ip(lk_cases[i].ip);
		wip_add(&a);
	}
	for (i = 0; i < sizeof(oracle_country) / sizeof(oracle_country[0]);
	     i++) {
		a = ip(oracle_country[i].ip);
		wip_add(&a);
	}
	for (i = 0; i < sizeof(oracle_asn) / sizeof(oracle_asn[0]); i++) {
		a = ip(oracle_asn[i].ip);
		wip_add(&a);
	}
	for (i = 0; i < sizeof(probe_ips) / sizeof(probe_ips[0]); i++) {
		a = ip(probe_ips[i]);
		wip_add(&a);
	}
	wip_spec(country_spec);
	wip_spec(asn_spec);
	wip_spec(early_spec);
	wip_spec(v4_spec);
	/* networks of MaxMind's ipv4 and mixed test databases */
	wip_spec("1.1.1.1/32\n1.1.1.2/31\n1.1.1.4/30\n1.1.1.8/29\n"
		 "1.1.1.16/28\n1.1.1.32/32\n::1:ffff:ffff/128\n"
		 "::2:0:0/122\n::2:0:40/124\n::2:0:50/125\n::2:0:58/127\n");
	n = wip_json("mmdb/source-data/GeoIP2-Country-Test.json");
	n += wip_json("mmdb/source-data/GeoLite2-ASN-Test.json");
	/* the bench's geo-test.ips come from the same files: ~1000 nets */
	if (tu_shared("mmdb/source-data/GeoIP2-Country-Test.json") &&
	    n < 500) {
		fprintf(stderr, "geo_t: only %d networks in source-data\n", n);
		abort();
	}
	/* pseudo-random: IPv4, IPv6 in the populated 2000::/3 and anywhere */
	for (i = 0; i < 6000; i++) {
		memset(&a, 0, sizeof(a));
		for (j = 0; j < 16; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			a.b[j] = (uint8_t)(x >> 24);
		}
		if (i % 3 == 0) {
			memset(a.b, 0, 10);
			a.b[10] = a.b[11] = 0xff;
		} else if (i % 3 == 1) {
			a.b[0] = (uint8_t)(0x20 | (a.b[0] & 0x1f));
		}
		wip_add(&a);
	}
}


static char *fx_c28, *fx_c32, *fx_a28, *fx_a32, *fx_v4, *fx_early,
    *fx_noalias;

/* fx_path - the file of a fixture ("@name", built in main()) or of a
 * shared file ("mmdb/..."), or NULL (not available) */
static const char *
fx_path(const char *key, char *buf, size_t len)
{
	static const struct {
		const char *name;
		char **path;
	} fx[] = {
		{ "@c", &cdb }, { "@a", &adb }, { "@c28", &fx_c28 },
		{ "@c32", &fx_c32 }, { "@a28", &fx_a28 }, { "@a32", &fx_a32 },
		{ "@v4", &fx_v4 }, { "@early", &fx_early },
		{ "@noalias", &fx_noalias },
	};
	const char *p;
	size_t i;

	if (key[0] != '@') {
		if ((p = tu_shared(key)) == NULL)
			return NULL;
		snprintf(buf, len, "%s", p);
		return buf;
	}
	for (i = 0; i < sizeof(fx) / sizeof(fx[0]); i++)
		if (strcmp(fx[i].name, key) == 0)
			return *fx[i].path;
	return NULL;
}

/* a pair of files gives what each gives alone, on every record size and
 * without the IPv4 aliases; table: the lookup table holds (the 6to4
 * row needs the aliases) */
typedef struct pair_case {
	const char *c, *a;
	int table;
} pair_case;

static const pair_case pair_cases[] = {
	{ "@c28", "@a32", 1 }, { "@c32", "@a28", 1 }, { "@c", "@a", 1 },
	{ "@noalias", "@a28", 0 },
};

START_TEST(test_lookup_pairs)
{
	const pair_case *c = &pair_cases[_i];
	const char *pc = fx_path(c->c, NULL, 0), *pa = fx_path(c->a, NULL, 0);
	vd_config cfg;
	geo_db *g2, *gc, *ga;
	geo_info i2, ic, ia;
	size_t i;
	long hits = 0;

	cfg_init(&cfg, pc, pa, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g2), VERDICT_OK);
	cfg_init(&cfg, pc, NULL, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &gc), VERDICT_OK);
	cfg_init(&cfg, NULL, pa, 60);
	ck_assert_int_eq(vd_geo_open(&cfg, NULL, &ga), VERDICT_OK);
	for (i = 0; i < nwips; i++) {
		vd_geo_lookup(g2, &wips[i], &i2);
		vd_geo_lookup(gc, &wips[i], &ic);
		vd_geo_lookup(ga, &wips[i], &ia);
		ck_assert_int_eq(i2.have_country, ic.have_country);
		ck_assert_str_eq(i2.country, ic.country);
		ck_assert_int_eq(i2.have_asn, ia.have_asn);
		ck_assert_uint_eq(i2.asn, ia.asn);
		ck_assert_str_eq(i2.as_org, ia.as_org);
		hits += i2.have_country + i2.have_asn;
	}
	/* agreeing on "no data" everywhere would prove nothing */
	ck_assert_msg(hits > 100, "%s + %s: %ld answers", c->c, c->a, hits);
	for (i = 0; c->table && i < sizeof(lk_cases) / sizeof(lk_cases[0]);
	     i++)
		check_case(g2, &lk_cases[i]);
	vd_geo_close(g2);
	vd_geo_close(gc);
	vd_geo_close(ga);
}
END_TEST

/* put_rec - write record bit of node v of a search tree */
static void
put_rec(uint8_t *t, int rs, uint32_t v, int bit, uint32_t val)
{
	uint8_t *p;

	switch (rs) {
	case 24:
		p = t + (size_t)v * 6 + bit * 3;
		p[0] = (uint8_t)(val >> 16);
		p[1] = (uint8_t)(val >> 8);
		p[2] = (uint8_t)val;
		break;
	case 28:
		p = t + (size_t)v * 7 + (bit ? 4 : 0);
		p[0] = (uint8_t)(val >> 16);
		p[1] = (uint8_t)(val >> 8);
		p[2] = (uint8_t)val;
		t[(size_t)v * 7 + 3] = bit ?
		    (uint8_t)((t[(size_t)v * 7 + 3] & 0xf0) | (val >> 24 & 0x0f)) :
		    (uint8_t)((t[(size_t)v * 7 + 3] & 0x0f) | (val >> 20 & 0xf0));
		break;
	default:
		p = t + (size_t)v * 8 + bit * 4;
		p[0] = (uint8_t)(val >> 24);
		p[1] = (uint8_t)(val >> 16);
		p[2] = (uint8_t)(val >> 8);
		p[3] = (uint8_t)val;
	}
}

/* damaged trees: the fixture of each record size with records rewritten
 * at random to node indices (loops), the empty value, values just past
 * it (inside the separator), data pointers and values off the end.
 * libmaxminddb opens such a file (it reads only the metadata); a lookup
 * must not crash and gives well-formed data or none. */
typedef struct dmg_case {
	const char *db;
	unsigned seed;
	int every;	/* rewrite one record in every */
} dmg_case;

static const dmg_case dmg_cases[] = {
	{ "@c", 1, 2 }, { "@c", 2, 7 }, { "@c28", 3, 2 }, { "@c28", 4, 5 },
	{ "@a32", 5, 2 }, { "@a32", 6, 3 }, { "@v4", 7, 2 },
	{ "@early", 8, 3 },
};

START_TEST(test_damaged)
{
	const dmg_case *c = &dmg_cases[_i];
	const char *src = fx_path(c->db, NULL, 0), *d = tu_tmpdir();
	char path[600];
	MMDB_s m;
	uint8_t *buf;
	uint32_t nodes, dsize, v, r = c->seed * 2654435761u + 1;
	int rs, bit, changed = 0;
	size_t len;
	FILE *f;

	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(MMDB_open(src, MMDB_MODE_MMAP, &m), MMDB_SUCCESS);
	nodes = m.metadata.node_count;
	rs = m.metadata.record_size;
	dsize = m.data_section_size;
	len = (size_t)m.file_size;
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, m.file_content, len);
	MMDB_close(&m);
	for (v = 0; v < nodes; v++)
		for (bit = 0; bit < 2; bit++) {
			r = r * 1103515245u + 12345u;
			if ((r >> 16) % (unsigned)c->every)
				continue;
			r = r * 1103515245u + 12345u;
			put_rec(buf, rs, v, bit, (r >> 8) % (nodes + dsize + 64));
			changed++;
		}
	ck_assert_int_gt(changed, 0);
	snprintf(path, sizeof(path), "%s/dmg.mmdb", d);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	free(buf);
	ck_assert_int_eq(MMDB_open(path, MMDB_MODE_MMAP, &m), MMDB_SUCCESS);
	MMDB_close(&m);
	{	/* and vd_geo_lookup on it: whatever it says is well-formed */
		vd_config cfg;
		geo_db *g;
		geo_info in;
		size_t i;

		cfg_init(&cfg, path, path, 60);
		ck_assert_int_eq(vd_geo_open(&cfg, NULL, &g), VERDICT_OK);
		for (i = 0; i < nwips; i++) {
			vd_geo_lookup(g, &wips[i], &in);
			if (in.have_country)
				ck_assert_uint_eq(strlen(in.country), 2);
		}
		vd_geo_close(g);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("geo");
	TCase *tc;
	int shared = tu_shared("mmdb/GeoIP2-Country-Test.mmdb") != NULL;

	have_writer = system("perl -MMaxMind::DB::Writer::Tree -e 1 "
			     ">/dev/null 2>&1") == 0;
	if (!have_writer && !shared) {
		fprintf(stderr, "geo_t: no MaxMind::DB::Writer "
			"(libmaxmind-db-writer-perl) and no shared data\n");
		return TU_SKIP;
	}
	wip_build();
	tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_decide, 0,
			    sizeof(rule_cases) / sizeof(rule_cases[0]));
	tcase_add_test(tc, test_none_configured);
	suite_add_tcase(s, tc);
	if (have_writer) {
		const char *t = getenv("TMPDIR");

		snprintf(fixdir, sizeof(fixdir), "%s/geo_t.XXXXXX",
			 t ? t : "/tmp");
		if (mkdtemp(fixdir) == NULL) {
			perror(fixdir);
			return 1;
		}
		mainpid = getpid();
		atexit(fix_cleanup);
		cdb = mkdb_try(fixdir, "c.mmdb", "-t country", country_spec);
		adb = mkdb_try(fixdir, "a.mmdb", "-t asn", asn_spec);
		fx_c28 = mkdb_try(fixdir, "c28.mmdb", "-t country -r 28",
				  country_spec);
		fx_c32 = mkdb_try(fixdir, "c32.mmdb", "-t country -r 32",
				  country_spec);
		fx_a28 = mkdb_try(fixdir, "a28.mmdb", "-t asn -r 28", asn_spec);
		fx_a32 = mkdb_try(fixdir, "a32.mmdb", "-t asn -r 32", asn_spec);
		fx_v4 = mkdb_try(fixdir, "v4.mmdb", "-4", v4_spec);
		fx_early = mkdb_try(fixdir, "early.mmdb", "-n", early_spec);
		fx_noalias = mkdb_try(fixdir, "noalias.mmdb", "-n",
				      country_spec);
		if (cdb == NULL || adb == NULL || fx_c28 == NULL ||
		    fx_c32 == NULL || fx_a28 == NULL || fx_a32 == NULL ||
		    fx_v4 == NULL || fx_early == NULL || fx_noalias == NULL)
			return 1;
		tc = tcase_create("fixtures");
		tcase_set_timeout(tc, 120);
		tcase_add_loop_test(tc, test_lookup_table, 0,
				    sizeof(lk_cases) / sizeof(lk_cases[0]));
		tcase_add_test(tc, test_v4_without_alias);
		tcase_add_test(tc, test_ipv4_tree);
		tcase_add_test(tc, test_wrong_types);
		tcase_add_test(tc, test_lookup_decide);
		tcase_add_loop_test(tc, test_bad_file, 0,
				    sizeof(bad_cases) / sizeof(bad_cases[0]));
		tcase_add_test(tc, test_replace);
		tcase_add_test(tc, test_replace_threads);
		tcase_add_loop_test(tc, test_lookup_pairs, 0,
				    sizeof(pair_cases) / sizeof(pair_cases[0]));
		tcase_add_loop_test(tc, test_damaged, 0,
				    sizeof(dmg_cases) / sizeof(dmg_cases[0]));
		suite_add_tcase(s, tc);
	} else {
		fprintf(stderr, "geo_t: no MaxMind::DB::Writer: fixture "
			"tests skipped\n");
	}
	if (shared) {
		find_broken();
		tc = tcase_create("maxmind");
		tcase_add_loop_test(tc, test_oracle_country, 0,
				    sizeof(oracle_country) /
				    sizeof(oracle_country[0]));
		tcase_add_loop_test(tc, test_oracle_asn, 0,
				    sizeof(oracle_asn) / sizeof(oracle_asn[0]));
		tcase_add_loop_test(tc, test_broken, 0, (int)nbroken);
		suite_add_tcase(s, tc);
	} else {
		fprintf(stderr, "geo_t: no shared MaxMind test data: "
			"oracle tests skipped\n");
	}
	return tu_run(s);
}
