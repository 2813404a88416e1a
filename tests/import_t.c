/*
 * import_t.c - importing a list file: warnings in line order, the
 * --max-bad count stopping at the line that goes over, every entry (the
 * last line without '\n' too), on a list large enough that the sort and
 * the commit work on thousands of entries of both families.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "testutil.h"
#include "verdict.h"

typedef struct warncap {
	char line[8][160];
	size_t n;
} warncap;

static void
cap_warn(int level, const char *line, void *arg)
{
	warncap *c = arg;

	if (level == LOG_WARNING && c->n < 8)
		snprintf(c->line[c->n++], sizeof(c->line[0]), "%s", line);
}

/* big_list - a list of nlines lines:
 * line i (from 1) is 10.h.m.l/32 for i, with a reason, or every 7th
 * 2001:db8:h:l::/64 (both families in one list); a bad
 * line at bad1 and bad2, host bits at hb; no '\n' after the last line */
static char *
big_list(const char *dir, size_t nlines, size_t bad1, size_t hb,
	   size_t bad2)
{
	size_t plen = strlen(dir) + sizeof("/big.txt");
	char *path = malloc(plen);
	FILE *f;

	ck_assert_ptr_nonnull(path);
	ck_assert_int_lt(snprintf(path, plen, "%s/big.txt", dir), plen);
	f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	for (size_t i = 1; i <= nlines; i++) {
		if (i == bad1 || i == bad2)
			fprintf(f, "bad-line-%zu", i);
		else if (i == hb)
			fprintf(f, "10.%zu.%zu.%zu/24 ; hostbits", i >> 16,
				(i >> 8) & 255, i & 255);
		else if (i % 7 == 5)
			fprintf(f, "2001:db8:%zx:%zx::/64 ; six %zu", i >> 16,
				i & 0xffff, i);
		else
			fprintf(f, "10.%zu.%zu.%zu/32 ; reason number %zu",
				i >> 16, (i >> 8) & 255, i & 255, i);
		if (i < nlines)
			fputc('\n', f);
	}
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* Warnings in line order, the --max-bad count stopping at the line that
 * goes over, every entry (the last line without '\n' too).  With 70,000
 * lines of both families, the sort and the commit have real work. */
START_TEST(import_lines)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "drop", "block" } };
	const size_t nl = 70000, bad1 = 10, hb = 45000, bad2 = 50000;
	warncap cap = { .n = 0 };
	verdict_ctx *ctx;
	size_t n = 0, w = 0;
	char *list, *conf, want[4200];

	tu_tables_create(dir, t, 1);
	list = big_list(dir, nl, bad1, hb, bad2);
	snprintf(want, sizeof(want), "database = %s\n", dir);
	conf = tu_write(dir, "big.conf", want);
	ctx = verdict_new();
	ck_assert_int_eq(verdict_set_log(ctx, cap_warn, &cap), VERDICT_OK);
	ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_OK);
	ck_assert_int_eq(verdict_open(ctx, VERDICT_OPEN_WRITE), VERDICT_OK);
	/* 2 bad lines, 1 allowed: the second aborts, after the host-bits
	 * warning before it */
	ck_assert_int_eq(verdict_import(ctx, "drop", list, 0, 1, NULL, &n, &w),
			 VERDICT_EBADLIST);
	ck_assert_uint_eq(cap.n, 3);
	ck_assert_msg(strstr(cap.line[0], "big.txt:10: ") != NULL, "%s",
		      cap.line[0]);
	ck_assert_msg(strstr(cap.line[1], "big.txt:45000: non-null host "
			     "bits; imported as 10.0.175.0/24") != NULL, "%s",
		      cap.line[1]);
	ck_assert_msg(strstr(cap.line[2], "big.txt:50000: ") != NULL, "%s",
		      cap.line[2]);
	/* allowed: every other line is in, warnings in order */
	cap.n = 0;
	ck_assert_int_eq(verdict_import(ctx, "drop", list, 0, 2, NULL, &n, &w),
			 VERDICT_OK);
	ck_assert_uint_eq(n, nl - 2);
	ck_assert_uint_eq(w, 3);
	ck_assert_uint_eq(cap.n, 3);
	ck_assert_msg(strstr(cap.line[2], "big.txt:50000: ") != NULL, "%s",
		      cap.line[2]);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "10.0.0.1", "block", "drop", "10.0.0.1/32",
	       "reason number 1");
	tu_expect(ctx, "10.0.0.10", "neutral", "-", "-", "-");
	tu_expect(ctx, "10.0.136.185", "block", "drop", "10.0.136.185/32",
	       "reason number 35001");
	tu_expect(ctx, "10.0.175.200", "block", "drop", "10.0.175.0/24",
	       "hostbits");
	tu_expect(ctx, "2001:db8:0:c::1", "block", "drop", "2001:db8:0:c::/64",
	       "six 12");
	tu_expect(ctx, "2001:db8:0:9c43:1::", "block", "drop",
	       "2001:db8:0:9c43::/64", "six 40003");
	tu_expect(ctx, "10.0.0.12", "neutral", "-", "-", "-");
	tu_expect(ctx, "10.1.17.112", "block", "drop", "10.1.17.112/32",
	       "reason number 70000");
	verdict_free(ctx);
	free(list);
	free(conf);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, import_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
