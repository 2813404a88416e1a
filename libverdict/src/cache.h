/*
 * cache.h - bounded thread-safe key/value cache with expiry and LRU
 *
 * Keys and values are byte strings copied in and out.  The table is split
 * into shards, each a hash table with its own mutex and LRU list, so
 * threads asking different keys rarely meet.  Capacity is split evenly
 * between the shards; a full shard evicts its least recently used entry.
 */
#ifndef VD_CACHE_H
#define VD_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cache cache;

#define CACHE_KEY_MAX 64
#define CACHE_VAL_MAX 512

/* cache_new - a cache of at most max_entries (>= 1; 0 gives a cache that
 * stores nothing).  NULL on out of memory. */
cache *cache_new(long max_entries);
void cache_free(cache *c);

/* cache_get - copy the value of key into val (at most *vlen bytes; *vlen
 * gets its length) when present and not expired at now_ns; 1 hit, 0 miss.
 * A hit becomes the most recently used entry. */
int cache_get(cache *c, const void *key, size_t klen, void *val,
	      size_t *vlen, int64_t now_ns);

/* cache_put - insert or replace key (klen <= CACHE_KEY_MAX, vlen <=
 * CACHE_VAL_MAX) until expires_ns; 0 ok, -1 out of memory or too long. */
int cache_put(cache *c, const void *key, size_t klen, const void *val,
	      size_t vlen, int64_t expires_ns);

/* cache_count - entries held now (for tests and stats). */
size_t cache_count(cache *c);

#endif
