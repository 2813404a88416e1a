/*
 * alloc.h - big allocations for bulk passes
 *
 * An import sorts and writes arrays of millions of entries.  Such arrays
 * are anonymous mappings: one that is filled at once is populated in one
 * call (a page fault per 4 KiB page costs more than the work on a virtual
 * machine), one that fills as it goes is only reserved and grows with
 * mremap, without a copy.  Small sizes are plain malloc, so tests and
 * small imports pay no system calls.
 */
#ifndef VD_ALLOC_H
#define VD_ALLOC_H

#include <stddef.h>

/*
 * vd_util_bigalloc - size bytes, populated, for an array about to be filled
 * at once.  No huge pages are asked for: where the host takes back freed
 * guest memory (virtio-balloon free page reporting), populating a fresh
 * huge page costs more than populating small pages.  NULL on failure.
 * vd_util_bigfree releases it (size as allocated).
 */
void *vd_util_bigalloc(size_t size);
void vd_util_bigfree(void *p, size_t size);

/*
 * vd_util_bigreserve - size bytes of address space for an array that fills
 * as it goes: not populated, a page costs only when first written.
 * vd_util_bigresize moves it to new_size bytes (mremap: no copy for a
 * mapping), NULL on failure with p intact.  Both are freed with
 * vd_util_bigfree (size as last allocated).
 */
void *vd_util_bigreserve(size_t size);
void *vd_util_bigresize(void *p, size_t size, size_t new_size);

#endif
