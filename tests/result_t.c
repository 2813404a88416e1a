/*
 * result_t.c - a verdict_result reused from check to check
 *
 * A caller keeps one result and checks into it again and again (the
 * milter does, one per thread).  Each case first checks an address that
 * txt.test lists, so the result holds one zone, a TXT reason and a time,
 * then checks into the same result something that never reaches the
 * DNSBL step: what the second check reports must be its own, never the
 * zones, TXT or time of the first.
 *
 * The DNS server is tests/dnsresponder.py on loopback; the geo case uses
 * the MaxMind test database of the shared data directory and is skipped
 * without it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "verdict.h"

#define LISTED_IP "81.2.69.160"		/* GB in GeoIP2-Country-Test */
#define TXT "listed by txt.test"

static const struct reuse_case {
	const char *label;
	int profile;
	const char *ip;
	int geo;			/* needs the GeoIP test database */
	int kind, err;
	const char *source;		/* "-": none */
} reuse_cases[] = {
	{ "allow table", 1, "192.0.2.10", 0, VERDICT_ALLOW, 0, "ok" },
	{ "trusted network", 1, "198.51.100.7", 0, VERDICT_ALLOW, 0,
	  "trusted_networks" },
	{ "profile without zones", 3, LISTED_IP, 0, VERDICT_NEUTRAL, 0, "-" },
	{ "geo weights, no zones", 2, LISTED_IP, 1, VERDICT_BLOCK, 0,
	  "geoip" },
	{ "malformed address", 1, "300.1.2.3", 0, VERDICT_ERROR,
	  VERDICT_EINVAL, "-" },
	{ "undeclared profile", 9, LISTED_IP, 0, VERDICT_ERROR,
	  VERDICT_ENOENT, "-" },
};

/* first_check - LISTED_IP through txt.test into r: one zone, the TXT */
static void
first_check(verdict_ctx *c, verdict_result *r)
{
	ck_assert_int_eq(verdict_check_ex(c, 1, LISTED_IP, 0,
					  VERDICT_CHECK_EXPLAIN, r), 0);
	ck_assert_int_eq(verdict_result_kind(r), VERDICT_BLOCK);
	ck_assert_uint_eq(verdict_result_zone_count(r), 1);
	ck_assert_str_eq(verdict_result_reason(r), TXT);
	ck_assert_int_gt(verdict_result_elapsed_us(r), 0);
}

START_TEST(reuse)
{
	const struct reuse_case *k = &reuse_cases[_i];
	const char *dir = tu_tmpdir();
	const char *mmdb = tu_shared("mmdb/GeoIP2-Country-Test.mmdb");
	const char *tables[][2] = { { "ok", "allow" } };
	char extra[2048];
	tu_responder resp;
	verdict_result *r;
	verdict_ctx *c;
	const char *zone, *reason;

	if (k->geo && mmdb == NULL) {
		fprintf(stderr, "%s: no GeoIP test database, skipped\n",
			k->label);
		return;
	}
	if (!tu_responder_start(dir, &resp)) {
		tu_responder_stop(&resp, SIGKILL);
		ck_abort_msg("dnsresponder.py did not start");
	}
	tu_tables_create(dir, tables, 1);
	snprintf(extra, sizeof(extra),
		 "dns_servers = 127.0.0.1:%d\n%s%s%s"
		 "dnsbl_timeout = 5s\n"
		 "[profile 1]\n"
		 "trusted_networks = 198.51.100.0/24\n"
		 "allow_tables = ok\n"
		 "dnsbl_sites = txt.test*3\ndnsbl_threshold = 3\n"
		 "dnsbl_txt = yes\n"
		 "[profile 2]\n"
		 "country_weights = GB*3\ndnsbl_threshold = 3\n"
		 "[profile 3]\n",
		 resp.port, mmdb ? "geoip_country_db = " : "",
		 mmdb ? mmdb : "", mmdb ? "\n" : "");
	c = tu_open_ctx(dir, extra, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_add(c, "ok", "192.0.2.0/24", NULL, 0, NULL,
				     0), 0);
	r = verdict_result_new();
	ck_assert_ptr_nonnull(r);

	first_check(c, r);
	verdict_check_ex(c, k->profile, k->ip, 0, VERDICT_CHECK_EXPLAIN, r);
	ck_assert_msg(verdict_result_kind(r) == k->kind, "%s: kind %s",
		      k->label, verdict_kind_name(verdict_result_kind(r)));
	ck_assert_msg(verdict_result_error(r) == k->err, "%s: error %d",
		      k->label, verdict_result_error(r));
	ck_assert_msg(strcmp(verdict_result_source(r) ?
			     verdict_result_source(r) : "-", k->source) == 0,
		      "%s: source %s", k->label, verdict_result_source(r));
	ck_assert_msg(verdict_result_zone_count(r) == 0,
		      "%s: %zu zones of the check before", k->label,
		      verdict_result_zone_count(r));
	ck_assert_msg(verdict_result_zone(r, 0, &zone, NULL, NULL, NULL) ==
		      VERDICT_ENOENT, "%s: zone 0 still there", k->label);
	reason = verdict_result_reason(r);
	ck_assert_msg(reason == NULL || strcmp(reason, TXT) != 0,
		      "%s: reason \"%s\" of the check before", k->label,
		      reason);
	for (size_t i = 0; i < verdict_result_explain_count(r); i++)
		ck_assert_msg(strncmp(verdict_result_explain(r, i), "dnsbl ",
				      6) != 0, "%s: explains \"%s\"",
			      k->label, verdict_result_explain(r, i));
	if (k->err == VERDICT_ENOENT)	/* failed before it was timed */
		ck_assert_msg(verdict_result_elapsed_us(r) == 0,
			      "%s: elapsed %ld us of the check before",
			      k->label, verdict_result_elapsed_us(r));

	verdict_result_free(r);
	verdict_free(c);
	tu_responder_stop(&resp, SIGTERM);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("result");
	TCase *tc = tcase_create("reuse");

	tcase_add_loop_test(tc, reuse, 0,
			    sizeof(reuse_cases) / sizeof(reuse_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
