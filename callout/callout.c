/*
 * callout.c - the dispatcher mapping callout: a site-supplied routine an
 * MTA's mapping engine (Messaging Server's PORT_ACCESS) loads with dlopen
 *
 *	verdict_check_reputation  "slot|ip[|port]" -> -1 and the reply when
 *				  the verdict is BLOCK, 0 otherwise
 *	mm_check_reputation	  the same routine under the name Messaging
 *				  Server documents for early verdicts
 *
 * ABI: int routine(char *argument, long *arglength, char *result,
 * long *reslength).  argument and result are 252-byte buffers; argument
 * holds *arglength bytes and is not NUL-terminated.  Returning -1 makes the
 * substitution succeed with result (the entry goes on to $N and the
 * connection is closed with that text); 0 makes it fail, so the mapping
 * entry does not match and the connection goes on.  Every error therefore
 * fails open: 0.
 *
 * The routine runs inside the MTA's most important process, on many
 * threads at once.  Hence:
 *  - lazy initialisation on the first call, once per process: the thread
 *    that wins an atomic compare-and-swap builds the context; every other
 *    thread calling meanwhile gets 0 at once instead of queueing;
 *  - the configuration file (VERDICT_CONFIG or /etc/verdict/verdict.conf)
 *    is stat()ed at most once per second (one atomic timestamp per call
 *    decides); when its identity (device, inode, size, mtime) changed, the
 *    calling thread builds a new context if it wins a try-lock, and swaps
 *    it in atomically; a broken new file keeps the running context and is
 *    logged once.  Without a running context (broken at start, lock.mdb
 *    not writable) the build is retried when the file changes or every
 *    minute, so fixing permissions needs no MTA restart either;
 *  - an old context is freed only after a grace period (grace.h: calls
 *    count themselves in a counter striped over cache lines, each thread
 *    on its own stripe, round robin).  The check never waits:
 *    housekeeping finishes the grace period on a later second;
 *  - fork: a child handler forgets the parent's context (without touching
 *    it: it belongs to the parent) and the child initialises afresh;
 *  - logs go to syslog(3) with facility LOG_MAIL in the priority, never
 *    openlog() (the host's settings stay); repeated problems are logged
 *    once per minute per kind, with the number suppressed meanwhile.  The
 *    library's own lines arrive through its log callback, already
 *    rate-limited.  VERDICT_CALLOUT_LOG_FD=N also copies every line to
 *    descriptor N (for the test harness);
 *  - no signal handlers, no threads of our own, no descriptors of our own.
 *
 * Diagnostics: syslog, facility mail, ident of the host.
 *
 * Limits: one configuration file per process; the library is linked in
 * statically, so a host that also loads libverdict.so gets two LMDB
 * environment registries (LMDB wants one environment per path per
 * process): do not do that.  The image is never unloaded (-z nodelete).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "callout_arg.h"
#include "grace.h"
#include "verdict.h"

#define CO_EXPORT	__attribute__((visibility("default")))
#define CO_BUF		252		/* argument and result buffers */
#define CO_DEFAULT_CONFIG "/etc/verdict/verdict.conf"
#define CO_SEC		1000000000LL
#define CO_CHECK_NS	CO_SEC		/* config stat interval */
#define CO_RETRY_NS	(60 * CO_SEC)	/* retry without a context */
#define CO_LOG_NS	(60 * CO_SEC)	/* once per minute per kind */

CO_EXPORT int verdict_check_reputation(char *, long *, char *, long *);
CO_EXPORT int mm_check_reputation(char *, long *, char *, long *);

/* A running configuration: the opened context and the file it came from. */
typedef struct co_fid {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	int err;			/* errno of stat, 0 when it worked */
} co_fid;

typedef struct co_conf {
	verdict_ctx *vc;
} co_conf;

/* Per-thread state: a result reused by every call of the thread. */
typedef struct co_thread {
	verdict_result *res;
	unsigned stripe;	/* its counter in co_grace */
} co_thread;

enum { ST_UNINIT, ST_INIT, ST_UP };

