/*
 * geo.c - the MMDB files of a context, hot-reloaded (geo.h)
 *
 *	vd_geo_open	open geoip_country_db / geoip_asn_db of a config
 *	vd_geo_close	close them
 *	vd_geo_lookup	country and ASN of an address (thread-safe, hot path)
 *	vd_geo_lookup_ex	the same, optionally without the AS organisation
 *	vd_geo_doctor	report each configured file (verdict doctor)
 *
 * Each file is held by a handle (mmdb.h) published through an atomic
 * pointer.  A lookup counts itself in (grace.h: two uncontended atomics
 * on its thread's stripe), loads the pointers, looks up without any
 * lock, and counts itself out.  A reload swaps the pointer and retires
 * the old handle, closed at the end of the grace period; nobody waits
 * for it: the thread that swapped advances it as far as it can, later
 * lookups finish it (a try-lock, tried only while one is pending).
 *
 * Reloading: the hot path reads the next-check time with one relaxed
 * atomic load against the coarse clock (clock.h; tests inject their
 * own).  When it is due, one thread (trylock: the others go on with the
 * handle they have) stat()s the file and compares its identity (st_dev,
 * st_ino, st_size, st_mtim) with the last one it tried; a new identity
 * is opened, checked and swapped in.  A replacement that fails to open
 * is logged once per identity and the previous copy stays in service; a
 * file that failed is retried only when its identity changes, so a
 * broken file is not reopened (and re-logged) every interval.
 *
 * Diagnostics: LOG_ERR once per failure of a file ("geoip_country_db
 * PATH: why; no geo data from it" or "...; still using the copy opened
 * before"), LOG_INFO when a replaced file has been reopened, LOG_WARNING
 * at most once a minute per file when a lookup in an opened file fails
 * (a damaged file).  Such a lookup is "no data".
 *
 * Limits: replace a database by rename(2).  Overwriting a mapped file in
 * place changes the pages under every reader and can crash it (SIGBUS,
 * or garbage the library follows); the identity check only notices the
 * change afterwards.  geoip_check_interval <= 0 turns reloading off.  A
 * configured file that is deleted keeps being served from the old
 * mapping.  One replacement per file per grace period: a second one is
 * picked up at the next check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "clock.h"
#include "geo.h"
#include "grace.h"
#include "mmdb.h"

#define GEO_INTERVAL_MAX (86400LL * 366)	/* seconds, keeps ns in range */
#define GEO_WARN_NS	(60 * VD_NS_PER_S)	/* lookup errors, per file */

enum { GEO_COUNTRY = 0, GEO_ASN = 1, GEO_NFILES = 2 };

/* what identifies the file behind a path: a rename gives a new inode,
 * geoipupdate a new mtime and usually a new size */
typedef struct geo_ident {
	dev_t	dev;
	ino_t	ino;
	off_t	size;
	struct timespec mtim;
} geo_ident;

typedef struct geo_file {
	const char *key;		/* config key, for messages */
	char	*path;			/* NULL: not configured */
	_Atomic(vd_mmdb *) cur;		/* in service; NULL: no data; swapped
					 * under check */
	pthread_mutex_t check;		/* one checker; guards what follows */
	_Atomic int64_t next_check;	/* coarse clock, ns */
	geo_ident tried;		/* identity of the last file tried */
	int	tried_valid;		/* tried holds a stat() result */
	int	tried_errno;		/* errno of the last failed stat() */
	char	status[320];		/* "" or why the file on disk is not
					 * the one in service */
	int64_t	warn_last;		/* vd_log_ratelimit of lookup errors */
} geo_file;

struct geo_db {
	grace	gr;			/* first: the allocation is aligned;
					 * writer side under retire_mu */
	geo_file f[GEO_NFILES];
	pthread_mutex_t retire_mu;	/* guards what follows and gr */
	vd_mmdb *retired[GEO_NFILES];	/* swapped out, grace period running */
	int64_t	interval_ns;		/* 0: never check again */
	vd_logger lg;
};

/* geo_ident_of - the identity of a stat() result */
static void
geo_ident_of(const struct stat *st, geo_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtim = st->st_mtim;
}

static int
geo_ident_eq(const geo_ident *a, const geo_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec;
}

/* geo_retire_step - (retire_mu held) advance the grace period as far as
 * it goes now, never waiting; close the retired handles at its end */
static void
geo_retire_step(geo_db *g)
{
	int i;

	if (!vd_grace_step(&g->gr))
		return;
	for (i = 0; i < GEO_NFILES; i++) {
		vd_mmdb_close(g->retired[i]);
		g->retired[i] = NULL;
	}
}

/* geo_stat_failed - (check lock held) log a stat() error once per errno */
static void
geo_stat_failed(geo_db *g, geo_file *f, int e)
{
	if (f->tried_errno == e)
		return;
	f->tried_errno = e;
	f->tried_valid = 0;
	snprintf(f->status, sizeof(f->status), "%s", strerror(e));
	vd_log(&g->lg, LOG_ERR, "%s %s: %s; %s", f->key, f->path, strerror(e),
	       f->cur ? "still using the copy opened before" :
	       "no geo data from it");
}

