/*
 * cache.c - bounded thread-safe key/value cache with expiry and
 * approximate LRU (second chance)
 *
 *	vd_cache_new	a cache of at most max_entries
 *	vd_cache_free	free it and every entry
 *	vd_cache_get	copy out a live value (and mark it referenced)
 *	vd_cache_get_many	vd_cache_get for a batch, one lock per run of a shard
 *	vd_cache_put	insert or replace, evicting the oldest unreferenced
 *	vd_cache_count	entries held
 *	vd_cache_hits	hits since vd_cache_new
 *
 * 64 shards selected by the hash of the key's first group_len bytes, each
 * with a mutex, a chained hash table (buckets by the whole key's hash)
 * and an eviction list in insertion order.  A hit sets the entry's
 * referenced byte; eviction takes the oldest entry, but one that is
 * referenced is unmarked and moved to the new end instead (second
 * chance, CLOCK), so eviction does at most one pass over a shard and a
 * hit never relinks.  An entry is one allocation (key and value inline).
 * Expired entries are dropped when met by a lookup or pushed out by the
 * eviction order.
 *
 * Limits: capacity is per shard (max_entries / 64, at least 1), so a very
 * skewed key set (or many keys of one group) may evict before max_entries
 * are held.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define NSHARD 64
#define SHARD_OF(c, g) (&(c)->sh[(g) >> 58])	/* top 6 bits: 64 shards */

typedef struct centry {
	struct centry *hnext;		/* hash chain */
	struct centry *prev, *next;	/* eviction: head = newest */
	uint64_t hash;
	int64_t expires;
	uint16_t klen, vlen;
	uint8_t ref;			/* hit since it last reached the tail */
	unsigned char data[];		/* key then value */
} centry;

typedef struct shard {
	pthread_mutex_t mu;
	centry **tab;
	size_t nbucket;			/* power of two */
	size_t count, cap;
	unsigned long hits;		/* since vd_cache_new */
	centry *head, *tail;
} shard;

struct cache {
	size_t glen;			/* key prefix choosing the shard */
	shard sh[NSHARD];
};

#define SEED 0x9e3779b97f4a7c15ULL

