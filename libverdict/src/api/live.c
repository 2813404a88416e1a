/*
 * live.c - a context that follows its configuration file: built lazily,
 * reloaded when the file changes, swapped under running checks
 *
 *	verdict_live_new	a holder for the context of a config path
 *	verdict_live_get	the running context, counted in (builds it
 *				on the first call, re-stat()s the file)
 *	verdict_live_put	count out of the context of a get
 *	verdict_live_why	why there is no running context
 *	verdict_live_free	free the holder and its contexts
 *
 * Front ends that run inside a host process on many threads (the MTA
 * callout, Exim's ${dlfunc}, a daemon) share this one mechanism instead
 * of each writing its own:
 *  - the first get builds the context (new, set_log, load_config, open);
 *    another thread calling meanwhile gets VERDICT_EBUSY at once instead
 *    of queueing behind a build that may take a DNS self-test or a slow
 *    disk;
 *  - the file is stat()ed at most once a second (one atomic timestamp
 *    decides which caller does it); when its identity (device, inode,
 *    size, mtime) changed, that caller builds a new context if it wins a
 *    try-lock and swaps it in atomically.  A broken new file keeps the
 *    running context and is logged once.  Without a running context the
 *    build is retried when the file changes or every minute, so fixing a
 *    permission needs no restart either;
 *  - the running context's database is checked as often
 *    (verdict_database_changed): a directory moved away and made anew is
 *    reopened the same way, and a new database that cannot be opened is
 *    logged once per running context;
 *  - a replaced context is freed only after a grace period (grace.h):
 *    gets count themselves in a counter striped over cache lines.  No
 *    caller ever waits; a later second finishes the period;
 *  - fork: a child handler forgets the parent's contexts without touching
 *    them (their LMDB environments belong to the parent) and the child's
 *    first get builds afresh.
 *
 * Diagnostics: through the log callback given to verdict_live_new, also
 * set on every context built: "PATH loaded" (LOG_INFO first, LOG_NOTICE
 * after a failure), "PATH changed: configuration reloaded" and "PATH
 * database replaced: reopened" (LOG_NOTICE), "configuration changed (or
 * database replaced) but cannot be used; keeping the running one: WHY"
 * (LOG_ERR).  A failure without a running context is not logged
 * here: the caller knows its rate and asks verdict_live_why.
 *
 * Limits: one reload at a time (a change during a grace period waits for
 * its end); the contexts of a fork parent are leaked in the child, at
 * most LIVE_FORSAKEN of them per holder; the stat interval and retry
 * period are fixed (1 s, 60 s).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "clock.h"
#include "grace.h"
#include "errors.h"
#include "str.h"
#include "verdict.h"

#define LIVE_CHECK_NS	VD_NS_PER_S		/* stat interval */
#define LIVE_RETRY_NS	(60 * VD_NS_PER_S)	/* retry without a context */
#define LIVE_WHY_MAX	600
#define LIVE_FORSAKEN	8

enum { LIVE_UNINIT, LIVE_INIT, LIVE_UP };

/* The identity of the file a context was built from. */
typedef struct live_fid {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	int err;			/* errno of stat, 0 when it worked */
} live_fid;

struct verdict_live {
	grace grace;			/* writer side under mu */
	_Atomic(verdict_ctx *) cur;
	_Atomic int state;
	_Atomic int64_t next_check;
	_Atomic int err;		/* why cur is NULL */
	char *path;
	unsigned flags;
	verdict_log_fn log;
	void *log_arg;

	/* Under mu (try-locked by gets: nobody waits for it). */
	pthread_mutex_t mu;
	verdict_ctx *retired;
	live_fid seen;			/* identity of the file last built */
	verdict_ctx *moved_told;	/* its replaced database logged */
	int64_t last_try;

	pthread_mutex_t why_mu;		/* held for a copy only */
	char why[LIVE_WHY_MAX];

	/* Contexts of a fork parent, never touched in the child. */
	verdict_ctx *forsaken[LIVE_FORSAKEN];
	size_t nforsaken;

	verdict_live *next;		/* registry, for the fork handler */
};

static pthread_mutex_t live_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static verdict_live *live_reg;
static pthread_once_t live_once = PTHREAD_ONCE_INIT;

/* live_say - one line to the holder's log callback. */
static void __attribute__((format(printf, 3, 4)))
live_say(const verdict_live *lv, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (lv->log == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= 0)
		lv->log(level, line, lv->log_arg);
}

static int
live_fid_eq(const live_fid *a, const live_fid *b)
{
	return a->err == b->err && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec;
}

static void
live_stat(const verdict_live *lv, live_fid *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(lv->path, &st) != 0) {
		id->err = errno ? errno : EIO;
		return;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtim = st.st_mtim;
}

/* live_set_why - record why the last build failed (a message cut at the
 * end is fine). */
