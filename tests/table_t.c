/*
 * table_t.c - LMDB tables: longest-prefix match, nesting, expiry, atomic
 * import, range rebuild against a brute-force oracle, the public API.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "cidr.h"
#include "addr.h"
#include "index_v4.h"
#include "store.h"
#include "testutil.h"
#include "verdict.h"

START_TEST(nested_and_order)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "drop", "block" }, { "local", "block" },
			       { "partners", "allow" } };
	verdict_ctx *ctx;

	tu_tables_create(dir, t, 3);
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_add(ctx, "drop", "10.0.0.0/8", "outer", 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "10.1.0.0/16", "middle", 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "10.1.2.0/24", "inner", 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "local", "10.1.2.128/25", "loc", 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "partners", "10.1.2.200/32", NULL, 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "2001:db8::/32", "v6", 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "2001:db8:1::/48", "v6in", 0,
				     NULL, 0), VERDICT_OK);
	/* errors */
	ck_assert_int_eq(verdict_add(ctx, "drop", "10.1.2.0/24", "x", 0, NULL,
				     0), VERDICT_EEXIST);
	ck_assert_int_eq(verdict_add(ctx, "drop", "172.16.1.3/21", "x", 0,
				     NULL, 0), VERDICT_ERANGE);
	ck_assert_ptr_nonnull(strstr(verdict_errdetail(),
				     "did you mean 172.16.0.0/21?"));
	ck_assert_int_eq(verdict_add(ctx, "drop", "0.0.0.0/0", "x", 0, NULL, 0),
			 VERDICT_ERANGE);
	ck_assert_int_eq(verdict_add(ctx, "drop", "::/8", "x", 0, NULL, 0),
			 VERDICT_ERANGE);
	ck_assert_int_eq(verdict_add(ctx, "nope", "1.2.3.4", "x", 0, NULL, 0),
			 VERDICT_ENOENT);
	ck_assert_int_eq(verdict_del(ctx, "drop", "10.9.9.0/24"),
			 VERDICT_ENOENT);
	verdict_free(ctx);

	ctx = tu_open_ctx(dir, "allow_tables = partners\n"
		       "block_tables = local, drop\n", 0);
	tu_expect(ctx, "10.2.3.4", "block", "drop", "10.0.0.0/8", "outer");
	tu_expect(ctx, "10.1.3.4", "block", "drop", "10.1.0.0/16", "middle");
	tu_expect(ctx, "10.1.2.4", "block", "drop", "10.1.2.0/24", "inner");
	/* local comes first in block_tables */
	tu_expect(ctx, "10.1.2.130", "block", "local", "10.1.2.128/25", "loc");
	/* allow beats block */
	tu_expect(ctx, "10.1.2.200", "allow", "partners", "10.1.2.200/32", "-");
	tu_expect(ctx, "11.0.0.0", "neutral", "-", "-", "-");
	tu_expect(ctx, "9.255.255.255", "neutral", "-", "-", "-");
	tu_expect(ctx, "10.255.255.255", "block", "drop", "10.0.0.0/8", "outer");
	tu_expect(ctx, "::ffff:10.1.2.4", "block", "drop", "10.1.2.0/24",
	       "inner");
	tu_expect(ctx, "2001:db8:1:2::3", "block", "drop", "2001:db8:1::/48",
	       "v6in");
	tu_expect(ctx, "2001:db8:2::1", "block", "drop", "2001:db8::/32", "v6");
	tu_expect(ctx, "2001:db9::1", "neutral", "-", "-", "-");
	verdict_free(ctx);

	/* del removes exactly that CIDR; the parent answers again */
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_del(ctx, "drop", "10.1.2.0/24"), VERDICT_OK);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "10.1.2.4", "block", "drop", "10.1.0.0/16", "middle");
	verdict_free(ctx);
}
END_TEST

