/*
 * verdict-milter - libverdict's early verdict at the milter CONNECT stage
 *
 *	main		options, socket, privileges, daemon, smfi_main, exit
 *	sig_thread	SIGUSR1 reload, SIGUSR2 and stats_interval reports
 *	(vm_metrics.c: /metrics and metrics_dir, started with the rest)
 *
 * The callbacks are in vm_filter.c, the configuration generations and
 * their reload in vm_gen.c, the counters in vm_stats.c, the log lines in
 * vm_log.c; this file sets the daemon up and tears it down.
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
#include "vm_filter.h"
#include "vm_gen.h"
#include "vm_learn.h"
#include "vm_log.h"
#include "vm_metrics.h"
#include "vm_stats.h"
#include "vm_util.h"

#define SHUTDOWN_GRACE 30

/* The command line; NULL / -1: the configuration's value. */
typedef struct vm_opts {
	const char *config, *socket, *user, *pidfile;
	long profile, timeout, nfds;
	int fg;
} vm_opts;

/* The daemon being set up, and what to undo at exit. */
typedef struct vm_daemon {
	const char *sock, *user, *pidfile;
	long timeout;
	struct passwd *pw;		/* drop root to it, or NULL */
	int ready[2];			/* child -> parent: "up" */
	int sock_open, pid_written, thr;
	pthread_t sigthr;
} vm_daemon;

static atomic_int stopping;

/* sig_thread - SIGUSR1 reloads, SIGUSR2 and every stats_interval report,
 * a replaced database directory is reopened (vm_gen_follow) */
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
	every = vm_gen_stats_every();
	next = time(NULL) + every;
	for (;;) {
		time_t now = time(NULL);

		/* wake at least once a second: vm_gen_follow */
		ts.tv_sec = next > now + 1 ? 1 : next > now ? next - now : 0;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &ts);
		if (atomic_load(&stopping))
			return NULL;
		if (sig == SIGUSR1) {
			vm_gen_reload();
		} else if (sig == SIGUSR2) {
			vm_stats_log(vm_log_stats);
		} else if (sig < 0 && errno == EAGAIN && time(NULL) >= next) {
			vm_stats_log(vm_log_stats);
		}
		vm_gen_follow();
		if (every != vm_gen_stats_every() || time(NULL) >= next) {
			every = vm_gen_stats_every();
			next = time(NULL) + every;
		}
	}
}

static const char usage_text[] =
"usage: verdict-milter [-f] [-c CONFIG] [-p PROFILE] [-s SOCKET] [-u USER]\n"
"                      [-P PIDFILE] [-t SECONDS]\n"
"\n"
"Refuse a known spam source at the milter CONNECT stage (see\n"
"verdict-milter(8)).  Command-line options override verdict.conf keys.\n"
"\n"
"  -c CONFIG    configuration file, by default\n"
"               ";
static const char usage_tail[] = "\n"
"               (built-in defaults when that file does not exist)\n"
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
"SIGTERM (and SIGHUP, SIGINT: libmilter's) stop the daemon.\n"
"Metrics: metrics_listen serves GET /metrics for Prometheus, metrics_dir\n"
"gets milter-PID.prom (verdict.conf keys; see MONITORING in the man page).\n";

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

/* usage - the usage text to f */
static void
usage(FILE *f)
{
	fprintf(f, "%s%s%s", usage_text, verdict_default_config(),
		usage_tail);
}

