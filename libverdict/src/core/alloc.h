/*
 * alloc.h - big allocations for bulk passes
 *
 * An import reads and sorts arrays of millions of entries.  Such arrays
 * are anonymous mappings, reserved and grown with mremap, without a copy
 * of what they hold.  Small sizes are plain malloc, so tests and
 * small imports pay no system calls.
 */
#ifndef VD_ALLOC_H
#define VD_ALLOC_H

#include <stddef.h>

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