START_TEST(expiry_falls_back)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "drop", "block" } };
	verdict_ctx *ctx;
	size_t purged = 0;

	tu_tables_create(dir, t, 1);
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_add(ctx, "drop", "41.71.128.0/17",
				     "SBL647149", 0, NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "41.71.150.0/24",
				     "SBL647138", time(NULL) - 10, NULL, 0),
			 VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "5.5.5.0/24", "gone",
				     time(NULL) - 10, NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "6.6.6.0/24", "later",
				     time(NULL) + 3600, NULL, 0), VERDICT_OK);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "41.71.150.7", "block", "drop", "41.71.128.0/17",
	       "SBL647149");
	tu_expect(ctx, "5.5.5.5", "neutral", "-", "-", "-");
	tu_expect(ctx, "6.6.6.6", "block", "drop", "6.6.6.0/24", "later");
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_expire(ctx, &purged), VERDICT_OK);
	ck_assert_uint_eq(purged, 2);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "41.71.150.7", "block", "drop", "41.71.128.0/17",
	       "SBL647149");
	tu_expect(ctx, "6.6.6.6", "block", "drop", "6.6.6.0/24", "later");
	verdict_free(ctx);
}
END_TEST

START_TEST(import_atomic)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "drop", "block" } };
	verdict_ctx *ctx;
	size_t n = 0, w = 0;
	char *good, *bad, *small;

	tu_tables_create(dir, t, 1);
	good = tu_write(dir, "good.txt", "; header\n1.10.16.0/20 ; SBL1\n"
			"2.0.0.0/8\n3.3.3.3\n4.4.4.1/24\n2001:db8::/32 ; V6\n");
	bad = tu_write(dir, "bad.txt", "9.9.9.0/24\nnot an address\n");
	small = tu_write(dir, "small.txt", "8.8.8.0/24\n");
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_import(ctx, "drop", good, 0, 0, "dflt", &n,
					&w), VERDICT_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(w, 1);	/* host bits in 4.4.4.1/24 */
	/* a bad line aborts with the table untouched */
	ck_assert_int_eq(verdict_import(ctx, "drop", bad, 0, 0, NULL, &n, &w),
			 VERDICT_EBADLIST);
	/* shrinking by more than half needs --force */
	ck_assert_int_eq(verdict_import(ctx, "drop", small, 0, 0, NULL, &n,
					&w), VERDICT_ESHRINK);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "1.10.31.255", "block", "drop", "1.10.16.0/20", "SBL1");
	tu_expect(ctx, "2.1.1.1", "block", "drop", "2.0.0.0/8", "dflt");
	tu_expect(ctx, "4.4.4.200", "block", "drop", "4.4.4.0/24", "dflt");
	tu_expect(ctx, "9.9.9.9", "neutral", "-", "-", "-");
	tu_expect(ctx, "8.8.8.8", "neutral", "-", "-", "-");
	verdict_free(ctx);
	/* --merge adds; --force replaces */
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_import(ctx, "drop", small, VERDICT_MERGE, 0,
					NULL, &n, &w), VERDICT_OK);
	ck_assert_uint_eq(n, 6);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "8.8.8.8", "block", "drop", "8.8.8.0/24", "-");
	tu_expect(ctx, "2.1.1.1", "block", "drop", "2.0.0.0/8", "dflt");
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_import(ctx, "drop", small, VERDICT_FORCE, 0,
					NULL, &n, &w), VERDICT_OK);
	ck_assert_uint_eq(n, 1);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "2.1.1.1", "neutral", "-", "-", "-");
	verdict_free(ctx);
	free(good);
	free(bad);
	free(small);
}
END_TEST

/*
 * Random adds and deletes (range rebuilds) and one full import, checked
 * against a brute-force longest-prefix oracle over random probes.
 */
typedef struct oracle_ent {
	vcidr c;
	int table;	/* 0 = a (block), 1 = b (block) */
	int live;
	char reason[16];
} oracle_ent;

static const char *
oracle_answer(oracle_ent *o, size_t n, const vaddr *ip, int *table)
{
	int best = -1, bestlen = -1;
	vcidr host = { *ip, 128 };

	for (int t = 0; t < 2 && best < 0; t++) {
		for (size_t i = 0; i < n; i++) {
			if (!o[i].live || o[i].table != t)
				continue;
			if (vd_cidr_contains(&o[i].c, &host) &&
			    o[i].c.plen > bestlen) {
				best = (int)i;
				bestlen = o[i].c.plen;
			}
		}
	}
	if (best < 0)
		return NULL;
	*table = o[best].table;
	return o[best].reason;
}

static void
random_cidr(unsigned *seed, vcidr *c)
{
	/* a small space so entries nest and collide: 10.0.0.0/16 and
	 * 2001:db8::/112 */
	if (rand_r(seed) % 4 == 0) {
		uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8 };

		b[14] = (uint8_t)rand_r(seed);
		b[15] = (uint8_t)rand_r(seed);
		vd_addr_from_v6(&c->net, b);
		c->plen = (uint8_t)(112 + rand_r(seed) % 17);
	} else {
		uint8_t b[4] = { 10, 0, (uint8_t)rand_r(seed),
				 (uint8_t)rand_r(seed) };

		vd_addr_from_v4(&c->net, b);
		c->plen = (uint8_t)(96 + 16 + rand_r(seed) % 17);
	}
	vd_addr_mask(&c->net, c->plen);
}

