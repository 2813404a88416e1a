/*
 * stats_t.c - counters and their Prometheus text (issue 19)
 *
 * The striped counters sum exactly what many threads added; a context's
 * checks appear in verdict_stats and its exposition with the verdict,
 * source, profile and error they had; every family is declared with
 * HELP and TYPE before any sample; label values are escaped; counting
 * off leaves the declarations alone.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "expo.h"
#include "testutil.h"
#include "verdict.h"

#define NTHREADS 8
#define NADDS 200000

static vd_counters *shared_c;

static void *
adder(void *arg)
{
	size_t slot = (size_t)(uintptr_t)arg;

	for (int i = 0; i < NADDS; i++) {
		vd_stripe s = vd_counters_stripe(shared_c);

		vd_counters_add(s, 0, 1);
		vd_counters_add(s, 1 + slot % 3, 2);
	}
	return NULL;
}

START_TEST(counters_threads_sum)
{
	pthread_t t[NTHREADS];

	shared_c = vd_counters_new(4);
	ck_assert_ptr_nonnull(shared_c);
	for (size_t i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, adder,
						(void *)(uintptr_t)i), 0);
	for (size_t i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(vd_counters_sum(shared_c, 0),
			  (uint64_t)NTHREADS * NADDS);
	/* threads 0,3,6 -> slot 1; 1,4,7 -> 2; 2,5 -> 3 */
	ck_assert_uint_eq(vd_counters_sum(shared_c, 1), 3ull * NADDS * 2);
	ck_assert_uint_eq(vd_counters_sum(shared_c, 2), 3ull * NADDS * 2);
	ck_assert_uint_eq(vd_counters_sum(shared_c, 3), 2ull * NADDS * 2);
	vd_counters_free(shared_c);
}
END_TEST

#define MANY 100			/* more than VD_COUNTERS_STRIPES */

static pthread_barrier_t many_bar;

static void *
many_adder(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&many_bar);	/* all alive at once */
	for (int i = 0; i < 10000; i++)
		vd_counters_add(vd_counters_stripe(shared_c), 0, 1);
	return NULL;
}

/* more threads at once than owned stripes: the rest share one, and
 * threads that end give theirs to the next ones; nothing is lost */
START_TEST(counters_many_threads)
{
	pthread_t t[MANY];

	shared_c = vd_counters_new(1);
	ck_assert_ptr_nonnull(shared_c);
	for (int round = 0; round < 3; round++) {
		pthread_barrier_init(&many_bar, NULL, MANY);
		for (size_t i = 0; i < MANY; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL,
					 many_adder, NULL), 0);
		for (size_t i = 0; i < MANY; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&many_bar);
	}
	ck_assert_uint_eq(vd_counters_sum(shared_c, 0), 3ull * MANY * 10000);
	vd_counters_free(shared_c);
}
END_TEST

/* a thread moving between counters (a reloaded context) keeps counting
 * right in each, and freed counters are never touched */
START_TEST(counters_move)
{
	vd_counters *a = vd_counters_new(2), *b = vd_counters_new(2);

	for (int i = 0; i < 1000; i++) {
		vd_counters_add(vd_counters_stripe(a), 1, 1);
		vd_counters_add(vd_counters_stripe(b), 1, 2);
	}
	vd_counters_free(a);
	vd_counters_add(vd_counters_stripe(b), 0, 5);
	a = vd_counters_new(2);
	vd_counters_add(vd_counters_stripe(a), 0, 7);
	ck_assert_uint_eq(vd_counters_sum(b, 1), 2000);
	ck_assert_uint_eq(vd_counters_sum(b, 0), 5);
	ck_assert_uint_eq(vd_counters_sum(a, 0), 7);
	ck_assert_uint_eq(vd_counters_sum(a, 1), 0);
	vd_counters_free(a);
	vd_counters_free(b);
}
END_TEST

/* render - the context's exposition as a malloc'd string */
static char *
render(verdict_ctx *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(verdict_stats_prometheus(ctx, f), VERDICT_OK);
	fclose(f);
	return buf;
}

