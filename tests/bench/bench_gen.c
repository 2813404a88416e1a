/*
 * bench_gen.c - deterministic data for the libverdict benchmark
 *
 * Usage: bench_gen OUTDIR [SEED]
 *
 * Writes, from one fixed seed (default 20240611), in OUTDIR:
 *	block4.txt	1,000,000 IPv4 CIDRs "a.b.c.d/n ; SBLnnnnnn": about
 *			49% /32, 40% /24, 10% /16../23, ~100 of /8../15
 *			(half of them /15, one /8);
 *			one in ten is drawn inside an earlier entry (nesting)
 *	block6.txt	200,000 IPv6 CIDRs in 2000::/3, /48../128, same
 *			format, one in ten nested
 *	block.txt	block4.txt then block6.txt (1.2M lines)
 *	block10k.txt	10,000 lines of block.txt (every 120th): growth run
 *	allow.txt	10,000 CIDRs (/24 and /32), half inside block entries
 *	queries.txt	1,000,000 IPs, 92% IPv4, 8% IPv6; ~27% are drawn
 *			inside a block entry, the rest at random (some of
 *			those hit too), 0.1% in 127.0.0.0/8
 *	queries10k.txt	the same mix with the draws inside block10k.txt
 *			entries (growth at an equal hit rate)
 *
 *	main	generate everything
 *
 * Diagnostics: a message on stderr and exit 1 when a file cannot be
 * written.  Limits: duplicates are removed, so a nested draw that lands
 * on an existing CIDR is drawn again; the count is exact.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N4	1000000
#define N6	200000
#define NALLOW	10000
#define NQUERY	1000000
#define TENTH	((N4 + N6) / 10000)	/* block10k.txt: every 120th line */

typedef unsigned __int128 u128;

typedef struct cidr {
	u128 net;		/* IPv6 key space; IPv4 in the low 32 bits */
	uint8_t plen;		/* prefix length in its own family */
	uint8_t v6;
	uint32_t sbl;
} cidr;

static uint64_t rng_state;

/* rng - splitmix64: fixed seed, same data on every machine. */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* rng_below - uniform in [0, n). */
static uint64_t
rng_below(uint64_t n)
{
	return rng() % n;
}

static u128
mask_of(int bits, int plen)
{
	u128 all = bits == 128 ? ~(u128)0 : (((u128)1 << bits) - 1);

	if (plen == 0)
		return 0;
	return all & ~((((u128)1) << (bits - plen)) - 1);
}

/* Duplicate filter: open addressing on (net, plen, v6). */
static u128 *seen_key;
static uint8_t *seen_tag;
static size_t seen_cap;

static int
seen_add(const cidr *c)
{
	u128 k = c->net;
	uint8_t tag = (uint8_t)(c->plen | (c->v6 ? 0x80 : 0)) | 0;
	uint64_t h = (uint64_t)k ^ (uint64_t)(k >> 64) * 0x9e3779b97f4a7c15ULL;
	size_t i;

	h ^= tag * 0xff51afd7ed558ccdULL;
	h *= 0xc4ceb9fe1a85ec53ULL;
	for (i = (size_t)(h >> 20) & (seen_cap - 1);; i = (i + 1) & (seen_cap - 1)) {
		if (seen_tag[i] == 0) {
			seen_key[i] = k;
			seen_tag[i] = tag | 0x40;	/* never 0 */
			return 1;
		}
		if (seen_tag[i] == (tag | 0x40) && seen_key[i] == k)
			return 0;
	}
}

static int
pick_plen4(void)
{
	uint64_t r = rng_below(1000000);

	if (r < 100) {				/* "a few": ~100 of /8../15 */
		int p = 15;

		while (p > 8 && rng_below(2) == 0)
			p--;
		return p;
	}
	if (r < 100100) {			/* 10%: /16../23, longer likelier */
		int p = 23;

		while (p > 16 && rng_below(3) == 0)
			p--;
		return p;
	}
	if (r < 510000)
		return 24;
	return 32;
}

static int
pick_plen6(void)
{
	uint64_t r = rng_below(100);

	if (r < 30)
		return 48;
	if (r < 45)
		return 56;
	if (r < 75)
		return 64;
	if (r < 95)
		return 128;
	return 49 + (int)rng_below(79);
}

/* rand4 - a random unicast IPv4 address, not 0/8, 10/8, 127/8, >= 224. */
static uint32_t
rand4(void)
{
	for (;;) {
		uint32_t a = (uint32_t)rng();
		uint32_t o = a >> 24;

		if (o != 0 && o != 10 && o != 127 && o < 224)
			return a;
	}
}

/* rand6 - a random address in 2000::/3. */
static u128
rand6(void)
{
	u128 a = ((u128)rng() << 64) | rng();

	return (a & (~(u128)0 >> 3)) | ((u128)1 << 125);
}

static void
gen_family(cidr *out, size_t n, int v6, uint32_t *sbl)
{
	int bits = v6 ? 128 : 32;
	size_t i = 0;

	while (i < n) {
		cidr c;

		c.v6 = (uint8_t)v6;
		if (i > 1000 && rng_below(10) == 0) {
			/* nested: a longer prefix inside an earlier entry */
			const cidr *p = &out[rng_below(i)];
			int lo = p->plen + 1, room;

			if (p->plen >= bits)
				continue;
			room = bits - lo + 1;
			c.plen = (uint8_t)(lo + (int)rng_below(room > 16 ? 16 : room));
			if (!v6 && c.plen < 24 && rng_below(2))
				c.plen = 24;
			if (!v6 && c.plen > 24 && rng_below(2))
				c.plen = 32;
			c.net = p->net | ((v6 ? rand6() : rand4()) &
					  ~mask_of(bits, p->plen));
		} else {
			c.plen = (uint8_t)(v6 ? pick_plen6() : pick_plen4());
			c.net = v6 ? rand6() : rand4();
		}
		c.net &= mask_of(bits, c.plen);
		if (!seen_add(&c))
			continue;
		c.sbl = (*sbl)++;
		out[i++] = c;
	}
}

