/*
 * import.c - verdict_import: a whole list file replaces a table at once
 *
 *	verdict_import	read, parse and check a list, then replace (or
 *			merge into) a table in one write transaction
 *
 * The file is read whole into memory and parsed in place: the entries'
 * reasons point into the buffer until the import commits, so a list is
 * never copied line by line.
 *
 * Readers see the table before or after, never half: nothing is written
 * until the whole list parsed within --max-bad, and the replacement is
 * one transaction, refused when the table would shrink by more than half
 * unless VERDICT_FORCE.
 *
 * Diagnostics: "FILE:LINE: why" for every bad line and every entry with
 * host bits set (LOG_WARNING); "more than N bad lines; table T left
 * unchanged"; a list file writable by every user is logged.
 *
 * Limits: the file must fit in memory (twice while it grows when read
 * from a pipe); a reason is at most TBL_REASON_MAX bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cidr.h"
#include "alloc.h"
#include "errors.h"
#include "ctx.h"
#include "listfile.h"

typedef struct import_st {
	verdict_ctx *ctx;
	const char *name;	/* file name for messages */
	tbl_bulk b;
	size_t warnings, bad;
	long max_bad;
	const char *reason;
	uint8_t rlen;
	uint64_t now;
} import_st;

/* import_count_bad - one more bad line: VERDICT_EBADLIST once they are
 * more than --max-bad (negative: no limit) */
static int
import_count_bad(import_st *st)
{
	st->bad++;
	if (st->max_bad >= 0 && st->bad > (size_t)st->max_bad)
		return VERDICT_EBADLIST;
	return 0;
}

/* import_item - one parsed entry into the bulk, or a bad line counted */
static int
import_item(const listfile_item *it, void *arg)
{
	import_st *st = arg;
	const char *why;

	if ((why = vd_cidr_table_check(&it->cidr)) != NULL) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(&it->cidr, buf);
		vd_log(&st->ctx->lg, LOG_WARNING, "%s:%zu: %s: %s", st->name,
		       it->lineno, buf, why);
		return import_count_bad(st);
	}
	if (it->hostbits) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(&it->cidr, buf);
		st->warnings++;
		vd_log(&st->ctx->lg, LOG_WARNING, "%s:%zu: non-null host bits; "
		       "imported as %s", st->name, it->lineno, buf);
	}
	if (it->reason_len)
		return vd_bulk_add(&st->b, &it->cidr, it->reason,
				    it->reason_len, 0);
	return vd_bulk_add(&st->b, &it->cidr, st->reason, st->rlen, 0);
}

/* import_bad - a line the list parser refused, counted against --max-bad */
static int
import_bad(size_t lineno, const char *why, void *arg)
{
	import_st *st = arg;

	vd_log(&st->ctx->lg, LOG_WARNING, "%s:%zu: %s", st->name, lineno, why);
	return import_count_bad(st);
}

/* count_lines - the lines of [p, end): '\n's, and one more for a last
 * line without one */
static size_t
count_lines(const char *p, const char *end)
{
	size_t n = 0;

	for (const char *q = p; (q = memchr(q, '\n', (size_t)(end - q))) !=
	     NULL; q++)
		n++;
	return n + (p < end && end[-1] != '\n');
}

/* import_parse - parse buf into st->b, reserved for about an entry a
 * line (ranges grow it) */
static int
import_parse(import_st *st, const char *buf, size_t len)
{
	if (vd_bulk_init(&st->b, count_lines(buf, buf + len), st->now,
			  "import") != 0)
		return VERDICT_ENOMEM;
	return vd_listfile_parse_buf(buf, len, import_item, import_bad, st);
}

/* read_all - the whole file (or stdin) into memory: a list is parsed in
 * place, its reasons point into the buffer until the import commits.  The
 * buffer is populated at the file's size (vd_alloc_big) and grows with
 * vd_alloc_big_resize when stdin is a pipe, *cap bytes. */
static int
read_all(const char *path, char **buf, size_t *len, size_t *cap_out)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 20, n = 0;
	char *b;
	struct stat st;
	int rc = VERDICT_OK;

	if (fd < 0)
		return vd_err_set(errno == ENOENT ? VERDICT_ENOENT :
				errno == EACCES ? VERDICT_EPERM : VERDICT_EIO,
				errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	if ((b = vd_alloc_big(cap)) == NULL) {
		rc = vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = vd_alloc_big_resize(b, cap, cap * 2);

			if (nb == NULL) {
				rc = vd_err_set(VERDICT_ENOMEM, ENOMEM,
					      "out of memory");
				goto out;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = vd_err_set(VERDICT_EIO, errno, "%s: %s", path,
				      strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
out:
	if (fd)
		close(fd);
	if (rc != VERDICT_OK) {
		vd_alloc_big_free(b, cap);
		return rc;
	}
	*buf = b;
	*len = n;
	*cap_out = cap;
	return VERDICT_OK;
}

VERDICT_API int
verdict_import(verdict_ctx *ctx, const char *table, const char *path,
	       unsigned flags, long max_bad, const char *reason,
	       size_t *entries, size_t *warnings)
{
	import_st st = { 0 };
	char *buf = NULL;
	size_t len = 0, bufcap = 0, total = 0;
	uint16_t id;
	int kind, rc;

	if ((rc = vd_ctx_ready(ctx, 1)) != 0)
		return rc;
	if ((rc = vd_catalog_table_id(ctx->te, table, &id, &kind)) != 0)
		return rc;
	if (reason && strlen(reason) > TBL_REASON_MAX)
		return vd_err_set(VERDICT_ERANGE, 0, "reason longer than %d "
				"bytes", TBL_REASON_MAX);
	if ((rc = read_all(path, &buf, &len, &bufcap)) != 0)
		return rc;
	if (strcmp(path, "-") != 0)
		vd_ctx_warn_writable(ctx, "list file", path);
	st.ctx = ctx;
	st.name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	st.max_bad = max_bad;
	st.reason = reason ? reason : "";
	st.rlen = (uint8_t)strlen(st.reason);
	st.now = (uint64_t)time(NULL);
	rc = import_parse(&st, buf, len);
	if (rc == VERDICT_EBADLIST) {
		rc = vd_err_set(VERDICT_EBADLIST, 0, "%s: more than %ld bad "
			      "lines; table \"%s\" left unchanged (raise "
			      "--max-bad to accept them)", st.name, max_bad,
			      table);
	} else if (rc == VERDICT_ENOMEM) {
		rc = vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	} else if (rc == 0) {
		rc = vd_entries_replace(ctx->te, table, &st.b,
				 !!(flags & VERDICT_MERGE),
				 !(flags & VERDICT_FORCE), &total);
	}
	if (rc == VERDICT_OK) {
		if (entries)
			*entries = total;
		if (warnings)
			*warnings = st.warnings + st.bad;
	}
	vd_bulk_free(&st.b);
	vd_alloc_big_free(buf, bufcap);
	return rc;
}

