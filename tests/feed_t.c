/*
 * feed_t.c - verdict_feed(): aggregation, subtraction, expiry, families,
 * every format's text, and properties on random data against a
 * brute-force oracle (the output's address set is block - allow -
 * trusted; no two output networks overlap; every output network is
 * maximal, so none could merge with another).
 *
 * iprange, the real-world lists and the real consumers (nft, ipset,
 * rbldnsd, postmap) are in tests/integration/feed_*.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "addr.h"
#include "testutil.h"
#include "verdict.h"

/* ------------------------------------------------------------ helpers */

/* the feed tests write their tables and read them without DNS */
#define OPEN_FLAGS (VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE | \
		    VERDICT_OPEN_NODNS | VERDICT_OPEN_NOTABLECHECK)

/* fill - create (once) and replace a table with newline-separated text */
static void
fill(verdict_ctx *ctx, const char *dir, const char *table, int kind,
     const char *text)
{
	char *p = tu_write(dir, "list.txt", text);
	int rc = verdict_table_create(ctx, table, kind);

	ck_assert(rc == VERDICT_OK || rc == VERDICT_EEXIST);
	rc = verdict_import(ctx, table, p, VERDICT_FORCE, 0, NULL, NULL,
			    NULL);
	ck_assert_msg(rc == VERDICT_OK, "import %s: %s", table,
		      verdict_errdetail());
	free(p);
}

/* feed - the feed as a malloc'd string; *rc gets the return code */
static char *
feed(verdict_ctx *ctx, const char *const *tables, int family,
     const char *format, int ranges, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*rc = verdict_feed(ctx, 1, tables, family, format, "bl", "vt",
			   ranges, f);
	fclose(f);
	return buf;
}

/* ---------------------------------------------------- table-driven */

typedef struct feed_case {
	const char *label;
	const char *block;	/* table "b1" */
	const char *block2;	/* table "b2" */
	const char *allow;	/* table "a1" */
	const char *conf;	/* extra config (trusted_networks) */
	int family;
	const char *format;
	int ranges;
	const char *want;
} feed_case;

