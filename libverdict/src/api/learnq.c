/*
 * learnq.c - the report queue of a context (learnq.h)
 *
 *	vd_learnq_new, _free	the queue; the committer thread on demand
 *	vd_learnq_add		one report into the running batch
 *	vd_learnq_flush		commit the batch now
 *	vd_learnq_commit	a caller's own batch, serialised with ours
 *	vd_learnq_table		a table's index
 *	vd_learnq_count(s)	the counters
 *
 * Why a batch: a report costs its caller (a milter thread at end of
 * message, the CLI) one append under a mutex; the LMDB write, its fsync
 * and the writer's lock are paid once per batch, by the committer, at
 * most learn_commit_interval after the batch's first report.  Commits
 * are serialised by their own mutex so a flush and the committer never
 * reorder two batches.  The queue is bounded: past LEARNQ_SOON reports
 * the committer is woken at once, past LEARNQ_HARD a report is counted
 * lost rather than letting a flood grow memory.
 *
 * Diagnostics: a failed commit is logged (LOG_ERR) with the number of
 * reports it lost, and counted.
 *
 * Limits: the committer waits on CLOCK_MONOTONIC; a fork child never
 * commits its parent's queue.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "clock.h"
#include "errors.h"
#include "learnq.h"

#define LEARNQ_SOON 65536
#define LEARNQ_HARD (16 * LEARNQ_SOON)

struct learn_queue {
	tbl_env *te;
	learn_params p;
	int64_t interval_ns;
	const char *const *names;
	size_t nnames;
	vd_logger lg;
	pthread_mutex_t mu;		/* cur, first_ns, t, thread state */
	pthread_cond_t cv;
	pthread_mutex_t commit_mu;	/* one commit at a time */
	learned_batch cur;
	int64_t first_ns;
	uint64_t t;			/* the batch's second */
	int started, stop;
	pthread_t th;
	uint64_t accepted, ignored, lost;	/* atomic */
};

