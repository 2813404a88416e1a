/*
 * testutil.h - helpers shared by the Check tests
 */
#ifndef VD_TESTUTIL_H
#define VD_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* tu_run - run suite s, return the process exit status (0 or 1). */
int tu_run(Suite *s);

/* tu_tmpdir - a fresh private directory under $TMPDIR (removed at exit). */
const char *tu_tmpdir(void);

/* tu_write - write text to dir/name; returns the malloc'd path. */
char *tu_write(const char *dir, const char *name, const char *text);

/* tu_shared - path of a file under $VERDICT_SHARED_DATA, or NULL when it
 * does not exist (the caller skips). Static buffer. */
const char *tu_shared(const char *rel);

/* tu_srcdir - $VERDICT_SRCDIR (the repository), or "." */
const char *tu_srcdir(void);

/* tu_bindir - $VERDICT_BINDIR (the build tree), or "." */
const char *tu_bindir(void);

#define TU_SKIP 77

#endif
