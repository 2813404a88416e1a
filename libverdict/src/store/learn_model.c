/*
 * learn_model.c - the learned score of one source key (learn_model.h)
 *
 *	vd_learn_model_score		the decayed score
 *	vd_learn_model_blocked		at or above the threshold
 *	vd_learn_model_until		when it falls below
 *	vd_learn_model_new, _apply	a record, a report
 *	vd_learn_model_forgotten	decayed to nothing: purge it
 *
 * Pure arithmetic on a record and a second: the callers pass the time
 * (the batch's second, the check's wall clock), so the model is tested
 * by moving that number, never by waiting.
 *
 * Diagnostics: none.
 *
 * Limits: a clock that goes back is taken as no time passing; the
 * report count saturates at UINT32_MAX, the crossings at UINT16_MAX.
 */
#include <math.h>
#include <string.h>

#include "learn_model.h"

double
vd_learn_model_score(const learn_rec *r, uint64_t now)
{
	double dt;

	if (now <= r->last || r->score == 0)
		return r->score;
	dt = (double)(now - r->last);
	return r->score * exp2(-dt / (double)(r->half_life ? r->half_life : 1));
}

int
vd_learn_model_blocked(const learn_params *p, const learn_rec *r,
		       uint64_t now)
{
	return vd_learn_model_score(r, now) >= p->threshold - LEARN_EPS;
}

uint64_t
vd_learn_model_until(const learn_params *p, const learn_rec *r, uint64_t now)
{
	double s = vd_learn_model_score(r, now), lim = p->threshold - LEARN_EPS;
	double dt;

	if (s < lim || lim <= 0)
		return 0;
	/* s * 2^(-dt/h) = lim: the last blocking second is now + floor(dt) */
	dt = (double)(r->half_life ? r->half_life : 1) * log2(s / lim);
	if (dt > 1e12)
		dt = 1e12;
	return now + (uint64_t)floor(dt) + 1;
}

void
vd_learn_model_new(const learn_params *p, learn_rec *r, uint64_t now)
{
	memset(r, 0, sizeof(*r));
	r->first = r->last = now;
	r->half_life = p->half_life;
}

void
vd_learn_model_apply(const learn_params *p, learn_rec *r, uint64_t now,
		     double weight, const char *reason, uint8_t rlen)
{
	double lim = p->threshold - LEARN_EPS;
	double s = vd_learn_model_score(r, now);
	int was = s >= lim;
	uint32_t cap = p->max_half_life > p->half_life ? p->max_half_life :
		       p->half_life;

	s += weight;
	if (!was && s >= lim) {
		/* the first crossing keeps the base half-life; each later
		 * one doubles it: a returning source stays out longer */
		if (r->crossings > 0)
			r->half_life = r->half_life > cap / 2 ? cap :
				       r->half_life * 2;
		if (r->crossings < UINT16_MAX)
			r->crossings++;
	}
	r->score = s;
	if (now > r->last)
		r->last = now;
	if (r->reports < UINT32_MAX)
		r->reports++;
	if (rlen) {
		memcpy(r->reason, reason, rlen);
		r->reason[rlen] = 0;
		r->rlen = rlen;
	}
}

int
vd_learn_model_forgotten(const learn_rec *r, uint64_t now)
{
	return fabs(vd_learn_model_score(r, now)) < LEARN_FORGET;
}