/* mix - fold n bytes into h, 8 a step (multiply, fold) */
static uint64_t
mix(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (n) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

/* fin - MurmurHash3's final mix, so every output bit depends on every
 * input bit */
static uint64_t
fin(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* group_len - the prefix of a key of klen bytes that chooses its shard
 * (0: the whole key) */
static size_t
group_len(const cache *c, size_t klen)
{
	return c->glen && c->glen < klen ? c->glen : 0;
}

/* key_hash - *hash of the whole key (bucket, entry) and the return value
 * of its group prefix of g bytes (shard: top bits), whose mixed state
 * pre is carried into the whole key's, so a key costs one pass */
static uint64_t
key_hash(const unsigned char *key, size_t klen, size_t g, uint64_t pre,
	 uint64_t *hash)
{
	*hash = fin(mix(pre, key + g, klen - g) ^ klen);
	return g ? fin(pre ^ g ^ 0x5bd1e995u) : *hash;
}

cache *
vd_cache_new(long max_entries, size_t group_len)
{
	cache *c;
	size_t per, nb, i;

	if (group_len > CACHE_KEY_MAX)
		return NULL;
	if (max_entries < 0)
		max_entries = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->glen = group_len;
	per = max_entries ? ((size_t)max_entries + NSHARD - 1) / NSHARD : 0;
	for (nb = 16; nb < per; nb <<= 1)
		;
	for (i = 0; i < NSHARD; i++) {
		pthread_mutex_init(&c->sh[i].mu, NULL);
		c->sh[i].cap = per;
		c->sh[i].nbucket = nb;
		if ((c->sh[i].tab = calloc(nb, sizeof(centry *))) == NULL) {
			vd_cache_free(c);
			return NULL;
		}
	}
	return c;
}

void
vd_cache_free(cache *c)
{
	size_t i;
	centry *e, *n;

	if (c == NULL)
		return;
	for (i = 0; i < NSHARD; i++) {
		for (e = c->sh[i].head; e; e = n) {
			n = e->next;
			free(e);
		}
		free(c->sh[i].tab);
		pthread_mutex_destroy(&c->sh[i].mu);
	}
	free(c);
}

static void
lru_unlink(shard *s, centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(shard *s, centry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	s->head = e;
	if (s->tail == NULL)
		s->tail = e;
}

/* remove - unlink from hash chain and eviction list, free */
static void
remove_entry(shard *s, centry *e)
{
	centry **pp = &s->tab[e->hash & (s->nbucket - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->count--;
	free(e);
}

/* key_eq - n bytes equal; inline, 8 a step (keys are short: a call to
 * memcmp cost more than the compare) */
static int
key_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	for (; n; n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

static centry *
find(shard *s, uint64_t h, const void *key, size_t klen)
{
	centry *e;

	for (e = s->tab[h & (s->nbucket - 1)]; e; e = e->hnext)
		if (e->hash == h && e->klen == klen
		    && key_eq(e->data, key, klen))
			return e;
	return NULL;
}

/* lookup - one get in shard s (locked): copy out, mark, or drop */
static int
lookup(shard *s, uint64_t h, const void *key, size_t klen, void *val,
       size_t *vlen, int64_t now_ns)
{
	centry *e;
	size_t n;

	if ((e = find(s, h, key, klen)) == NULL)
		return 0;
	if (e->expires <= now_ns) {
		remove_entry(s, e);
		return 0;
	}
	n = e->vlen < *vlen ? e->vlen : *vlen;
	memcpy(val, e->data + e->klen, n);
	*vlen = n;
	if (!e->ref)
		e->ref = 1;
	s->hits++;
	return 1;
}

int
vd_cache_get(cache *c, const void *key, size_t klen, void *val, size_t *vlen,
	  int64_t now_ns)
{
	size_t gl = group_len(c, klen);
	uint64_t h, g = key_hash(key, klen, gl, mix(SEED, key, gl), &h);
	shard *s = SHARD_OF(c, g);
	int hit;

	pthread_mutex_lock(&s->mu);
	hit = lookup(s, h, key, klen, val, vlen, now_ns);
	pthread_mutex_unlock(&s->mu);
	return hit;
}

size_t
vd_cache_get_many(cache *c, cache_req *req, size_t n, int64_t now_ns)
{
	shard *held = NULL, *s = NULL;
	const unsigned char *pk = NULL, *k;
	uint64_t h, pre = 0;
	size_t i, gl, pgl = 0, hits = 0;

	for (i = 0; i < n; i++) {
		k = req[i].key;
		gl = group_len(c, req[i].klen);
		if (gl && gl == pgl && key_eq(k, pk, gl)) {
			/* the previous key's group: its state and shard */
			h = fin(mix(pre, k + gl, req[i].klen - gl)
				^ req[i].klen);
		} else {
			pre = mix(SEED, k, gl);
			s = SHARD_OF(c, key_hash(k, req[i].klen, gl, pre, &h));
			pk = k;
			pgl = gl;
		}
		if (s != held) {
			if (held)
				pthread_mutex_unlock(&held->mu);
			pthread_mutex_lock(&s->mu);
			held = s;
		}
		req[i].hit = lookup(s, h, req[i].key, req[i].klen, req[i].val,
				    &req[i].vlen, now_ns);
		hits += (size_t)req[i].hit;
	}
	if (held)
		pthread_mutex_unlock(&held->mu);
	return hits;
}

int
vd_cache_put(cache *c, const void *key, size_t klen, const void *val,
	  size_t vlen, int64_t expires_ns)
{
	uint64_t h, g;
	shard *s;
	centry *e, *old, *t;

	if (klen > CACHE_KEY_MAX || vlen > CACHE_VAL_MAX)
		return -1;
	g = key_hash(key, klen, group_len(c, klen),
		     mix(SEED, key, group_len(c, klen)), &h);
	s = SHARD_OF(c, g);
	if (s->cap == 0)
		return 0;
	if ((e = malloc(sizeof(*e) + klen + vlen)) == NULL)
		return -1;
	e->hash = h;
	e->expires = expires_ns;
	e->klen = (uint16_t)klen;
	e->vlen = (uint16_t)vlen;
	e->ref = 0;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, val, vlen);
	pthread_mutex_lock(&s->mu);
	if ((old = find(s, h, key, klen)) != NULL)
		remove_entry(s, old);
	/* second chance: each turn unmarks one entry or evicts one, so
	 * this ends within count + 1 turns */
	while (s->count >= s->cap && (t = s->tail) != NULL) {
		if (t->ref) {
			t->ref = 0;
			lru_unlink(s, t);
			lru_push(s, t);
		} else {
			remove_entry(s, t);
		}
	}
	e->hnext = s->tab[h & (s->nbucket - 1)];
	s->tab[h & (s->nbucket - 1)] = e;
	lru_push(s, e);
	s->count++;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

size_t
vd_cache_count(cache *c)
{
	size_t i, n = 0;

	for (i = 0; i < NSHARD; i++) {
		pthread_mutex_lock(&c->sh[i].mu);
		n += c->sh[i].count;
		pthread_mutex_unlock(&c->sh[i].mu);
	}
	return n;
}

unsigned long
vd_cache_hits(cache *c)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < NSHARD; i++) {
		pthread_mutex_lock(&c->sh[i].mu);
		n += c->sh[i].hits;
		pthread_mutex_unlock(&c->sh[i].mu);
	}
	return n;
}