static void
fmt_addr(const cidr *c, u128 a, char *buf, size_t len)
{
	if (c->v6) {
		unsigned char b[16];
		int k;

		for (k = 0; k < 16; k++)
			b[k] = (unsigned char)(a >> (8 * (15 - k)));
		inet_ntop(AF_INET6, b, buf, (socklen_t)len);
	} else {
		uint32_t v = (uint32_t)a;

		snprintf(buf, len, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255,
			 (v >> 8) & 255, v & 255);
	}
}

static FILE *
open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench_gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void
close_out(FILE *f)
{
	if (ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "bench_gen: write error\n");
		exit(1);
	}
}

static void
put_cidr(FILE *f, const cidr *c, int with_reason)
{
	char buf[64];

	fmt_addr(c, c->net, buf, sizeof(buf));
	if (with_reason)
		fprintf(f, "%s/%u ; SBL%06u\n", buf, c->plen, c->sbl);
	else
		fprintf(f, "%s/%u\n", buf, c->plen);
}

/* inside - a random address inside c. */
static u128
inside(const cidr *c)
{
	int bits = c->v6 ? 128 : 32;
	u128 r = c->v6 ? rand6() : (u128)(uint32_t)rng();

	return c->net | (r & ~mask_of(bits, c->plen));
}

/*
 * write_queries - NQUERY IPs, 92% IPv4: 0.1% in 127/8, 27% drawn inside a
 * block entry - every step-th line of block.txt (b4[] then b6[]), as
 * block10k.txt takes them -, the rest at random
 */
static void
write_queries(const char *dir, const char *name, const cidr *b4,
	      const cidr *b6, size_t step)
{
	size_t o6 = (step - N4 % step) % step, i, k;
	FILE *f = open_out(dir, name);
	char buf[64];
	cidr c;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < NQUERY; i++) {
		uint64_t r = rng_below(1000);
		int v6 = rng_below(100) < 8;
		u128 a;

		c.v6 = (uint8_t)v6;
		if (r == 0) {
			c.v6 = 0;
			a = ((u128)127 << 24) | (rng() & 0xffffff);
		} else if (r < 270) {
			k = v6 ? o6 + (size_t)rng_below((N6 - o6 + step - 1) /
						       step) * step :
			    (size_t)rng_below((N4 + step - 1) / step) * step;
			a = inside(v6 ? &b6[k] : &b4[k]);
		} else {
			a = v6 ? rand6() : rand4();
		}
		fmt_addr(&c, a, buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	close_out(f);
}

int
main(int argc, char **argv)
{
	cidr *b4, *b6, c;
	uint32_t sbl = 100000;
	size_t i;
	FILE *f, *g;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_gen OUTDIR [SEED]\n");
		return 2;
	}
	rng_state = argc == 3 ? strtoull(argv[2], NULL, 10) : 20240611;
	seen_cap = 1u << 22;
	seen_key = calloc(seen_cap, sizeof(*seen_key));
	seen_tag = calloc(seen_cap, 1);
	b4 = calloc(N4, sizeof(*b4));
	b6 = calloc(N6, sizeof(*b6));
	if (!seen_key || !seen_tag || !b4 || !b6) {
		fprintf(stderr, "bench_gen: out of memory\n");
		return 1;
	}
	gen_family(b4, N4, 0, &sbl);
	gen_family(b6, N6, 1, &sbl);

	f = open_out(argv[1], "block4.txt");
	g = open_out(argv[1], "block.txt");
	for (i = 0; i < N4; i++) {
		put_cidr(f, &b4[i], 1);
		put_cidr(g, &b4[i], 1);
	}
	close_out(f);
	f = open_out(argv[1], "block6.txt");
	for (i = 0; i < N6; i++) {
		put_cidr(f, &b6[i], 1);
		put_cidr(g, &b6[i], 1);
	}
	close_out(f);
	close_out(g);

	f = open_out(argv[1], "block10k.txt");
	for (i = 0; i < N4 + N6; i += TENTH)
		put_cidr(f, i < N4 ? &b4[i] : &b6[i - N4], 1);
	close_out(f);

	/* allow: half inside block entries (allow must beat block) */
	f = open_out(argv[1], "allow.txt");
	for (i = 0; i < NALLOW;) {
		c.v6 = 0;
		c.plen = rng_below(2) ? 24 : 32;
		if (i % 2 == 0) {
			const cidr *p = &b4[rng_below(N4)];

			if (p->plen > c.plen)
				continue;
			c.net = inside(p);
		} else {
			c.net = rand4();
		}
		c.net &= mask_of(32, c.plen);
		if (!seen_add(&c))
			continue;
		put_cidr(f, &c, 0);
		i++;
	}
	close_out(f);

	write_queries(argv[1], "queries.txt", b4, b6, 1);
	/* the same mix for the 10k table: hits drawn inside its entries */
	write_queries(argv[1], "queries10k.txt", b4, b6, TENTH);
	free(b4);
	free(b6);
	free(seen_key);
	free(seen_tag);
	return 0;
}
