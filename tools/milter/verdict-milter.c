/*
 * verdict-milter - libverdict's early verdict at the milter CONNECT stage
 *
 *	main		options, socket, privileges, daemon, smfi_main, exit
 *	vm_connect	xxfi_connect: check hostaddr, accept/reject/tempfail
 *	vm_envfrom	xxfi_envfrom (milter_stage = mail only): the reply
 *	vm_close	xxfi_close (milter_stage = mail only): free the state
 *	gen_*		the current configuration generation, refcounted
 *	sig_thread	SIGUSR1 reload, SIGUSR2 and stats_interval reports
 *
 * Only xxfi_connect is registered (plus xxfi_envfrom and xxfi_close with
 * milter_stage = mail), so libmilter asks the MTA to send nothing after
 * CONNECT.  BLOCK -> SMFIS_REJECT, TEMPFAIL -> SMFIS_TEMPFAIL, everything
 * else (ALLOW, NEUTRAL, ERROR, hostaddr NULL, a non-IP family, profile
 * "none") -> SMFIS_ACCEPT: the milter fails open.  libmilter does not
 * allow smfi_setreply at connect, so a site that wants the reason told
 * uses milter_stage = mail: the connect verdict is kept in the
 * connection's private data and MAIL FROM is refused with the profile's
 * rendered reply.  The stage fixes which callbacks are registered, so it
 * is read once at start; a reload that changes it is logged and ignored.
 *
 * Signals.  libmilter's own signal thread (started by smfi_main) sigwaits
 * on SIGHUP, SIGTERM and SIGINT and stops the listener on each of them:
 * smfi_main then returns, we wait for the callbacks in flight, remove the
 * pidfile and exit 0 (libmilter removes a unix socket).  SIGHUP therefore
 * stops the daemon; reload is SIGUSR1.  Our own thread sigwaits on
 * SIGUSR1 and SIGUSR2 only, so the two threads never compete for a
 * signal.  All of these are blocked in main before any thread starts, so
 * every thread (libmilter's, the library's resolver) inherits the mask.
 *
 * Reload builds and opens a whole new library context; only when that
 * works is it swapped in.  Callbacks take a reference on the generation
 * they use, so the old context is freed by whoever drops the last
 * reference, never under a running check.  A broken configuration keeps
 * the old one and says why.
 *
 * Diagnostics: syslog facility mail, ident verdict-milter (also standard
 * error with -f).  One line per verdict as the library's log_verdicts
 * says, with queue_id= appended when the MTA sent {i}.  Startup errors go
 * to standard error and give exit status 1.
 *
 * Limits: the verdict deadline is the profile's (verdict.conf(5)); -t is
 * libmilter's I/O timeout with the MTA.  At shutdown, callbacks still
 * running after SHUTDOWN_GRACE seconds are abandoned.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "verdict.h"
#include "vm_stats.h"

#define DEFAULT_CONFIG "/etc/verdict/verdict.conf"
#define SHUTDOWN_GRACE 30
#define MAP_MAX 32
#define NAME_MAX_LEN 64

/* One configuration generation: an opened context and what the milter
 * took from the same file. */
typedef struct gen {
	verdict_ctx *vc;
	int refs;			/* under gen_lock */
	int stage;			/* 0 connect, 1 mail */
	long stats_interval;		/* seconds */
	size_t nmap;
	struct {
		char name[NAME_MAX_LEN + 1];
		int profile;		/* 0 = none */
	} map[MAP_MAX];
	/* settings read for start-up (command-line options override) */
	char socket[256], user[64], pidfile[PATH_MAX];
	long timeout;
} gen;

/* Per-connection state, milter_stage = mail only. */
typedef struct conn {
	int kind;
	char ip[64];
	char reply[256];
} conn;

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static gen *gen_cur;
static const char *opt_config;		/* NULL: DEFAULT_CONFIG if present */
static int opt_profile = 1;
static int stage;			/* fixed at start */
static atomic_int busy;			/* callbacks running */
static atomic_int pending;		/* conn states alive */
static atomic_long stats_every;
static atomic_int stopping;
static __thread const char *tl_qid;	/* {i} during a check, for the log */

/* msg - our own log lines */
static void __attribute__((format(printf, 2, 3)))
msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(level, fmt, ap);
	va_end(ap);
}

/* lib_log - the library's log callback: syslog, plus the queue id */
static void
lib_log(int level, const char *line, void *arg)
{
	const char *qid = tl_qid;

	(void)arg;
	if (qid != NULL && *qid)
		syslog(level, "%s queue_id=%s", line, qid);
	else
		syslog(level, "%s", line);
}

