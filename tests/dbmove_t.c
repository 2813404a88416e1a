/*
 * dbmove_t.c - a database directory moved away and made anew is noticed
 * (verdict_database_changed) and reopened by verdict_live, on the coarse
 * clock the test drives: time moves by a second, nobody sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "testutil.h"
#include "verdict.h"

/* mkdb - dir/db made with block table drop holding cidr */
static void
mkdb(const char *dir, const char *cidr)
{
	char path[4096];
	verdict_ctx *ctx;
	const char *t[][2] = { { "drop", "block" } };

	snprintf(path, sizeof(path), "%s/db", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	tu_tables_create(path, t, 1);
	ctx = tu_open_ctx(path, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_add(ctx, "drop", cidr, NULL, 0, NULL, 0),
			 VERDICT_OK);
	verdict_free(ctx);
}

/* move_away - dir/db to dir/NAME, and a new dir/db holding cidr */
static void
move_away(const char *dir, const char *name, const char *cidr)
{
	char from[4096], to[4096];

	snprintf(from, sizeof(from), "%s/db", dir);
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	ck_assert_int_eq(rename(from, to), 0);
	mkdb(dir, cidr);
}

static int
kind_of(verdict_ctx *ctx, const char *ip)
{
	verdict_result *res = verdict_result_new();
	int k;

	ck_assert_int_eq(verdict_check(ctx, 1, ip, res), VERDICT_OK);
	k = verdict_result_kind(res);
	verdict_result_free(res);
	return k;
}

static int
live_kind(verdict_live *lv, const char *ip)
{
	verdict_ctx *vc;
	unsigned hold;
	int k;

	ck_assert_int_eq(verdict_live_get(lv, &vc, &hold), VERDICT_OK);
	k = kind_of(vc, ip);
	verdict_live_put(lv, hold);
	return k;
}

/* the context says so at most once a second, then for good */
START_TEST(ctx_changed)
{
	const char *dir = tu_tmpdir();
	char conf[4200], text[4200];
	verdict_ctx *ctx = verdict_new();

	vd_clock_set_coarse(tu_fake_now);
	mkdb(dir, "192.0.2.0/24");
	snprintf(text, sizeof(text), "database = %s/db\nblock_tables = drop\n",
		 dir);
	free(tu_write(dir, "c.conf", text));
	snprintf(conf, sizeof(conf), "%s/c.conf", dir);
	ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_OK);
	ck_assert_int_eq(verdict_open(ctx, VERDICT_OPEN_NODNS), VERDICT_OK);
	ck_assert_int_eq(verdict_database_changed(ctx), 0);
	move_away(dir, "old", "198.51.100.0/24");
	/* within the second: not looked at yet */
	ck_assert_int_eq(verdict_database_changed(ctx), 0);
	tu_tick(1);
	ck_assert_int_eq(verdict_database_changed(ctx), 1);
	ck_assert_int_eq(verdict_database_changed(ctx), 1);
	/* the old context still answers from what it opened */
	ck_assert_int_eq(kind_of(ctx, "192.0.2.1"), VERDICT_BLOCK);
	verdict_free(ctx);
	vd_clock_set_coarse(NULL);
}
END_TEST

/* verdict_live reopens a replaced database; a data.mdb replaced inside
 * the open directory keeps the running context, logged once */
START_TEST(live_reopens)
{
	const char *dir = tu_tmpdir();
	char text[4200], from[4200], to[4200];
	verdict_live *lv;

	vd_clock_set_coarse(tu_fake_now);
	tu_log_reset();
	mkdb(dir, "192.0.2.0/24");
	snprintf(text, sizeof(text), "database = %s/db\nblock_tables = drop\n",
		 dir);
	free(tu_write(dir, "c.conf", text));
	snprintf(from, sizeof(from), "%s/c.conf", dir);
	lv = verdict_live_new(from, VERDICT_OPEN_NODNS, tu_log_cb, NULL);
	ck_assert_ptr_nonnull(lv);
	ck_assert_int_eq(live_kind(lv, "192.0.2.1"), VERDICT_BLOCK);
	move_away(dir, "old", "198.51.100.0/24");
	ck_assert_int_eq(live_kind(lv, "192.0.2.1"), VERDICT_BLOCK);
	tu_tick(1);
	ck_assert_int_eq(live_kind(lv, "198.51.100.1"), VERDICT_BLOCK);
	ck_assert_int_eq(live_kind(lv, "192.0.2.1"), VERDICT_NEUTRAL);
	ck_assert_int_eq(tu_log_count("database replaced: reopened"), 1);

	/* data.mdb replaced in place: LMDB's lock file stays with the old
	 * one, so the running context is kept */
	snprintf(from, sizeof(from), "%s/old/data.mdb", dir);
	snprintf(to, sizeof(to), "%s/db/data.mdb", dir);
	ck_assert_int_eq(unlink(to), 0);
	ck_assert_int_eq(link(from, to), 0);
	for (int i = 0; i < 3; i++) {
		tu_tick(1);
		ck_assert_int_eq(live_kind(lv, "198.51.100.1"),
				 VERDICT_BLOCK);
	}
	ck_assert_msg(tu_log_count("database replaced but cannot be used") == 1,
		      "log: %s", tu_log_text());
	ck_assert_int_eq(tu_log_count("database replaced: reopened"), 1);
	verdict_live_free(lv);
	vd_clock_set_coarse(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dbmove");
	TCase *tc = tcase_create("dbmove");

	tcase_add_test(tc, ctx_changed);
	tcase_add_test(tc, live_reopens);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