int
vd_learnq_new(tbl_env *te, const learn_params *p, int64_t interval_ms,
	      const char *const *names, size_t n, const vd_logger *lg,
	      learn_queue **out)
{
	learn_queue *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;

	*out = NULL;
	if (q == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	q->te = te;
	q->p = *p;
	q->interval_ns = interval_ms * 1000000;
	q->names = names;
	q->nnames = n;
	if (lg)
		q->lg = *lg;
	pthread_mutex_init(&q->mu, NULL);
	pthread_mutex_init(&q->commit_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = q;
	return VERDICT_OK;
}

/* learnq_take - the running batch, left empty: under q->mu */
static learned_batch
learnq_take(learn_queue *q, uint64_t *t)
{
	learned_batch b = q->cur;

	memset(&q->cur, 0, sizeof(q->cur));
	*t = q->t;
	return b;
}

int
vd_learnq_commit(learn_queue *q, learned_batch *b, uint64_t now)
{
	int rc;

	pthread_mutex_lock(&q->commit_mu);
	rc = vd_learned_commit(q->te, &q->p, q->names, b, now);
	pthread_mutex_unlock(&q->commit_mu);
	return rc;
}

/* learnq_commit_running - take the running batch and commit it; a
 * failure is logged and its reports counted lost */
static int
learnq_commit_running(learn_queue *q)
{
	learned_batch b;
	uint64_t t;
	int rc;

	pthread_mutex_lock(&q->commit_mu);
	pthread_mutex_lock(&q->mu);
	b = learnq_take(q, &t);
	pthread_mutex_unlock(&q->mu);
	rc = vd_learned_commit(q->te, &q->p, q->names, &b, t);
	pthread_mutex_unlock(&q->commit_mu);
	if (rc != VERDICT_OK && b.n) {
		__atomic_add_fetch(&q->lost, b.n, __ATOMIC_RELAXED);
		vd_log(&q->lg, LOG_ERR, "learned reports: commit of %zu "
		       "reports failed, they are lost: %s", b.n,
		       verdict_errdetail());
	}
	vd_learned_batch_free(&b);
	return rc;
}

/* learnq_main - the committer: a batch is committed interval_ns after
 * its first report, or at once when it grew past LEARNQ_SOON */
static void *
learnq_main(void *arg)
{
	learn_queue *q = arg;

	pthread_mutex_lock(&q->mu);
	while (!q->stop) {
		int64_t due = q->first_ns + q->interval_ns;
		struct timespec ts;

		if (q->cur.n == 0) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		if (q->cur.n < LEARNQ_SOON && vd_clock_now_ns() < due) {
			ts.tv_sec = due / VD_NS_PER_S;
			ts.tv_nsec = due % VD_NS_PER_S;
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
			continue;
		}
		pthread_mutex_unlock(&q->mu);
		learnq_commit_running(q);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int
vd_learnq_add(learn_queue *q, uint8_t table, const vcidr *key, double weight,
	      const char *reason, size_t rlen)
{
	int rc = VERDICT_OK;

	pthread_mutex_lock(&q->mu);
	if (!q->started) {
		if (pthread_create(&q->th, NULL, learnq_main, q) != 0) {
			pthread_mutex_unlock(&q->mu);
			return vd_err_set(VERDICT_ENOMEM, errno, "cannot start "
					   "the report committer");
		}
		q->started = 1;
	}
	if (q->cur.n >= LEARNQ_HARD) {
		pthread_mutex_unlock(&q->mu);
		__atomic_add_fetch(&q->lost, 1, __ATOMIC_RELAXED);
		return vd_err_set(VERDICT_EBUSY, 0, "report queue full");
	}
	if (q->cur.n == 0) {
		q->first_ns = vd_clock_now_ns();
		q->t = (uint64_t)vd_clock_wall_s();
	}
	rc = vd_learned_batch_add(&q->cur, table, key, weight, reason, rlen);
	if (rc == VERDICT_OK && (q->cur.n == 1 || q->cur.n == LEARNQ_SOON))
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (rc == VERDICT_OK)
		__atomic_add_fetch(&q->accepted, 1, __ATOMIC_RELAXED);
	return rc;
}

int
vd_learnq_flush(learn_queue *q)
{
	return learnq_commit_running(q);
}

void
vd_learnq_free(learn_queue *q)
{
	if (q == NULL)
		return;
	if (vd_lmdb_env_forked(q->te)) {
		/* the child has no committer and must not write */
		vd_learned_batch_free(&q->cur);
		free(q);
		return;
	}
	if (q->started) {
		pthread_mutex_lock(&q->mu);
		q->stop = 1;
		pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->th, NULL);
	}
	learnq_commit_running(q);
	pthread_mutex_destroy(&q->mu);
	pthread_mutex_destroy(&q->commit_mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}

int
vd_learnq_table(const learn_queue *q, const char *name)
{
	for (size_t i = 0; i < q->nnames; i++)
		if (strcmp(q->names[i], name) == 0)
			return (int)i;
	return -1;
}

void
vd_learnq_count(learn_queue *q, uint64_t accepted, uint64_t ignored)
{
	__atomic_add_fetch(&q->accepted, accepted, __ATOMIC_RELAXED);
	__atomic_add_fetch(&q->ignored, ignored, __ATOMIC_RELAXED);
}

void
vd_learnq_counts(learn_queue *q, uint64_t *accepted, uint64_t *ignored,
		 uint64_t *lost)
{
	if (accepted)
		*accepted = __atomic_load_n(&q->accepted, __ATOMIC_RELAXED);
	if (ignored)
		*ignored = __atomic_load_n(&q->ignored, __ATOMIC_RELAXED);
	if (lost)
		*lost = __atomic_load_n(&q->lost, __ATOMIC_RELAXED);
}