/* has_line - text holds exactly this line */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static size_t
count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

#define EXPECT_LINE(t, l) ck_assert_msg(has_line(t, l), "no line \"%s\" in:\n%s", l, t)

static const char conf[] =
	"block_tables = drop\n"
	"trusted_networks = 127.0.0.0/8\n"
	"[profile 2]\n"
	"block_tables = drop\n"
	"mode = monitor\n";

/* open_with_table - a database with table drop (192.0.2.0/24 imported) */
static verdict_ctx *
open_with_table(const char *dir, int stats)
{
	const char *tables[][2] = { { "drop", "block" } };
	verdict_ctx *w, *ctx;
	char *list;

	tu_tables_create(dir, tables, 1);
	w = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	list = tu_write(dir, "drop.txt", "192.0.2.0/24 ; SBL1\n");
	ck_assert_int_eq(verdict_import(w, "drop", list, VERDICT_FORCE, 0,
					NULL, NULL, NULL), VERDICT_OK);
	free(list);
	verdict_free(w);
	if (stats)
		return tu_open_ctx(dir, conf, 0);
	ctx = verdict_new();
	char *path = tu_write(dir, "nostats.conf", "");
	FILE *f = fopen(path, "w");
	fprintf(f, "database = %s\n%s", dir, conf);
	fclose(f);
	ck_assert_int_eq(verdict_load_config(ctx, path), VERDICT_OK);
	ck_assert_int_eq(verdict_set_stats(ctx, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_open(ctx, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_set_stats(ctx, 1), VERDICT_ESTATE);
	free(path);
	return ctx;
}

static void
check_n(verdict_ctx *ctx, int profile, const char *ip, int n)
{
	verdict_result *r = verdict_result_new();

	for (int i = 0; i < n; i++)
		verdict_check(ctx, profile, ip, r);
	verdict_result_free(r);
}

static void
expect_declared(const char *t)
{
	static const char *const fam[] = {
		"verdict_checks_total counter", "verdict_would_block_total "
		"counter", "verdict_errors_total counter",
		"verdict_check_duration_seconds histogram",
		"verdict_dnsbl_duration_seconds histogram",
		"verdict_dnsbl_queries_total counter",
		"verdict_dnsbl_answer_duration_seconds histogram",
		"verdict_dnsbl_cache_hits_total counter",
		"verdict_dnsbl_cache_misses_total counter",
		"verdict_zone_up gauge", "verdict_table_entries gauge",
		"verdict_table_last_import_timestamp_seconds gauge",
		"verdict_reloads_total counter" };
	char line[128];

	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		snprintf(line, sizeof(line), "# TYPE %s", fam[i]);
		EXPECT_LINE(t, line);
		snprintf(line, sizeof(line), "# HELP %.*s ",
			 (int)strcspn(fam[i], " "), fam[i]);
		ck_assert_msg(strstr(t, line), "no %s", line);
	}
	ck_assert_uint_eq(count(t, "# TYPE "), 13);
	ck_assert_uint_eq(count(t, "# HELP "), 13);
}

START_TEST(checks_counted)
{
	verdict_ctx *ctx = open_with_table(tu_tmpdir(), 1);
	char *t;

	check_n(ctx, 1, "192.0.2.7", 3);	/* block, table */
	check_n(ctx, 1, "127.0.0.9", 2);	/* allow, trusted */
	check_n(ctx, 1, "198.51.100.1", 4);	/* neutral, none */
	check_n(ctx, 2, "192.0.2.8", 5);	/* monitor: neutral */
	check_n(ctx, 1, "not-an-ip", 1);	/* einval */
	check_n(ctx, 7, "192.0.2.7", 1);	/* enoent */
	t = render(ctx);
	expect_declared(t);
	EXPECT_LINE(t, "verdict_checks_total{profile=\"1\",verdict=\"block\","
		    "source=\"table\"} 3");
	EXPECT_LINE(t, "verdict_checks_total{profile=\"1\",verdict=\"allow\","
		    "source=\"trusted\"} 2");
	EXPECT_LINE(t, "verdict_checks_total{profile=\"1\",verdict="
		    "\"neutral\",source=\"none\"} 4");
	EXPECT_LINE(t, "verdict_checks_total{profile=\"2\",verdict="
		    "\"neutral\",source=\"table\"} 5");
	EXPECT_LINE(t, "verdict_would_block_total{profile=\"2\",source="
		    "\"table\"} 5");
	EXPECT_LINE(t, "verdict_errors_total{error=\"einval\"} 1");
	EXPECT_LINE(t, "verdict_errors_total{error=\"enoent\"} 1");
	EXPECT_LINE(t, "verdict_check_duration_seconds_count{profile=\"1\","
		    "source=\"table\"} 3");
	EXPECT_LINE(t, "verdict_check_duration_seconds_count{profile=\"1\","
		    "source=\"trusted\"} 2");
	EXPECT_LINE(t, "verdict_check_duration_seconds_count{profile=\"1\","
		    "source=\"none\"} 4");
	EXPECT_LINE(t, "verdict_check_duration_seconds_bucket{profile=\"1\","
		    "source=\"none\",le=\"+Inf\"} 4");
	EXPECT_LINE(t, "verdict_check_duration_seconds_count{profile=\"2\","
		    "source=\"table\"} 5");
	/* a source without checks has no histogram */
	ck_assert_ptr_null(strstr(t, "source=\"geoip\",le="));
	EXPECT_LINE(t, "verdict_dnsbl_duration_seconds_count{profile=\"1\"} 0");
	EXPECT_LINE(t, "verdict_table_entries{table=\"drop\"} 1");
	ck_assert_msg(strstr(t, "verdict_table_last_import_timestamp_seconds"
			     "{table=\"drop\"} 1"), "no import time:\n%s", t);
	EXPECT_LINE(t, "verdict_dnsbl_cache_hits_total 0");
	EXPECT_LINE(t, "verdict_reloads_total{result=\"ok\"} 0");
	/* no zone, no zone sample */
	ck_assert_ptr_null(strstr(t, "verdict_zone_up{"));
	free(t);
	verdict_free(ctx);
}
END_TEST

#define CT_THREADS 4
#define CT_CHECKS 5000

static void *
checker(void *arg)
{
	check_n(arg, 1, "192.0.2.77", CT_CHECKS);
	return NULL;
}

START_TEST(checks_threads)
{
	verdict_ctx *ctx = open_with_table(tu_tmpdir(), 1);
	pthread_t t[CT_THREADS];
	char *text, line[160];

	for (size_t i = 0; i < CT_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, checker, ctx), 0);
	for (size_t i = 0; i < CT_THREADS; i++)
		pthread_join(t[i], NULL);
	text = render(ctx);
	snprintf(line, sizeof(line), "verdict_checks_total{profile=\"1\","
		 "verdict=\"block\",source=\"table\"} %d",
		 CT_THREADS * CT_CHECKS);
	EXPECT_LINE(text, line);
	free(text);
	verdict_free(ctx);
}
END_TEST