/* IPv4 intervals per index block: the default, and blocks so small that
 * every add and delete splits, merges and rewrites several of them */
static const unsigned block_sizes[] = { INDEX_V4_N, 1, 2, 3, 7, 64 };

static int
oracle_has(const oracle_ent *o, size_t n, const vcidr *c, int table)
{
	for (size_t i = 0; i < n; i++)
		if (o[i].live && o[i].table == table &&
		    vd_addr_cmp(&o[i].c.net, &c->net) == 0 && o[i].c.plen == c->plen)
			return 1;
	return 0;
}

START_TEST(range_rebuild_oracle)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "a", "block" }, { "b", "block" } };
	const char *names[2] = { "a", "b" };
	oracle_ent o[600];
	size_t n = 0, imported = 0;
	unsigned seed = 12345 + (unsigned)_i;
	verdict_ctx *ctx, *rd;
	verdict_result *r = verdict_result_new();
	char list[600], line[128];
	FILE *f;

	vd_index_v4_max_n = block_sizes[_i];
	tu_tables_create(dir, t, 2);
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	rd = NULL;
	/* a full import into table a first */
	snprintf(list, sizeof(list), "%s/a.list", dir);
	ck_assert_ptr_nonnull(f = fopen(list, "w"));
	while (n < 150) {
		char cb[CIDR_TEXT_MAX];

		random_cidr(&seed, &o[n].c);
		if (oracle_has(o, n, &o[n].c, 0))
			continue;
		o[n].table = 0;
		o[n].live = 1;
		snprintf(o[n].reason, sizeof(o[n].reason), "i%zu", n);
		vd_cidr_format(&o[n].c, cb);
		snprintf(line, sizeof(line), "%s ; %s\n", cb, o[n].reason);
		fputs(line, f);
		n++;
	}
	fclose(f);
	ck_assert_msg(verdict_import(ctx, "a", list, 0, 0, NULL, &imported,
				     NULL) == VERDICT_OK, "import: %s",
		      verdict_errdetail());
	ck_assert_uint_eq(imported, 150);
	for (int step = 0; step < 400; step++) {
		char cb[CIDR_TEXT_MAX];

		if (n > 0 && rand_r(&seed) % 3 == 0) {
			size_t i = (size_t)rand_r(&seed) % n;

			if (!o[i].live)
				continue;
			vd_cidr_format(&o[i].c, cb);
			ck_assert_msg(verdict_del(ctx, names[o[i].table], cb)
				      == VERDICT_OK, "del %s: %s", cb,
				      verdict_errdetail());
			o[i].live = 0;
			continue;
		}
		random_cidr(&seed, &o[n].c);
		o[n].table = rand_r(&seed) % 2;
		o[n].live = 1;
		snprintf(o[n].reason, sizeof(o[n].reason), "r%d", step);
		vd_cidr_format(&o[n].c, cb);
		int rc = verdict_add(ctx, names[o[n].table], cb, o[n].reason, 0,
				     NULL, 0);
		if (rc == VERDICT_EEXIST)
			continue;
		ck_assert_msg(rc == VERDICT_OK, "add %s: %s", cb,
			      verdict_errdetail());
		/* the same CIDR may be live twice in one table? no: EEXIST */
		n++;
		if (n == sizeof(o) / sizeof(o[0]))
			break;
	}
	verdict_free(ctx);
	rd = tu_open_ctx(dir, "block_tables = a, b\n", 0);
	for (int q = 0; q < 20000; q++) {
		vcidr c;
		char ipb[ADDR_TEXT_MAX];
		const char *want, *got;
		int wt = -1;

		random_cidr(&seed, &c);
		/* a random host inside */
		if (vd_addr_is_v4(&c.net))
			c.net.b[15] = (uint8_t)rand_r(&seed);
		else
			c.net.b[15] = (uint8_t)rand_r(&seed);
		vd_addr_format(&c.net, ipb);
		want = oracle_answer(o, n, &c.net, &wt);
		ck_assert_int_eq(verdict_check(rd, 1, ipb, r), VERDICT_OK);
		got = verdict_result_reason(r);
		ck_assert_msg((want == NULL && got == NULL) ||
			      (want && got && strcmp(want, got) == 0),
			      "%s: got %s, want %s", ipb, got ? got : "-",
			      want ? want : "-");
		if (want) {
			ck_assert_str_eq(verdict_result_source(r),
					 names[wt]);
			ck_assert_int_eq(verdict_result_source_kind(r),
					 VERDICT_SOURCE_TABLE);
		} else {
			ck_assert_int_eq(verdict_result_source_kind(r),
					 VERDICT_SOURCE_NONE);
		}
	}
	verdict_free(rd);
	verdict_result_free(r);
	vd_index_v4_max_n = INDEX_V4_N;
}
END_TEST