/* Kinds of problem, each logged at most once per minute. */
enum { K_ARGLEN, K_ARGNUL, K_ARGBAR, K_SLOT, K_IP, K_PROFILE, K_NOCTX,
       K_CHECK, K_NOMEM, K_MAX };

static _Atomic int co_state;
static _Atomic(co_conf *) co_cur;
static grace co_grace;			/* writer side under co_mu */
static _Atomic unsigned co_next_stripe;
static _Atomic int64_t co_next_check;

/* Under co_mu (try-locked: nobody ever waits for it). */
static pthread_mutex_t co_mu = PTHREAD_MUTEX_INITIALIZER;
static co_conf *co_retired;
static co_fid co_seen;			/* identity of the file last built */
static int64_t co_last_try;

/* Set once by the initialising thread before co_state becomes ST_UP. */
static char co_path[PATH_MAX];
static int co_log_fd = -1;

/* Why there is no context; under co_msg_mu (held for a copy only). */
static pthread_mutex_t co_msg_mu = PTHREAD_MUTEX_INITIALIZER;
static char co_why[600];

static _Atomic int64_t co_log_last[K_MAX];
static _Atomic long co_log_missed[K_MAX];

/* Contexts of the parent, abandoned in a fork child (never touched). */
static co_conf *co_forsaken[8];
static size_t co_nforsaken;

static pthread_once_t co_once = PTHREAD_ONCE_INIT;
static pthread_key_t co_key;
static int co_key_ok;

/* co_now - coarse monotonic clock: enough for 1 s and 60 s gates. */
static int64_t
co_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * CO_SEC + ts.tv_nsec;
}

/* co_fmt - snprintf for messages: a message cut at the end is fine. */
static void __attribute__((format(printf, 3, 4)))
co_fmt(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(out, outlen, fmt, ap) < 0 && outlen)
		out[0] = 0;
	va_end(ap);
}

/* co_syslog - one line to syslog (facility mail) and the test fd. */
static void __attribute__((format(printf, 2, 3)))
co_syslog(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	syslog(LOG_MAIL | (level & LOG_PRIMASK), "verdict_callout: %s", line);
	if (co_log_fd >= 0) {
		line[n] = '\n';
		if (write(co_log_fd, line, (size_t)n + 1) < 0)
			(void)0;	/* a test aid: nothing to do */
	}
}

/* co_liblog - the library's log callback (already rate-limited there). */
static void
co_liblog(int level, const char *line, void *arg)
{
	(void)arg;
	co_syslog(level, "%s", line);
}

/* co_gate - 1 when a problem of this kind may be logged now; *missed gets
 * how many were suppressed since the last line. */
static int
co_gate(int kind, int64_t now, long *missed)
{
	int64_t last = atomic_load_explicit(&co_log_last[kind],
					    memory_order_relaxed);

	if ((last != 0 && now - last < CO_LOG_NS) ||
	    !atomic_compare_exchange_strong(&co_log_last[kind], &last,
					    now ? now : 1)) {
		atomic_fetch_add_explicit(&co_log_missed[kind], 1,
					  memory_order_relaxed);
		return 0;
	}
	*missed = atomic_exchange_explicit(&co_log_missed[kind], 0,
					   memory_order_relaxed);
	return 1;
}

/* co_problem - log a problem of a kind, at most once per minute. */
static void __attribute__((format(printf, 2, 3)))
co_problem(int kind, const char *fmt, ...)
{
	char msg[800];
	long missed = 0;
	va_list ap;

	if (!co_gate(kind, co_now(), &missed))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (missed)
		co_syslog(LOG_WARNING, "%s (%ld more like it in the last "
			  "minute)", msg, missed);
	else
		co_syslog(LOG_WARNING, "%s", msg);
}

