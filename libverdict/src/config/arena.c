/*
 * arena.c - the memory of one parsed configuration (arena.h)
 *
 *	vd_arena_new		an empty arena
 *	vd_arena_alloc		zeroed, aligned bytes
 *	vd_arena_array		zeroed array, size overflow-checked
 *	vd_arena_strndup	copy of a counted string
 *	vd_arena_free		free it all
 *
 * A list of chunks with bump allocation.  Nothing is freed one by one: a
 * configuration is read once and dropped whole, and a parse error drops
 * the half-built one the same way.
 *
 * Diagnostics: none; NULL on out of memory.
 *
 * Limits: one request is at most SIZE_MAX / 2 bytes.  A request that
 * does not fit the current chunk starts a new one (of its own size when
 * larger than a chunk); what was left of the old chunk stays unused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct vd_arena {
	struct chunk *head;
};

#define ARENA_ALIGN	(sizeof(max_align_t))
#define ARENA_CHUNK	(16 * 1024)

/* vd_arena_new - the first chunk comes with the first allocation */
vd_arena *
vd_arena_new(void)
{
	return calloc(1, sizeof(vd_arena));
}

/* vd_arena_alloc - calloc'd chunks, so every allocation starts zeroed */
void *
vd_arena_alloc(vd_arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		c = calloc(1, sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->size = sz;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

/* vd_arena_array - n * sz checked before it can wrap */
void *
vd_arena_array(vd_arena *a, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		return NULL;
	return vd_arena_alloc(a, n * sz);
}

/* vd_arena_strndup - s need not be NUL-terminated */
char *
vd_arena_strndup(vd_arena *a, const char *s, size_t len)
{
	char *p = vd_arena_alloc(a, len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

/* vd_arena_free - every chunk, then the arena itself */
void
vd_arena_free(vd_arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
