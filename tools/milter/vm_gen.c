/*
 * vm_gen.c - verdict-milter's configuration generations
 *
 *	vm_gen_options		-c and -p from the command line
 *	vm_gen_load		a generation from verdict.conf(5), not opened
 *	vm_gen_open		open its database
 *	vm_gen_free		free one nobody uses
 *	vm_gen_swap		make one current
 *	vm_gen_get/_put		the current one, with a reference
 *	vm_gen_profile		the profile of a listener (milter_profiles)
 *	vm_gen_stage		the milter_stage fixed at start
 *	vm_gen_stats_every	the current stats_interval
 *	vm_gen_reload		SIGUSR1: load, open, swap, or keep the old
 *	vm_gen_release		drop the current one at exit
 *	vm_gen_follow		reopen a database directory made anew
 *
 * Reload builds and opens a whole new library context; only when that
 * works is it swapped in.  Callbacks take a reference on the generation
 * they use, so the old context is freed by whoever drops the last
 * reference, never under a running check.  A broken configuration keeps
 * the old one and says why.  The stage fixes which callbacks are
 * registered, so it is taken from the first generation; a reload that
 * changes it is logged and ignored.
 *
 * The daemon changes to "/", so a relative -c is made absolute against
 * the directory it was started in, once at start: every reload reads
 * the same file.  The paths inside the file need nothing here: the
 * library makes a relative one absolute against the file's directory at
 * load (verdict.conf(5)).
 *
 * Diagnostics: "reload failed, keeping the running configuration: PATH:
 * WHY",
 * "configuration reloaded", the stage warning (syslog).
 *
 * Limits: at most VM_GEN_MAP_MAX listener names of VM_GEN_NAME_MAX bytes.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "verdict.h"
#include "vm_gen.h"
#include "vm_log.h"
#include "vm_util.h"

static pthread_mutex_t vm_gen_lock = PTHREAD_MUTEX_INITIALIZER;
static vm_gen *vm_gen_cur;
static const char *opt_config;		/* NULL: the default if present */
static char opt_config_abs[PATH_MAX];
static char start_dir[PATH_MAX];	/* "" when unknown */
static int opt_profile = 1;
static int stage;			/* fixed by the first swap */
static atomic_long stats_every;

/* vm_gen_abs - path made absolute against start_dir into buf; path
 * itself when it is absolute, unknown, or does not fit */
static const char *
vm_gen_abs(const char *path, char *buf, size_t size)
{
	int n;

	if (path[0] == '/' || start_dir[0] == 0)
		return path;
	n = snprintf(buf, size, "%s/%s", start_dir, path);
	return n > 0 && (size_t)n < size ? buf : path;
}

void
vm_gen_options(const char *config, int profile)
{
	if (getcwd(start_dir, sizeof(start_dir)) == NULL)
		start_dir[0] = 0;
	opt_config = config ? vm_gen_abs(config, opt_config_abs,
					  sizeof(opt_config_abs)) : NULL;
	opt_profile = profile;
}

void
vm_gen_free(vm_gen *g)
{
	if (g == NULL)
		return;
	verdict_free(g->vc);
	free(g);
}

/* vm_gen_map_parse - "name=N,name=none" into g->map */
static int
vm_gen_map_parse(vm_gen *g, const char *text, char *err, size_t errlen)
{
	const char *p = text, *eq, *end;
	long n;
	char num[16];

	while (*p) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || (size_t)(eq - p) > VM_GEN_NAME_MAX ||
		    g->nmap >= VM_GEN_MAP_MAX || (size_t)(end - eq) > sizeof(num)) {
			snprintf(err, errlen, "milter_profiles: cannot use "
				 "\"%.*s\" (at most %d names of at most %d "
				 "bytes)", (int)(end - p), p, VM_GEN_MAP_MAX,
				 VM_GEN_NAME_MAX);
			return -1;
		}
		memcpy(g->map[g->nmap].name, p, (size_t)(eq - p));
		g->map[g->nmap].name[eq - p] = 0;
		memcpy(num, eq + 1, (size_t)(end - eq - 1));
		num[end - eq - 1] = 0;
		if (strcmp(num, "none") == 0)
			n = 0;
		else if (vm_util_parse_long(num, 1, 999, &n) != 0 ||
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
 * vm_gen_load - a new generation from the config file (not opened yet).
 * NULL with err filled on failure.
 */
vm_gen *
vm_gen_load(char *err, size_t errlen)
{
	const char *path = opt_config;
	char buf[4096];
	vm_gen *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->vc = verdict_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	verdict_set_log(g->vc, vm_log_lib, NULL);
	if (path == NULL && access(verdict_default_config(), F_OK) == 0)
		path = verdict_default_config();
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
	    vm_gen_map_parse(g, buf, err, errlen) != 0)
		goto fail_map;
	g->stage = verdict_config_get(g->vc, "milter_stage", buf,
				      sizeof(buf)) == 0 &&
		   strcmp(buf, "mail") == 0;
	if (verdict_config_get(g->vc, "stats_interval", buf, sizeof(buf)) ||
	    vm_util_parse_long(buf, 1, LONG_MAX, &g->stats_interval) != 0)
		g->stats_interval = 3600;
	if (verdict_config_get(g->vc, "milter_timeout", buf, sizeof(buf)) ||
	    vm_util_parse_long(buf, 1, INT_MAX, &g->timeout) != 0)
		g->timeout = 7200;
	if (verdict_config_get(g->vc, "milter_socket", g->socket,
			       sizeof(g->socket)) != 0)
		vm_util_copy(g->socket, sizeof(g->socket), "inet:8895@127.0.0.1");
	if (verdict_config_get(g->vc, "milter_user", g->user,
			       sizeof(g->user)) != 0)
		g->user[0] = 0;
	if (verdict_config_get(g->vc, "milter_pidfile", g->pidfile,
			       sizeof(g->pidfile)) != 0)
		g->pidfile[0] = 0;
	g->learn = verdict_config_get(g->vc, "milter_learn", buf,
				      sizeof(buf)) == 0 &&
		   strcmp(buf, "yes") == 0;
	if (verdict_config_get(g->vc, "learn_header", g->learn_header,
			       sizeof(g->learn_header)) != 0)
		vm_util_copy(g->learn_header, sizeof(g->learn_header),
			     "X-Spam-Flag: YES");
	g->refs = 1;
	return g;
fail_map:
	if (!*err)
		snprintf(err, errlen, "milter_profiles: %s",
			 verdict_errdetail());
fail:
	vm_gen_free(g);
	return NULL;
}