/* parse_args - the command line into *o; -1 go on, else the exit status */
static int
parse_args(int argc, char **argv, vm_opts *o)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "test-fds", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->profile = 1;
	o->timeout = -1;
	while ((ch = getopt_long(argc, argv, "c:p:s:u:fP:t:hV", lopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'p':
			if (vm_util_parse_long(optarg, 1, 999,
					       &o->profile) != 0) {
				fprintf(stderr, "verdict-milter: -p: a profile "
					"number 1..999, not \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 's': o->socket = optarg; break;
		case 'u': o->user = optarg; break;
		case 'f': o->fg = 1; break;
		case 'P': o->pidfile = optarg; break;
		case 't':
			if (vm_util_parse_long(optarg, 1, INT_MAX,
					       &o->timeout) != 0) {
				fprintf(stderr, "verdict-milter: -t: seconds "
					"1..%d, not \"%s\"\n", INT_MAX, optarg);
				return 2;
			}
			break;
		case 'T':
			if (vm_util_parse_long(optarg, 0, 65536,
					       &o->nfds) != 0) {
				fprintf(stderr, "verdict-milter: --test-fds: "
					"0..65536\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("verdict-milter %s (libverdict %s)\n",
			       VERDICT_VERSION_STRING, verdict_version());
			return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* block_signals - before any thread exists: libmilter's threads, the
 * resolver and ours inherit the mask; two threads sigwait. */
static void
block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* settle - command line over configuration; the user to become; 0 or -1 */
static int
settle(vm_daemon *d, const vm_opts *o, const vm_gen *g)
{
	d->sock = o->socket ? o->socket : g->socket;
	d->user = o->user ? o->user : (g->user[0] ? g->user : NULL);
	d->pidfile = o->pidfile ? o->pidfile :
		     (g->pidfile[0] ? g->pidfile : NULL);
	d->timeout = o->timeout > 0 ? o->timeout : g->timeout;
	if (d->user == NULL) {
		if (geteuid() != 0)
			return 0;
		fprintf(stderr, "verdict-milter: refusing to run as root; "
			"name a user with -u or milter_user\n");
		return -1;
	}
	if ((d->pw = getpwnam(d->user)) == NULL) {
		fprintf(stderr, "verdict-milter: no such user \"%s\"\n",
			d->user);
		return -1;
	}
	if (geteuid() != 0 && geteuid() != d->pw->pw_uid) {
		fprintf(stderr, "verdict-milter: -u %s needs root\n", d->user);
		return -1;
	}
	if (geteuid() != 0)
		d->pw = NULL;	/* already that user */
	return 0;
}

/* open_socket - libmilter set up, its socket opened (owned by the user
 * to become); 0 or -1 */
static int
open_socket(vm_daemon *d, int stage)
{
	struct smfiDesc desc;
	struct rlimit rl;
	const char *spath;
	mode_t um;

	/* thousands of connections: one descriptor each, beyond 1024 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			vm_log(LOG_WARNING, "cannot raise RLIMIT_NOFILE: %m");
	}
	vm_filter_describe(&desc, stage);
	if (smfi_register(desc) != MI_SUCCESS ||
	    smfi_setconn((char *)d->sock) != MI_SUCCESS ||
	    smfi_settimeout((int)d->timeout) != MI_SUCCESS) {
		fprintf(stderr, "verdict-milter: cannot set up libmilter with "
			"socket \"%s\"\n", d->sock);
		return -1;
	}
	um = umask(0117);	/* a unix socket: rw for owner and group */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		umask(um);
		fprintf(stderr, "verdict-milter: cannot open socket \"%s\" "
			"(in use? permission?)\n", d->sock);
		return -1;
	}
	umask(um);
	d->sock_open = 1;
	spath = socket_path(d->sock);
	if (spath != NULL && d->pw != NULL &&
	    chown(spath, d->pw->pw_uid, d->pw->pw_gid) != 0)
		vm_log(LOG_WARNING, "cannot chown %s to %s: %m", spath,
		       d->pw->pw_name);
	return 0;
}

/* detach - fork; the parent waits for the child to be ready and returns
 * its exit status (0 up, 1 not), the child returns -1 and goes on */
static int
detach(vm_daemon *d)
{
	pid_t pid;
	char b;
	int status;

	if (pipe(d->ready) != 0 || (pid = fork()) < 0) {
		fprintf(stderr, "verdict-milter: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid > 0) {
		close(d->ready[1]);
		d->ready[1] = -1;
		d->sock_open = 0;	/* the child's now */
		status = read(d->ready[0], &b, 1) == 1 ? 0 : 1;
		close(d->ready[0]);
		return status;
	}
	close(d->ready[0]);
	d->ready[0] = -1;
	setsid();
	if (chdir("/") != 0)
		vm_log(LOG_WARNING, "chdir /: %m");
	return -1;
}

/* write_pidfile - our process id into d->pidfile (if any); 0 or -1 */
static int
write_pidfile(vm_daemon *d)
{
	char buf[32];
	int n, fd;

	if (d->pidfile == NULL)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	fd = open(d->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || n < 0 || (size_t)n >= sizeof(buf) ||
	    write(fd, buf, (size_t)n) != n) {
		fprintf(stderr, "verdict-milter: pidfile %s: %s\n",
			d->pidfile, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	d->pid_written = 1;	/* remove at exit */
	return 0;
}

/* announce - tell the waiting parent, leave the terminal behind */
static void
announce(vm_daemon *d)
{
	int null = open("/dev/null", O_RDWR);

	if (write(d->ready[1], "", 1) != 1)
		vm_log(LOG_WARNING, "cannot tell the parent: %m");
	close(d->ready[1]);
	d->ready[1] = -1;
	openlog("verdict-milter", LOG_PID | LOG_NDELAY, LOG_MAIL);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
}

/* start - privileges, pidfile, the first generation in, the signal
 * thread; 0 or -1 */
static int
start(vm_daemon *d, const vm_opts *o, vm_gen **gp)
{
	char err[1024] = "";

	if (d->pw != NULL && drop_privs(d->pw) != 0)
		return -1;
	if (write_pidfile(d) != 0)
		return -1;
	if (vm_gen_open(*gp, err, sizeof(err)) != 0) {
		fprintf(stderr, "verdict-milter: %s\n", err);
		return -1;
	}
	vm_gen_swap(*gp);
	*gp = NULL;
	if (o->nfds > 0 && test_fds(o->nfds) != 0)
		return -1;
	if (pthread_create(&d->sigthr, NULL, sig_thread, NULL) != 0) {
		fprintf(stderr, "verdict-milter: cannot start the signal "
			"thread\n");
		return -1;
	}
	d->thr = 1;
	if (vm_metrics_start() != 0)
		return -1;
	vm_log(LOG_INFO, "started: socket %s, profile %ld, stage %s, "
	       "libverdict %s", d->sock, o->profile, vm_gen_stage() ?
	       "mail" : "connect", verdict_version());
	if (!o->fg)
		announce(d);
	return 0;
}

/* serve - smfi_main until a stop signal, then the callbacks in flight
 * finish and the last report; the exit status */
static int
serve(vm_daemon *d)
{
	int status = 1;

	if (smfi_main() != MI_SUCCESS)
		vm_log(LOG_ERR, "libmilter's listener failed");
	else
		status = 0;
	d->sock_open = 0;	/* mi_listener closed (and unlinked) it */
	for (int i = 0; i < SHUTDOWN_GRACE * 10 && (vm_filter_busy() > 0 ||
					       vm_filter_pending() > 0); i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (vm_filter_busy() > 0)
		vm_log(LOG_WARNING, "%d callbacks still running at exit",
		       vm_filter_busy());
	vm_stats_log(vm_log_stats);
	vm_log(LOG_INFO, "stopped");
	return status;
}

/* finish - undo what the set-up did */
static void
finish(vm_daemon *d)
{
	const char *spath;

	vm_metrics_stop();
	if (d->thr) {
		atomic_store(&stopping, 1);
		pthread_kill(d->sigthr, SIGUSR2);
		pthread_join(d->sigthr, NULL);
	}
	if (d->sock_open && (spath = socket_path(d->sock)) != NULL)
		unlink(spath);
	if (d->pid_written && unlink(d->pidfile) != 0)
		vm_log(LOG_WARNING, "cannot remove %s: %m", d->pidfile);
	if (vm_filter_busy() == 0)
		vm_gen_release();
	if (d->ready[1] >= 0)
		close(d->ready[1]);
}

int
main(int argc, char **argv)
{
	vm_daemon d = { .ready = { -1, -1 } };
	char err[1024] = "";
	vm_gen *g = NULL;
	vm_opts o;
	int status;

	if ((status = parse_args(argc, argv, &o)) >= 0)
		return status;
	vm_gen_options(o.config, (int)o.profile);
	openlog("verdict-milter", LOG_PID | LOG_NDELAY | LOG_PERROR, LOG_MAIL);
	block_signals();
	status = 1;
	if ((g = vm_gen_load(err, sizeof(err))) == NULL) {
		fprintf(stderr, "verdict-milter: %s\n", err);
		goto out;
	}
	vm_learn_configure(g->learn, g->learn_header);
	if (settle(&d, &o, g) != 0 || open_socket(&d, g->stage) != 0)
		goto out;
	if (!o.fg && (status = detach(&d)) >= 0)
		goto out;	/* the parent: the child said how it went */
	status = 1;
	if (start(&d, &o, &g) != 0)
		goto out;
	status = serve(&d);
out:
	finish(&d);
	vm_gen_free(g);
	closelog();
	return status;
}