/* An index of an older format (its IPv4 db gone or stale, the format
 * record older): a reader refuses it with the remedy, a writer rebuilds
 * the index from the entries; _i 0: no idx4p at all, 1: idx4p empty.
 * Both index dbs are emptied first, so that only a rebuild can answer. */
START_TEST(old_format_rebuilds)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "drop", "block" } };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, dbi;
	MDB_val k = { 6, "format" }, v;
	uint8_t fmt[4] = { 3, 0, 0, 0 };
	verdict_ctx *ctx;

	tu_tables_create(dir, t, 1);
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	ck_assert_int_eq(verdict_add(ctx, "drop", "10.1.0.0/16", "outer", 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "10.1.2.0/24", "inner", 0,
				     NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "drop", "2001:db8::/32", "six", 0,
				     NULL, 0), VERDICT_OK);
	verdict_free(ctx);

	ck_assert_int_eq(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 16);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0660), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "idx4p", MDB_INTEGERKEY, &dbi), 0);
	ck_assert_int_eq(mdb_drop(txn, dbi, _i == 0), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "idx", 0, &dbi), 0);
	ck_assert_int_eq(mdb_drop(txn, dbi, 0), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	v.mv_size = 4;
	v.mv_data = fmt;
	ck_assert_int_eq(mdb_put(txn, meta, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	{	/* a reader: refused, with the remedy */
		verdict_ctx *rd = verdict_new();
		char text[600], *conf;

		snprintf(text, sizeof(text), "database = %s\n"
			 "block_tables = drop\n", dir);
		conf = tu_write(dir, "old.conf", text);
		ck_assert_int_eq(verdict_load_config(rd, conf), VERDICT_OK);
		ck_assert_int_ne(verdict_open(rd, 0), VERDICT_OK);
		ck_assert_msg(strstr(verdict_errdetail(), "older libverdict"),
			      "detail: %s", verdict_errdetail());
		verdict_free(rd);
		free(conf);
	}
	/* a writer rebuilds; readers then get every answer */
	ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, "block_tables = drop\n", 0);
	tu_expect(ctx, "10.1.2.3", "block", "drop", "10.1.2.0/24", "inner");
	tu_expect(ctx, "10.1.3.3", "block", "drop", "10.1.0.0/16", "outer");
	tu_expect(ctx, "10.2.0.1", "neutral", "-", "-", "-");
	tu_expect(ctx, "2001:db8::1", "block", "drop", "2001:db8::/32", "six");
	verdict_free(ctx);

	ck_assert_int_eq(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 16);
	ck_assert_int_eq(mdb_env_open(env, dir, MDB_RDONLY, 0660), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_get(txn, meta, &k, &v), 0);
	ck_assert_uint_eq(v.mv_size, 4);
	ck_assert_uint_eq(((uint8_t *)v.mv_data)[0], 4);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}
END_TEST

/* A reader in another process during imports sees old or new only. */
START_TEST(reader_sees_old_or_new)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "drop", "block" } };
	char *fa, *fb;
	FILE *f;
	pid_t pid;
	int status;
	char path[512];

	tu_tables_create(dir, t, 1);
	/* A: 10.0.0.0/16 as /24s "A"; B: the same as /24s "B" */
	snprintf(path, sizeof(path), "%s/a.txt", dir);
	f = fopen(path, "w");
	for (int i = 0; i < 256; i++)
		fprintf(f, "10.0.%d.0/24 ; A\n", i);
	fclose(f);
	fa = strdup(path);
	snprintf(path, sizeof(path), "%s/b.txt", dir);
	f = fopen(path, "w");
	for (int i = 0; i < 256; i++)
		fprintf(f, "10.0.%d.0/24 ; B\n", i);
	fclose(f);
	fb = strdup(path);
	{
		verdict_ctx *w = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);

		ck_assert_int_eq(verdict_import(w, "drop", fa, 0, 0, NULL,
						NULL, NULL), VERDICT_OK);
		verdict_free(w);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* child: reads until killed; exits 3 on a mixed answer */
		verdict_ctx *rd = tu_open_ctx(dir, "block_tables = drop\n", 0);
		verdict_result *r = verdict_result_new();

		for (;;) {
			const char *first = NULL;

			for (int i = 0; i < 256; i += 17) {
				char ip[32];
				const char *re;

				snprintf(ip, sizeof(ip), "10.0.%d.9", i);
				if (verdict_check(rd, 1, ip, r) != VERDICT_OK)
					_exit(2);
				re = verdict_result_reason(r);
				if (re == NULL) {
					fprintf(stderr, "reader: %s is %s "
						"(%s); again: ", ip,
						verdict_kind_name(
						verdict_result_kind(r)),
						verdict_errdetail());
					verdict_check(rd, 1, ip, r);
					fprintf(stderr, "%s\n",
						verdict_kind_name(
						verdict_result_kind(r)));
					_exit(4);
				}
				if (first && strcmp(first, re) != 0)
					_exit(0);	/* different txns: ok */
				first = re[0] == 'A' ? "A" : "B";
			}
		}
	}
	for (int k = 0; k < 20; k++) {
		verdict_ctx *w = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);

		ck_assert_int_eq(verdict_import(w, "drop", k % 2 ? fa : fb, 0,
						0, NULL, NULL, NULL),
				 VERDICT_OK);
		verdict_free(w);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	ck_assert_msg(WIFSIGNALED(status) || WEXITSTATUS(status) == 0,
		      "reader saw an error or a missing entry (status %d)",
		      WEXITSTATUS(status));
	free(fa);
	free(fb);
}
END_TEST

