/*
 * callout_metrics.c - the callout's counters as a textfile-collector file
 *
 *	co_metrics_tick		write callout-PID.prom when it is due
 *
 * The callout lives inside the MTA: no listener, and no thread of its
 * own.  A call that finds the file due (metrics_interval after the last
 * write; at once the first time) writes it in its own thread, after its
 * verdict is rendered: one call in an interval pays for one small file
 * write, every other call for one atomic load.  A writer thread would
 * cost the host a thread that must be made fork-safe and stopped; a
 * process with no calls has nothing new to write anyway.
 *
 * The file is metrics_dir/callout-PID.prom, replaced whole through
 * verdict_stats_write (temporary file and rename), so node_exporter's
 * textfile collector and verdict stats read a whole file.  It is removed
 * at exit (atexit) by the process that wrote it.  A forked child starts
 * over: its first call writes its own file.
 *
 * Diagnostics: "verdict_callout: cannot write FILE: why" (syslog,
 * LOG_WARNING, once until a write succeeds).
 *
 * Limits: counters reset when the configuration is reloaded (a new
 * context); metrics_dir is read at each write, so a reload may move the
 * file (the old one is removed).  A process killed by a signal leaves its
 * file behind (node_exporter then shows its last values).
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "callout_metrics.h"

#define CO_NS 1000000000LL
#define CO_RETRY_NS (60 * CO_NS)	/* metrics_dir unset: look again */

static _Atomic int64_t due_ns;		/* 0: write at the next call */
static atomic_int busy;			/* a thread is writing */
static pthread_mutex_t file_mu = PTHREAD_MUTEX_INITIALIZER;
static char file[PATH_MAX];		/* the file written, "" none */
static pid_t file_pid;			/* by this process */
static int failing;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* remove_file - the file of this process, if it wrote one (file_mu) */
static void
remove_file(void)
{
	if (file[0] && file_pid == getpid())
		unlink(file);
	file[0] = 0;
}

static void
at_exit(void)
{
	pthread_mutex_lock(&file_mu);
	remove_file();
	pthread_mutex_unlock(&file_mu);
}

/* child - after fork: the parent's file is the parent's; write ours */
static void
child(void)
{
	pthread_mutex_init(&file_mu, NULL);
	file[0] = 0;
	atomic_store(&due_ns, 0);
	atomic_store(&busy, 0);
}

static void
setup(void)
{
	atexit(at_exit);
	pthread_atfork(NULL, NULL, child);
}

/* write_file - metrics_dir/callout-PID.prom from vc; the next due time */
static int64_t
write_file(verdict_ctx *vc, int64_t now)
{
	char dir[PATH_MAX], num[32], path[PATH_MAX];
	long every = 15;
	int n, rc;

	if (verdict_config_get(vc, "metrics_dir", dir, sizeof(dir)) !=
	    VERDICT_OK) {
		remove_file();
		return now + CO_RETRY_NS;
	}
	if (verdict_config_get(vc, "metrics_interval", num, sizeof(num)) ==
	    VERDICT_OK)
		every = strtol(num, NULL, 10);
	if (every < 1)
		every = 15;
	n = snprintf(path, sizeof(path), "%s/callout-%ld.prom", dir,
		     (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path))
		return now + CO_RETRY_NS;
	if (strcmp(path, file) != 0)
		remove_file();
	rc = verdict_stats_write(vc, path);
	if (rc == VERDICT_OK) {
		memcpy(file, path, (size_t)n + 1);
		file_pid = getpid();
	} else if (!failing) {
		syslog(LOG_MAIL | LOG_WARNING, "verdict_callout: cannot write "
		       "%s: %s", path, verdict_errdetail());
	}
	failing = rc != VERDICT_OK;
	return now + every * CO_NS;
}

void
co_metrics_tick(verdict_ctx *vc, int64_t now_ns)
{
	int64_t due = atomic_load_explicit(&due_ns, memory_order_relaxed);

	if (vc == NULL || (due != 0 && now_ns < due))
		return;
	if (atomic_exchange(&busy, 1))
		return;		/* another call is writing it */
	pthread_once(&once, setup);
	pthread_mutex_lock(&file_mu);
	due = write_file(vc, now_ns);
	pthread_mutex_unlock(&file_mu);
	atomic_store(&due_ns, due);
	atomic_store(&busy, 0);
}
