/*
 * alloc.c - big allocations for bulk passes (alloc.h)
 *
 *	vd_alloc_big_reserve	address space, populated on first write
 *	vd_alloc_big_resize	grow or shrink, mremap for mappings
 *	vd_alloc_big_free		release either (size as last allocated)
 *
 * Whether a block is a mapping or malloc memory is decided by its size
 * alone (BIG_MIN), so the caller only has to remember the size, which it
 * knows anyway.
 *
 * Diagnostics: none; NULL on failure.
 *
 * Limits: Linux only (mremap).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"

/* below this, malloc: a mapping costs syscalls a small import notices */
#define BIG_MIN ((size_t)1 << 20)

/* vd_alloc_big_reserve - the mapping is private and anonymous: zeroed pages */
void *
vd_alloc_big_reserve(size_t size)
{
	void *p;

	if (size < BIG_MIN)
		return malloc(size ? size : 1);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* vd_alloc_big_resize - a move across BIG_MIN changes the kind of block */
void *
vd_alloc_big_resize(void *p, size_t size, size_t new_size)
{
	void *np;

	if (size >= BIG_MIN && new_size >= BIG_MIN) {
		np = mremap(p, size, new_size, MREMAP_MAYMOVE);
		return np == MAP_FAILED ? NULL : np;
	}
	if (size < BIG_MIN && new_size < BIG_MIN)
		return realloc(p, new_size ? new_size : 1);
	if ((np = vd_alloc_big_reserve(new_size)) == NULL)
		return NULL;
	memcpy(np, p, size < new_size ? size : new_size);
	vd_alloc_big_free(p, size);
	return np;
}

/* vd_alloc_big_free - the size says which allocator owns p */
void
vd_alloc_big_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size < BIG_MIN)
		free(p);
	else
		munmap(p, size);
}