static const feed_case cases[] = {
	{ "adjacent merge", "10.0.0.0/24\n10.0.1.0/24\n", "", "", "", 0,
	  "plain", 0, "10.0.0.0/23\n" },
	{ "overlap and nesting", "10.0.0.0/16\n10.0.5.0/24\n",
	  "10.0.200.0/22\n", "", "", 0, "plain", 0, "10.0.0.0/16\n" },
	{ "across tables", "10.0.0.0/25\n", "10.0.0.128/25\n", "", "", 0,
	  "plain", 0, "10.0.0.0/24\n" },
	{ "not mergeable: unaligned", "10.0.1.0/24\n10.0.2.0/24\n", "", "",
	  "", 0, "plain", 0, "10.0.1.0/24\n10.0.2.0/24\n" },
	{ "allow hole", "10.0.0.0/24\n", "", "10.0.0.128/25\n", "", 0,
	  "plain", 0, "10.0.0.0/25\n" },
	{ "allow in the middle", "10.0.0.0/24\n", "", "10.0.0.64/26\n", "",
	  0, "plain", 0, "10.0.0.0/26\n10.0.0.128/25\n" },
	{ "trusted hole", "10.0.0.0/24\n", "", "",
	  "trusted_networks = 10.0.0.0/25, 10.0.0.255\n", 0, "plain", 0,
	  "10.0.0.128/26\n10.0.0.192/27\n10.0.0.224/28\n10.0.0.240/29\n"
	  "10.0.0.248/30\n10.0.0.252/31\n10.0.0.254/32\n" },
	{ "trusted covers all", "10.0.0.0/24\n", "", "",
	  "trusted_networks = 10.0.0.0/8\n", 0, "plain", 0, "" },
	{ "ranges", "10.0.0.0/24\n10.0.1.0/25\n2001:db8::/48\n", "", "",
	  "", 0, "plain", 1,
	  "10.0.0.0-10.0.1.127\n2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:"
	  "ffff\n" },
	{ "v4 first, dotted quads", "2001:db8::/32\n192.0.2.0/24\n", "", "",
	  "", 0, "pf", 0, "192.0.2.0/24\n2001:db8::/32\n" },
	{ "family ip", "2001:db8::/32\n192.0.2.0/24\n", "", "", "", 4,
	  "plain", 0, "192.0.2.0/24\n" },
	{ "family ip6", "2001:db8::/32\n192.0.2.0/24\n", "", "", "", 6,
	  "plain", 0, "2001:db8::/32\n" },
	{ "v6 below the mapped space is not glued to 0.0.0.0",
	  "::fffe:ffff:ffff/128\n0.0.0.0/8\n", "", "", "", 0, "plain", 0,
	  "0.0.0.0/8\n::fffe:ffff:ffff/128\n" },
	{ "v6 merge", "2001:db8::/33\n2001:db8:8000::/33\n", "", "", "", 0,
	  "plain", 0, "2001:db8::/32\n" },
	{ "postfix: one entry gives its reason, two the default",
	  "10.0.0.0/24 ; SBL1\n10.0.1.0/24 ; SBL2\n10.1.0.0/16 ; BIG\n",
	  "", "10.1.0.0/17\n", "", 0, "postfix", 0,
	  "10.0.0.0/23 REJECT listed by verdict\n10.1.128.0/17 REJECT BIG\n" },
	{ "postfix: same network in two tables is two entries",
	  "10.0.0.0/24 ; SBL1\n", "10.0.0.0/24 ; X\n", "", "", 0, "postfix",
	  0, "10.0.0.0/24 REJECT listed by verdict\n" },
	{ "rbldnsd: default line, reason, $ doubled",
	  "10.0.0.0/24 ; cost $5\n10.0.1.0/25\n2001:db8::/32 ; V6\n", "",
	  "", "", 0, "rbldnsd", 0,
	  ":127.0.0.2:$ is listed by verdict\n10.0.0.0/24 :127.0.0.2:cost "
	  "$$5\n10.0.1.0/25\n127.0.0.2\n" },
	{ "rbldnsd6: IPv6 only", "10.0.0.0/24 ; A\n2001:db8::/32 ; V6\n",
	  "", "", "", 0, "rbldnsd6", 0,
	  ":127.0.0.2:$ is listed by verdict\n2001:db8::/32 :127.0.0.2:V6\n"
	  "::ffff:7f00:2\n" },
	{ "json: entries, unaggregated, allowed ones left out",
	  "10.0.0.0/24 ; S\"1\n10.0.1.0/24\n10.2.0.0/24 ; gone\n",
	  "10.0.0.0/25\n", "10.2.0.0/24\n", "", 0, "json", 0,
	  "{\"cidr\":\"10.0.0.0/24\",\"table\":\"b1\",\"reason\":\"S\\\"1\","
	  "\"expires\":null}\n"
	  "{\"cidr\":\"10.0.0.0/25\",\"table\":\"b2\",\"reason\":null,"
	  "\"expires\":null}\n"
	  "{\"cidr\":\"10.0.1.0/24\",\"table\":\"b1\",\"reason\":null,"
	  "\"expires\":null}\n" },
	{ "nft script", "10.0.0.0/24\n2001:db8::/32\n", "", "", "", 0, "nft",
	  0,
	  "table inet vt {\n"
	  "\tset bl_v4 { type ipv4_addr; flags interval; }\n"
	  "\tset bl_v6 { type ipv6_addr; flags interval; }\n"
	  "}\n"
	  "flush set inet vt bl_v4\n"
	  "add element inet vt bl_v4 { 10.0.0.0/24 }\n"
	  "flush set inet vt bl_v6\n"
	  "add element inet vt bl_v6 { 2001:db8::/32 }\n" },
	{ "nft: empty set flushed, no empty element list", "", "", "", "", 4,
	  "nft", 0,
	  "table inet vt {\n"
	  "\tset bl_v4 { type ipv4_addr; flags interval; }\n"
	  "}\n"
	  "flush set inet vt bl_v4\n" },
	{ "ipset script", "10.0.0.0/24\n", "", "", "", 4, "ipset", 0,
	  "create bl_v4 hash:net family inet hashsize 1024 maxelem 16777216 "
	  "-exist\n"
	  "destroy bl_v4_tmp -exist\n"
	  "create bl_v4_tmp hash:net family inet hashsize 1024 maxelem "
	  "16777216\n"
	  "add bl_v4_tmp 10.0.0.0/24\n"
	  "swap bl_v4_tmp bl_v4\n"
	  "destroy bl_v4_tmp\n" },
};

