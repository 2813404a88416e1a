/*
 * alloc.h - big allocations for bulk passes
 *
 * An import reads and sorts arrays of millions of entries.  Such arrays
 * are anonymous mappings: one about to be filled at once is populated in
 * one call, because a page fault per 4 KiB page costs a whole import
 * more than the work it saves; one that fills as it goes is reserved and
 * grows with mremap, without a copy of what it holds.  Small sizes are plain malloc, so tests and
 * small imports pay no system calls.
 */
#ifndef VD_ALLOC_H
#define VD_ALLOC_H

#include <stddef.h>

/*
 * vd_alloc_big - size bytes, populated, for an array about to be filled
 * at once.  No huge pages are asked for: where the host takes freed guest
 * memory back, populating a fresh huge page costs more than small pages.
 * NULL on failure; freed with vd_alloc_big_free (size as allocated).
 */
void *vd_alloc_big(size_t size);

/*
 * vd_alloc_big_reserve - size bytes of address space for an array that fills
 * as it goes: not populated, a page costs only when first written.
 * vd_alloc_big_resize moves it to new_size bytes (mremap: no copy for a
 * mapping), NULL on failure with p intact.  vd_alloc_big_free releases it
 * (size as last allocated).
 */
void *vd_alloc_big_reserve(size_t size);
void *vd_alloc_big_resize(void *p, size_t size, size_t new_size);
void vd_alloc_big_free(void *p, size_t size);

#endif