/* vm_gen_open - open the database of a loaded generation */
int
vm_gen_open(vm_gen *g, char *err, size_t errlen)
{
	/* learning writes reports: the milter's user needs write access
	 * to data.mdb */
	int rc = verdict_open(g->vc, g->learn ? VERDICT_OPEN_WRITE : 0);

	if (rc != VERDICT_OK) {
		snprintf(err, errlen, "%s: %s", verdict_strerror(rc),
			 verdict_errdetail());
		return -1;
	}
	return 0;
}

/* vm_gen_get - the current generation, with a reference */
vm_gen *
vm_gen_get(void)
{
	vm_gen *g;

	pthread_mutex_lock(&vm_gen_lock);
	g = vm_gen_cur;
	g->refs++;
	pthread_mutex_unlock(&vm_gen_lock);
	return g;
}

/* vm_gen_put - drop a reference; the last one frees a retired generation */
void
vm_gen_put(vm_gen *g)
{
	int last;

	pthread_mutex_lock(&vm_gen_lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&vm_gen_lock);
	if (last)
		vm_gen_free(g);
}

/* vm_gen_swap - make g current; the old one goes when its users are done */
void
vm_gen_swap(vm_gen *g)
{
	vm_gen *old;

	pthread_mutex_lock(&vm_gen_lock);
	old = vm_gen_cur;
	vm_gen_cur = g;
	pthread_mutex_unlock(&vm_gen_lock);
	atomic_store(&stats_every, g->stats_interval);
	if (old == NULL)
		stage = g->stage;
	if (old != NULL)
		vm_gen_put(old);
}

/* vm_gen_profile - the profile for a listener: 0 = none */
int
vm_gen_profile(const vm_gen *g, const char *daemon)
{
	size_t i;

	if (daemon != NULL)
		for (i = 0; i < g->nmap; i++)
			if (strcmp(g->map[i].name, daemon) == 0)
				return g->map[i].profile;
	return opt_profile;
}

/* vm_gen_reload - SIGUSR1: a new generation, or keep the old and say why */
void
vm_gen_reload(void)
{
	char err[1024] = "";
	const char *path = opt_config;
	vm_gen *g;

	if (path == NULL)
		path = access(verdict_default_config(), F_OK) == 0 ?
		       verdict_default_config() : "(built-in defaults)";
	if ((g = vm_gen_load(err, sizeof(err))) == NULL ||
	    vm_gen_open(g, err, sizeof(err)) != 0) {
		vm_gen_free(g);
		verdict_stats_reloaded(0);
		vm_log(LOG_ERR, "reload failed, keeping the running "
		    "configuration: %s: %s", path, err);
		return;
	}
	if (g->stage != stage)
		vm_log(LOG_WARNING, "milter_stage changed in the configuration; "
		    "it takes effect only after a restart (still %s)",
		    stage ? "mail" : "connect");
	vm_gen_swap(g);
	verdict_stats_reloaded(1);
	vm_log(LOG_INFO, "configuration reloaded");
}

int
vm_gen_stage(void)
{
	return stage;
}

long
vm_gen_stats_every(void)
{
	return atomic_load(&stats_every);
}

void
vm_gen_release(void)
{
	if (vm_gen_cur != NULL) {
		vm_gen_put(vm_gen_cur);
		vm_gen_cur = NULL;
	}
}

/* vm_gen_follow - once a second from the signal thread: a database
 * directory moved away and made anew is reopened with a new generation
 * (the library stats data.mdb at most once a second); a failure keeps
 * the running one and is logged once for it. */
void
vm_gen_follow(void)
{
	static vm_gen *failed;
	vm_gen *g = vm_gen_get();
	int changed;

	if (g == NULL)
		return;
	changed = g != failed && verdict_database_changed(g->vc);
	vm_gen_put(g);
	if (!changed)
		return;
	vm_log(LOG_NOTICE, "the database was replaced: reopening");
	vm_gen_reload();
	if ((g = vm_gen_get()) == NULL)
		return;
	if (verdict_database_changed(g->vc))
		failed = g;
	vm_gen_put(g);
}
