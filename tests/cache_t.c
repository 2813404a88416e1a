/*
 * cache_t.c - the answer cache (cache.h): get/put/expiry, vd_cache_get_many
 * against single gets, shard groups, second-chance eviction order, the
 * capacity bound and hit count under many threads.
 *
 * Keys are 24 bytes shaped like the DNSBL engine's: a 16-byte "IP" (the
 * shard group when group_len is 16) and an 8-byte zone part.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "testutil.h"

#define KLEN 24
#define GLEN 16
#define NSH 64			/* shards in cache.c */

/* key - ip number and zone number into k[KLEN] */
static void
key(unsigned char *k, uint32_t ip, uint32_t zone)
{
	memset(k, 0, KLEN);
	memcpy(k + 12, &ip, 4);
	memcpy(k + 16, &zone, 4);
}

/* val - the value stored for (ip, zone): its own key's numbers, so a hit
 * returning another key's value shows */
static void
val(uint32_t *v, uint32_t ip, uint32_t zone)
{
	v[0] = ip;
	v[1] = zone;
	v[2] = ip ^ zone ^ 0xa5a5a5a5u;
}

static int
get1(cache *c, uint32_t ip, uint32_t zone, int64_t now)
{
	unsigned char k[KLEN];
	uint32_t v[3], w[3];
	size_t n = sizeof(v);
	int hit;

	key(k, ip, zone);
	hit = vd_cache_get(c, k, KLEN, v, &n, now);
	if (hit) {
		val(w, ip, zone);
		ck_assert_uint_eq(n, sizeof(v));
		ck_assert_msg(memcmp(v, w, sizeof(v)) == 0,
			      "ip %u zone %u: another key's value", ip, zone);
	}
	return hit;
}

static void
put1(cache *c, uint32_t ip, uint32_t zone, int64_t expires)
{
	unsigned char k[KLEN];
	uint32_t v[3];

	key(k, ip, zone);
	val(v, ip, zone);
	ck_assert_int_eq(vd_cache_put(c, k, KLEN, v, sizeof(v), expires), 0);
}

