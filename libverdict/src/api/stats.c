/*
 * stats.c - the metrics of a context (verdict.h "Metrics")
 *
 *	verdict_stats			every family: counters, tables, reloads
 *	verdict_stats_prometheus	the same as exposition text
 *	verdict_stats_write		the same into a file, replaced whole
 *	verdict_set_stats		counting off, for measuring its cost
 *	verdict_stats_reloaded		a front end's own reload, counted
 *
 * The counters and their families are the stats layer's; this file adds
 * what the context alone knows: the database's tables and the process's
 * reloads.
 *
 * Diagnostics: "context not open"; "PATH: strerror" when a file cannot
 * be written.
 *
 * Limits: the temporary file of verdict_stats_write is PATH.tmp: two
 * writers of one path at once would mix their files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "errors.h"
#include "expo.h"
#include "stats.h"

static atomic_ulong reloads[2];	/* failed, ok */

VERDICT_API void
verdict_stats_reloaded(int ok)
{
	atomic_fetch_add_explicit(&reloads[ok ? 1 : 0], 1,
				  memory_order_relaxed);
}

VERDICT_API int
verdict_set_stats(verdict_ctx *ctx, int on)
{
	if (ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "verdict_set_stats: "
				   "context already open");
	ctx->nostats = !on;
	return VERDICT_OK;
}

/* A walk over the tables: the family and the callback. */
typedef struct table_walk {
	int f;
	int (*cb)(const verdict_stat *, void *);
	void *arg;
} table_walk;

static int
table_cb(const verdict_table_info *ti, void *p)
{
	table_walk *tw = p;
	verdict_stat s;

	if (tw->f == VD_FAM_TABLE_IMPORT && ti->imported == 0)
		return 0;
	vd_stats_family(tw->f, &s);
	s.name = s.family;
	s.nlabels = 1;
	s.label_name[0] = "table";
	s.label_value[0] = ti->name;
	s.value = tw->f == VD_FAM_TABLE_ENTRIES ? (double)ti->entries :
		  (double)ti->imported;
	return tw->cb(&s, tw->arg);
}

/* stats_tables - a table family: declaration, then one sample a table */
static int
stats_tables(verdict_ctx *ctx, int f,
	     int (*cb)(const verdict_stat *, void *), void *arg)
{
	table_walk tw = { f, cb, arg };
	verdict_stat s;
	int rc;

	vd_stats_family(f, &s);
	if ((rc = cb(&s, arg)) != 0 || ctx->te == NULL)
		return rc;
	return verdict_table_list(ctx, table_cb, &tw);
}

/* stats_reloads - the process's reloads by result */
static int
stats_reloads(int (*cb)(const verdict_stat *, void *), void *arg)
{
	static const char *const result[2] = { "failed", "ok" };
	verdict_stat s;
	int rc;

	vd_stats_family(VD_FAM_RELOADS, &s);
	if ((rc = cb(&s, arg)) != 0)
		return rc;
	s.name = s.family;
	s.nlabels = 1;
	s.label_name[0] = "result";
	for (int i = 1; i >= 0; i--) {
		s.label_value[0] = result[i];
		s.value = (double)atomic_load_explicit(&reloads[i],
						       memory_order_relaxed);
		if ((rc = cb(&s, arg)) != 0)
			return rc;
	}
	return 0;
}

VERDICT_API int
verdict_stats(verdict_ctx *ctx, int (*cb)(const verdict_stat *, void *),
	      void *arg)
{
	stats_src src;
	int rc = 0;

	if (ctx == NULL || cb == NULL || !ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "context not open");
	src.dns = ctx->dns;
	for (int f = 0; f < VD_FAM_TABLE_ENTRIES && rc == 0; f++)
		rc = vd_stats_walk(ctx->stats, &src, f, cb, arg);
	if (rc == 0)
		rc = stats_tables(ctx, VD_FAM_TABLE_ENTRIES, cb, arg);
	if (rc == 0)
		rc = stats_tables(ctx, VD_FAM_TABLE_IMPORT, cb, arg);
	if (rc == 0)
		rc = stats_reloads(cb, arg);
	return rc;
}

static int
expo_cb(const verdict_stat *s, void *arg)
{
	return vd_expo_line(s, arg) == 0 ? 0 : VERDICT_EIO;
}

VERDICT_API int
verdict_stats_prometheus(verdict_ctx *ctx, FILE *out)
{
	int rc = verdict_stats(ctx, expo_cb, out);

	if (rc == VERDICT_EIO)
		return vd_err_set(VERDICT_EIO, errno, "writing the metrics "
				   "failed");
	return rc;
}

/* write_err - a file error as a verdict_err, recorded */
static int
write_err(const char *path, int e)
{
	int rc = e == ENOENT ? VERDICT_ENOENT :
		 e == EACCES || e == EPERM ? VERDICT_EPERM : VERDICT_EIO;

	return vd_err_set(rc, e, "%s: %s", path, strerror(e));
}

VERDICT_API int
verdict_stats_write(verdict_ctx *ctx, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd, rc, n, e;

	if (path == NULL || (n = snprintf(tmp, sizeof(tmp), "%s.tmp",
					  path)) < 0 || (size_t)n >= sizeof(tmp))
		return vd_err_set(VERDICT_EINVAL, 0, "verdict_stats_write: "
				   "no path or one too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return write_err(tmp, errno);
	if ((f = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		unlink(tmp);
		return write_err(tmp, e);
	}
	rc = verdict_stats_prometheus(ctx, f);
	e = errno;
	if (fclose(f) != 0 && rc == VERDICT_OK)
		rc = write_err(tmp, e = errno);
	if (rc == VERDICT_OK && rename(tmp, path) != 0)
		rc = write_err(path, errno);
	if (rc != VERDICT_OK)
		unlink(tmp);
	return rc;
}
