/*
 * cache.c - bounded thread-safe key/value cache with expiry and LRU
 *
 *	cache_new	a cache of at most max_entries
 *	cache_free	free it and every entry
 *	cache_get	copy out a live value (and mark it recently used)
 *	cache_put	insert or replace, evicting the least recently used
 *	cache_count	entries held
 *
 * 64 shards selected by the key's hash, each with a mutex, a chained hash
 * table and a doubly linked LRU list.  An entry is one allocation (key
 * and value inline).  Expired entries are dropped when met by a lookup
 * or pushed out by the LRU order.
 *
 * Limits: capacity is per shard (max_entries / 64, at least 1), so a very
 * skewed key set may evict before max_entries are held.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define NSHARD 64
#define SHARD_OF(c, h) (&(c)->sh[(h) >> 58])	/* top 6 bits: 64 shards */

typedef struct centry {
	struct centry *hnext;		/* hash chain */
	struct centry *prev, *next;	/* LRU: head = most recent */
	uint64_t hash;
	int64_t expires;
	uint16_t klen, vlen;
	unsigned char data[];		/* key then value */
} centry;

typedef struct shard {
	pthread_mutex_t mu;
	centry **tab;
	size_t nbucket;			/* power of two */
	size_t count, cap;
	centry *head, *tail;
} shard;

struct cache {
	shard sh[NSHARD];
};

/* hash64 - 8 bytes a step (multiply, fold), then MurmurHash3's final
 * mix so every output bit depends on every input bit; the shard takes the
 * top bits and the bucket the low bits (SHARD_OF), so they are
 * independent */
static uint64_t
hash64(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

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
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

cache *
cache_new(long max_entries)
{
	cache *c;
	size_t per, nb, i;

	if (max_entries < 0)
		max_entries = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	per = max_entries ? ((size_t)max_entries + NSHARD - 1) / NSHARD : 0;
	for (nb = 16; nb < per; nb <<= 1)
		;
	for (i = 0; i < NSHARD; i++) {
		pthread_mutex_init(&c->sh[i].mu, NULL);
		c->sh[i].cap = per;
		c->sh[i].nbucket = nb;
		if ((c->sh[i].tab = calloc(nb, sizeof(centry *))) == NULL) {
			cache_free(c);
			return NULL;
		}
	}
	return c;
}

void
cache_free(cache *c)
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

/* remove - unlink from hash chain and LRU, free */
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

static centry *
find(shard *s, uint64_t h, const void *key, size_t klen)
{
	centry *e;

	for (e = s->tab[h & (s->nbucket - 1)]; e; e = e->hnext)
		if (e->hash == h && e->klen == klen
		    && memcmp(e->data, key, klen) == 0)
			return e;
	return NULL;
}

int
cache_get(cache *c, const void *key, size_t klen, void *val, size_t *vlen,
	  int64_t now_ns)
{
	uint64_t h = hash64(key, klen);
	shard *s = SHARD_OF(c, h);
	centry *e;
	int hit = 0;

	pthread_mutex_lock(&s->mu);
	if ((e = find(s, h, key, klen)) != NULL) {
		if (e->expires <= now_ns) {
			remove_entry(s, e);
		} else {
			size_t n = e->vlen < *vlen ? e->vlen : *vlen;

			memcpy(val, e->data + e->klen, n);
			*vlen = n;
			if (s->head != e) {
				lru_unlink(s, e);
				lru_push(s, e);
			}
			hit = 1;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return hit;
}

int
cache_put(cache *c, const void *key, size_t klen, const void *val,
	  size_t vlen, int64_t expires_ns)
{
	uint64_t h = hash64(key, klen);
	shard *s = SHARD_OF(c, h);
	centry *e, *old;

	if (klen > CACHE_KEY_MAX || vlen > CACHE_VAL_MAX)
		return -1;
	if (s->cap == 0)
		return 0;
	if ((e = malloc(sizeof(*e) + klen + vlen)) == NULL)
		return -1;
	e->hash = h;
	e->expires = expires_ns;
	e->klen = (uint16_t)klen;
	e->vlen = (uint16_t)vlen;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, val, vlen);
	pthread_mutex_lock(&s->mu);
	if ((old = find(s, h, key, klen)) != NULL)
		remove_entry(s, old);
	while (s->count >= s->cap && s->tail)
		remove_entry(s, s->tail);
	e->hnext = s->tab[h & (s->nbucket - 1)];
	s->tab[h & (s->nbucket - 1)] = e;
	lru_push(s, e);
	s->count++;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

size_t
cache_count(cache *c)
{
	size_t i, n = 0;

	for (i = 0; i < NSHARD; i++) {
		pthread_mutex_lock(&c->sh[i].mu);
		n += c->sh[i].count;
		pthread_mutex_unlock(&c->sh[i].mu);
	}
	return n;
}
