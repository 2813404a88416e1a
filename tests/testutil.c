/*
 * testutil.c - helpers shared by the Check tests
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "testutil.h"
#include "verdict.h"

static char tmproot[256];
static pid_t tmproot_owner;

static void
tu_cleanup(void)
{
	char cmd[300];

	/* only the process that made it: Check forks every test */
	if (tmproot[0] && tmproot_owner == getpid() &&
	    getenv("VERDICT_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmproot);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmproot);
	}
}

uint64_t
tu_rnd(void)
{
	static uint64_t rng = 0x9e3779b97f4a7c15ULL;

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

char *
tu_addr_noise(int t, size_t *len)
{
	static const char alpha[] = "0123456789abcdefABCDEF:./%x \0\xff";
	size_t n = tu_rnd() % 48;
	char *s = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
		s[i] = t % 3 == 0 ? (char)tu_rnd()
			: alpha[tu_rnd() % (sizeof(alpha) - 1)];
	*len = n;
	return s;
}

int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

const char *
tu_tmpdir(void)
{
	static int seq;
	static char path[300];
	const char *t = getenv("TMPDIR");

	if (tmproot[0] == 0) {
		snprintf(tmproot, sizeof(tmproot), "%s/vdtest.XXXXXX",
			 t ? t : "/tmp");
		if (mkdtemp(tmproot) == NULL) {
			perror("mkdtemp");
			abort();
		}
		tmproot_owner = getpid();
		atexit(tu_cleanup);
	}
	snprintf(path, sizeof(path), "%s/%d.%d", tmproot, (int)getpid(), ++seq);
	if (mkdir(path, 0700) != 0) {
		perror(path);
		abort();
	}
	return path;
}

char *
tu_write(const char *dir, const char *name, const char *text)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	FILE *f;

	if (p == NULL)
		abort();
	snprintf(p, n, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(p);
		abort();
	}
	return p;
}

