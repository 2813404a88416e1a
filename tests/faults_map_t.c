/*
 * faults_map_t.c - LMDB map full: the map grows
 *
 * table.c sizes the map at max(1 GiB, twice data.mdb), so a map-full
 * fault would need a gigabyte of entries.  This program shrinks that
 * first size instead: it defines mdb_env_set_mapsize, which the static
 * library's calls bind to, and passes a 1 GiB request on as 64 KiB while
 * small_map is set (every other request, the doubling on MDB_MAP_FULL
 * and the 0 "adopt the size on disk" included, goes to LMDB unchanged).
 * LMDB itself runs for real: its MDB_MAP_FULL, its MDB_MAP_RESIZED.
 *
 * Cases:
 *   import_grows	an import of 100,000 /24s into a 64 KiB map succeeds,
 *			the library logs "map grown", every entry answers
 *   add_grows		2,000 single adds past the map succeed one by one
 *   reader_adopts	a reader whose map is 64 KiB, after another process
 *			grew the file far past it: its checks answer
 *			(MDB_MAP_RESIZED adopted), old and new entries
 */
#include <dlfcn.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "testutil.h"
#include "verdict.h"

#define SMALL_MAP ((size_t)64 << 10)
#define N_IMPORT 100000

static int small_map;
static int grown_logs;

int
mdb_env_set_mapsize(MDB_env *env, size_t size)
{
	static int (*real)(MDB_env *, size_t);

	if (real == NULL)
		real = (int (*)(MDB_env *, size_t))dlsym(RTLD_NEXT,
							"mdb_env_set_mapsize");
	if (small_map && size >= ((size_t)1 << 30) &&
	    size < ((size_t)2 << 30))
		size = SMALL_MAP;
	return real(env, size);
}

static void
logcb(int level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	if (strstr(line, "map grown"))
		__atomic_add_fetch(&grown_logs, 1, __ATOMIC_RELAXED);
}

static const char *
make_conf(const char *dir)
{
	char text[1024];

	static char path[1024];
	char *p;

	snprintf(text, sizeof(text), "database = %s/db\nblock_tables = drop\n",
		 dir);
	p = tu_write(dir, "verdict.conf", text);
	snprintf(path, sizeof(path), "%s", p);
	free(p);
	return path;
}

static verdict_ctx *
open_ctx(const char *conf, unsigned flags)
{
	verdict_ctx *c = verdict_new();

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(verdict_set_log(c, logcb, NULL), 0);
	ck_assert_int_eq(verdict_load_config(c, conf), 0);
	ck_assert_msg(verdict_open(c, flags) == 0, "open: %s",
		      verdict_errdetail());
	return c;
}

/* list file of n /24s from 10.0.0.0 on, reason "N" */
static const char *
make_list(const char *dir, int n)
{
	static char path[1024];
	size_t cap = (size_t)n * 32 + 1, len = 0;
	char *text = malloc(cap), *p;

	ck_assert_ptr_nonnull(text);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%d.%d.%d.0/24 ; N\n", 10 + (i >> 16),
					i >> 8 & 255, i & 255);
	p = tu_write(dir, "list.txt", text);
	snprintf(path, sizeof(path), "%s", p);
	free(p);
	free(text);
	return path;
}

static void
expect(verdict_ctx *c, const char *ip, int kind, const char *label)
{
	verdict_result *r = verdict_result_new();

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(verdict_check(c, 1, ip, r) == 0, "%s: check %s: %s",
		      label, ip, verdict_errdetail());
	ck_assert_msg(verdict_result_kind(r) == kind, "%s: %s is %s, not %s",
		      label, ip, verdict_kind_name(verdict_result_kind(r)),
		      verdict_kind_name(kind));
	verdict_result_free(r);
}