/* co_show - a printable, bounded copy of argument bytes for a log line. */
static const char *
co_show(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 4 < outlen; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ?
			   s[i] : '?';
	if (i < len && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

/* -------------------------------------------------- contexts and reload */

static int
co_fid_eq(const co_fid *a, const co_fid *b)
{
	return a->err == b->err && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec;
}

static void
co_stat(co_fid *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(co_path, &st) != 0) {
		id->err = errno ? errno : EIO;
		return;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtim = st.st_mtim;
}

/* co_build - a new opened context from co_path; NULL and why on error. */
static co_conf *
co_build(char *why, size_t whylen)
{
	co_conf *c = NULL;
	verdict_ctx *vc;
	int rc;

	if ((vc = verdict_new()) == NULL) {
		co_fmt(why, whylen, "%s: out of memory", co_path);
		return NULL;
	}
	verdict_set_log(vc, co_liblog, NULL);
	if ((rc = verdict_load_config(vc, co_path)) != VERDICT_OK ||
	    (rc = verdict_open(vc, 0)) != VERDICT_OK) {
		/* The detail names the cause (file:line, or which user needs
		 * write access to lock.mdb); read it before any other call. */
		const char *d = verdict_errdetail();

		co_fmt(why, whylen, "%s: %s%s%s", co_path,
			 verdict_strerror(rc), *d ? " " : "", d);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		co_fmt(why, whylen, "%s: out of memory", co_path);
		goto out;
	}
	c->vc = vc;
	vc = NULL;
out:
	verdict_free(vc);
	return c;
}

static void
co_set_why(const char *why)
{
	pthread_mutex_lock(&co_msg_mu);
	co_fmt(co_why, sizeof(co_why), "%s", why);
	pthread_mutex_unlock(&co_msg_mu);
}

/* co_retire_step - advance the grace period of the retired context,
 * never waiting; free it at its end.  Under co_mu. */
static void
co_retire_step(void)
{
	if (co_retired != NULL && vd_grace_step(&co_grace)) {
		verdict_free(co_retired->vc);
		free(co_retired);
		co_retired = NULL;
	}
}

/* co_swap - make c the running context; the old one is retired.  Under
 * co_mu, with no retired context pending. */
static void
co_swap(co_conf *c)
{
	co_conf *old = atomic_exchange(&co_cur, c);

	if (old == NULL)
		return;
	co_retired = old;
	vd_grace_start(&co_grace);
	co_retire_step();
}

/* co_housekeep - once a second: finish grace periods, reload when the
 * file changed.  Skipped when another thread is at it. */
static void
co_housekeep(int64_t now)
{
	char why[600];
	co_fid id;
	co_conf *c, *running;

	if (pthread_mutex_trylock(&co_mu) != 0)
		return;
	co_retire_step();
	if (co_retired != NULL)
		goto out;	/* one reload at a time; the change waits */
	co_stat(&id);
	running = atomic_load(&co_cur);
	if (co_fid_eq(&id, &co_seen) &&
	    (running != NULL || now - co_last_try < CO_RETRY_NS))
		goto out;
	co_seen = id;
	co_last_try = now;
	if ((c = co_build(why, sizeof(why))) == NULL) {
		if (running != NULL)
			co_syslog(LOG_ERR, "configuration changed but cannot "
				  "be used; keeping the running one: %s", why);
		co_set_why(why);
		goto out;
	}
	co_swap(c);
	co_syslog(LOG_NOTICE, "%s %s", co_path, running ?
		  "changed: configuration reloaded" : "loaded");
out:
	pthread_mutex_unlock(&co_mu);
}

/* ------------------------------------------------------ init and fork */

static void
co_thread_free(void *p)
{
	co_thread *t = p;

	verdict_result_free(t->res);
	free(t);
}

/* co_atfork_child - the parent's context is the parent's: forget it
 * without touching it (its LMDB environment must not be used here) and
 * let the next call initialise afresh. */
static void
co_atfork_child(void)
{
	co_conf *c = atomic_load_explicit(&co_cur, memory_order_relaxed);

	if (c && co_nforsaken < sizeof(co_forsaken) / sizeof(co_forsaken[0]))
		co_forsaken[co_nforsaken++] = c;
	if (co_retired &&
	    co_nforsaken < sizeof(co_forsaken) / sizeof(co_forsaken[0]))
		co_forsaken[co_nforsaken++] = co_retired;
	atomic_store_explicit(&co_cur, NULL, memory_order_relaxed);
	co_retired = NULL;
	memset(&co_grace, 0, sizeof(co_grace));
	pthread_mutex_init(&co_mu, NULL);
	pthread_mutex_init(&co_msg_mu, NULL);
	atomic_store(&co_state, ST_UNINIT);
}

static void
co_once_init(void)
{
	co_key_ok = pthread_key_create(&co_key, co_thread_free) == 0;
	pthread_atfork(NULL, NULL, co_atfork_child);
}

/* co_init - the first call of the process (or of a fork child). */
static void
co_init(void)
{
	const char *p = getenv("VERDICT_CONFIG"), *fd;
	char why[600];
	co_conf *c;
	long v = -1;

	pthread_once(&co_once, co_once_init);
	if (p == NULL || *p == 0)
		p = CO_DEFAULT_CONFIG;
	if (strlen(p) < sizeof(co_path))
		memcpy(co_path, p, strlen(p) + 1);
	else
		co_path[0] = 0;	/* not a path: the build fails, logged */
	if ((fd = getenv("VERDICT_CALLOUT_LOG_FD")) != NULL) {
		char *end;

		errno = 0;
		v = strtol(fd, &end, 10);
		if (errno || end == fd || *end || v < 0 || v > INT_MAX)
			v = -1;
	}
	co_log_fd = (int)v;
	pthread_mutex_lock(&co_mu);
	co_stat(&co_seen);
	co_last_try = co_now();
	if ((c = co_build(why, sizeof(why))) != NULL) {
		atomic_store(&co_cur, c);
		co_syslog(LOG_INFO, "%s loaded", co_path);
	} else {
		co_set_why(why);
	}
	pthread_mutex_unlock(&co_mu);
	atomic_store(&co_next_check, co_now() + CO_CHECK_NS);
}

static co_thread *
co_thread_get(void)
{
	co_thread *t;

	if (!co_key_ok)
		return NULL;
	if ((t = pthread_getspecific(co_key)) != NULL)
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->res = verdict_result_new()) == NULL ||
	    pthread_setspecific(co_key, t) != 0) {
		verdict_result_free(t->res);
		free(t);
		return NULL;
	}
	t->stripe = atomic_fetch_add_explicit(&co_next_stripe, 1,
					      memory_order_relaxed) % GRACE_STRIPES;
	return t;
}