START_TEST(formats)
{
	const feed_case *c = &cases[_i];
	const char *dir = tu_tmpdir();
	char conf[512];
	verdict_ctx *ctx;
	char *out;
	int rc;

	snprintf(conf, sizeof(conf), "block_tables = b1, b2\n"
		 "allow_tables = a1\n%s", c->conf);
	ctx = tu_open_ctx(dir, conf, OPEN_FLAGS);
	fill(ctx, dir, "b1", VERDICT_TABLE_BLOCK, c->block);
	fill(ctx, dir, "b2", VERDICT_TABLE_BLOCK, c->block2);
	fill(ctx, dir, "a1", VERDICT_TABLE_ALLOW, c->allow);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, conf, OPEN_FLAGS);	/* ids resolved now */
	out = feed(ctx, NULL, c->family, c->format, c->ranges, &rc);
	ck_assert_msg(rc == VERDICT_OK, "%s: %s", c->label,
		      verdict_errdetail());
	ck_assert_msg(strcmp(out, c->want) == 0, "%s:\n got:\n%s\nwant:\n%s",
		      c->label, out, c->want);
	free(out);
	verdict_free(ctx);
}
END_TEST

START_TEST(expiry_and_tables)
{
	const char *dir = tu_tmpdir();
	const char *conf = "block_tables = b1\nallow_tables = a1\n";
	const char *only_b2[] = { "b2", NULL };
	const char *bad[] = { "a1", NULL };
	const char *none[] = { "nosuch", NULL };
	time_t now = time(NULL);
	verdict_ctx *ctx = tu_open_ctx(dir, conf, OPEN_FLAGS);
	char *out;
	int rc;

	fill(ctx, dir, "b1", VERDICT_TABLE_BLOCK, "10.0.0.0/16 ; parent\n");
	fill(ctx, dir, "b2", VERDICT_TABLE_BLOCK, "192.0.2.0/24\n");
	fill(ctx, dir, "a1", VERDICT_TABLE_ALLOW, "10.0.0.0/24\n");
	/* expired: a block entry, a nested block entry, an allow entry */
	ck_assert_int_eq(verdict_add(ctx, "b1", "172.16.0.0/12", "old",
				     now - 10, NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "b1", "10.0.128.0/17", "old",
				     now - 10, NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "a1", "10.0.1.0/24", NULL,
				     now - 10, NULL, 0), VERDICT_OK);
	ck_assert_int_eq(verdict_add(ctx, "b1", "198.51.100.0/24", "fresh",
				     now + 3600, NULL, 0), VERDICT_OK);
	verdict_free(ctx);
	ctx = tu_open_ctx(dir, conf, OPEN_FLAGS);

	out = feed(ctx, NULL, 0, "postfix", 0, &rc);
	ck_assert_int_eq(rc, VERDICT_OK);
	/* the expired nested /17 falls back to its parent; the expired
	 * allow entry no longer allows */
	ck_assert_str_eq(out, "10.0.1.0/24 REJECT parent\n"
			 "10.0.2.0/23 REJECT parent\n"
			 "10.0.4.0/22 REJECT parent\n"
			 "10.0.8.0/21 REJECT parent\n"
			 "10.0.16.0/20 REJECT parent\n"
			 "10.0.32.0/19 REJECT parent\n"
			 "10.0.64.0/18 REJECT parent\n"
			 "10.0.128.0/17 REJECT parent\n"
			 "198.51.100.0/24 REJECT fresh\n");
	free(out);
	out = feed(ctx, NULL, 0, "json", 0, &rc);
	ck_assert_int_eq(rc, VERDICT_OK);
	ck_assert_msg(strstr(out, "\"198.51.100.0/24\",\"table\":\"b1\","
			     "\"reason\":\"fresh\",\"expires\":") != NULL,
		      "%s", out);
	ck_assert_ptr_null(strstr(out, "172.16."));
	free(out);

	out = feed(ctx, only_b2, 0, "plain", 0, &rc);
	ck_assert_int_eq(rc, VERDICT_OK);
	ck_assert_str_eq(out, "192.0.2.0/24\n");
	free(out);
	free(feed(ctx, bad, 0, "plain", 0, &rc));
	ck_assert_int_eq(rc, VERDICT_EINVAL);
	free(feed(ctx, none, 0, "plain", 0, &rc));
	ck_assert_int_eq(rc, VERDICT_ENOENT);
	free(feed(ctx, NULL, 0, "iptables", 0, &rc));
	ck_assert_int_eq(rc, VERDICT_EINVAL);
	ck_assert_int_eq(verdict_feed(ctx, 1, NULL, 0, "nft", "bad name",
				      NULL, 0, stdout), VERDICT_EINVAL);
	ck_assert_int_eq(verdict_feed(ctx, 7, NULL, 0, "plain", NULL, NULL,
				      0, stdout), VERDICT_ENOENT);
	verdict_free(ctx);
}
END_TEST

