/*
 * lexer.c - verdict.conf(5) text into sections and "key = value" pairs
 *
 *	vd_lexer_read	the whole file, at most 1 MiB
 *	vd_lexer_run	cut the text, call back per pair and per section
 *	vd_lexer_err	"FILE:LINE: what"
 *	vd_lexer_oom	"FILE: out of memory"
 *
 * The whole file is read at once and cut into logical lines: a physical
 * line that starts with white space continues the value of the line
 * before it, joined with one space, so a multi-line
 * postscreen_dnsbl_sites value pastes as is.  A '#' at the start of a
 * line or after white space starts a comment (a '#' inside a value, as
 * in a URL fragment, does not); CR before LF is dropped, a UTF-8 byte
 * order mark at the start is skipped.  A pair is handed over only when
 * its last continuation line has been read.
 *
 * Diagnostics: exactly one line "FILE:LINE: what" in the caller's buffer;
 * "FILE: what" for errors of the whole file (unreadable, too large, out
 * of memory).
 *
 * Limits: file 1 MiB, physical line 64 KiB, no NUL bytes.  Keys are
 * a-z, 0-9 and _.  The lexer is not locale dependent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "lexer.h"
#include "str.h"

#define FILE_MAX	(1024 * 1024)
#define LINE_MAX_LEN	(64 * 1024)

/* pending - the logical line being assembled from continuation lines */
struct pending {
	int line;			/* 0 = none */
	const char *key;
	size_t klen;
	char *buf;
	size_t len, cap;
};

/* vd_lexer_err - the message is formatted first so the position prefix
 * is never what gets cut */
int
vd_lexer_err(const vd_lexer *lx, int line, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lx->errlen)
		snprintf(lx->err, lx->errlen, "%s:%d: %s", lx->path, line, msg);
	return -1;
}

/* vd_lexer_oom - not tied to a line: any line may be the one that fails */
int
vd_lexer_oom(const vd_lexer *lx)
{
	if (lx->errlen)
		snprintf(lx->err, lx->errlen, "%s: out of memory", lx->path);
	return -1;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

/* read_grow - room for at least one more byte, up to FILE_MAX + 2 */
static int
read_grow(char **buf, size_t len, size_t *cap)
{
	size_t nc;
	char *nb;

	if (len + 1 < *cap || *cap >= FILE_MAX + 2)
		return 0;
	nc = *cap * 2 > FILE_MAX + 2 ? FILE_MAX + 2 : *cap * 2;
	if ((nb = realloc(*buf, nc)) == NULL)
		return ENOMEM;
	*buf = nb;
	*cap = nc;
	return 0;
}

/* vd_lexer_read - reads one byte past FILE_MAX to tell "too large" */
char *
vd_lexer_read(const char *path, size_t *size, char *err, size_t errlen,
	      int *errno_out)
{
	char *buf = NULL;
	size_t len = 0, cap = 4096;
	ssize_t r;
	struct stat st;
	int fd, e = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		goto out;
	}
	/* the file's size (+1 to see the end), growing if it grows */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (uint64_t)st.st_size < FILE_MAX)
		cap = (size_t)st.st_size + 2;
	if ((buf = malloc(cap)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	while (len <= FILE_MAX) {
		if ((e = read_grow(&buf, len, &cap)) != 0)
			goto out;
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			goto out;
		}
		if (r == 0)
			break;
		len += r;
	}
	buf[len <= FILE_MAX ? len : FILE_MAX] = 0;
	if (len > FILE_MAX) {
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		free(buf);
		buf = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (e) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		free(buf);
		buf = NULL;
	}
	if (errno_out)
		*errno_out = e;
	*size = len;
	return buf;
}

/* pend_add - append one piece of a value, a space between pieces */
static int
pend_add(struct pending *pd, const char *s, size_t len)
{
	size_t need = pd->len + len + 2;

	if (need > pd->cap) {
		size_t cap = pd->cap ? pd->cap : 256;
		char *n;

		while (cap < need)
			cap *= 2;
		if ((n = realloc(pd->buf, cap)) == NULL)
			return -1;
		pd->buf = n;
		pd->cap = cap;
	}
	if (pd->len && len)
		pd->buf[pd->len++] = ' ';
	memcpy(pd->buf + pd->len, s, len);
	pd->len += len;
	pd->buf[pd->len] = 0;
	return 0;
}

/* flush - hand the pending pair, if any, to the caller */
static int
flush(const vd_lexer *lx, struct pending *pd)
{
	int rc = 0;

	if (pd->line)
		rc = lx->key(lx->arg, pd->key, pd->klen, pd->len ? pd->buf :
			     "", pd->len, pd->line);
	pd->line = 0;
	pd->len = 0;
	return rc;
}