START_TEST(stats_off)
{
	verdict_ctx *ctx = open_with_table(tu_tmpdir(), 0);
	char *t;

	check_n(ctx, 1, "192.0.2.7", 3);
	t = render(ctx);
	expect_declared(t);
	ck_assert_ptr_null(strstr(t, "verdict_checks_total{"));
	ck_assert_ptr_null(strstr(t, "verdict_check_duration_seconds_count"));
	/* the tables are the database's, counted or not */
	EXPECT_LINE(t, "verdict_table_entries{table=\"drop\"} 1");
	free(t);
	verdict_free(ctx);
}
END_TEST

START_TEST(expo_escapes)
{
	verdict_stat s = { "fam_total", "a \\ help\nline",
			   VERDICT_STAT_COUNTER, NULL, 0, { 0 }, { 0 }, 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(vd_expo_line(&s, f), 0);
	s.name = "fam_total";
	s.nlabels = 2;
	s.label_name[0] = "zone";
	s.label_value[0] = "a\"b\\c\nd";
	s.label_name[1] = "result";
	s.label_value[1] = "listed";
	s.value = 12;
	ck_assert_int_eq(vd_expo_line(&s, f), 0);
	s.nlabels = 0;
	s.value = 0.25;
	ck_assert_int_eq(vd_expo_line(&s, f), 0);
	fclose(f);
	ck_assert_str_eq(buf, "# HELP fam_total a \\\\ help\\nline\n"
			 "# TYPE fam_total counter\n"
			 "fam_total{zone=\"a\\\"b\\\\c\\nd\",result=\"listed\"}"
			 " 12\nfam_total 0.25\n");
	free(buf);
}
END_TEST

START_TEST(write_file)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *ctx = open_with_table(dir, 1);
	char path[512], tmp[520], *buf;
	FILE *f;
	long n;

	check_n(ctx, 1, "192.0.2.7", 2);
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	ck_assert_int_eq(verdict_stats_write(ctx, path), VERDICT_OK);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	fclose(f);
	EXPECT_LINE(buf, "verdict_checks_total{profile=\"1\",verdict=\"block\","
		    "source=\"table\"} 2");
	free(buf);
	snprintf(path, sizeof(path), "%s/no/such/dir/x.prom", dir);
	ck_assert_int_eq(verdict_stats_write(ctx, path), VERDICT_ENOENT);
	ck_assert_ptr_nonnull(strstr(verdict_errdetail(), "no/such/dir"));
	verdict_free(ctx);
}
END_TEST

