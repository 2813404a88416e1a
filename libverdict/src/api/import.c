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
 * unless VERDICT_FORCE.  Into a block table, unless VERDICT_ALLOW_WIDE,
 * an entry that covers a continent (more public addresses than a /8 of
 * IPv4 or a /16 of IPv6: special.c) aborts the import with its file:line,
 * and so does a table that would cover more than 1/8 of the public IPv4
 * space (cover.c) - both are lists gone wrong, and would block the
 * world.
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
#include "cover.h"
#include "special.h"
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
	int wide_check;		/* a block table without VERDICT_ALLOW_WIDE */
	size_t range_line;	/* the range whose width was checked */
	vd_cover cov;		/* what the table will cover */
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

/* import_wide - an entry of a block table that covers a continent (a
 * range once, as written): VERDICT_ERANGE with file:line */
static int
import_wide(import_st *st, const listfile_item *it)
{
	char why[120], text[2 * CIDR_TEXT_MAX + 2];
	vaddr lo, hi;

	if (it->ranged) {
		if (it->lineno == st->range_line && it->lineno != 0)
			return 0;
		st->range_line = it->lineno;
		lo = it->lo;
		hi = it->hi;
	} else {
		vd_special_cidr_range(&it->cidr, &lo, &hi);
	}
	if (!vd_special_wide_why(&lo, &hi, why, sizeof(why)))
		return 0;
	if (it->ranged) {
		char a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX];

		vd_addr_format(&lo, a);
		vd_addr_format(&hi, b);
		snprintf(text, sizeof(text), "%s-%s", a, b);
	} else {
		vd_cidr_format(&it->cidr, text);
	}
	return vd_err_set(VERDICT_ERANGE, 0, "%s:%zu: %s %s: refused in a "
			"block table (--allow-wide to import it anyway)",
			st->name, it->lineno, text, why);
}

/* import_item - one parsed entry into the bulk, or a bad line counted */
static int
import_item(const listfile_item *it, void *arg)
{
	import_st *st = arg;
	const char *why;
	int rc;

	if ((why = vd_cidr_table_check(&it->cidr)) != NULL) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(&it->cidr, buf);
		vd_log(&st->ctx->lg, LOG_WARNING, "%s:%zu: %s: %s", st->name,
		       it->lineno, buf, why);
		return import_count_bad(st);
	}
	if (st->wide_check) {
		if ((rc = import_wide(st, it)) != 0)
			return rc;
		vd_cover_add(&st->cov, &it->cidr);
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

/* cover_entry - an entry of the table into the coverage (--merge) */
static int
cover_entry(const tbl_entry *e, void *arg)
{
	vd_cover_add(arg, &e->cidr);
	return 0;
}

/* import_cover - a block table that would cover more than 1/8 of the
 * public IPv4 space is refused: a list gone wrong, not a list */
static int
import_cover(import_st *st, const char *table, unsigned flags)
{
	uint64_t total = vd_special_v4_public_total(), pub;
	int rc;

	if ((flags & VERDICT_MERGE) &&
	    (rc = vd_entries_dump(st->ctx->te, table, cover_entry,
				  &st->cov)) != VERDICT_OK)
		return rc;
	if (st->cov.sum <= total / 8)
		return VERDICT_OK;
	if ((pub = vd_cover_public(&st->cov)) <= total / 8)
		return VERDICT_OK;
	return vd_err_set(VERDICT_ERANGE, 0, "%s: table %s would cover %llu "
			"public IPv4 addresses, 1/%.1f of the public IPv4 "
			"space (more than 1/8); left unchanged (--allow-wide "
			"to import it anyway)", st->name, table,
			(unsigned long long)pub, (double)total / (double)pub);
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
	st.wide_check = kind == VERDICT_TABLE_BLOCK &&
			!(flags & VERDICT_ALLOW_WIDE);
	rc = import_parse(&st, buf, len);
	if (rc == 0 && st.wide_check)
		rc = import_cover(&st, table, flags);
	if (rc == VERDICT_ERANGE) {
		/* import_wide or import_cover said why */
	} else if (rc == VERDICT_EBADLIST) {
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
	vd_cover_free(&st.cov);
	vd_alloc_big_free(buf, bufcap);
	return rc;
}

