/*
 * testutil.h - helpers shared by the Check tests
 */
#ifndef VD_TESTUTIL_H
#define VD_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

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

/* tu_rnd - xorshift64, one fixed seed per process: reproducible. */
uint64_t tu_rnd(void);

/* tu_addr_noise - a malloc'd buffer of exactly *len (< 48) bytes for
 * round t of a read-bounds test under ASan: any bytes every third round,
 * otherwise bytes of address and network texts. */
char *tu_addr_noise(int t, size_t *len);

/* tu_open_ctx - a context on database dir, the configuration
 * "database = dir" plus conf_extra (may be NULL) in a file of its own,
 * opened with flags; fails the test on any error. */
struct verdict_ctx;
struct verdict_ctx *tu_open_ctx(const char *dir, const char *conf_extra,
				unsigned flags);

/* tu_tables_create - create (and the database with them) n tables:
 * tables[i] = { name, "block" | "allow" }. */
void tu_tables_create(const char *dir, const char *tables[][2], size_t n);

/* tu_expect - check ip under profile 1 and compare verdict, source,
 * cidr and reason ("-" = none). */
void tu_expect(struct verdict_ctx *ctx, const char *ip, const char *verdict,
	       const char *source, const char *cidr, const char *reason);

/* tu_responder - tests/dnsresponder.py (scripted DNS faults) started in
 * dir on a free loopback port: its pid, the port, its query log. */
#include <sys/types.h>
typedef struct tu_responder {
	pid_t pid;
	int port;
	char log[512];
} tu_responder;

/* tu_responder_start - 0 when it could not start within 20 s (a loaded
 * CI); tu_responder_stop - kill it with sig and reap it. */
int tu_responder_start(const char *dir, tu_responder *r);
void tu_responder_stop(tu_responder *r, int sig);

/* tu_count_lines - lines of file equal to name; -1: no file */
int tu_count_lines(const char *file, const char *name);

/* tu_log_cb - a verdict_log_fn that keeps the lines, one per line, in a
 * buffer of 16 KiB (what does not fit is dropped); tu_log_text is it,
 * tu_log_count how many times s occurs in it, tu_log_reset empties it. */
void tu_log_cb(int level, const char *line, void *arg);
const char *tu_log_text(void);
int tu_log_count(const char *s);
void tu_log_reset(void);

/* tu_fake_now - a coarse clock for vd_clock_set_coarse that the test
 * moves with tu_tick(seconds): time passes, nobody sleeps. */
int64_t tu_fake_now(void);
void tu_tick(int64_t s);

#endif
