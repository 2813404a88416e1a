/*
 * par2.c - run one function on two halves at once (par2.h)
 *
 *	vd_util_par2	fn(a) here and fn(b) on a second thread
 *
 * The calling thread does half of the work itself instead of waiting, so
 * two halves cost one thread start, not two.
 *
 * Diagnostics: none; a thread that cannot start is not an error.
 *
 * Limits: two halves, not N; the thread has the default stack size.
 */
#include <pthread.h>

#include "par2.h"

typedef struct par2_arg {
	void (*fn)(void *);
	void *arg;
} par2_arg;

/* par2_run - the second thread's body */
static void *
par2_run(void *p)
{
	par2_arg *a = p;

	a->fn(a->arg);
	return NULL;
}

/* vd_util_par2 - falls back to running both halves here */
void
vd_util_par2(void (*fn)(void *), void *a, void *b)
{
	par2_arg pb = { fn, b };
	pthread_t th;

	if (pthread_create(&th, NULL, par2_run, &pb) != 0) {
		fn(a);
		fn(b);
		return;
	}
	fn(a);
	pthread_join(th, NULL);
}