static void
stats_emit(const char *line)
{
	syslog(LOG_INFO, "%s", line);
}

/* parse_long - the whole of s as a decimal in [min, max] */
static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* copy - bounded copy; -1 when truncated */
static int
copy(char *dst, size_t size, const char *src)
{
	int n = snprintf(dst, size, "%s", src);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ------------------------------------------------------ generations */

static void
gen_free(gen *g)
{
	if (g == NULL)
		return;
	verdict_free(g->vc);
	free(g);
}

/* gen_map_parse - "name=N,name=none" into g->map */
static int
gen_map_parse(gen *g, const char *text, char *err, size_t errlen)
{
	const char *p = text, *eq, *end;
	long n;
	char num[16];

	while (*p) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || (size_t)(eq - p) > NAME_MAX_LEN ||
		    g->nmap >= MAP_MAX || (size_t)(end - eq) > sizeof(num)) {
			snprintf(err, errlen, "milter_profiles: cannot use "
				 "\"%.*s\" (at most %d names of at most %d "
				 "bytes)", (int)(end - p), p, MAP_MAX,
				 NAME_MAX_LEN);
			return -1;
		}
		memcpy(g->map[g->nmap].name, p, (size_t)(eq - p));
		g->map[g->nmap].name[eq - p] = 0;
		memcpy(num, eq + 1, (size_t)(end - eq - 1));
		num[end - eq - 1] = 0;
		if (strcmp(num, "none") == 0)
			n = 0;
		else if (parse_long(num, 1, 999, &n) != 0 ||
			 !verdict_profile_exists(g->vc, (int)n)) {
			snprintf(err, errlen, "milter_profiles: %s=%s is not "
				 "a declared profile", g->map[g->nmap].name,
				 num);
			return -1;
		}
		g->map[g->nmap++].profile = (int)n;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/*
 * gen_load - a new generation from the config file (not opened yet).
 * NULL with err filled on failure.
 */
static gen *
gen_load(char *err, size_t errlen)
{
	const char *path = opt_config;
	char buf[4096];
	gen *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->vc = verdict_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	verdict_set_log(g->vc, lib_log, NULL);
	if (path == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		path = DEFAULT_CONFIG;
	if (path != NULL &&
	    (rc = verdict_load_config(g->vc, path)) != VERDICT_OK) {
		snprintf(err, errlen, "%s: %s", verdict_strerror(rc),
			 verdict_errdetail());
		goto fail;
	}
	if (!verdict_profile_exists(g->vc, opt_profile)) {
		snprintf(err, errlen, "no [profile %d] in %s", opt_profile,
			 path ? path : "the built-in defaults");
		goto fail;
	}
	if (verdict_config_get(g->vc, "milter_profiles", buf, sizeof(buf)) ||
	    gen_map_parse(g, buf, err, errlen) != 0)
		goto fail_map;
	g->stage = verdict_config_get(g->vc, "milter_stage", buf,
				      sizeof(buf)) == 0 &&
		   strcmp(buf, "mail") == 0;
	if (verdict_config_get(g->vc, "stats_interval", buf, sizeof(buf)) ||
	    parse_long(buf, 1, LONG_MAX, &g->stats_interval) != 0)
		g->stats_interval = 3600;
	if (verdict_config_get(g->vc, "milter_timeout", buf, sizeof(buf)) ||
	    parse_long(buf, 1, INT_MAX, &g->timeout) != 0)
		g->timeout = 7200;
	if (verdict_config_get(g->vc, "milter_socket", g->socket,
			       sizeof(g->socket)) != 0)
		copy(g->socket, sizeof(g->socket), "inet:8895@127.0.0.1");
	if (verdict_config_get(g->vc, "milter_user", g->user,
			       sizeof(g->user)) != 0)
		g->user[0] = 0;
	if (verdict_config_get(g->vc, "milter_pidfile", g->pidfile,
			       sizeof(g->pidfile)) != 0)
		g->pidfile[0] = 0;
	g->refs = 1;
	return g;
fail_map:
	if (!*err)
		snprintf(err, errlen, "milter_profiles: %s",
			 verdict_errdetail());
fail:
	gen_free(g);
	return NULL;
}

/* gen_open - open the database of a loaded generation */
static int
gen_open(gen *g, char *err, size_t errlen)
{
	int rc = verdict_open(g->vc, 0);

	if (rc != VERDICT_OK) {
		snprintf(err, errlen, "%s: %s", verdict_strerror(rc),
			 verdict_errdetail());
		return -1;
	}
	return 0;
}

/* gen_get - the current generation, with a reference */
static gen *
gen_get(void)
{
	gen *g;

	pthread_mutex_lock(&gen_lock);
	g = gen_cur;
	g->refs++;
	pthread_mutex_unlock(&gen_lock);
	return g;
}

/* gen_put - drop a reference; the last one frees a retired generation */
static void
gen_put(gen *g)
{
	int last;

	pthread_mutex_lock(&gen_lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&gen_lock);
	if (last)
		gen_free(g);
}

/* gen_swap - make g current; the old one goes when its users are done */
static void
gen_swap(gen *g)
{
	gen *old;

	pthread_mutex_lock(&gen_lock);
	old = gen_cur;
	gen_cur = g;
	pthread_mutex_unlock(&gen_lock);
	atomic_store(&stats_every, g->stats_interval);
	if (old != NULL)
		gen_put(old);
}

/* gen_profile - the profile for a listener: 0 = none */
static int
gen_profile(const gen *g, const char *daemon)
{
	size_t i;

	if (daemon != NULL)
		for (i = 0; i < g->nmap; i++)
			if (strcmp(g->map[i].name, daemon) == 0)
				return g->map[i].profile;
	return opt_profile;
}

/* reload - SIGUSR1: a new generation, or keep the old and say why */
static void
reload(void)
{
	char err[1024] = "";
	gen *g;

	if ((g = gen_load(err, sizeof(err))) == NULL ||
	    gen_open(g, err, sizeof(err)) != 0) {
		gen_free(g);
		msg(LOG_ERR, "reload failed, keeping the running "
		    "configuration: %s", err);
		return;
	}
	if (g->stage != stage)
		msg(LOG_WARNING, "milter_stage changed in the configuration; "
		    "it takes effect only after a restart (still %s)",
		    stage ? "mail" : "connect");
	gen_swap(g);
	msg(LOG_INFO, "configuration reloaded");
}

/* ------------------------------------------------------- callbacks */

/* reply_set - smfi_setreply from a rendered "554 5.7.1 text" reply */
static void
reply_set(SMFICTX *mctx, const conn *c)
{
	const char *r = c->reply, *p;
	char rcode[4], xcode[32], text[600];
	int temp = c->kind == VERDICT_TEMPFAIL;
	size_t o = 0;

	copy(rcode, sizeof(rcode), temp ? "421" : "554");
	copy(xcode, sizeof(xcode), temp ? "4.7.1" : "5.7.1");
	/* take the template's own codes when they agree with the kind */
	if (r[0] == (temp ? '4' : '5') && r[1] >= '0' && r[1] <= '9' &&
	    r[2] >= '0' && r[2] <= '9' && r[3] == ' ') {
		memcpy(rcode, r, 3);
		rcode[3] = 0;
		r += 4;
		p = strchr(r, ' ');
		if (r[0] == rcode[0] && r[1] == '.' && p != NULL &&
		    (size_t)(p - r) < sizeof(xcode) &&
		    strspn(r, "0123456789.") == (size_t)(p - r)) {
			memcpy(xcode, r, (size_t)(p - r));
			xcode[p - r] = 0;
			r = p + 1;
		}
	}
	for (; *r && o + 2 < sizeof(text); r++) {
		if (*r == '%')
			text[o++] = '%';
		text[o++] = *r;
	}
	text[o] = 0;
	if (smfi_setreply(mctx, rcode, xcode, o ? text : NULL) != MI_SUCCESS)
		msg(LOG_WARNING, "smfi_setreply refused \"%s %s %s\"", rcode,
		    xcode, text);
}

static sfsistat
vm_connect(SMFICTX *mctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	static atomic_long last_warn;
	verdict_result *res = NULL;
	sfsistat rc = SMFIS_ACCEPT;
	gen *g = NULL;
	conn *c;
	int profile, kind, err;
	long now;

	(void)hostname;
	atomic_fetch_add(&busy, 1);
	vm_stats_connect();
	if (hostaddr == NULL || (hostaddr->sa_family != AF_INET &&
				 hostaddr->sa_family != AF_INET6)) {
		vm_stats_skip();	/* local or not IP: no verdict */
		goto out;
	}
	g = gen_get();
	if ((profile = gen_profile(g, smfi_getsymval(mctx,
						     "{daemon_name}"))) == 0) {
		vm_stats_skip();
		goto out;
	}
	if ((res = verdict_result_new()) == NULL) {
		msg(LOG_ERR, "out of memory; connection accepted unchecked");
		goto out;
	}
	tl_qid = smfi_getsymval(mctx, "i");
	err = verdict_check_sockaddr(g->vc, profile, hostaddr, 0, 0, res);
	tl_qid = NULL;
	vm_stats_record(res);
	kind = verdict_result_kind(res);
	if (err != VERDICT_OK) {
		now = (long)time(NULL);
		if (now - atomic_load(&last_warn) >= 10) {
			atomic_store(&last_warn, now);
			msg(LOG_WARNING, "check failed, connection accepted: "
			    "%s: %s", verdict_strerror(err),
			    verdict_errdetail());
		}
		goto out;
	}
	if (kind == VERDICT_BLOCK)
		rc = SMFIS_REJECT;
	else if (kind == VERDICT_TEMPFAIL)
		rc = SMFIS_TEMPFAIL;
	if (rc != SMFIS_ACCEPT && stage) {
		/* milter_stage = mail: tell the client at MAIL FROM */
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			msg(LOG_ERR, "out of memory; refusing at connect");
			goto out;
		}
		c->kind = kind;
		copy(c->ip, sizeof(c->ip), verdict_result_ip(res) ?
		     verdict_result_ip(res) : "-");
		copy(c->reply, sizeof(c->reply), verdict_result_reply(res) ?
		     verdict_result_reply(res) : "");
		if (smfi_setpriv(mctx, c) != MI_SUCCESS) {
			free(c);
			goto out;
		}
		atomic_fetch_add(&pending, 1);
		rc = SMFIS_CONTINUE;
	}
out:
	verdict_result_free(res);
	if (g != NULL)
		gen_put(g);
	atomic_fetch_sub(&busy, 1);
	return rc;
}

static sfsistat
vm_envfrom(SMFICTX *mctx, char **argv)
{
	conn *c = smfi_getpriv(mctx);
	const char *qid;

	(void)argv;
	if (c == NULL)
		return SMFIS_ACCEPT;
	atomic_fetch_add(&busy, 1);
	reply_set(mctx, c);
	qid = smfi_getsymval(mctx, "i");
	msg(LOG_INFO, "refused at MAIL FROM: ip=%s verdict=%s queue_id=%s",
	    c->ip, verdict_kind_name(c->kind), qid && *qid ? qid : "-");
	atomic_fetch_sub(&busy, 1);
	return c->kind == VERDICT_TEMPFAIL ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

static sfsistat
vm_close(SMFICTX *mctx)
{
	conn *c = smfi_getpriv(mctx);

	if (c != NULL) {
		smfi_setpriv(mctx, NULL);
		free(c);
		atomic_fetch_sub(&pending, 1);
	}
	return SMFIS_CONTINUE;
}

/* ----------------------------------------------------------- signals */

static void *
sig_thread(void *arg)
{
	sigset_t set;
	struct timespec ts;
	time_t next;
	long every;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	every = atomic_load(&stats_every);
	next = time(NULL) + every;
	for (;;) {
		time_t now = time(NULL);

		ts.tv_sec = next > now ? next - now : 0;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &ts);
		if (atomic_load(&stopping))
			return NULL;
		if (sig == SIGUSR1) {
			reload();
		} else if (sig == SIGUSR2) {
			vm_stats_log(stats_emit);
		} else if (sig < 0 && errno == EAGAIN) {
			vm_stats_log(stats_emit);
		}
		if (every != atomic_load(&stats_every) || time(NULL) >= next) {
			every = atomic_load(&stats_every);
			next = time(NULL) + every;
		}
	}
}

/* --------------------------------------------------------------- main */

static const char usage_text[] =
"usage: verdict-milter [-f] [-c CONFIG] [-p PROFILE] [-s SOCKET] [-u USER]\n"
"                      [-P PIDFILE] [-t SECONDS]\n"
"\n"
"Refuse a known spam source at the milter CONNECT stage (see\n"
"verdict-milter(8)).  Command-line options override verdict.conf keys.\n"
"\n"
"  -c CONFIG    configuration file (default " DEFAULT_CONFIG ";\n"
"               built-in defaults when that file does not exist)\n"
"  -p PROFILE   profile for listeners not in milter_profiles (default 1)\n"
"  -s SOCKET    inet:PORT@ADDR, inet6:PORT@ADDR or unix:/path\n"
"               (milter_socket; default inet:8895@127.0.0.1)\n"
"  -u USER      drop root to USER after opening the socket (milter_user)\n"
"  -f           stay in the foreground, log to standard error too\n"
"  -P PIDFILE   write the process id there (milter_pidfile)\n"
"  -t SECONDS   libmilter's I/O timeout with the MTA (milter_timeout)\n"
"  -h, --help   this text\n"
"  -V, --version  print the version\n"
"\n"
"Signals: SIGUSR1 reloads the configuration, SIGUSR2 logs the counters,\n"
"SIGTERM (and SIGHUP, SIGINT: libmilter's) stop the daemon.\n";

/* socket_path - the file of a unix: / local: socket spec, or NULL */
static const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* drop_privs - become user (looked up before), groups first */
static int
drop_privs(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "verdict-milter: cannot become %s: %s\n",
			pw->pw_name, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "verdict-milter: could regain root after "
			"dropping to %s; refusing to run\n", pw->pw_name);
		return -1;
	}
	return 0;
}

