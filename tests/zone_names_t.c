/*
 * zone_names_t.c - a DNSBL zone's secret domain (a DQS key in the name)
 * never reaches a log line that belongs to no single profile, whichever
 * profile checks first.
 *
 * Profile 1 names the zone k3ys3cret.public.test as it is; profile 2
 * names the same domain and maps it to public.example (dnsbl_reply_names).
 * public.test answers 127.255.255.254 (tests/dnsresponder.py on loopback),
 * which the engine logs with the zone's name, as a line of no profile.
 * The first check is profile 1's: the engine must already call the zone
 * public.example, since profile 2 maps it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "verdict.h"

START_TEST(first_check_plain)
{
	const char *dir = tu_tmpdir();
	char text[1024], *conf;
	tu_responder resp;
	verdict_result *r = verdict_result_new();
	verdict_ctx *c = verdict_new();

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(c);
	if (!tu_responder_start(dir, &resp)) {
		tu_responder_stop(&resp, SIGKILL);
		ck_abort_msg("dnsresponder.py did not start");
	}
	snprintf(text, sizeof(text),
		 "dns_servers = 127.0.0.1:%d\n"
		 "dnsbl_timeout = 5s\n"
		 "log_verdicts = none\n"
		 "[profile 1]\n"
		 "dnsbl_sites = k3ys3cret.public.test\n"
		 "[profile 2]\n"
		 "dnsbl_sites = k3ys3cret.public.test\n"
		 "dnsbl_reply_names = k3ys3cret.public.test=public.example\n",
		 resp.port);
	conf = tu_write(dir, "verdict.conf", text);
	ck_assert_int_eq(verdict_set_log(c, tu_log_cb, NULL), VERDICT_OK);
	ck_assert_int_eq(verdict_load_config(c, conf), VERDICT_OK);
	ck_assert_msg(verdict_open(c, 0) == VERDICT_OK, "open: %s",
		      verdict_errdetail());
	ck_assert_int_eq(verdict_check(c, 1, "198.51.100.9", r), VERDICT_OK);
	tu_responder_stop(&resp, SIGTERM);
	ck_assert_msg(strstr(tu_log_text(), "public.example") != NULL,
		      "no engine line naming the zone: %s", tu_log_text());
	ck_assert_msg(strstr(tu_log_text(), "k3ys3cret") == NULL, "log: %s", tu_log_text());
	verdict_result_free(r);
	verdict_free(c);
	free(conf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("zone_names");
	TCase *tc = tcase_create("zone_names");

	tcase_add_test(tc, first_check_plain);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