static void __attribute__((format(printf, 3, 4)))
live_set_why(verdict_live *lv, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&lv->why_mu);
	va_start(ap, fmt);
	if (vsnprintf(lv->why, sizeof(lv->why), fmt, ap) < 0)
		lv->why[0] = 0;
	va_end(ap);
	pthread_mutex_unlock(&lv->why_mu);
	atomic_store(&lv->err, err);
}

/* live_build - a new opened context from the path; NULL and the reason
 * recorded on error. */
static verdict_ctx *
live_build(verdict_live *lv)
{
	verdict_ctx *vc;
	int rc;

	if ((vc = verdict_new()) == NULL) {
		live_set_why(lv, VERDICT_ENOMEM, "%s: out of memory", lv->path);
		return NULL;
	}
	verdict_set_log(vc, lv->log, lv->log_arg);
	if ((rc = verdict_load_config(vc, lv->path)) != VERDICT_OK ||
	    (rc = verdict_open(vc, lv->flags)) != VERDICT_OK) {
		/* The detail names the cause (file:line, or which user needs
		 * write access to lock.mdb); read it before any other call. */
		const char *d = verdict_errdetail();

		live_set_why(lv, rc, "%s: %s%s%s", lv->path,
			     verdict_strerror(rc), *d ? " " : "", d);
		verdict_free(vc);
		return NULL;
	}
	return vc;
}

/* live_retire_step - advance the grace period of the retired context,
 * never waiting; free it at its end.  Under mu. */
static void
live_retire_step(verdict_live *lv)
{
	if (lv->retired != NULL && vd_grace_step(&lv->grace)) {
		verdict_free(lv->retired);
		lv->retired = NULL;
	}
}

/* live_swap - make vc the running context; the old one is retired.  Under
 * mu, with no retired context pending. */
static void
live_swap(verdict_live *lv, verdict_ctx *vc)
{
	verdict_ctx *old = atomic_exchange(&lv->cur, vc);

	if (old == NULL)
		return;
	lv->retired = old;
	vd_grace_start(&lv->grace);
	live_retire_step(lv);
}

/* live_housekeep - once a second: finish grace periods, reload when the
 * file changed.  Skipped when another thread is at it. */
static void
live_housekeep(verdict_live *lv, int64_t now)
{
	char why[LIVE_WHY_MAX];
	verdict_ctx *vc, *running;
	live_fid id;
	int moved, file;

	if (pthread_mutex_trylock(&lv->mu) != 0)
		return;
	live_retire_step(lv);
	if (lv->retired != NULL)
		goto out;	/* one reload at a time; the change waits */
	live_stat(lv, &id);
	running = atomic_load(&lv->cur);
	moved = running != NULL && verdict_database_changed(running);
	if (live_fid_eq(&id, &lv->seen) && !moved &&
	    (running != NULL || now - lv->last_try < LIVE_RETRY_NS))
		goto out;
	file = !live_fid_eq(&id, &lv->seen);
	lv->seen = id;
	lv->last_try = now;
	if ((vc = live_build(lv)) == NULL) {
		if (running != NULL)
			verdict_stats_reloaded(0);
		if (running != NULL && (file || lv->moved_told != running)) {
			verdict_live_why(lv, why, sizeof(why));
			live_say(lv, LOG_ERR, "%s but cannot be used; keeping "
				 "the running one: %s", file ? "configuration "
				 "changed" : "database replaced", why);
			lv->moved_told = running;
		}
		goto out;
	}
	if (running != NULL)
		verdict_stats_reloaded(1);
	live_swap(lv, vc);
	live_say(lv, LOG_NOTICE, "%s %s", lv->path, running == NULL ?
		  "loaded" : file ? "changed: configuration reloaded" :
		  "database replaced: reopened");
out:
	pthread_mutex_unlock(&lv->mu);
}

/* live_first - the first get of the process (or of a fork child). */
static void
live_first(verdict_live *lv)
{
	verdict_ctx *vc;

	pthread_mutex_lock(&lv->mu);
	live_stat(lv, &lv->seen);
	lv->last_try = vd_clock_coarse_ns();
	if ((vc = live_build(lv)) != NULL) {
		atomic_store(&lv->cur, vc);
		live_say(lv, LOG_INFO, "%s loaded", lv->path);
	}
	pthread_mutex_unlock(&lv->mu);
	atomic_store(&lv->next_check, vd_clock_coarse_ns() + LIVE_CHECK_NS);
}

/* ------------------------------------------------------------- fork */

/* live_forget - in a fork child: the parent's contexts are the parent's;
 * keep them reachable, never touch them, start over. */
