/*
 * writeback.c - start the device writes of a large commit early
 *
 *	vd_writeback_start	start the helper thread on data.mdb
 *	vd_writeback_stop	stop and join it
 *
 * LMDB commits by writing every dirty page into the page cache and then
 * calling fdatasync(), which starts the device writes only then: for a
 * large import the sync would wait for all of them after all of the
 * copying.  While such a commit writes, the helper asks the kernel every
 * 5 ms to start writing back the part of the file written since
 * (sync_file_range(SYNC_FILE_RANGE_WRITE): a hint that changes nothing
 * about durability - fdatasync still decides), so the device works while
 * LMDB copies and the sync has less left to wait for.
 *
 * Diagnostics: none; a helper that cannot start leaves the commit as
 * LMDB makes it.
 *
 * Limits: Linux only (sync_file_range); one helper per commit, used by
 * the store for imports large enough to pay for a thread.
 */
#include <pthread.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>

#include "writeback.h"

#define WRITEBACK_PERIOD_NS 5000000

/* writeback_run - the helper: start what is new, every period */
static void *
writeback_run(void *arg)
{
	writeback *w = arg;
	off_t from = w->from;
	struct timespec ts;
	struct stat st;

	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		pthread_mutex_unlock(&w->mu);
		/* LMDB writes pages in page order, so the file grows from
		 * front to back: start what is new since the last round */
		if (fstat(w->fd, &st) == 0 && st.st_size > from) {
			(void)sync_file_range(w->fd, from, st.st_size - from,
					      SYNC_FILE_RANGE_WRITE);
			from = st.st_size;
		}
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WRITEBACK_PERIOD_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!w->done)
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* vd_writeback_start - start the helper (w->on says whether it runs) */
void
vd_writeback_start(writeback *w, int fd, off_t from)
{
	pthread_condattr_t ca;

	w->on = 0;
	w->from = from;
	w->fd = fd;
	w->done = 0;
	if (pthread_condattr_init(&ca) != 0)
		return;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->th, NULL, writeback_run, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return;
	}
	w->on = 1;
}

/* vd_writeback_stop - stop and join the helper, if it runs */
void
vd_writeback_stop(writeback *w)
{
	if (!w->on)
		return;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->on = 0;
}
