/*
 * brief_t.c - VERDICT_OPEN_BRIEF, the open of a process that lives for
 * one connection (Exim's children): the LMDB environment gets room for
 * the tables in the file when they are few and the full room when they
 * are many, so every configured table opens; a learned table created
 * after a brief open, past the room, is refused with an error naming the
 * cause, and the contexts already open keep answering.  Check runs each
 * test in a process of its own, so each starts with no environment open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "verdict.h"

/* mkdb - dir/db: block table drop holding 192.0.2.0/24 and nlearned
 * learned tables l0, l1, ...; made in a child, so that no environment of
 * this process is left open */
static void
mkdb(const char *dir, int nlearned)
{
	char path[4096], name[16];
	verdict_ctx *ctx;
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "%s/db", dir);
	if ((pid = fork()) == 0) {
		mkdir(path, 0755);
		ctx = tu_open_ctx(path, NULL, VERDICT_OPEN_WRITE |
				  VERDICT_OPEN_CREATE);
		if (verdict_table_create(ctx, "drop", VERDICT_TABLE_BLOCK) ||
		    verdict_add(ctx, "drop", "192.0.2.0/24", "SBL1", 0, NULL,
				0))
			_exit(1);
		for (int i = 0; i < nlearned; i++) {
			snprintf(name, sizeof(name), "l%d", i);
			if (verdict_table_create(ctx, name,
						 VERDICT_TABLE_LEARNED))
				_exit(1);
		}
		verdict_free(ctx);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mkdb child");
}

/* conf - block table drop and learned tables l0..l(n-1), eight to a
 * profile (the most one profile takes) */
static char *
conf(int n)
{
	static char text[4096];
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		if (i % 8 == 0)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s[profile %d]\nblock_tables = "
						"drop\nlearned_tables = l%d",
						i ? "\n" : "", i / 8 + 1, i);
		else
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						", l%d", i);
	}
	snprintf(text + len, sizeof(text) - len, "\n");
	return text;
}

static const char *
dbpath(const char *dir)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/db", dir);
	return path;
}

/* a few tables: the brief open answers as any other */
START_TEST(few_tables)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *ctx;

	mkdb(dir, 2);
	ctx = tu_open_ctx(dbpath(dir), conf(2), VERDICT_OPEN_BRIEF);
	tu_expect(ctx, "192.0.2.7", "block", "drop", "192.0.2.0/24", "SBL1");
	tu_expect(ctx, "198.51.100.7", "neutral", "-", "-", "-");
	verdict_free(ctx);
}
END_TEST

/* forty learned tables (eighty dbs and the index's) are more than the
 * small room; profiles naming every one of them open all the same */
START_TEST(many_tables)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *ctx;

	mkdb(dir, 40);
	ctx = tu_open_ctx(dbpath(dir), conf(40), VERDICT_OPEN_BRIEF);
	tu_expect(ctx, "192.0.2.7", "block", "drop", "192.0.2.0/24", "SBL1");
	verdict_free(ctx);
}
END_TEST

/* tables created by another process after a brief open: a context that
 * names more of them than the room holds is refused, naming the cause;
 * the one already open still answers; a process that is not brief opens
 * them */
START_TEST(created_later)
{
	const char *dir = tu_tmpdir();
	char text[8400], name[16], *file;
	verdict_ctx *first, *late;
	pid_t pid;
	int st, rc;

	mkdb(dir, 1);
	first = tu_open_ctx(dbpath(dir), conf(1), VERDICT_OPEN_BRIEF);
	if ((pid = fork()) == 0) {
		verdict_ctx *w = tu_open_ctx(dbpath(dir), NULL,
					     VERDICT_OPEN_WRITE);

		for (int i = 1; i < 40; i++) {
			snprintf(name, sizeof(name), "l%d", i);
			if (verdict_table_create(w, name,
						 VERDICT_TABLE_LEARNED))
				_exit(1);
		}
		verdict_free(w);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer child");

	snprintf(text, sizeof(text), "database = %s\n%s", dbpath(dir),
		 conf(40));
	file = tu_write(dir, "late.conf", text);
	late = verdict_new();
	ck_assert_int_eq(verdict_load_config(late, file), VERDICT_OK);
	rc = verdict_open(late, VERDICT_OPEN_BRIEF);
	ck_assert_int_eq(rc, VERDICT_EDB);
	ck_assert_msg(strstr(verdict_errdetail(), "MDB_DBS_FULL") != NULL,
		      "detail: %s", verdict_errdetail());
	verdict_free(late);
	tu_expect(first, "192.0.2.7", "block", "drop", "192.0.2.0/24",
		  "SBL1");
	verdict_free(first);

	if ((pid = fork()) == 0) {
		late = verdict_new();
		_exit(verdict_load_config(late, file) != VERDICT_OK ||
		      verdict_open(late, 0) != VERDICT_OK);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "a process that is not brief opens all forty");
	free(file);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("brief");
	TCase *tc = tcase_create("brief");

	tcase_add_test(tc, few_tables);
	tcase_add_test(tc, many_tables);
	tcase_add_test(tc, created_later);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