/* basic semantics, table-driven: a sequence of puts, then a get at now */
START_TEST(get_put_expiry)
{
	static const struct {
		const char *label;
		long max;
		int64_t exp1, exp2;	/* put (1,1) until exp1, again until
					 * exp2 (0: no second put) */
		int64_t now;
		int hit;
		size_t count_after;	/* entries after the get */
	} t[] = {
		{ "live", 1000, 100, 0, 50, 1, 1 },
		{ "expired at its instant", 1000, 100, 0, 100, 0, 0 },
		{ "expired later", 1000, 100, 0, 1000, 0, 0 },
		{ "replace extends", 1000, 100, 500, 200, 1, 1 },
		{ "replace shortens", 1000, 500, 100, 200, 0, 0 },
		{ "capacity 0 stores nothing", 0, 100, 0, 50, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cache *c = vd_cache_new(t[i].max, GLEN);

		ck_assert_ptr_nonnull(c);
		put1(c, 1, 1, t[i].exp1);
		if (t[i].exp2)
			put1(c, 1, 1, t[i].exp2);
		ck_assert_msg(get1(c, 1, 1, t[i].now) == t[i].hit,
			      "%s: hit", t[i].label);
		ck_assert_msg(vd_cache_count(c) == t[i].count_after,
			      "%s: count %zu", t[i].label, vd_cache_count(c));
		ck_assert_msg(vd_cache_hits(c) == (unsigned long)t[i].hit,
			      "%s: hits %lu", t[i].label, vd_cache_hits(c));
		vd_cache_free(c);
	}
}
END_TEST

/* limits and partial copies */
START_TEST(limits)
{
	unsigned char k[CACHE_KEY_MAX + 1] = { 0 }, v[CACHE_VAL_MAX + 1] = { 0 };
	unsigned char out[4];
	size_t n = sizeof(out);
	cache *c = vd_cache_new(100, GLEN);

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(vd_cache_new(100, CACHE_KEY_MAX + 1));
	ck_assert_int_eq(vd_cache_put(c, k, CACHE_KEY_MAX + 1, v, 1, 10), -1);
	ck_assert_int_eq(vd_cache_put(c, k, 8, v, CACHE_VAL_MAX + 1, 10), -1);
	memset(v, 7, 10);
	/* a key shorter than the group: the whole key chooses the shard */
	ck_assert_int_eq(vd_cache_put(c, k, 8, v, 10, 10), 0);
	ck_assert_int_eq(vd_cache_get(c, k, 8, out, &n, 1), 1);
	ck_assert_uint_eq(n, sizeof(out));	/* cut to the room given */
	ck_assert_int_eq(out[3], 7);
	n = sizeof(out);
	ck_assert_int_eq(vd_cache_get(c, k, 9, out, &n, 1), 0);	/* length */
	vd_cache_free(c);
}
END_TEST

/* vd_cache_get_many gives exactly what vd_cache_get gives, on two caches built
 * alike: present, absent, expired (and dropped), other groups, repeats */
START_TEST(get_many_equals_get)
{
	enum { NREQ = 40 };
	cache *a = vd_cache_new(100000, GLEN), *b = vd_cache_new(100000, GLEN);
	unsigned char keys[NREQ][KLEN];
	uint32_t vals[NREQ][4];
	cache_req rq[NREQ];
	uint32_t ip, zone;
	size_t i, hits = 0, nh;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (ip = 1; ip <= 4; ip++)
		for (zone = 1; zone <= 8; zone++) {
			/* zone 3 expired, zone 7 never stored */
			if (zone == 7)
				continue;
			put1(a, ip, zone, zone == 3 ? 5 : 1000);
			put1(b, ip, zone, zone == 3 ? 5 : 1000);
		}
	for (i = 0; i < NREQ; i++) {
		/* runs of one IP, then changes; ip 9 never stored; the
		 * last requests repeat earlier ones */
		ip = i < 36 ? (uint32_t)(i / 9) + 1 : 1;
		if (i >= 27 && i < 36)
			ip = 9;
		zone = (uint32_t)(i % 9) + 1;
		key(keys[i], ip, zone);
		rq[i].key = keys[i];
		rq[i].klen = KLEN;
		rq[i].val = vals[i];
		rq[i].vlen = sizeof(vals[i]);
		rq[i].hit = -1;
	}
	nh = vd_cache_get_many(b, rq, NREQ, 10);
	for (i = 0; i < NREQ; i++) {
		uint32_t v[4];
		size_t n = sizeof(v);
		int hit = vd_cache_get(a, keys[i], KLEN, v, &n, 10);

		ck_assert_msg(rq[i].hit == hit, "request %zu: hit %d, get %d",
			      i, rq[i].hit, hit);
		if (!hit)
			continue;
		hits++;
		ck_assert_uint_eq(rq[i].vlen, n);
		ck_assert_uint_eq(n, 12);
		ck_assert_msg(memcmp(vals[i], v, n) == 0, "request %zu: value", i);
	}
	ck_assert_uint_eq(nh, hits);
	ck_assert_uint_gt(hits, 20);
	ck_assert_uint_lt(hits, NREQ);
	ck_assert_uint_eq(vd_cache_count(a), vd_cache_count(b));
	ck_assert_uint_eq(vd_cache_hits(a), vd_cache_hits(b));
	vd_cache_free(a);
	vd_cache_free(b);
}
END_TEST

/* a group is one shard: with 4 entries a shard, one IP keeps 4 answers;
 * without groups the same keys spread over the shards */
START_TEST(group_is_one_shard)
{
	static const struct {
		const char *label;
		size_t glen;
		size_t min, max;	/* count after 20 zones of one IP */
	} t[] = {
		{ "grouped by IP", GLEN, 4, 4 },
		{ "whole key", 0, 8, 20 },
	};
	size_t i;
	uint32_t zone;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cache *c = vd_cache_new(4 * NSH, t[i].glen);

		ck_assert_ptr_nonnull(c);
		for (zone = 1; zone <= 20; zone++)
			put1(c, 42, zone, 1000);
		ck_assert_msg(vd_cache_count(c) >= t[i].min
			      && vd_cache_count(c) <= t[i].max, "%s: count %zu",
			      t[i].label, vd_cache_count(c));
		vd_cache_free(c);
	}
}
END_TEST

/* second chance: one shard of 4 (one IP); steps put (p) or get (g) a
 * zone; then exactly the zones of "held" are present */
