/*
 * fuzz_feed - libFuzzer target: feed aggregation (vd_feed_write) on random
 * sets, checked against a brute-force oracle
 *
 * A real LMDB environment (in $FUZZ_TMPDIR, else /dev/shm when it
 * exists, else /tmp)
 * holds two block tables and one allow table; each input becomes their
 * contents (vd_entries_replace, the import path) plus trusted networks, and the
 * feed is computed by the library as verdict_feed does.
 *
 * Input: byte 0 = family (bits 0-1: both, 4, 6), output (bits 2-4: plain,
 * plain ranges, or one of the other formats, checked for success only);
 * then 7 bytes per network: where (bits 0-1: b1, b2, a1, trusted),
 * family (bit 2), expiry (bits 3-4: never, expired, later, never), wide
 * (bit 5), reason (bits 6-7); a prefix-length byte; 4 address bytes.
 * IPv4 networks lie in 10.0.0.0/14 unless wide, IPv6 ones in
 * 2001:db8::/32, so that networks overlap often.
 *
 * Properties (plain): every line is a canonical CIDR; lines ascend and
 * never overlap; their union is exactly (block - allow - trusted) of the
 * unexpired entries of the family asked; every CIDR is maximal (its
 * parent is not inside the set), which makes the list the minimal cover.
 * Plain ranges: one "lo-hi" line per maximal run of the same set.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cidr.h"
#include "feed.h"
#include "fuzz.h"
#include "store.h"
#include "verdict.h"

#define MAXNET	64
#define NOW	2000000000u

typedef unsigned __int128 u128;

static tbl_env *te;
static uint16_t id_b[2], id_a;
static char dir[256];

static const char *const reasons[4] = {
	"", "SBL 1", "tab\there \"q\" $x \\ \xc3\xa9", "\x01\x7f;#,{}"
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("FUZZ_TMPDIR");
	int kind, n;

	(void)argc;
	(void)argv;
	if (base == NULL)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	n = snprintf(dir, sizeof(dir), "%s/vd-fuzz-feed.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(dir) || mkdtemp(dir) == NULL)
		abort();
	if (vd_lmdb_env_open(dir, 1, 1, 0, 0600, NULL, NULL, &te) != VERDICT_OK ||
	    vd_catalog_create(te, "b1", VERDICT_TABLE_BLOCK) != VERDICT_OK ||
	    vd_catalog_create(te, "b2", VERDICT_TABLE_BLOCK) != VERDICT_OK ||
	    vd_catalog_create(te, "a1", VERDICT_TABLE_ALLOW) != VERDICT_OK ||
	    vd_catalog_table_id(te, "b1", &id_b[0], &kind) != VERDICT_OK ||
	    vd_catalog_table_id(te, "b2", &id_b[1], &kind) != VERDICT_OK ||
	    vd_catalog_table_id(te, "a1", &id_a, &kind) != VERDICT_OK) {
		fprintf(stderr, "fuzz_feed: %s: %s\n", dir,
			verdict_errdetail());
		abort();
	}
	return 0;
}

static u128
to_u(const vaddr *a)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 8 | a->b[i];
	return v;
}

static void
span(const vcidr *c, u128 *lo, u128 *hi)
{
	vaddr last;

	vd_addr_last(c, &last);
	*lo = to_u(&c->net);
	*hi = to_u(&last);
}

typedef struct net {
	int where;		/* 0 b1, 1 b2, 2 a1, 3 trusted */
	int live;		/* unexpired */
	u128 lo, hi;
} net;

typedef struct run {
	u128 lo, hi;
} run;

static int
u128_cmp(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/* member - is address x in block - allow - trusted? */
static int
member(const net *nets, size_t n, u128 x)
{
	int in = 0;

	for (size_t i = 0; i < n; i++) {
		if (!nets[i].live || x < nets[i].lo || x > nets[i].hi)
			continue;
		if (nets[i].where >= 2)
			return 0;
		in = 1;
	}
	return in;
}

/* oracle - the maximal runs of the set, ascending */
static size_t
oracle(const net *nets, size_t n, run *runs)
{
	u128 pts[2 * MAXNET];
	size_t np = 0, nr = 0;

	for (size_t i = 0; i < n; i++) {
		pts[np++] = nets[i].lo;
		if (nets[i].hi != ~(u128)0)
			pts[np++] = nets[i].hi + 1;
	}
	qsort(pts, np, sizeof(*pts), u128_cmp);
	for (size_t i = 0; i < np; i++) {
		u128 lo = pts[i], hi;

		if (i + 1 < np && pts[i + 1] == lo)
			continue;
		hi = i + 1 < np ? pts[i + 1] - 1 : ~(u128)0;
		if (!member(nets, n, lo))
			continue;
		/* the whole piece [lo, hi] shares lo's membership */
		if (nr > 0 && runs[nr - 1].hi + 1 == lo)
			runs[nr - 1].hi = hi;
		else
			runs[nr++] = (run){ lo, hi };
	}
	return nr;
}

/* in_table - is c already among the n entries? */
static int
in_table(const tbl_entry *e, size_t n, const vcidr *c)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].cidr.plen == c->plen &&
		    vd_addr_cmp(&e[i].cidr.net, &c->net) == 0)
			return 1;
	return 0;
}

