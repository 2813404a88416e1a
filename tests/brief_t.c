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

/* tables - in a child, so that no environment of this process is left
 * open: create the database at db (with block table drop holding
 * 192.0.2.0/24) when make is set, and learned tables l(from)..l(to-1) */
static void
tables(const char *db, int make, int from, int to)
{
	char name[16];
	verdict_ctx *ctx;
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		if (make)
			mkdir(db, 0755);
		ctx = tu_open_ctx(db, NULL, VERDICT_OPEN_WRITE |
				  (make ? VERDICT_OPEN_CREATE : 0));
		if (make && (verdict_table_create(ctx, "drop",
						  VERDICT_TABLE_BLOCK) ||
			     verdict_add(ctx, "drop", "192.0.2.0/24", "SBL1",
					 0, NULL, 0)))
			_exit(1);
		for (int i = from; i < to; i++) {
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
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tables child");
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

/* two learned tables (a few dbs: the small room) and forty (eighty dbs
 * and the index's: more than the small room); either way the brief open
 * opens every table the profiles name and answers as any other */
static const int nlearned[] = { 2, 40 };

START_TEST(open_brief)
{
	const char *dir = tu_tmpdir();
	int n = nlearned[_i];
	verdict_ctx *ctx;

	tables(dbpath(dir), 1, 0, n);
	ctx = tu_open_ctx(dbpath(dir), conf(n), VERDICT_OPEN_BRIEF);
	tu_expect(ctx, "192.0.2.7", "block", "drop", "192.0.2.0/24", "SBL1");
	tu_expect(ctx, "198.51.100.7", "neutral", "-", "-", "-");
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
	char text[8400], *file;
	verdict_ctx *first, *late;
	pid_t pid;
	int st, rc;

	tables(dbpath(dir), 1, 0, 1);
	first = tu_open_ctx(dbpath(dir), conf(1), VERDICT_OPEN_BRIEF);
	tables(dbpath(dir), 0, 1, 40);

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

	tcase_add_loop_test(tc, open_brief, 0, 2);
	tcase_add_test(tc, created_later);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
