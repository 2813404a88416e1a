/*
 * verdict_heap.c - populate malloc's heap ahead of `verdict import`
 *
 *	heap_prefault_start	grow the heap, populate it from an idle thread
 *	heap_prefault_done	join that thread
 *
 * Why it exists: LMDB takes every page an import writes from malloc, one
 * page at a time, and on a virtual machine a page fault per page costs
 * more than the import's own work on it; without this the whole import
 * is markedly slower.  So the heap is grown once by about what the
 * import will write (4 x the list's size, at most 1 GiB) and populated
 * by a thread of the lowest priority (SCHED_IDLE): it runs when a core
 * has nothing else to do, e.g. while the import reads and parses the
 * file, instead of holding up the start.  LMDB takes the heap from its
 * low end and the thread populates from there; a page LMDB reaches
 * first is simply faulted in by LMDB.  This lives in the CLI, not the
 * library: it sets process-wide malloc parameters, which only the
 * program may decide.
 *
 * Diagnostics: none; whatever fails leaves malloc working as before.
 *
 * Limits: Linux (MADV_POPULATE_WRITE, 5.14) and glibc malloc (mallopt,
 * sbrk); a list read from standard input or under 4 MiB gets nothing.
 */
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verdict_heap.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14 */
#endif

/* heap_prefault_run - the idle thread: populate the heap a step at a time */
static void *
heap_prefault_run(void *arg)
{
	struct sched_param sp = { .sched_priority = 0 };
	heap_prefault *h = arg;
	const size_t step = (size_t)2 << 20;

	/* (glibc's thread attributes take no SCHED_IDLE) */
	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);

	/* a step at a time: populating holds the mmap lock, which the
	 * import's own mmap() calls wait for */
	for (size_t off = 0; off < h->len; off += step)
		if (madvise(h->lo + off, h->len - off < step ? h->len - off :
			    step, MADV_POPULATE_WRITE) != 0)
			break;
	return NULL;
}

void
heap_prefault_start(const char *path, heap_prefault *h)
{
	struct stat st;
	size_t want;
	char *lo, *hi;
	void *p;

	h->on = 0;
	if (strcmp(path, "-") == 0 || stat(path, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return;
	want = (size_t)st.st_size * 4;
	if (want < ((size_t)16 << 20))
		return;
	if (want > ((size_t)1 << 30))
		want = (size_t)1 << 30;
	if (!mallopt(M_TRIM_THRESHOLD, (int)want) ||
	    !mallopt(M_TOP_PAD, (int)want) ||
	    !mallopt(M_MMAP_THRESHOLD, 1 << 20))
		return;
	lo = sbrk(0);
	p = malloc(256 << 10);	/* more than the top holds: the heap grows */
	hi = sbrk(0);
	free(p);
	if (p == NULL || lo == (char *)-1 || hi <= lo + (2 << 20))
		return;
	h->lo = (char *)(((uintptr_t)lo + 4095) & ~(uintptr_t)4095);
	h->len = (size_t)(hi - h->lo);
	if (pthread_create(&h->th, NULL, heap_prefault_run, h) == 0)
		h->on = 1;
	else
		(void)madvise(h->lo, h->len, MADV_POPULATE_WRITE);
}

void
heap_prefault_done(heap_prefault *h)
{
	if (h->on)
		pthread_join(h->th, NULL);
	h->on = 0;
}