const char *
tu_shared(const char *rel)
{
	static char path[1024];
	const char *d = getenv("VERDICT_SHARED_DATA");

	if (d == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", d, rel);
	return access(path, R_OK) == 0 ? path : NULL;
}

const char *
tu_srcdir(void)
{
	const char *d = getenv("VERDICT_SRCDIR");

	return d ? d : ".";
}

const char *
tu_bindir(void)
{
	const char *d = getenv("VERDICT_BINDIR");

	return d ? d : ".";
}

verdict_ctx *
tu_open_ctx(const char *dir, const char *conf_extra, unsigned flags)
{
	static unsigned seq;
	char text[2048], name[64];
	char *conf;
	verdict_ctx *ctx = verdict_new();

	ck_assert_ptr_nonnull(ctx);
	snprintf(text, sizeof(text), "database = %s\n%s", dir,
		 conf_extra ? conf_extra : "");
	/* a file of its own: a reader child and the writing parent must not
	 * rewrite each other's configuration while it is read */
	snprintf(name, sizeof(name), "verdict-%ld-%u.conf", (long)getpid(),
		 seq++);
	conf = tu_write(dir, name, text);
	ck_assert_int_eq(verdict_load_config(ctx, conf), VERDICT_OK);
	free(conf);
	ck_assert_msg(verdict_open(ctx, flags) == VERDICT_OK, "open: %s",
		      verdict_errdetail());
	return ctx;
}

void
tu_tables_create(const char *dir, const char *tables[][2], size_t n)
{
	verdict_ctx *ctx = tu_open_ctx(dir, NULL, VERDICT_OPEN_WRITE |
				       VERDICT_OPEN_CREATE);

	for (size_t i = 0; i < n; i++)
		ck_assert_msg(verdict_table_create(ctx, tables[i][0],
			      strcmp(tables[i][1], "allow") == 0 ?
			      VERDICT_TABLE_ALLOW : VERDICT_TABLE_BLOCK) ==
			      VERDICT_OK, "%s", verdict_errdetail());
	verdict_free(ctx);
}

/* tu_expect_kind - the source kind agrees with the source's name: none
 * without a source; trusted, geoip by their fixed names; learned for the
 * tests' learned tables (named learned*); a table or a zone otherwise */
static void
tu_expect_kind(const verdict_result *r, const char *ip)
{
	const char *s = verdict_result_source(r);
	int k = verdict_result_source_kind(r), want;

	if (s == NULL)
		want = VERDICT_SOURCE_NONE;
	else if (strcmp(s, "trusted_networks") == 0)
		want = VERDICT_SOURCE_TRUSTED;
	else if (strcmp(s, "geoip") == 0)
		want = VERDICT_SOURCE_GEOIP;
	else if (strncmp(s, "learned", 7) == 0)	/* learned tables' names */
		want = VERDICT_SOURCE_LEARNED;
	else
		want = k == VERDICT_SOURCE_DNSBL ? k : VERDICT_SOURCE_TABLE;
	ck_assert_msg(k == want, "%s: source kind %s, want %s", ip,
		      verdict_source_kind_name(k),
		      verdict_source_kind_name(want));
}

/* tu_expect - check ip, compare verdict, source, cidr, reason ("-" = none) */
void
tu_expect(verdict_ctx *ctx, const char *ip, const char *verdict,
       const char *source, const char *cidr, const char *reason)
{
	verdict_result *r = verdict_result_new();
	const char *s, *c, *re;

	ck_assert_int_eq(verdict_check(ctx, 1, ip, r), VERDICT_OK);
	s = verdict_result_source(r);
	c = verdict_result_cidr(r);
	re = verdict_result_reason(r);
	ck_assert_msg(strcmp(verdict_kind_name(verdict_result_kind(r)),
			     verdict) == 0, "%s: verdict %s, want %s", ip,
		      verdict_kind_name(verdict_result_kind(r)), verdict);
	ck_assert_msg(strcmp(s ? s : "-", source) == 0, "%s: source %s, want "
		      "%s", ip, s ? s : "-", source);
	ck_assert_msg(strcmp(c ? c : "-", cidr) == 0, "%s: cidr %s, want %s",
		      ip, c ? c : "-", cidr);
	ck_assert_msg(strcmp(re ? re : "-", reason) == 0, "%s: reason %s, want"
		      " %s", ip, re ? re : "-", reason);
	tu_expect_kind(r, ip);
	verdict_result_free(r);
}

/* tu_responder_start - dnsresponder.py in dir; 0 when it could not start */
int
tu_responder_start(const char *dir, tu_responder *r)
{
	char portfile[512], script[512];

	snprintf(portfile, sizeof(portfile), "%s/resp.port", dir);
	snprintf(r->log, sizeof(r->log), "%s/resp.log", dir);
	snprintf(script, sizeof(script), "%s/tests/dnsresponder.py",
		 tu_srcdir());
	unlink(portfile);
	if ((r->pid = fork()) == 0) {
		execlp("python3", "python3", script, portfile, r->log,
		       (char *)NULL);
		_exit(127);
	}
	r->port = 0;
	for (int i = 0; i < 400 && r->port == 0; i++) {	/* 20 s: a loaded CI */
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (fscanf(f, "%d", &r->port) != 1)
				r->port = 0;
			fclose(f);
		}
		if (r->port == 0)
			usleep(50000);
	}
	return r->port != 0;
}

void
tu_responder_stop(tu_responder *r, int sig)
{
	if (r->pid > 0) {
		kill(r->pid, sig);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
}

/* tu_count_lines - lines of file equal to name */
int
tu_count_lines(const char *file, const char *name)
{
	char line[512];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line, name) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static char tu_logbuf[16384];
static size_t tu_loglen;

void
tu_log_cb(int level, const char *line, void *arg)
{
	int n;

	(void)level;
	(void)arg;
	n = snprintf(tu_logbuf + tu_loglen, sizeof(tu_logbuf) - tu_loglen,
		     "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(tu_logbuf) - tu_loglen)
		tu_loglen += (size_t)n;
	else
		tu_logbuf[tu_loglen] = 0;
}

const char *
tu_log_text(void)
{
	return tu_logbuf;
}

int
tu_log_count(const char *s)
{
	int n = 0;

	for (const char *p = tu_logbuf; (p = strstr(p, s)) != NULL; p++)
		n++;
	return n;
}

void
tu_log_reset(void)
{
	tu_loglen = 0;
	tu_logbuf[0] = 0;
}

static _Atomic int64_t tu_fake_ns = 1000 * VD_NS_PER_S;

int64_t
tu_fake_now(void)
{
	return atomic_load(&tu_fake_ns);
}

void
tu_tick(int64_t s)
{
	atomic_fetch_add(&tu_fake_ns, s * VD_NS_PER_S);
}