/* ------------------------------------------------------------ the call */

/*
 * co_parse - "slot|ip[|anything]" into *slot and ip (NUL-terminated);
 * 0 or -1 after logging what was wrong.  buf holds len bytes + NUL.
 */
static int
co_parse(const char *buf, size_t len, int *slot, char ip[CO_IP_MAX + 1])
{
	char show[96];
	int r = co_arg_parse(buf, len, slot, ip);

	switch (r) {
	case CO_ARG_OK:
		return 0;
	case CO_ARG_NUL:
		co_problem(K_ARGNUL, "argument \"%s\" holds a NUL byte: "
			   "expected \"slot|ip\"",
			   co_show(buf, len, show, sizeof(show)));
		return -1;
	case CO_ARG_BAR:
		co_problem(K_ARGBAR, "argument \"%s\" has no '|': expected "
			   "\"slot|ip\"", co_show(buf, len, show,
						  sizeof(show)));
		return -1;
	case CO_ARG_IP_EMPTY:
	case CO_ARG_IP_LONG:
		co_problem(K_IP, "argument \"%s\": %s IP address",
			   co_show(buf, len, show, sizeof(show)),
			   r == CO_ARG_IP_EMPTY ? "empty" : "overlong");
		return -1;
	default:
		co_problem(K_SLOT, "argument \"%s\": the slot before '|' "
			   "must be a profile number 1..999",
			   co_show(buf, len, show, sizeof(show)));
		return -1;
	}
}

