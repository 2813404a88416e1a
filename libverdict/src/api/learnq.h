/*
 * learnq.h - the report queue of a context: batches, one committer
 * thread, one write transaction a batch (learnq.c)
 */
#ifndef VD_LEARNQ_H
#define VD_LEARNQ_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "store.h"

#define LEARNQ_TABLES_MAX 256	/* distinct learned tables of a context */

typedef struct learn_queue learn_queue;

/* vd_learnq_new - a queue committing into te's tables names[0..n) (the
 * strings stay the caller's) at most interval_ms after a batch's first
 * report.  No thread until the first vd_learnq_add. */
int vd_learnq_new(tbl_env *te, const learn_params *p, int64_t interval_ms,
		  const char *const *names, size_t n, const vd_logger *lg,
		  learn_queue **out);

/* vd_learnq_free - stop the committer, commit what is queued (unless in
 * a fork child), free. */
void vd_learnq_free(learn_queue *q);

/* vd_learnq_add - queue one report into table names[table]; starts the
 * committer on first use. */
int vd_learnq_add(learn_queue *q, uint8_t table, const vcidr *key,
		  double weight, const char *reason, size_t rlen);

/* vd_learnq_flush - commit the queued batch on the calling thread. */
int vd_learnq_flush(learn_queue *q);

/* vd_learnq_commit - commit the caller's batch b now, at second now,
 * serialised with the queue's own commits. */
int vd_learnq_commit(learn_queue *q, learned_batch *b, uint64_t now);

/* vd_learnq_table - the index of a table name, -1 when not known */
int vd_learnq_table(const learn_queue *q, const char *name);

/* Counters: accepted (queued or committed), ignored, lost. */
void vd_learnq_count(learn_queue *q, uint64_t accepted, uint64_t ignored);
void vd_learnq_counts(learn_queue *q, uint64_t *accepted, uint64_t *ignored,
		      uint64_t *lost);

#endif
