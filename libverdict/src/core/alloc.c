/*
 * alloc.c - big allocations for bulk passes (alloc.h)
 *
 *	vd_alloc_big_reserve	address space, populated on first write
 *	vd_alloc_big		address space populated at once
 *	vd_alloc_big_resize	grow or shrink, mremap for mappings
 *	vd_alloc_big_free		release either (size as last allocated)
 *
 * Whether a block is a mapping or malloc memory is decided by its size
 * alone (BIG_MIN), so the caller only has to remember the size, which it
 * knows anyway.
 *
 * Diagnostics: none; NULL on failure.
 *
 * Limits: Linux only (mremap, MADV_POPULATE_WRITE).  Populating is a
 * hint: a kernel older than 5.14 refuses it and pages fault in on first
 * use.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

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

/* vd_alloc_big - one populate call instead of a fault per page */
void *
vd_alloc_big(size_t size)
{
	void *p = vd_alloc_big_reserve(size);

	if (p != NULL && size >= BIG_MIN)
		(void)madvise(p, size, MADV_POPULATE_WRITE);
	return p;
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