static void
live_forget(verdict_live *lv)
{
	verdict_ctx *c = atomic_load_explicit(&lv->cur, memory_order_relaxed);

	if (c && lv->nforsaken < LIVE_FORSAKEN)
		lv->forsaken[lv->nforsaken++] = c;
	if (lv->retired && lv->nforsaken < LIVE_FORSAKEN)
		lv->forsaken[lv->nforsaken++] = lv->retired;
	atomic_store_explicit(&lv->cur, NULL, memory_order_relaxed);
	lv->retired = NULL;
	memset(&lv->grace, 0, sizeof(lv->grace));
	pthread_mutex_init(&lv->mu, NULL);
	pthread_mutex_init(&lv->why_mu, NULL);
	lv->why[0] = 0;
	atomic_store(&lv->err, VERDICT_ESTATE);
	atomic_store(&lv->state, LIVE_UNINIT);
}

static void
live_atfork_child(void)
{
	pthread_mutex_init(&live_reg_mu, NULL);
	for (verdict_live *lv = live_reg; lv != NULL; lv = lv->next)
		live_forget(lv);
}

static void
live_once_init(void)
{
	pthread_atfork(NULL, NULL, live_atfork_child);
}

/* --------------------------------------------------------------- API */

verdict_live *
verdict_live_new(const char *path, unsigned flags, verdict_log_fn fn,
		 void *arg)
{
	verdict_live *lv;

	if (path == NULL || *path == 0) {
		vd_err_set(VERDICT_EINVAL, 0, "no configuration path");
		return NULL;
	}
	if ((lv = calloc(1, sizeof(*lv))) == NULL ||
	    (lv->path = strdup(path)) == NULL) {
		free(lv);
		vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	lv->flags = flags;
	lv->log = fn;
	lv->log_arg = arg;
	pthread_mutex_init(&lv->mu, NULL);
	pthread_mutex_init(&lv->why_mu, NULL);
	atomic_init(&lv->err, VERDICT_ESTATE);
	pthread_once(&live_once, live_once_init);
	pthread_mutex_lock(&live_reg_mu);
	lv->next = live_reg;
	live_reg = lv;
	pthread_mutex_unlock(&live_reg_mu);
	return lv;
}

int
verdict_live_get(verdict_live *lv, verdict_ctx **ctx, unsigned *hold)
{
	int st = atomic_load_explicit(&lv->state, memory_order_acquire);
	int64_t now, next;
	unsigned stripe, parity;
	verdict_ctx *vc;

	*ctx = NULL;
	if (st != LIVE_UP) {
		int expect = LIVE_UNINIT;

		/* Never queue behind the first build. */
		if (st != LIVE_UNINIT ||
		    !atomic_compare_exchange_strong(&lv->state, &expect,
						    LIVE_INIT))
			return VERDICT_EBUSY;
		live_first(lv);
		atomic_store_explicit(&lv->state, LIVE_UP,
				      memory_order_release);
	}
	now = vd_clock_coarse_ns();
	next = atomic_load_explicit(&lv->next_check, memory_order_relaxed);
	if (now >= next &&
	    atomic_compare_exchange_strong(&lv->next_check, &next,
					   now + LIVE_CHECK_NS))
		live_housekeep(lv, now);

	stripe = vd_grace_self_stripe() % GRACE_STRIPES;
	parity = vd_grace_enter(&lv->grace, stripe);
	if ((vc = atomic_load(&lv->cur)) == NULL) {
		vd_grace_exit(&lv->grace, stripe, parity);
		return atomic_load_explicit(&lv->err, memory_order_relaxed);
	}
	*ctx = vc;
	*hold = stripe << 1 | parity;
	return VERDICT_OK;
}

void
verdict_live_put(verdict_live *lv, unsigned hold)
{
	vd_grace_exit(&lv->grace, hold >> 1, hold & 1);
}

int
verdict_live_why(verdict_live *lv, char *buf, size_t len)
{
	size_t n;

	if (buf == NULL || len == 0)
		return VERDICT_ERANGE;
	pthread_mutex_lock(&lv->why_mu);
	n = vd_str_lcpy(buf, lv->why, len);
	pthread_mutex_unlock(&lv->why_mu);
	return n < len ? VERDICT_OK : VERDICT_ERANGE;
}

void
verdict_live_free(verdict_live *lv)
{
	verdict_live **pp;

	if (lv == NULL)
		return;
	pthread_mutex_lock(&live_reg_mu);
	for (pp = &live_reg; *pp != NULL; pp = &(*pp)->next)
		if (*pp == lv) {
			*pp = lv->next;
			break;
		}
	pthread_mutex_unlock(&live_reg_mu);
	/* No get runs any more: the grace period is over by contract. */
	verdict_free(atomic_load(&lv->cur));
	verdict_free(lv->retired);
	pthread_mutex_destroy(&lv->mu);
	pthread_mutex_destroy(&lv->why_mu);
	free(lv->path);
	free(lv);
}
