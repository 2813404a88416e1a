/*
 * verdict_heap.h - the CLI's heap prefault for `verdict import`
 */
#ifndef VERDICT_HEAP_H
#define VERDICT_HEAP_H

#include <pthread.h>
#include <stddef.h>

typedef struct heap_prefault {
	char *lo;
	size_t len;
	pthread_t th;
	int on;
} heap_prefault;

/* heap_prefault_start - grow malloc's heap by about what importing the
 * list at path will take and populate it from an idle-priority thread;
 * a hint: on any failure malloc works as before. */
void heap_prefault_start(const char *path, heap_prefault *h);
/* heap_prefault_done - join the thread, if it runs. */
void heap_prefault_done(heap_prefault *h);

#endif
