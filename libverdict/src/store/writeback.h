/*
 * writeback.h - start the device writes of a large commit early
 *
 * A helper thread that, while LMDB writes a commit's pages into the page
 * cache, asks the kernel to start writing back what is new in data.mdb
 * (sync_file_range(SYNC_FILE_RANGE_WRITE)), so the commit's fdatasync
 * finds most of the work under way.  A hint only: durability is still
 * decided by LMDB's own sync.
 */
#ifndef VD_WRITEBACK_H
#define VD_WRITEBACK_H

#include <pthread.h>
#include <sys/types.h>

typedef struct writeback {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd, done, on;
	off_t from;
} writeback;

/* vd_writeback_start - start the helper on fd, from offset from on (the
 * end of the last committed page); w->on says whether it runs (a
 * failure to start it costs only the speed-up). */
void vd_writeback_start(writeback *w, int fd, off_t from);

/* vd_writeback_stop - stop and join the helper, if it runs. */
void vd_writeback_stop(writeback *w);

#endif
