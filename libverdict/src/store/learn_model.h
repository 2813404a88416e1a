/*
 * learn_model.h - the learned score of one source key: decay, threshold,
 * escalation (learn_model.c)
 *
 * A key's score s was last changed at second t0 with half-life h; at
 * second t it is s * 2^-((t - t0) / h).  The key is blocked while that
 * is >= threshold - LEARN_EPS (three reports of weight 1 within a few
 * seconds block at threshold 3, although the first two have decayed a
 * little).  A report adds its weight to the decayed score; when that
 * takes the score from below the threshold to it or above, the key
 * crossed: from its second crossing on, each doubles its half-life (up
 * to the maximum), so a source that comes back stays out longer.
 */
#ifndef VD_LEARN_MODEL_H
#define VD_LEARN_MODEL_H

#include <stdint.h>

#include "entries.h"

#define LEARN_EPS 0.001		/* the threshold's tolerance */
#define LEARN_FORGET 0.01	/* |score| below it: the record is purged */
#define LEARN_WEIGHT_MAX 100.0	/* a report's weight, either sign */

/* The global learn_* keys, as the model and the store use them. */
typedef struct learn_params {
	double threshold;
	uint32_t half_life;	/* seconds, >= 1 */
	uint32_t max_half_life;	/* seconds, >= half_life */
	int prefix_v4;		/* 8..32 */
	int prefix_v6;		/* 16..128 */
	uint64_t max_entries;
} learn_params;

/* One key's record. */
typedef struct learn_rec {
	double score;		/* at second last */
	uint64_t last;
	uint64_t first;
	uint32_t reports;
	uint32_t half_life;
	uint16_t crossings;
	uint8_t rlen;
	char reason[TBL_REASON_MAX + 1];	/* NUL-terminated */
} learn_rec;

/* vd_learn_model_score - r's score at second now */
double vd_learn_model_score(const learn_rec *r, uint64_t now);

/* vd_learn_model_blocked - 1 when r blocks at second now */
int vd_learn_model_blocked(const learn_params *p, const learn_rec *r,
			   uint64_t now);

/* vd_learn_model_until - the first second after now at which r no
 * longer blocks; 0 when it does not block at now */
uint64_t vd_learn_model_until(const learn_params *p, const learn_rec *r,
			      uint64_t now);

/* vd_learn_model_new - an empty record first seen at now */
void vd_learn_model_new(const learn_params *p, learn_rec *r, uint64_t now);

/* vd_learn_model_apply - one report of weight at second now, with its
 * reason (rlen bytes, 0 keeps the last one) */
void vd_learn_model_apply(const learn_params *p, learn_rec *r, uint64_t now,
			  double weight, const char *reason, uint8_t rlen);

/* vd_learn_model_forgotten - 1 when r's score has decayed to nothing */
int vd_learn_model_forgotten(const learn_rec *r, uint64_t now);

#endif
