/*
 * harness.h - what the dlopen harnesses share (tests/callout_harness.c,
 * tests/exim_harness.c): a scratch directory with its configuration and
 * log paths, child processes, a DNS server that never answers, clocks.
 * Not a test itself; each harness links harness.c.
 */
#ifndef VERDICT_TESTS_HARNESS_H
#define VERDICT_TESTS_HARNESS_H

#include <limits.h>

/* The scratch directory and the paths in it (harness_dir fills them). */
extern char dir[PATH_MAX], conf[PATH_MAX + 32], logpath[PATH_MAX + 32];

/* die - "PROGRAM: what: strerror(errno)" on stderr, exit 2. */
void die(const char *what);

/* harness_setup - a new directory below $TMPDIR (else /tmp) named
 * PREFIX.XXXXXX, mode 0755, conf and logpath inside it (not written),
 * and the database DIR/db that every mode checks against, made in a
 * child: block table drop (192.0.2.0/24 "SBL123", 2001:db8::/32 "v6
 * block"), allow table good (192.0.2.128/25), block table other
 * (198.51.100.0/24).  Exits 2 when it cannot. */
void harness_setup(const char *prefix);

/* cleanup - remove the directory, unless KEEP is set. */
void cleanup(void);

/* write_file - path holds text, written in place (same inode: a reload
 * test that wants a new inode renames). */
void write_file(const char *path, const char *text);

/* in_child - fn(arg) in a forked child (so that the library's LMDB
 * environment of the set-up never lives in the harness); its exit
 * status, 128 + the signal when it was killed. */
int in_child(int (*fn)(void *), void *arg);

/* log_count - how many lines of logpath contain s; -1 without the file. */
int log_count(const char *s);

/* silent_dns_port - a loopback UDP port that is bound and never read: a
 * DNS server that never answers. */
int silent_dns_port(void);

void sleep_ms(long ms);

/* now_s - the monotonic clock in seconds. */
double now_s(void);

#endif