/*
 * geo_refresh - (check lock held) open the file when its identity differs
 * from the last one tried.  Returns VERDICT_ENOMEM or VERDICT_OK (a file
 * that fails is logged, not an error).
 */
static int
geo_refresh(geo_db *g, geo_file *f)
{
	struct stat st;
	geo_ident id;
	vd_mmdb *h, *old;
	char err[256];
	int rc;

	if (stat(f->path, &st) != 0) {
		geo_stat_failed(g, f, errno);
		return VERDICT_OK;
	}
	geo_ident_of(&st, &id);
	if (f->tried_valid && geo_ident_eq(&id, &f->tried))
		return VERDICT_OK;
	/* one retired handle per file: a second replacement of the same
	 * file waits for the next check while the first one's grace period
	 * runs (lookups finish it) */
	pthread_mutex_lock(&g->retire_mu);
	geo_retire_step(g);
	rc = g->retired[f - g->f] != NULL;
	pthread_mutex_unlock(&g->retire_mu);
	if (rc)
		return VERDICT_OK;
	rc = vd_mmdb_open(f->path, &h, err, sizeof(err));
	if (rc == VERDICT_ENOMEM)
		return rc;
	f->tried = id;
	f->tried_valid = 1;
	f->tried_errno = 0;
	if (rc != VERDICT_OK) {
		snprintf(f->status, sizeof(f->status), "%s", err);
		vd_log(&g->lg, LOG_ERR, "%s %s: %s; %s", f->key, f->path, err,
		       f->cur ? "still using the copy opened before" :
		       "no geo data from it");
		return VERDICT_OK;
	}
	old = atomic_exchange(&f->cur, h);
	f->status[0] = 0;
	if (old) {
		vd_log(&g->lg, LOG_INFO, "%s %s: replaced file reopened",
		       f->key, f->path);
		pthread_mutex_lock(&g->retire_mu);
		g->retired[f - g->f] = old;
		vd_grace_start(&g->gr);
		geo_retire_step(g);
		pthread_mutex_unlock(&g->retire_mu);
	}
	return VERDICT_OK;
}

/* geo_check - reopen f if due; one thread at a time */
static void
geo_check(geo_db *g, geo_file *f, int64_t now)
{
	if (pthread_mutex_trylock(&f->check) != 0)
		return;		/* another thread checks: use the old one */
	if (now >= atomic_load_explicit(&f->next_check,
					memory_order_relaxed)) {
		atomic_store_explicit(&f->next_check, now + g->interval_ns,
				      memory_order_relaxed);
		pthread_mutex_lock(&g->retire_mu);
		geo_retire_step(g);
		pthread_mutex_unlock(&g->retire_mu);
		(void)geo_refresh(g, f);	/* ENOMEM: retry next time */
	}
	pthread_mutex_unlock(&f->check);
}

static void
geo_file_init(geo_file *f, const char *key)
{
	f->key = key;
	pthread_mutex_init(&f->check, NULL);
	atomic_init(&f->next_check, 0);
}

void
vd_geo_close(geo_db *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < GEO_NFILES; i++) {
		vd_mmdb_close(atomic_load(&g->f[i].cur));
		vd_mmdb_close(g->retired[i]);
		pthread_mutex_destroy(&g->f[i].check);
		free(g->f[i].path);
	}
	pthread_mutex_destroy(&g->retire_mu);
	free(g);
}

/* geo_new - an empty geo_db for cfg's interval; NULL out of memory */
static geo_db *
geo_new(const vd_config *cfg, const vd_logger *lg)
{
	static const char *const keys[GEO_NFILES] = {
		"geoip_country_db", "geoip_asn_db"
	};
	geo_db *g;
	int64_t iv;
	int i;

	/* aligned: the stripes are one cache line each */
	g = aligned_alloc(64, (sizeof(*g) + 63) & ~(size_t)63);
	if (g == NULL)
		return NULL;
	memset(g, 0, sizeof(*g));
	if (lg)
		g->lg = *lg;
	iv = cfg->geoip_check_interval;
	if (iv > GEO_INTERVAL_MAX)
		iv = GEO_INTERVAL_MAX;
	g->interval_ns = iv > 0 ? iv * VD_NS_PER_S : 0;
	pthread_mutex_init(&g->retire_mu, NULL);
	for (i = 0; i < GEO_NFILES; i++)
		geo_file_init(&g->f[i], keys[i]);
	return g;
}