/* inside - is [lo, hi] within one run? */
static int
inside(const run *runs, size_t nr, u128 lo, u128 hi)
{
	for (size_t i = 0; i < nr; i++)
		if (runs[i].lo <= lo && hi <= runs[i].hi)
			return 1;
	return 0;
}

static void
check_plain(char *text, size_t len, const run *want, size_t nwant,
	    size_t count)
{
	run got[4 * MAXNET];
	size_t ngot = 0, lines = 0;
	char *p = text, *end = text + len, *nl;
	u128 prev_hi = 0;
	int any = 0;

	for (; p < end; p = nl + 1) {
		vcidr c, par;
		u128 lo, hi, plo, phi;

		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_CHECK(nl != NULL, "last line without newline");
		lines++;
		FUZZ_CHECK(vd_cidr_parse(p, (size_t)(nl - p), &c) == CIDR_OK,
			   "line \"%.*s\"", (int)(nl - p), p);
		span(&c, &lo, &hi);
		FUZZ_CHECK(!any || lo > prev_hi, "not ascending/overlap at "
			   "\"%.*s\"", (int)(nl - p), p);
		if (c.plen > 0) {
			par.net = c.net;
			par.plen = (uint8_t)(c.plen - 1);
			vd_addr_mask(&par.net, par.plen);
			span(&par, &plo, &phi);
			FUZZ_CHECK(!inside(want, nwant, plo, phi),
				   "\"%.*s\" is not maximal", (int)(nl - p), p);
		}
		any = 1;
		prev_hi = hi;
		if (ngot > 0 && got[ngot - 1].hi + 1 == lo)
			got[ngot - 1].hi = hi;
		else {
			FUZZ_CHECK(ngot < sizeof(got) / sizeof(*got), "lines");
			got[ngot++] = (run){ lo, hi };
		}
	}
	FUZZ_CHECK(lines == count, "%zu lines, count %zu", lines, count);
	FUZZ_CHECK(ngot == nwant, "%zu runs, expected %zu", ngot, nwant);
	for (size_t i = 0; i < ngot; i++)
		FUZZ_CHECK(got[i].lo == want[i].lo && got[i].hi == want[i].hi,
			   "run %zu differs", i);
}

