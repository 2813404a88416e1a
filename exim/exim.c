/*
 * exim.c - Exim's ${dlfunc}: the verdict of the connecting client, in
 * acl_smtp_connect, before the greeting
 *
 *	verdict_exim	${dlfunc{LIB}{verdict_exim}{SLOT}{IP}}
 *			-> "block REPLY", "tempfail REPLY", "allow",
 *			   "neutral"
 *
 * ABI (Exim's local_scan.h): int fn(uschar **yield, int argc,
 * uschar *argv[]), argv holding the argc arguments after the file and
 * function names.  OK (0) makes the expansion succeed with *yield, which
 * Exim copies into its own store at once (expand.c: string_cat); FAIL (2)
 * makes it fail, not forced, with *yield as the message: the ACL
 * statement defers.  FAIL_FORCED would skip the condition (a deny would
 * never fire) and DEFER/ERROR write Exim's panic log, so neither is ever
 * returned.  Hence: OK with the verdict word, and with the profile's
 * rendered reply after a space for block and tempfail; "neutral" for an
 * empty IP (local SMTP), a malformed IP or slot, and every failure (fail
 * open, with a log line); FAIL only for a wrong argument count.
 *
 * The yield lives in a thread-local buffer of this image, rewritten by
 * the next call on the same thread.  That is long enough: Exim copies it
 * before anything else runs on that thread, and an Exim process has one
 * thread; a host with more threads gets one buffer per thread.
 *
 * Exim forks a child per connection and the connect ACL runs in it, so
 * nearly every call is the first in a fresh process.  Hence:
 *  - the context lives in a verdict_live holder (verdict.h), built by the
 *    first call from VERDICT_CONFIG (keep_environment in Exim's
 *    configuration) or verdict_default_config(), reloaded when the file
 *    changes in a long-lived process (exim -bh, a host that calls twice),
 *    rebuilt after fork; the per-call cost is the first build's: load the
 *    file and open the database (readers only, no write);
 *  - logs go through Exim's own log_write (found with dlsym(RTLD_DEFAULT);
 *    Debian's binary exports it) into the main log, next to the
 *    connection's lines, when the call is on the thread inside
 *    verdict_exim; lines from other threads (the library's resolver
 *    thread) and hosts without log_write go to syslog(3), facility mail,
 *    never openlog() (the host's settings stay).  Each kind of problem is
 *    logged at most once a minute per process: under Exim, once per
 *    connection that has it; the
 *    routine "PATH loaded" of each first build is not logged;
 *  - DNSBL zones keep their RFC 5782 self-test, sent with the first query
 *    of each process and answered by the local caching resolver that Exim
 *    sites run for their own dnslists, so a zone gone wild never blocks
 *    everyone; the answer cache dies with the process, so that resolver is
 *    the cache (libverdict_exim(3));
 *  - no metrics files, no threads, descriptors or signal handlers of our
 *    own: the library's descriptors are close-on-exec.
 *
 * Diagnostics: Exim's main log (or syslog, facility mail), each line
 * "verdict_exim: ...".
 *
 * Limits: one configuration file per process; the library is linked in
 * statically (do not load libverdict.so into the same Exim); the image is
 * never unloaded (-z nodelete).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "verdict.h"

#define EX_EXPORT	__attribute__((visibility("default")))

/* local_scan.h's return codes and log_write's selector */
#define EX_OK		0
#define EX_FAIL		2
#define EX_LOG_MAIN	1

#define EX_REPLY_MAX	252		/* a rendered reply + NUL */
#define EX_YIELD_MAX	(sizeof("tempfail ") + EX_REPLY_MAX)
#define EX_IP_MAX	45		/* INET6_ADDRSTRLEN - 1 */
#define EX_LOG_EVERY_S	60		/* a kind of problem, at most */

typedef unsigned char uschar;
typedef void (*ex_log_write_fn)(unsigned int, int, const char *, ...);

EX_EXPORT int verdict_exim(uschar **yield, int argc, uschar *argv[]);

/* Kinds of problem, each logged at most once a minute. */
enum { K_SLOT, K_IP, K_PROFILE, K_NOCTX, K_CHECK, K_NOMEM, K_MAX };

/* Set once, under ex_once, before the first call goes on. */
static verdict_live *ex_live;
static const char *ex_path = "";
static ex_log_write_fn ex_log_write;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static pthread_key_t ex_key;
static int ex_key_ok;

/* When each kind was last logged, in seconds of the monotonic clock + 1
 * (0: never). */
static _Atomic int64_t ex_logged[K_MAX];

/* The thread inside verdict_exim may call Exim's log_write. */
static __thread int ex_in_call;
static __thread char ex_yield[EX_YIELD_MAX];