/* section - a "[profile N]" header line (comment already cut) */
static int
section(const vd_lexer *lx, const char *s, size_t len, int line)
{
	const char *end = s + len, *num;
	long n;

	s++;				/* '[' */
	while (s < end && is_ws(*s))
		s++;
	if ((size_t)(end - s) < 7 || memcmp(s, "profile", 7) != 0 ||
	    s + 7 == end || !is_ws(s[7]))
		goto bad;
	s += 7;
	while (s < end && is_ws(*s))
		s++;
	num = s;
	while (s < end && *s >= '0' && *s <= '9')
		s++;
	if (vd_str_parse_long(num, s - num, 1, CONFIG_PROFILE_MAX, &n) != 0)
		goto bad;
	while (s < end && is_ws(*s))
		s++;
	if (s + 1 != end || *s != ']')
		goto bad;
	return lx->section(lx->arg, (int)n, line);
bad:
	return vd_lexer_err(lx, line, "bad section header; expected [profile "
			    "N] with N from 1 to %d", CONFIG_PROFILE_MAX);
}

/* keyval - start a pending pair from a "key = value" line */
static int
keyval(const vd_lexer *lx, struct pending *pd, const char *k, size_t len,
       int line)
{
	const char *kend = k, *v;

	while (kend < k + len && ((*kend >= 'a' && *kend <= 'z') ||
	       (*kend >= '0' && *kend <= '9') || *kend == '_'))
		kend++;
	v = kend;
	while (v < k + len && is_ws(*v))
		v++;
	if (kend == k || v == k + len || *v != '=') {
		size_t bl = strcspn(k, " \t=");

		if (bl > len)
			bl = len;
		if (kend < k + len && !is_ws(*kend) && *kend != '=')
			return vd_lexer_err(lx, line, "bad key \"%.*s\"; keys "
					    "are a-z, 0-9 and _", (int)bl, k);
		return vd_lexer_err(lx, line, "expected \"key = value\"");
	}
	v++;
	while (v < k + len && is_ws(*v))
		v++;
	pd->line = line;
	pd->key = k;
	pd->klen = kend - k;
	pd->len = 0;
	return pend_add(pd, v, k + len - v) == 0 ? 0 : vd_lexer_oom(lx);
}

/* cut - the length of a physical line without CR, comment, trailing
 * white space */
static size_t
cut(const char *s, size_t len)
{
	const char *c;

	if (len && s[len - 1] == '\r')
		len--;
	for (c = s; c < s + len; c++)
		if (*c == '#' && (c == s || is_ws(c[-1])))
			break;
	len = c - s;
	while (len && is_ws(s[len - 1]))
		len--;
	return len;
}

/* logical - one non-blank physical line: a continuation, a header or a
 * new pair (which first flushes the one before) */
static int
logical(const vd_lexer *lx, struct pending *pd, const char *k, size_t len,
	int line)
{
	if (is_ws(k[0])) {
		while (is_ws(*k)) {
			k++;
			len--;
		}
		if (pd->line == 0)
			return vd_lexer_err(lx, line, "continuation line "
					    "without a \"key = value\" line "
					    "before it");
		return pend_add(pd, k, len) == 0 ? 0 : vd_lexer_oom(lx);
	}
	if (flush(lx, pd) != 0)
		return -1;
	if (k[0] == '[')
		return section(lx, k, len, line);
	return keyval(lx, pd, k, len, line);
}

/* vd_lexer_run - lines are cut here, pairs handed over in flush */
int
vd_lexer_run(const vd_lexer *lx, const char *text, size_t size)
{
	struct pending pd = {0};
	const char *s = text, *end = text + size;
	int line = 0, rc = -1;

	if (size >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		const char *e = nl ? nl : end, *k = s;
		size_t len;

		line++;
		if (e - s > LINE_MAX_LEN) {
			vd_lexer_err(lx, line, "line longer than %d bytes",
				     LINE_MAX_LEN);
			goto out;
		}
		if (memchr(s, 0, e - s)) {
			vd_lexer_err(lx, line, "NUL byte in the file");
			goto out;
		}
		len = cut(s, e - s);
		s = nl ? nl + 1 : end;
		if (len == 0)
			continue;	/* blank or comment only */
		if (logical(lx, &pd, k, len, line) != 0)
			goto out;
	}
	if (flush(lx, &pd) != 0)
		goto out;
	rc = 0;
out:
	free(pd.buf);
	return rc;
}