static void
check_ranges(char *text, size_t len, const run *want, size_t nwant)
{
	char *p = text, *end = text + len, *nl, *dash;
	size_t i = 0;

	for (; p < end; p = nl + 1, i++) {
		vaddr a, b;

		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_CHECK(nl != NULL, "last line without newline");
		dash = memchr(p, '-', (size_t)(nl - p));
		FUZZ_CHECK(dash != NULL, "\"%.*s\"", (int)(nl - p), p);
		FUZZ_CHECK(vd_addr_parse(p, (size_t)(dash - p), &a) == 0 &&
			   vd_addr_parse(dash + 1, (size_t)(nl - dash - 1), &b) == 0,
			   "\"%.*s\"", (int)(nl - p), p);
		FUZZ_CHECK(i < nwant && to_u(&a) == want[i].lo &&
			   to_u(&b) == want[i].hi, "range %zu \"%.*s\"", i,
			   (int)(nl - p), p);
	}
	FUZZ_CHECK(i == nwant, "%zu ranges, expected %zu", i, nwant);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int formats[] = { FEED_PF, FEED_NFT, FEED_IPSET,
		FEED_POSTFIX, FEED_RBLDNSD, FEED_RBLDNSD6, FEED_JSON };
	tbl_entry ents[3][MAXNET];
	size_t nent[3] = { 0, 0, 0 }, nnet = 0, total, count = 0;
	net nets[MAXNET];
	vcidr trusted[MAXNET];
	size_t ntrusted = 0;
	run want[2 * MAXNET];
	size_t nwant;
	feed_opts o;
	tbl_reader *r;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int family, mode, rc;

	if (size < 1)
		return 0;
	family = (int[]){ 0, 4, 6, 0 }[data[0] & 3];
	mode = (data[0] >> 2) & 7;
	for (size_t off = 1; off + 7 <= size && nnet < MAXNET; off += 7) {
		const uint8_t *d = data + off;
		int where = d[0] & 3, v6 = d[0] >> 2 & 1, exp = d[0] >> 3 & 3;
		int wide = d[0] >> 5 & 1;
		const char *why = reasons[d[0] >> 6];
		vcidr c;
		uint8_t b[16] = { 0 };

		if (!v6) {
			b[0] = wide ? d[2] : 10;
			b[1] = wide ? d[3] : d[3] & 3;
			b[2] = d[4];
			b[3] = d[5] ^ d[6];
			vd_addr_from_v4(&c.net, b);
			c.plen = (uint8_t)(96 + (wide ? 1 + d[1] % 32 :
						 14 + d[1] % 19));
		} else {
			b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
			b[4] = wide ? d[2] : 0;
			b[5] = d[3];
			b[14] = d[4];
			b[15] = d[5] ^ d[6];
			vd_addr_from_v6(&c.net, b);
			c.plen = (uint8_t)(wide ? 32 + d[1] % 97 :
					   104 + d[1] % 25);
		}
		vd_addr_mask(&c.net, c.plen);
		if (where < 3 && in_table(ents[where], nent[where], &c))
			continue;	/* a table holds a CIDR once */
		nets[nnet].where = where;
		nets[nnet].live = where == 3 || exp != 1;
		span(&c, &nets[nnet].lo, &nets[nnet].hi);
		if ((family == 4 && v6) || (family == 6 && !v6))
			nets[nnet].live = 0;
		nnet++;
		if (where == 3) {
			trusted[ntrusted++] = c;
			continue;
		}
		ents[where][nent[where]++] = (tbl_entry){
			.cidr = c, .added = NOW - 1000,
			.expires = exp == 1 ? NOW - 100 : exp == 2 ? NOW + 100 : 0,
			.reason = why, .rlen = (uint8_t)strlen(why),
			.origin = "fuzz", .olen = 4 };
	}
	for (int t = 0; t < 3; t++) {
		static const char *const names[3] = { "b1", "b2", "a1" };
		tbl_bulk bk;

		FUZZ_CHECK(vd_bulk_init(&bk, nent[t], NOW - 1000, "fuzz") == 0,
			   "bulk %s", names[t]);
		for (size_t i = 0; i < nent[t]; i++)
			FUZZ_CHECK(vd_bulk_add(&bk, &ents[t][i].cidr,
						ents[t][i].reason,
						ents[t][i].rlen,
						ents[t][i].expires) == 0,
				   "bulk add %s", names[t]);
		rc = vd_entries_replace(te, names[t], &bk, 0, 0, &total);
		vd_bulk_free(&bk);
		FUZZ_CHECK(rc == VERDICT_OK, "replace %s: %s", names[t],
			   verdict_errdetail());
	}
	nwant = oracle(nets, nnet, want);

	memset(&o, 0, sizeof(o));
	o.block = id_b;
	o.nblock = 2;
	o.block_names = (const char *const[]){ "b1", "b2" };
	o.allow = &id_a;
	o.nallow = 1;
	o.trusted = trusted;
	o.ntrusted = ntrusted;
	o.family = family;
	o.format = mode < 2 ? FEED_PLAIN : formats[(mode - 2 + data[0] / 32) % 7];
	o.ranges = mode == 1;
	o.now = NOW;
	if ((out = open_memstream(&text, &len)) == NULL)
		abort();
	rc = vd_lmdb_env_read_begin(te, 0, &r);
	FUZZ_CHECK(rc == VERDICT_OK, "read_begin %d", rc);
	rc = vd_feed_write(r, &o, out, &count);
	vd_lmdb_env_read_end(te, r);
	FUZZ_CHECK(fclose(out) == 0, "fclose");
	if (o.format == FEED_IPSET && rc == VERDICT_ERANGE)
		rc = VERDICT_OK;
	FUZZ_CHECK(rc == VERDICT_OK, "vd_feed_write %d: %s", rc,
		   verdict_errdetail());
	if (mode == 0)
		check_plain(text, len, want, nwant, count);
	else if (mode == 1)
		check_ranges(text, len, want, nwant);
	free(text);
	return 0;
}
