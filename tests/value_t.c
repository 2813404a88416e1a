/*
 * value_t.c - values of verdict.conf keys parsed on their own
 *
 * Table-driven: input text, accepted or not, the value.  Values as they
 * reach a configuration (ranges, error texts) are tested through
 * vd_config_load in config_t.c.
 */
#include <stdint.h>

#include "testutil.h"
#include "value.h"

/* label-free rows: text, accepted, milliseconds */
static const struct {
	const char *in;
	int ok;
	int64_t ms;
} durations[] = {
	{"1500ms", 1, 1500}, {"2s", 1, 2000}, {"5m", 1, 300000},
	{"1h", 1, 3600000}, {"7d", 1, 604800000}, {"30", 1, 30000},
	{"0", 1, 0}, {"9223372036854775807ms", 1, INT64_MAX},
	{"9223372036854775808ms", 0, 0}, {"9223372036854776s", 0, 0},
	{"", 0, 0}, {"s", 0, 0}, {"-1s", 0, 0}, {"1.5s", 0, 0},
	{"1 s", 0, 0}, {"01s", 0, 0}, {"1S", 0, 0}, {"1sec", 0, 0},
};

START_TEST(test_durations)
{
	int64_t ms = -7;
	int rc = vd_value_parse_duration(durations[_i].in, &ms);

	ck_assert_msg(rc == (durations[_i].ok ? 0 : -1), "\"%s\": rc %d",
		      durations[_i].in, rc);
	if (durations[_i].ok)
		ck_assert_msg(ms == durations[_i].ms, "\"%s\": %lld",
			      durations[_i].in, (long long)ms);
}
END_TEST

static Suite *
value_suite(void)
{
	Suite *s = suite_create("value");
	TCase *tc = tcase_create("value");

	tcase_add_loop_test(tc, test_durations, 0,
			    sizeof(durations) / sizeof(durations[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(value_suite());
}