START_TEST(second_chance_order)
{
	static const struct {
		const char *label;
		const char *steps;	/* "p1 p2 g1 ..." */
		const char *held;	/* zones present at the end */
	} t[] = {
		{ "fifo without hits", "p1 p2 p3 p4 p5", "2345" },
		{ "a hit survives", "p1 p2 p3 p4 g1 p5", "1345" },
		{ "two hits", "p1 p2 p3 p4 g1 g2 p5 p6", "1256" },
		{ "second chance is used up", "p1 p2 p3 p4 g1 p5 p6 p7 p8",
		  "5678" },
		{ "all referenced: oldest goes", "p1 p2 p3 p4 g1 g2 g3 g4 p5",
		  "2345" },
		{ "hit again after its chance", "p1 p2 p3 p4 g1 p5 g1 p6 p7",
		  "1567" },
		{ "a replaced entry is the newest", "p1 p2 p3 p4 g1 p1 p5", "1345" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cache *c = vd_cache_new(4 * NSH, GLEN);
		const char *p;
		uint32_t z;

		ck_assert_ptr_nonnull(c);
		for (p = t[i].steps; *p; p++) {
			if (*p != 'p' && *p != 'g')
				continue;
			z = (uint32_t)(p[1] - '0');
			if (*p == 'p')
				put1(c, 7, z, 1000);
			else
				ck_assert_msg(get1(c, 7, z, 1), "%s: g%u missed",
					      t[i].label, z);
			p++;
		}
		for (z = 1; z <= 9; z++) {
			int want = strchr(t[i].held, (int)('0' + z)) != NULL;

			ck_assert_msg(get1(c, 7, z, 1) == want, "%s: zone %u "
				      "%s", t[i].label, z, want ? "evicted"
				      : "still held");
		}
		vd_cache_free(c);
	}
}
END_TEST

/* many threads: puts and batched gets on overlapping keys; every hit
 * holds its own key's value, the bound holds, hits add up */
enum { NTHR = 8, ROUNDS = 20000, MAXE = 640 };

typedef struct tharg {
	cache *c;
	unsigned seed;
	unsigned long hits;
} tharg;

static void *
worker(void *arg)
{
	tharg *t = arg;
	unsigned s = t->seed;
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		unsigned char keys[4][KLEN];
		uint32_t vals[4][3], w[3];
		cache_req rq[4];
		uint32_t ip;

		s = s * 1103515245u + 12345u;
		ip = (s >> 8) % 500;
		if (r % 3 == 0) {
			put1(t->c, ip, (s >> 20) % 4, (s >> 4) % 7 ? 1000 : 2);
			continue;
		}
		for (i = 0; i < 4; i++) {
			key(keys[i], ip, (uint32_t)i);
			rq[i].key = keys[i];
			rq[i].klen = KLEN;
			rq[i].val = vals[i];
			rq[i].vlen = sizeof(vals[i]);
		}
		t->hits += vd_cache_get_many(t->c, rq, 4, 5);
		for (i = 0; i < 4; i++) {
			if (!rq[i].hit)
				continue;
			val(w, ip, (uint32_t)i);
			if (rq[i].vlen != sizeof(w)
			    || memcmp(vals[i], w, sizeof(w)) != 0)
				return "wrong value";
		}
	}
	return NULL;
}

START_TEST(threads_bound_and_values)
{
	pthread_t th[NTHR];
	tharg a[NTHR];
	unsigned long hits = 0;
	cache *c = vd_cache_new(MAXE, GLEN);
	void *ret;
	int i;

	ck_assert_ptr_nonnull(c);
	for (i = 0; i < NTHR; i++) {
		a[i].c = c;
		a[i].seed = (unsigned)i * 7919u + 1;
		a[i].hits = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &a[i]), 0);
	}
	for (i = 0; i < NTHR; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_msg(ret == NULL, "thread %d: %s", i, (char *)ret);
		hits += a[i].hits;
	}
	ck_assert_uint_le(vd_cache_count(c), MAXE);
	ck_assert_uint_gt(vd_cache_count(c), MAXE / 4);
	ck_assert_uint_gt(hits, 0);
	ck_assert_uint_eq(vd_cache_hits(c), hits);
	vd_cache_free(c);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, get_put_expiry);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, get_many_equals_get);
	tcase_add_test(tc, group_is_one_shard);
	tcase_add_test(tc, second_chance_order);
	tcase_add_test(tc, threads_bound_and_values);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
