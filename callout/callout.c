/*
 * callout.c - the dispatcher mapping callout: a site-supplied routine an
 * MTA's mapping engine (Messaging Server's PORT_ACCESS) loads with dlopen
 *
 *	verdict_check_reputation  "slot|ip[|port]" or the whole probe
 *				  "slot|TCP|server-ip|server-port|client-ip|
 *				  client-port" (UDP alike) -> -1 and the
 *				  reply when the verdict is BLOCK, 0 otherwise
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
 *  - the context lives in a verdict_live holder of the library
 *    (verdict.h: "Live contexts"), created once per process for the
 *    configuration file (VERDICT_CONFIG or verdict_default_config()): it
 *    is built lazily by the first call (a call meanwhile gets 0 at once
 *    instead of queueing), the file is stat()ed at most once a second and
 *    reloaded when it changed, a broken new file keeps the running
 *    context and is logged once, without a running context the build is
 *    retried when the file changes or every minute (so fixing
 *    permissions needs no MTA restart either), an old context is freed
 *    after a grace period that never makes a call wait, and a fork child
 *    forgets the parent's context and builds afresh;
 *  - logs go to syslog(3) with facility LOG_MAIL in the priority, never
 *    openlog() (the host's settings stay); repeated problems are logged
 *    once per minute per kind, with the number suppressed meanwhile.  The
 *    library's own lines arrive through its log callback, already
 *    rate-limited.  VERDICT_CALLOUT_LOG_FD=N also copies every line to
 *    descriptor N (for the test harness);
 *  - a call's deadline is the smaller of the profile's callout_timeout
 *    and its dnsbl_timeout (verdict_profile_deadline): the callout
 *    never waits longer than the CLI or the milter would;
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
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "callout_arg.h"
#include "callout_metrics.h"
#include "verdict.h"

#define CO_EXPORT	__attribute__((visibility("default")))
#define CO_BUF		252		/* argument and result buffers */
#define CO_SEC		1000000000LL
#define CO_LOG_NS	(60 * CO_SEC)	/* once per minute per kind */

CO_EXPORT int verdict_check_reputation(char *, long *, char *, long *);
CO_EXPORT int mm_check_reputation(char *, long *, char *, long *);

/* Per-thread state: a result reused by every call of the thread. */
typedef struct co_thread {
	verdict_result *res;
} co_thread;

/* Kinds of problem, each logged at most once per minute. */
enum { K_ARGLEN, K_ARGNUL, K_ARGBAR, K_SLOT, K_IP, K_PROFILE, K_NOCTX,
       K_CHECK, K_NOMEM, K_MAX };

/* Set once, under co_once, before the first call goes on. */
static verdict_live *co_live;
static const char *co_path = "";
static int co_log_fd = -1;

static _Atomic int64_t co_log_last[K_MAX];
static _Atomic long co_log_missed[K_MAX];

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

/* ------------------------------------------------------ init and fork */

static void
co_thread_free(void *p)
{
	co_thread *t = p;

	verdict_result_free(t->res);
	free(t);
}

/* co_log_fd_env - VERDICT_CALLOUT_LOG_FD=N: copy log lines to N. */
static int
co_log_fd_env(void)
{
	const char *fd = getenv("VERDICT_CALLOUT_LOG_FD");
	char *end;
	long v;

	if (fd == NULL)
		return -1;
	errno = 0;
	v = strtol(fd, &end, 10);
	if (errno || end == fd || *end || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

/* co_once_init - once per process: the holder of the context (built by
 * the first call; a fork child keeps the holder, which builds its own). */
static void
co_once_init(void)
{
	const char *p = getenv("VERDICT_CONFIG");
	char *copy;

	co_key_ok = pthread_key_create(&co_key, co_thread_free) == 0;
	if (p == NULL || *p == 0)
		p = verdict_default_config();
	co_log_fd = co_log_fd_env();
	if ((co_live = verdict_live_new(p, 0, co_liblog, NULL)) != NULL &&
	    (copy = strdup(p)) != NULL)
		co_path = copy;
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
	return t;
}

/* ------------------------------------------------------------ the call */

/*
 * co_parse - "slot|ip[|anything]" or "slot|TCP|sip|sport|ip|cport"
 * into *slot and ip (NUL-terminated);
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
	case CO_ARG_PROBE:
		co_problem(K_IP, "argument \"%s\": a TCP or UDP probe has "
			   "no fifth field: expected \"slot|TCP|server-ip|"
			   "server-port|client-ip|client-port\"",
			   co_show(buf, len, show, sizeof(show)));
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
co_check(verdict_ctx *vc, co_thread *t, int slot, const char *ip,
	 char *result, long *reslength)
{
	verdict_result *res = t->res;
	const char *reply;
	long tmo;
	int rej, rc, kind;
	size_t n;

	if (verdict_profile_callout(vc, slot, NULL, &rej) != VERDICT_OK ||
	    verdict_profile_deadline(vc, slot, &tmo) != VERDICT_OK) {
		co_problem(K_PROFILE, "argument names slot %d but %s declares "
			   "no [profile %d]", slot, co_path, slot);
		return 0;
	}
	rc = verdict_check_ex(vc, slot, ip, tmo, 0, res);
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

/* co_unconfigured - no running context: say why, once a minute. */
static void
co_unconfigured(void)
{
	char why[600];
	long missed = 0;

	if (!co_gate(K_NOCTX, co_now(), &missed))
		return;
	verdict_live_why(co_live, why, sizeof(why));
	co_syslog(LOG_ERR, "not configured, every connection passes (%ld "
		  "calls in the last minute): %s", missed + 1, why);
}

/* co_call - the routine with the running context counted in. */
static int
co_call(verdict_ctx *vc, const char *argument, const long *arglength,
	char *result, long *reslength)
{
	char buf[CO_BUF + 1], ip[CO_IP_MAX + 1];
	co_thread *t;
	long len;
	int slot;

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
	if ((t = co_thread_get()) == NULL) {
		co_problem(K_NOMEM, "out of memory: check of %s passed", ip);
		return 0;
	}
	if (vc == NULL) {
		co_unconfigured();
		return 0;
	}
	return co_check(vc, t, slot, ip, result, reslength);
}

/* verdict_check_reputation - the site-supplied routine. */
CO_EXPORT int
verdict_check_reputation(char *argument, long *arglength, char *result,
			 long *reslength)
{
	verdict_ctx *vc = NULL;
	unsigned hold = 0;
	int rc, ret;

	pthread_once(&co_once, co_once_init);
	if (co_live == NULL) {
		co_problem(K_NOMEM, "out of memory: every connection passes");
		return 0;
	}
	/* The first call builds the context; a call meanwhile passes at
	 * once instead of queueing behind it. */
	if ((rc = verdict_live_get(co_live, &vc, &hold)) == VERDICT_EBUSY)
		return 0;
	ret = co_call(vc, argument, arglength, result, reslength);
	if (rc == VERDICT_OK) {
		co_metrics_tick(vc, co_now());
		verdict_live_put(co_live, hold);
	}
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