/* co_check - the verdict of ip under [profile slot] into result. */
static int
co_check(co_conf *c, co_thread *t, int slot, const char *ip, char *result,
	 long *reslength)
{
	verdict_result *res = t->res;
	const char *reply;
	long tmo;
	int rej, rc, kind;
	size_t n;

	if (verdict_profile_callout(c->vc, slot, &tmo, &rej) != VERDICT_OK) {
		co_problem(K_PROFILE, "argument names slot %d but %s declares "
			   "no [profile %d]", slot, co_path, slot);
		return 0;
	}
	rc = verdict_check_ex(c->vc, slot, ip, tmo, 0, res);
	if (rc == VERDICT_EINVAL) {
		co_problem(K_IP, "malformed IP address \"%s\" (slot %d)", ip,
			   slot);
		return 0;
	}
	if (rc != VERDICT_OK) {
		co_problem(K_CHECK, "check of %s under profile %d failed "
			   "(passed): %s %s", ip, slot, verdict_strerror(rc),
			   verdict_errdetail());
		return 0;
	}
	kind = verdict_result_kind(res);
	if (kind != VERDICT_BLOCK && !(kind == VERDICT_TEMPFAIL && rej))
		return 0;
	reply = verdict_result_reply(res);
	n = reply ? strnlen(reply, CO_BUF - 1) : 0;
	memcpy(result, reply ? reply : "", n);
	result[n] = 0;
	*reslength = (long)n;
	return -1;
}

/* verdict_check_reputation - the site-supplied routine. */
CO_EXPORT int
verdict_check_reputation(char *argument, long *arglength, char *result,
			 long *reslength)
{
	char buf[CO_BUF + 1], ip[CO_IP_MAX + 1];
	co_thread *t;
	co_conf *c;
	unsigned parity;
	long len;
	int slot, st, ret = 0;
	int64_t now, next;

	st = atomic_load_explicit(&co_state, memory_order_acquire);
	if (st != ST_UP) {
		int expect = ST_UNINIT;

		/* Never queue behind the first initialisation. */
		if (st != ST_UNINIT ||
		    !atomic_compare_exchange_strong(&co_state, &expect,
						    ST_INIT))
			return 0;
		co_init();
		atomic_store_explicit(&co_state, ST_UP, memory_order_release);
	}
	if (argument == NULL || arglength == NULL || result == NULL ||
	    reslength == NULL) {
		co_problem(K_ARGLEN, "called with a NULL pointer");
		return 0;
	}
	len = *arglength;
	if (len < 0 || len > CO_BUF) {
		co_problem(K_ARGLEN, "argument length %ld outside 0..%d", len,
			   CO_BUF);
		return 0;
	}
	memcpy(buf, argument, (size_t)len);
	buf[len] = 0;
	if (co_parse(buf, (size_t)len, &slot, ip) != 0)
		return 0;

	now = co_now();
	next = atomic_load_explicit(&co_next_check, memory_order_relaxed);
	if (now >= next &&
	    atomic_compare_exchange_strong(&co_next_check, &next,
					   now + CO_CHECK_NS))
		co_housekeep(now);

	if ((t = co_thread_get()) == NULL) {
		co_problem(K_NOMEM, "out of memory: check of %s passed", ip);
		return 0;
	}
	parity = vd_grace_enter(&co_grace, t->stripe);
	c = atomic_load(&co_cur);
	if (c != NULL) {
		ret = co_check(c, t, slot, ip, result, reslength);
	} else {
		char why[sizeof(co_why)];
		long missed = 0;

		if (co_gate(K_NOCTX, now, &missed)) {
			pthread_mutex_lock(&co_msg_mu);
			memcpy(why, co_why, sizeof(why));
			pthread_mutex_unlock(&co_msg_mu);
			co_syslog(LOG_ERR, "not configured, every connection "
				  "passes (%ld calls in the last minute): %s",
				  missed + 1, why);
		}
	}
	vd_grace_exit(&co_grace, t->stripe, parity);
	return ret;
}

/* mm_check_reputation - the same routine under Messaging Server's name. */
CO_EXPORT int
mm_check_reputation(char *argument, long *arglength, char *result,
		    long *reslength)
{
	return verdict_check_reputation(argument, arglength, result,
					reslength);
}