int
vd_geo_open(const vd_config *cfg, const vd_logger *lg, geo_db **out)
{
	const char *paths[GEO_NFILES];
	geo_db *g = NULL;
	int64_t now;
	int i, rc = VERDICT_OK;

	*out = NULL;
	paths[GEO_COUNTRY] = cfg->geoip_country_db;
	paths[GEO_ASN] = cfg->geoip_asn_db;
	for (i = 0; i < GEO_NFILES; i++)
		if (paths[i] && paths[i][0] == 0)
			paths[i] = NULL;
	if (paths[GEO_COUNTRY] == NULL && paths[GEO_ASN] == NULL)
		return VERDICT_OK;
	if ((g = geo_new(cfg, lg)) == NULL)
		return VERDICT_ENOMEM;
	now = vd_clock_coarse_ns();
	for (i = 0; i < GEO_NFILES; i++) {
		geo_file *f = &g->f[i];

		if (paths[i] == NULL)
			continue;
		f->path = strdup(paths[i]);
		if (f->path == NULL) {
			rc = VERDICT_ENOMEM;
			goto out;
		}
		pthread_mutex_lock(&f->check);
		rc = geo_refresh(g, f);
		pthread_mutex_unlock(&f->check);
		if (rc != VERDICT_OK)
			goto out;
		atomic_store_explicit(&f->next_check, g->interval_ns ?
				      now + g->interval_ns : INT64_MAX,
				      memory_order_relaxed);
	}
	*out = g;
	g = NULL;
out:
	vd_geo_close(g);
	return rc;
}

/* geo_lookup_failed - a lookup error in an opened file: logged at most
 * once a minute per file, because a damaged file fails on every lookup */
static void
geo_lookup_failed(geo_db *g, geo_file *f, int err)
{
	if (err == 0)
		return;
	if (vd_log_ratelimit(&f->warn_last, GEO_WARN_NS))
		vd_log(&g->lg, LOG_WARNING, "%s %s: lookup failed: %s; no geo "
		       "data for this address", f->key, f->path,
		       vd_mmdb_strerror(err));
}

void
vd_geo_lookup(geo_db *g, const vaddr *ip, geo_info *out)
{
	vd_geo_lookup_ex(g, ip, out, 0);
}

void
vd_geo_lookup_ex(geo_db *g, const vaddr *ip, geo_info *out, int flags)
{
	vd_mmdb *h;
	unsigned stripe, parity;
	int64_t now;
	int i;

	out->country[0] = 0;
	out->asn = 0;
	out->as_org[0] = 0;
	out->have_country = out->have_asn = 0;
	if (g == NULL)
		return;

	if (g->interval_ns) {
		now = vd_clock_coarse_ns();
		for (i = 0; i < GEO_NFILES; i++)
			if (g->f[i].path && now >= atomic_load_explicit(
			    &g->f[i].next_check, memory_order_relaxed))
				geo_check(g, &g->f[i], now);
	}

	stripe = vd_grace_self_stripe();
	parity = vd_grace_enter(&g->gr, stripe);
	if ((h = atomic_load(&g->f[GEO_COUNTRY].cur)) != NULL)
		geo_lookup_failed(g, &g->f[GEO_COUNTRY],
				  vd_mmdb_country(h, ip, out));
	if ((h = atomic_load(&g->f[GEO_ASN].cur)) != NULL)
		geo_lookup_failed(g, &g->f[GEO_ASN],
				  vd_mmdb_asn(h, ip, out, flags));
	vd_grace_exit(&g->gr, stripe, parity);
	/* a grace period running: advance it (nobody waits for the lock) */
	if (vd_grace_pending(&g->gr) &&
	    pthread_mutex_trylock(&g->retire_mu) == 0) {
		geo_retire_step(g);
		pthread_mutex_unlock(&g->retire_mu);
	}
}

/* geo_doctor_detail - (check lock held) the doctor's line for f */
static int
geo_doctor_detail(geo_file *f, char *detail, size_t len)
{
	char desc[192];
	/* f->cur is swapped only under f->check: h stays mapped */
	vd_mmdb *h = atomic_load(&f->cur);
	int ok = h != NULL && f->status[0] == 0;

	if (h == NULL) {
		snprintf(detail, len, "%s", f->status[0] ? f->status :
			 "not opened");
		return ok;
	}
	vd_mmdb_describe(h, desc, sizeof(desc));
	if (ok)
		snprintf(detail, len, "%s", desc);
	else
		snprintf(detail, len, "%s; serving the copy opened before (%s)",
			 f->status, desc);
	return ok;
}

int
vd_geo_doctor(geo_db *g,
	   int (*cb)(const char *path, int ok, const char *detail, void *arg),
	   void *arg)
{
	char detail[512];
	int i, rc, ok;

	if (g == NULL)
		return 0;
	for (i = 0; i < GEO_NFILES; i++) {
		geo_file *f = &g->f[i];

		if (f->path == NULL)
			continue;
		pthread_mutex_lock(&f->check);
		(void)geo_refresh(g, f);
		ok = geo_doctor_detail(f, detail, sizeof(detail));
		pthread_mutex_unlock(&f->check);
		rc = cb(f->path, ok, detail, arg);
		if (rc)
			return rc;
	}
	return 0;
}
