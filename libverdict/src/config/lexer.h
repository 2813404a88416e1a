/*
 * lexer.h - verdict.conf(5) text into sections and "key = value" pairs
 *
 * The lexer knows the shape of the file, not its keys: it reads the file,
 * cuts it into logical lines (joining continuation lines, dropping
 * comments), recognises "[profile N]" headers and "key = value" lines,
 * and hands each to its caller with the line number.  Every diagnostic
 * of the configuration is written "FILE:LINE: what" through
 * vd_lexer_err, so positions are formatted in one place.
 */
#ifndef VD_LEXER_H
#define VD_LEXER_H

#include <stddef.h>

typedef struct vd_lexer {
	const char *path;	/* for diagnostics */
	char *err;		/* the caller's error buffer */
	size_t errlen;
	/* one complete "key = value"; v is NUL-terminated, vlen may be 0 */
	int (*key)(void *arg, const char *key, size_t klen, const char *v,
		   size_t vlen, int line);
	/* a well-formed "[profile n]" header, 1 <= n <= CONFIG_PROFILE_MAX */
	int (*section)(void *arg, int n, int line);
	void *arg;
} vd_lexer;

/*
 * vd_lexer_read - the whole file at path, NUL-terminated, *size bytes.
 * NULL on error with "path: what" in err and *errno_out set to the errno
 * (0 when the file is merely too large); errno_out may be NULL.
 */
char *vd_lexer_read(const char *path, size_t *size, char *err, size_t errlen,
		    int *errno_out);

/*
 * vd_lexer_run - cut text[0..size) and call lx->key and lx->section in file
 * order.  0 at the end of the text; -1 at the first error, which is in
 * lx->err (a callback that returns non-zero has written its own).
 */
int vd_lexer_run(const vd_lexer *lx, const char *text, size_t size);

/* vd_lexer_err - "FILE:LINE: what" into lx->err; returns -1 */
int vd_lexer_err(const vd_lexer *lx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vd_lexer_oom - "FILE: out of memory" into lx->err; returns -1 */
int vd_lexer_oom(const vd_lexer *lx);

#endif