/* ------------------------------------------------ random properties */

/*
 * The universe: 4096 IPv4 addresses 10.0.0.0/20 and 4096 IPv6 addresses
 * 2001:db8::/116.  Entries are random networks inside it; the oracle is a
 * bitmap per family.
 */
#define U 4096
#define ROUNDS 60

static unsigned long long rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng_state >> 33) % n);
}

/* rand_net - "10.0.x.y/len" or "2001:db8::xyz/len" inside the universe;
 * [*lo, *hi] its offsets. */
static void
rand_net(int v6, char *buf, size_t len, unsigned *lo, unsigned *hi)
{
	unsigned bits = rnd(13);	/* host bits 0..12 */
	unsigned off = rnd(U) & ~((1u << bits) - 1);

	*lo = off;
	*hi = off + (1u << bits) - 1;
	if (v6)
		snprintf(buf, len, "2001:db8::%x/%u", off, 128 - bits);
	else
		snprintf(buf, len, "10.0.%u.%u/%u", off >> 8, off & 255,
			 32 - bits);
}

/* offset of an address in the universe, or -1 */
static long
uoff(const vaddr *a, int *v6)
{
	static const uint8_t v4p[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
					 0xff };
	static const uint8_t v6p[14] = { 0x20, 0x01, 0x0d, 0xb8 };

	if (memcmp(a->b, v4p, 12) == 0 && a->b[12] == 10 && a->b[13] == 0 &&
	    a->b[14] < 16) {
		*v6 = 0;
		return a->b[14] * 256 + a->b[15];
	}
	if (memcmp(a->b, v6p, 14) == 0 && a->b[14] < 16) {
		*v6 = 1;
		return a->b[14] * 256 + a->b[15];
	}
	return -1;
}