/* ex_log - one line to Exim's main log, else to syslog (facility mail). */
static void __attribute__((format(printf, 2, 3)))
ex_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		line[0] = 0;
	va_end(ap);
	if (ex_in_call && ex_log_write != NULL)
		ex_log_write(0, EX_LOG_MAIN, "verdict_exim: %s", line);
	else
		syslog(LOG_MAIL | (level & LOG_PRIMASK), "verdict_exim: %s",
		       line);
}

/* ex_liblog - the library's log callback (rate-limited there).  The
 * first build's "PATH loaded" (LOG_INFO) is dropped: under Exim every
 * connection builds, and the line would follow each one. */
static void
ex_liblog(int level, const char *line, void *arg)
{
	size_t n = strlen(ex_path);

	(void)arg;
	if (level == LOG_INFO && n > 0 && strncmp(line, ex_path, n) == 0 &&
	    strcmp(line + n, " loaded") == 0)
		return;
	ex_log(level, "%s", line);
}

/* ex_gate - 1 when a problem of this kind may be logged now: the first
 * time in the process, then once a minute. */
static int
ex_gate(int kind)
{
	struct timespec ts;
	int64_t now, last;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (int64_t)ts.tv_sec + 1;
	last = atomic_load_explicit(&ex_logged[kind], memory_order_relaxed);
	if (last != 0 && now - last < EX_LOG_EVERY_S)
		return 0;
	return atomic_compare_exchange_strong(&ex_logged[kind], &last, now);
}

/* ex_problem - log a problem of a kind, at most once a minute. */
static void __attribute__((format(printf, 2, 3)))
ex_problem(int kind, const char *fmt, ...)
{
	char msg[800];
	va_list ap;

	if (!ex_gate(kind))
		return;
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = 0;
	va_end(ap);
	ex_log(LOG_WARNING, "%s", msg);
}