/* the metrics keys: global, accepted by every front end, read back */
START_TEST(config_keys)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *ctx = verdict_new();
	char buf[256], *conf;

	ck_assert_int_eq(verdict_config_get(ctx, "metrics_interval", buf,
					    sizeof(buf)), VERDICT_OK);
	ck_assert_str_eq(buf, "15");
	ck_assert_int_eq(verdict_config_get(ctx, "metrics_dir", buf,
					    sizeof(buf)), VERDICT_ENOENT);
	ck_assert_int_eq(verdict_config_get(ctx, "metrics_listen", buf,
					    sizeof(buf)), VERDICT_ENOENT);
	conf = tu_write(dir, "m.conf", "metrics_listen = 127.0.0.1:9756\n"
			"metrics_dir = /var/lib/verdict/metrics\n"
			"metrics_interval = 1m\n");
	ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_OK);
	ck_assert_int_eq(verdict_config_get(ctx, "metrics_listen", buf,
					    sizeof(buf)), VERDICT_OK);
	ck_assert_str_eq(buf, "127.0.0.1:9756");
	ck_assert_int_eq(verdict_config_get(ctx, "metrics_dir", buf,
					    sizeof(buf)), VERDICT_OK);
	ck_assert_str_eq(buf, "/var/lib/verdict/metrics");
	ck_assert_int_eq(verdict_config_get(ctx, "metrics_interval", buf,
					    sizeof(buf)), VERDICT_OK);
	ck_assert_str_eq(buf, "60");
	free(conf);
	/* a profile may not set them; a bad interval names its range */
	conf = tu_write(dir, "bad.conf", "[profile 2]\nmetrics_dir = /x\n");
	ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_ECONFIG);
	free(conf);
	conf = tu_write(dir, "bad2.conf", "metrics_interval = 0s\n");
	ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_ECONFIG);
	ck_assert_ptr_nonnull(strstr(verdict_errdetail(), "bad2.conf:1"));
	free(conf);
	verdict_free(ctx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, counters_threads_sum);
	tcase_add_test(tc, counters_many_threads);
	tcase_add_test(tc, counters_move);
	tcase_add_test(tc, checks_counted);
	tcase_add_test(tc, checks_threads);
	tcase_add_test(tc, stats_off);
	tcase_add_test(tc, expo_escapes);
	tcase_add_test(tc, write_file);
	tcase_add_test(tc, config_keys);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