START_TEST(import_grows)
{
	const char *dir = tu_tmpdir(), *conf = make_conf(dir);
	const char *list = make_list(dir, N_IMPORT);
	verdict_ctx *c;
	size_t n = 0;

	small_map = 1;
	c = open_ctx(conf, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
		     VERDICT_OPEN_NOTABLECHECK | VERDICT_OPEN_NODNS);
	ck_assert_int_eq(verdict_table_create(c, "drop", VERDICT_TABLE_BLOCK),
			 0);
	ck_assert_msg(verdict_import(c, "drop", list, 0, 0, NULL, &n, NULL) ==
		      0, "import: %s", verdict_errdetail());
	ck_assert_uint_eq(n, N_IMPORT);
	ck_assert_msg(grown_logs > 0, "no \"map grown\" log line");
	verdict_free(c);

	/* a fresh reader (still a 64 KiB request) sees all of it */
	c = open_ctx(conf, VERDICT_OPEN_NODNS);
	expect(c, "10.0.0.1", VERDICT_BLOCK, "first");
	expect(c, "11.134.159.200", VERDICT_BLOCK, "last");	/* 99,999 */
	expect(c, "11.134.160.1", VERDICT_NEUTRAL, "after the last");
	verdict_free(c);
}
END_TEST

START_TEST(add_grows)
{
	const char *dir = tu_tmpdir(), *conf = make_conf(dir);
	verdict_ctx *c;
	char cidr[32];

	small_map = 1;
	c = open_ctx(conf, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
		     VERDICT_OPEN_NOTABLECHECK | VERDICT_OPEN_NODNS);
	ck_assert_int_eq(verdict_table_create(c, "drop", VERDICT_TABLE_BLOCK),
			 0);
	for (int i = 0; i < 2000; i++) {
		snprintf(cidr, sizeof(cidr), "10.%d.%d.0/24", i >> 8, i & 255);
		ck_assert_msg(verdict_add(c, "drop", cidr, "add", 0, "t", 0) ==
			      0, "add %s: %s", cidr, verdict_errdetail());
	}
	ck_assert_msg(grown_logs > 0, "no \"map grown\" log line");
	verdict_free(c);
	c = open_ctx(conf, VERDICT_OPEN_NODNS);
	expect(c, "10.0.0.9", VERDICT_BLOCK, "first add");
	expect(c, "10.7.207.9", VERDICT_BLOCK, "last add");
	verdict_free(c);
}
END_TEST

START_TEST(reader_adopts)
{
	const char *dir = tu_tmpdir(), *conf = make_conf(dir);
	const char *list = make_list(dir, N_IMPORT);
	verdict_ctx *c, *r;
	pid_t pid;
	int st;

	/* a small database, then a reader with a 64 KiB map */
	c = open_ctx(conf, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
		     VERDICT_OPEN_NOTABLECHECK | VERDICT_OPEN_NODNS);
	ck_assert_int_eq(verdict_table_create(c, "drop", VERDICT_TABLE_BLOCK),
			 0);
	ck_assert_int_eq(verdict_add(c, "drop", "192.0.2.0/24", "old", 0, "t",
				     0), 0);
	verdict_free(c);
	small_map = 1;
	r = open_ctx(conf, VERDICT_OPEN_NODNS);
	expect(r, "192.0.2.1", VERDICT_BLOCK, "before growth");

	/* another process grows the file to megabytes (merge keeps 192.0.2) */
	if ((pid = fork()) == 0) {
		verdict_ctx *w = verdict_new();
		size_t n;

		small_map = 0;
		if (w == NULL || verdict_load_config(w, conf) != 0 ||
		    verdict_open(w, VERDICT_OPEN_WRITE | VERDICT_OPEN_NODNS) ||
		    verdict_import(w, "drop", list, VERDICT_MERGE, 0,
				   NULL, &n, NULL) != 0)
			_exit(1);
		verdict_free(w);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer failed");
	for (int i = 0; i < 3; i++) {
		expect(r, "192.0.2.1", VERDICT_BLOCK, "old, after growth");
		expect(r, "11.134.159.200", VERDICT_BLOCK, "new, after growth");
	}
	verdict_free(r);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("faults_map");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, import_grows);
	tcase_add_test(tc, add_grows);
	tcase_add_test(tc, reader_adopts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