/* ex_show - a printable, bounded copy of an argument for a log line. */
static const char *
ex_show(const uschar *s, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; s[i] && o + 4 < outlen; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ?
			   (char)s[i] : '?';
	if (s[i] && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

/* ------------------------------------------------------ init and fork */

static void
ex_result_free(void *p)
{
	verdict_result_free(p);
}

/* ex_once_init - once per process: the holder of the context (built by
 * the first call; a fork child keeps the holder, which builds its own). */
static void
ex_once_init(void)
{
	const char *p = getenv("VERDICT_CONFIG");
	char *copy;

	/* Exim's own logger, when the host exports it (POSIX: a data
	 * pointer converted to a function pointer, as dlsym requires). */
	*(void **)&ex_log_write = dlsym(RTLD_DEFAULT, "log_write");
	ex_key_ok = pthread_key_create(&ex_key, ex_result_free) == 0;
	if (p == NULL || *p == 0)
		p = verdict_default_config();
	/* brief: an Exim connection's child lives for one connection */
	if ((ex_live = verdict_live_new(p, VERDICT_OPEN_BRIEF, ex_liblog,
					NULL)) != NULL &&
	    (copy = strdup(p)) != NULL)
		ex_path = copy;
}

/* ex_result - the calling thread's result, reused by its every call. */
static verdict_result *
ex_result(void)
{
	verdict_result *r;

	if (!ex_key_ok)
		return NULL;
	if ((r = pthread_getspecific(ex_key)) != NULL)
		return r;
	if ((r = verdict_result_new()) == NULL)
		return NULL;
	if (pthread_setspecific(ex_key, r) != 0) {
		verdict_result_free(r);
		return NULL;
	}
	return r;
}

/* ------------------------------------------------------------ the call */

/* ex_slot - "1".."999" (white space around ignored) or -1. */
static int
ex_slot(const uschar *s)
{
	int n = 0, digits = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		if (++digits > 3)
			return -1;
		else
			n = n * 10 + (*s - '0');
	while (*s == ' ' || *s == '\t')
		s++;
	return *s || n < 1 ? -1 : n;
}

/* ex_ip - the IP argument without surrounding white space into ip; 0 ok,
 * 1 empty (local SMTP: no log), -1 overlong (logged). */
static int
ex_ip(const uschar *s, char ip[EX_IP_MAX + 1])
{
	char show[96];
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen((const char *)s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 1;
	if (n > EX_IP_MAX) {
		ex_problem(K_IP, "malformed IP address \"%s\": treated as "
			   "neutral", ex_show(s, show, sizeof(show)));
		return -1;
	}
	memcpy(ip, s, n);
	ip[n] = 0;
	return 0;
}

/* ex_put - word, and " " and text when text is not NULL, into the yield
 * (copied, not formatted: this is on every connection's path). */
static void
ex_put(const char *word, const char *text)
{
	size_t w = strlen(word), n;

	memcpy(ex_yield, word, w + 1);
	if (text == NULL)
		return;
	n = strnlen(text, EX_REPLY_MAX - 1);
	ex_yield[w] = ' ';
	memcpy(ex_yield + w + 1, text, n);
	ex_yield[w + 1 + n] = 0;
}

/* ex_answer - the yield for a verdict: the word, and the reply for block
 * and tempfail. */
static const char *
ex_answer(verdict_result *res)
{
	int kind = verdict_result_kind(res);
	const char *reply;

	if (kind != VERDICT_BLOCK && kind != VERDICT_TEMPFAIL)
		return kind == VERDICT_ALLOW ? "allow" : "neutral";
	reply = verdict_result_reply(res);
	ex_put(kind == VERDICT_BLOCK ? "block" : "tempfail",
	       reply ? reply : "");
	return ex_yield;
}

/* ex_check - the verdict of ip under [profile slot] as a yield. */
static const char *
ex_check(verdict_ctx *vc, int slot, const char *ip)
{
	verdict_result *res = ex_result();
	long tmo;
	int rc;

	if (res == NULL) {
		ex_problem(K_NOMEM, "out of memory: %s passed", ip);
		return "neutral";
	}
	if (verdict_profile_deadline(vc, slot, &tmo) != VERDICT_OK) {
		ex_problem(K_PROFILE, "slot %d but %s declares no [profile "
			   "%d]: every connection passes", slot, ex_path,
			   slot);
		return "neutral";
	}
	rc = verdict_check_ex(vc, slot, ip, tmo, 0, res);
	if (rc == VERDICT_EINVAL) {
		ex_problem(K_IP, "malformed IP address \"%s\" (slot %d): "
			   "treated as neutral", ip, slot);
		return "neutral";
	}
	if (rc != VERDICT_OK) {
		ex_problem(K_CHECK, "check of %s under profile %d failed "
			   "(passed): %s %s", ip, slot, verdict_strerror(rc),
			   verdict_errdetail());
		return "neutral";
	}
	return ex_answer(res);
}

/* ex_call - the arguments checked, the context counted in and out. */
static const char *
ex_call(const uschar *aslot, const uschar *aip)
{
	char ip[EX_IP_MAX + 1], show[96], why[600];
	verdict_ctx *vc = NULL;
	const char *ans;
	unsigned hold = 0;
	int slot, rc;

	if ((slot = ex_slot(aslot)) < 0) {
		ex_problem(K_SLOT, "slot \"%s\" is not a profile number "
			   "1..999: treated as neutral",
			   ex_show(aslot, show, sizeof(show)));
		return "neutral";
	}
	if (ex_ip(aip, ip) != 0)
		return "neutral";
	if (ex_live == NULL) {
		ex_problem(K_NOMEM, "out of memory: every connection passes");
		return "neutral";
	}
	/* A get while another thread builds passes at once (EBUSY). */
	if ((rc = verdict_live_get(ex_live, &vc, &hold)) != VERDICT_OK) {
		if (rc != VERDICT_EBUSY && ex_gate(K_NOCTX)) {
			verdict_live_why(ex_live, why, sizeof(why));
			ex_log(LOG_ERR, "not configured, every connection "
			       "passes: %s", why);
		}
		return "neutral";
	}
	ans = ex_check(vc, slot, ip);
	verdict_live_put(ex_live, hold);
	return ans;
}

/* verdict_exim - the function ${dlfunc} calls. */
EX_EXPORT int
verdict_exim(uschar **yield, int argc, uschar *argv[])
{
	static uschar empty[1];
	const char *ans;

	if (yield == NULL)
		return EX_FAIL;
	if (argc != 2 || argv == NULL) {
		snprintf(ex_yield, sizeof(ex_yield), "verdict_exim: %d "
			 "argument%s, expected 2: {profile slot}{client IP}",
			 argc, argc == 1 ? "" : "s");
		*yield = (uschar *)ex_yield;
		return EX_FAIL;
	}
	pthread_once(&ex_once, ex_once_init);
	ex_in_call = 1;
	ans = ex_call(argv[0] ? argv[0] : empty, argv[1] ? argv[1] : empty);
	ex_in_call = 0;
	if (ans != ex_yield)
		ex_put(ans, NULL);
	*yield = (uschar *)ex_yield;
	return EX_OK;
}

/*
 * ex_preloaded - run when the object is loaded, in a daemon that preloads
 * it (LD_PRELOAD; libverdict_exim(3), "Loading once") as in every other
 * load.  ld.so maps a preloaded object and its libraries but gives it no
 * search list of its own, so each connection child's ${dlfunc} dlopen
 * would map its dependencies again by name against every object of
 * Exim's, touching each one's string table in a process that has none of
 * them paged in.  One dlopen of the object by itself here builds that
 * list once in the daemon; a child's dlopen then only counts a
 * reference.  Elsewhere the object is already open when this runs, and
 * the call does the same: nothing.
 */
__attribute__((constructor)) static void
ex_preloaded(void)
{
	Dl_info di;

	if (dladdr((void *)(uintptr_t)verdict_exim, &di) != 0 &&
	    di.dli_fname != NULL)
		(void)dlopen(di.dli_fname, RTLD_NOW | RTLD_NOLOAD);
}