/*
 * The map fills during an import while another process reads: the writer
 * grows the map and retries, the reader meets MDB_MAP_RESIZED and adopts
 * the new size; every answer is "A" or "B", never an error.
 */
START_TEST(map_grows_under_readers)
{
	const char *dir = tu_tmpdir();
	const char *t[][2] = { { "drop", "block" } };
	char fa[512], fb[512], dbfile[512];
	size_t before, after;
	FILE *f;
	pid_t pid;
	int status, go[2], done[2], ms;
	ssize_t got = -1;
	char b = 'g';
	struct stat st;

	vd_lmdb_env_mapsize_min = 1 << 20;
	tu_tables_create(dir, t, 1);
	snprintf(dbfile, sizeof(dbfile), "%s/data.mdb", dir);
	snprintf(fa, sizeof(fa), "%s/a.txt", dir);
	snprintf(fb, sizeof(fb), "%s/b.txt", dir);
	f = fopen(fa, "w");
	for (int i = 0; i < 256; i++)
		fprintf(f, "10.0.%d.0/24 ; A\n", i);
	fclose(f);
	f = fopen(fb, "w");
	for (int i = 0; i < 256; i++)
		fprintf(f, "10.0.%d.0/24 ; B\n", i);
	for (int i = 0; i < 60000; i++)
		fprintf(f, "20.%d.%d.%d ; filler entry with a reason\n",
			i >> 16, (i >> 8) & 255, i & 255);
	fclose(f);
	{
		verdict_ctx *w = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);

		ck_assert_int_eq(verdict_import(w, "drop", fa, 0, 0, NULL,
						NULL, NULL), VERDICT_OK);
		verdict_free(w);
	}
	ck_assert_int_eq(stat(dbfile, &st), 0);
	before = (size_t)st.st_size;
	/*
	 * go: the parent's "the last import is committed"; done: the child's
	 * "a full round of checks, every /24, ran after that" - so the
	 * reader is seen to have read the grown map, not given time to.
	 */
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		verdict_ctx *rd = tu_open_ctx(dir, "block_tables = drop\n", 0);
		verdict_result *r = verdict_result_new();
		unsigned from = 0;
		int armed = 0;

		signal(SIGTERM, SIG_DFL);	/* not Check's handler */
		close(go[1]);
		close(done[0]);
		for (unsigned n = 0;; n++) {
			struct pollfd p = { .fd = go[0], .events = POLLIN };
			char ip[32];
			const char *re;

			if (!armed && poll(&p, 1, 0) == 1) {
				if (read(go[0], &b, 1) != 1)
					_exit(5);	/* the parent is gone */
				armed = 1;
				from = n;
			}
			if (armed && n - from == 256 &&
			    write(done[1], &b, 1) != 1)
				_exit(6);
			snprintf(ip, sizeof(ip), "10.0.%u.9", n % 256);
			if (verdict_check(rd, 1, ip, r) != VERDICT_OK) {
				fprintf(stderr, "reader: %s: %s\n", ip,
					verdict_errdetail());
				_exit(2);
			}
			re = verdict_result_reason(r);
			if (re == NULL || (strcmp(re, "A") && strcmp(re, "B"))) {
				fprintf(stderr, "reader: %s: %s\n", ip,
					re ? re : "not listed");
				_exit(4);
			}
		}
	}
	for (int k = 0; k < 6; k++) {
		verdict_ctx *w = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE);

		ck_assert_int_eq(verdict_import(w, "drop", k % 2 ? fa : fb,
						VERDICT_FORCE, 0, NULL, NULL,
						NULL), VERDICT_OK);
		verdict_free(w);
	}
	close(go[0]);
	close(done[1]);
	ck_assert_int_eq(write(go[1], &b, 1), 1);
	/* 10 s deadline; EOF (got 0) when the reader failed and exited */
	for (ms = 0; ms < 10000; ms += 50) {
		struct pollfd p = { .fd = done[0], .events = POLLIN };

		if (poll(&p, 1, 50) == 1) {
			got = read(done[0], &b, 1);
			break;
		}
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	close(go[1]);
	close(done[0]);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		      "reader failed (exit %d)", WEXITSTATUS(status));
	ck_assert_msg(got == 1, "the reader did not finish a round of checks "
		      "after the last import within 10 s");
	ck_assert_int_eq(stat(dbfile, &st), 0);
	after = (size_t)st.st_size;
	ck_assert_msg(after > ((size_t)1 << 20) && after > before,
		      "the map did not grow (%zu -> %zu bytes)", before, after);
	vd_lmdb_env_mapsize_min = (size_t)1 << 30;
}
END_TEST

