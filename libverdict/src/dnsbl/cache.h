/*
 * cache.h - bounded thread-safe key/value cache with expiry and
 * approximate LRU (second chance)
 *
 * Keys and values are byte strings copied in and out.  The table is split
 * into shards, each a hash table with its own mutex and an eviction list,
 * so threads asking different keys rarely meet.  Capacity is split evenly
 * between the shards; a full shard evicts its least recently used entry,
 * approximately: entries leave in insertion order, except that one hit
 * since an entry last reached the old end gives it a second chance (it
 * goes back to the new end, unmarked) - CLOCK, so a hit writes one byte
 * instead of relinking a list.
 *
 * The shard of a key is chosen by its first group_len bytes (vd_cache_new):
 * keys sharing them live in one shard, and vd_cache_get_many looks a batch
 * of them up under one lock.
 */
#ifndef VD_CACHE_H
#define VD_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cache cache;

#define CACHE_KEY_MAX 64
#define CACHE_VAL_MAX 512

/* vd_cache_new - a cache of at most max_entries (>= 1; 0 gives a cache that
 * stores nothing).  group_len (0..CACHE_KEY_MAX): the key prefix that
 * chooses the shard; 0 (or a key no longer than it) uses the whole key.
 * NULL on out of memory or a bad group_len. */
cache *vd_cache_new(long max_entries, size_t group_len);
void vd_cache_free(cache *c);

/* vd_cache_get - copy the value of key into val (at most *vlen bytes; *vlen
 * gets its length) when present and not expired at now_ns; 1 hit, 0 miss.
 * A hit is marked recently used (see above); an expired entry met is
 * dropped. */
int vd_cache_get(cache *c, const void *key, size_t klen, void *val,
	      size_t *vlen, int64_t now_ns);

/* One lookup of a batch: key/klen and val/vlen (room) in; hit and vlen
 * (the length copied, as vd_cache_get) out. */
typedef struct cache_req {
	const void *key;
	size_t klen;
	void *val;
	size_t vlen;
	int hit;
} cache_req;

/* vd_cache_get_many - vd_cache_get for each of req[0..n), with the same
 * results; a run of requests whose keys fall in one shard (same first
 * group_len bytes) takes its lock once.  Returns the number of hits. */
size_t vd_cache_get_many(cache *c, cache_req *req, size_t n, int64_t now_ns);

/* vd_cache_put - insert or replace key (klen <= CACHE_KEY_MAX, vlen <=
 * CACHE_VAL_MAX) until expires_ns; 0 ok, -1 out of memory or too long. */
int vd_cache_put(cache *c, const void *key, size_t klen, const void *val,
	      size_t vlen, int64_t expires_ns);

/* vd_cache_count - entries held now (for tests and stats). */
size_t vd_cache_count(cache *c);

/* vd_cache_hits - hits (vd_cache_get, vd_cache_get_many) since
 * vd_cache_new: counted under the shard lock a hit holds anyway, so a
 * caller needs no counter (an atomic add) of its own. */
unsigned long vd_cache_hits(cache *c);

#endif