/* test_fds - test only: hold n descriptors open so that the ones libmilter
 * accepts are numbered above them (beyond select()'s 1024) */
static int
test_fds(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0) {
			fprintf(stderr, "verdict-milter: --test-fds: %s\n",
				strerror(errno));
			return -1;
		}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "test-fds", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	struct smfiDesc desc = {
		.xxfi_name = "verdict-milter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = 0,
		.xxfi_connect = vm_connect,
	};
	const char *o_socket = NULL, *o_user = NULL, *o_pidfile = NULL;
	const char *sock = NULL, *user, *pidfile = NULL, *spath;
	long o_timeout = -1, timeout, nfds = 0, v;
	struct passwd *pw = NULL;
	struct rlimit rl;
	sigset_t set;
	pthread_t sigthr;
	char err[1024] = "";
	int fg = 0, ch, ready[2] = { -1, -1 }, status = 1, pidfd = -1;
	int sock_open = 0, thr = 0;
	gen *g = NULL;
	mode_t um;
	pid_t pid;

	while ((ch = getopt_long(argc, argv, "c:p:s:u:fP:t:hV", lopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'c': opt_config = optarg; break;
		case 'p':
			if (parse_long(optarg, 1, 999, &v) != 0) {
				fprintf(stderr, "verdict-milter: -p: a profile "
					"number 1..999, not \"%s\"\n", optarg);
				return 2;
			}
			opt_profile = (int)v;
			break;
		case 's': o_socket = optarg; break;
		case 'u': o_user = optarg; break;
		case 'f': fg = 1; break;
		case 'P': o_pidfile = optarg; break;
		case 't':
			if (parse_long(optarg, 1, INT_MAX, &o_timeout) != 0) {
				fprintf(stderr, "verdict-milter: -t: seconds "
					"1..%d, not \"%s\"\n", INT_MAX, optarg);
				return 2;
			}
			break;
		case 'T':
			if (parse_long(optarg, 0, 65536, &nfds) != 0) {
				fprintf(stderr, "verdict-milter: --test-fds: "
					"0..65536\n");
				return 2;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V':
			printf("verdict-milter %s (libverdict %s)\n",
			       VERDICT_VERSION_STRING, verdict_version());
			return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	openlog("verdict-milter", LOG_PID | LOG_NDELAY | LOG_PERROR, LOG_MAIL);

	/* Block the signals before any thread exists: libmilter's threads,
	 * the resolver and ours inherit the mask; two threads sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((g = gen_load(err, sizeof(err))) == NULL) {
		fprintf(stderr, "verdict-milter: %s\n", err);
		goto out;
	}
	stage = g->stage;
	sock = o_socket ? o_socket : g->socket;
	user = o_user ? o_user : (g->user[0] ? g->user : NULL);
	pidfile = o_pidfile ? o_pidfile : (g->pidfile[0] ? g->pidfile : NULL);
	timeout = o_timeout > 0 ? o_timeout : g->timeout;
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL) {
			fprintf(stderr, "verdict-milter: no such user \"%s\"\n",
				user);
			goto out;
		}
		if (geteuid() != 0 && geteuid() != pw->pw_uid) {
			fprintf(stderr, "verdict-milter: -u %s needs root\n",
				user);
			goto out;
		}
		if (geteuid() != 0)
			pw = NULL;	/* already that user */
	} else if (geteuid() == 0) {
		fprintf(stderr, "verdict-milter: refusing to run as root; "
			"name a user with -u or milter_user\n");
		goto out;
	}

	/* thousands of connections: one descriptor each, beyond 1024 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			msg(LOG_WARNING, "cannot raise RLIMIT_NOFILE: %m");
	}

	if (stage) {
		desc.xxfi_envfrom = vm_envfrom;
		desc.xxfi_close = vm_close;
	}
	if (smfi_register(desc) != MI_SUCCESS ||
	    smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_settimeout((int)timeout) != MI_SUCCESS) {
		fprintf(stderr, "verdict-milter: cannot set up libmilter with "
			"socket \"%s\"\n", sock);
		goto out;
	}
	um = umask(0117);	/* a unix socket: rw for owner and group */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		umask(um);
		fprintf(stderr, "verdict-milter: cannot open socket \"%s\" "
			"(in use? permission?)\n", sock);
		goto out;
	}
	umask(um);
	sock_open = 1;
	spath = socket_path(sock);
	if (spath != NULL && pw != NULL &&
	    chown(spath, pw->pw_uid, pw->pw_gid) != 0)
		msg(LOG_WARNING, "cannot chown %s to %s: %m", spath,
		    pw->pw_name);

	if (!fg) {
		/* the parent exits when the child is ready (0) or not (1) */
		if (pipe(ready) != 0 || (pid = fork()) < 0) {
			fprintf(stderr, "verdict-milter: fork: %s\n",
				strerror(errno));
			goto out;
		}
		if (pid > 0) {
			char b;

			close(ready[1]);
			sock_open = 0;	/* the child's now */
			status = read(ready[0], &b, 1) == 1 ? 0 : 1;
			close(ready[0]);
			goto out;
		}
		close(ready[0]);
		ready[0] = -1;
		setsid();
		if (chdir("/") != 0)
			msg(LOG_WARNING, "chdir /: %m");
	}
	if (pw != NULL && drop_privs(pw) != 0)
		goto out;
	if (pidfile != NULL) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

		pidfd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		if (pidfd < 0 || write(pidfd, buf, (size_t)n) != n) {
			fprintf(stderr, "verdict-milter: pidfile %s: %s\n",
				pidfile, strerror(errno));
			goto out;
		}
		close(pidfd);
		pidfd = 1;	/* "written": remove at exit */
	}
	if (gen_open(g, err, sizeof(err)) != 0) {
		fprintf(stderr, "verdict-milter: %s\n", err);
		goto out;
	}
	gen_swap(g);
	g = NULL;
	if (nfds > 0 && test_fds(nfds) != 0)
		goto out;
	if (pthread_create(&sigthr, NULL, sig_thread, NULL) != 0) {
		fprintf(stderr, "verdict-milter: cannot start the signal "
			"thread\n");
		goto out;
	}
	thr = 1;
	msg(LOG_INFO, "started: socket %s, profile %d, stage %s, libverdict "
	    "%s", sock, opt_profile, stage ? "mail" : "connect",
	    verdict_version());
	if (!fg) {
		int null = open("/dev/null", O_RDWR);

		if (write(ready[1], "", 1) != 1)
			msg(LOG_WARNING, "cannot tell the parent: %m");
		close(ready[1]);
		ready[1] = -1;
		openlog("verdict-milter", LOG_PID | LOG_NDELAY, LOG_MAIL);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}

	if (smfi_main() != MI_SUCCESS)
		msg(LOG_ERR, "libmilter's listener failed");
	else
		status = 0;
	sock_open = 0;		/* mi_listener closed (and unlinked) it */

	/* in-flight callbacks finish; then the last report */
	for (int i = 0; i < SHUTDOWN_GRACE * 10 &&
	     (atomic_load(&busy) > 0 || atomic_load(&pending) > 0); i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (atomic_load(&busy) > 0)
		msg(LOG_WARNING, "%d callbacks still running at exit",
		    atomic_load(&busy));
	vm_stats_log(stats_emit);
	msg(LOG_INFO, "stopped");
out:
	if (thr) {
		atomic_store(&stopping, 1);
		pthread_kill(sigthr, SIGUSR2);
		pthread_join(sigthr, NULL);
	}
	if (sock_open && (spath = socket_path(sock)) != NULL)
		unlink(spath);
	if (pidfd == 1 && unlink(pidfile) != 0)
		msg(LOG_WARNING, "cannot remove %s: %m", pidfile);
	if (atomic_load(&busy) == 0 && gen_cur != NULL) {
		gen_put(gen_cur);
		gen_cur = NULL;
	}
	gen_free(g);
	if (ready[1] >= 0)
		close(ready[1]);
	closelog();
	return status;
}