START_TEST(table_names_and_list)
{
	const char *dir = tu_tmpdir();
	verdict_ctx *ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE |
				    VERDICT_OPEN_CREATE);
	static const struct {
		const char *name;
		int ok;
	} names[] = {
		{ "drop", 1 }, { "a-b_c9", 1 }, { "", 0 }, { "Drop", 0 },
		{ "x y", 0 }, { "a.b", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  0 },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg((verdict_table_create(ctx, names[i].name,
			       VERDICT_TABLE_BLOCK) == VERDICT_OK) ==
			      names[i].ok, "name \"%s\"", names[i].name);
	ck_assert_int_eq(verdict_table_create(ctx, "drop",
					      VERDICT_TABLE_BLOCK),
			 VERDICT_EEXIST);
	ck_assert_int_eq(verdict_table_drop(ctx, "drop"), VERDICT_OK);
	ck_assert_int_eq(verdict_table_drop(ctx, "drop"), VERDICT_ENOENT);
	ck_assert_int_eq(verdict_table_create(ctx, "drop",
					      VERDICT_TABLE_ALLOW), VERDICT_OK);
	verdict_free(ctx);
	/* a configured table that does not exist is an error at open */
	ctx = verdict_new();
	{
		char text[512];
		char *conf;

		snprintf(text, sizeof(text), "database = %s\n"
			 "block_tables = missing\n", dir);
		conf = tu_write(dir, "bad.conf", text);
		ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_OK);
		ck_assert_int_eq(verdict_open(ctx, 0), VERDICT_ENOENT);
		ck_assert_ptr_nonnull(strstr(verdict_errdetail(), "missing"));
		free(conf);
	}
	verdict_free(ctx);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, nested_and_order);
	tcase_add_test(tc, expiry_falls_back);
	tcase_add_test(tc, import_atomic);
	tcase_add_loop_test(tc, range_rebuild_oracle, 0,
			    (int)(sizeof(block_sizes) / sizeof(block_sizes[0])));
	tcase_add_loop_test(tc, old_format_rebuilds, 0, 2);
	tcase_add_test(tc, reader_sees_old_or_new);
	tcase_add_test(tc, table_names_and_list);
	tcase_add_test(tc, map_grows_under_readers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
