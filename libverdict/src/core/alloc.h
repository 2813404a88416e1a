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
 * vd_util_bigreserve - size bytes of address space for an array that fills
 * as it goes: not populated, a page costs only when first written.
 * vd_util_bigresize moves it to new_size bytes (mremap: no copy for a
 * mapping), NULL on failure with p intact.  vd_util_bigfree releases it
 * (size as last allocated).
 */
void *vd_util_bigreserve(size_t size);
void *vd_util_bigresize(void *p, size_t size, size_t new_size);
void vd_util_bigfree(void *p, size_t size);

#endif