START_TEST(random_properties)
{
	rng_state = 0x5eed0000ull + (unsigned)_i;
	for (int round = 0; round < ROUNDS / 4; round++) {
		static unsigned char want[2][U], got[2][U];
		char lists[3][8192], conf[1024], net[64];
		const char *dir = tu_tmpdir();
		unsigned char allow[2][U], trust[2][U];
		verdict_ctx *ctx;
		char *out, *line, *save;
		int rc, prev_v6 = -1;
		long prev_hi = -1;
		size_t n;

		memset(want, 0, sizeof(want));
		memset(got, 0, sizeof(got));
		memset(allow, 0, sizeof(allow));
		memset(trust, 0, sizeof(trust));
		for (int l = 0; l < 3; l++) {
			size_t k = 1 + rnd(l == 2 ? 6 : 25);

			lists[l][0] = 0;
			for (size_t e = 0; e < k; e++) {
				unsigned lo, hi, v6 = rnd(3) == 0;

				rand_net((int)v6, net, sizeof(net), &lo, &hi);
				n = strlen(lists[l]);
				snprintf(lists[l] + n, sizeof(lists[l]) - n,
					 "%s\n", net);
				for (unsigned a = lo; a <= hi; a++) {
					if (l < 2)
						want[v6][a] = 1;
					else
						allow[v6][a] = 1;
				}
			}
		}
		n = (size_t)snprintf(conf, sizeof(conf), "block_tables = b1, "
				     "b2\nallow_tables = a1\n");
		if (rnd(2)) {
			unsigned lo, hi, v6 = rnd(2);

			rand_net((int)v6, net, sizeof(net), &lo, &hi);
			snprintf(conf + n, sizeof(conf) - n,
				 "trusted_networks = %s\n", net);
			for (unsigned a = lo; a <= hi; a++)
				trust[v6][a] = 1;
		}
		for (int f = 0; f < 2; f++)
			for (unsigned a = 0; a < U; a++)
				if (allow[f][a] || trust[f][a])
					want[f][a] = 0;

		ctx = tu_open_ctx(dir, conf, OPEN_FLAGS);
		fill(ctx, dir, "b1", VERDICT_TABLE_BLOCK, lists[0]);
		fill(ctx, dir, "b2", VERDICT_TABLE_BLOCK, lists[1]);
		fill(ctx, dir, "a1", VERDICT_TABLE_ALLOW, lists[2]);
		verdict_free(ctx);
		ctx = tu_open_ctx(dir, conf, OPEN_FLAGS);
		out = feed(ctx, NULL, 0, "plain", 0, &rc);
		ck_assert_msg(rc == VERDICT_OK, "%s", verdict_errdetail());

		for (line = strtok_r(out, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			vcidr c;
			vaddr last;
			long lo, hi;
			int v6 = 0, v6b = 0;
			unsigned size, plen_u;

			ck_assert_msg(vd_cidr_parse(line, strlen(line), &c) ==
				      CIDR_OK, "bad line %s", line);
			vd_addr_last(&c, &last);
			lo = uoff(&c.net, &v6);
			hi = uoff(&last, &v6b);
			ck_assert_msg(lo >= 0 && hi >= 0 && v6 == v6b,
				      "%s outside the universe", line);
			/* sorted, IPv4 first, no overlap, no adjacency
			 * that a merge could remove is checked below */
			if (prev_v6 == v6)
				ck_assert_msg(lo > prev_hi, "%s overlaps or "
					      "is out of order", line);
			else
				ck_assert_msg(prev_v6 == -1 || v6 == 1,
					      "IPv6 before IPv4");
			prev_v6 = v6;
			prev_hi = hi;
			for (long a = lo; a <= hi; a++)
				got[v6][a] = 1;
			/* maximal: the parent network is not all in the
			 * set, so no sibling could merge with this one */
			plen_u = (unsigned)(hi - lo + 1);
			size = plen_u * 2;
			if (size <= U) {
				long plo = lo & ~(long)(size - 1), a;

				for (a = plo; a < plo + (long)size; a++)
					if (!want[v6][a])
						break;
				ck_assert_msg(a < plo + (long)size, "%s could "
					      "merge with its sibling", line);
			}
		}
		ck_assert_msg(memcmp(want, got, sizeof(want)) == 0,
			      "round %d: address set differs from block - "
			      "allow - trusted\nb1:\n%sb2:\n%sa1:\n%s%s",
			      round, lists[0], lists[1], lists[2], conf);
		free(out);
		verdict_free(ctx);
	}
}
END_TEST

static Suite *
feed_suite(void)
{
	Suite *s = suite_create("feed");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, formats, 0, sizeof(cases) / sizeof(*cases));
	tcase_add_test(tc, expiry_and_tables);
	tcase_add_loop_test(tc, random_properties, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(feed_suite());
}
