/*
 * harness.c - what the dlopen harnesses share (harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "verdict.h"

char dir[PATH_MAX], conf[PATH_MAX + 32], logpath[PATH_MAX + 32];

void
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(errno));
	exit(2);
}

static int
tables(void *arg)
{
	static const struct { const char *t, *cidr, *reason; } ents[] = {
		{ "drop", "192.0.2.0/24", "SBL123" },
		{ "drop", "2001:db8::/32", "v6 block" },
		{ "good", "192.0.2.128/25", NULL },
		{ "other", "198.51.100.0/24", NULL },
	};
	char db[PATH_MAX + 8];
	verdict_ctx *c = verdict_new();

	(void)arg;
	snprintf(db, sizeof(db), "%s/db", dir);
	if (c == NULL || verdict_set_database(c, db) ||
	    verdict_open(c, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
			 VERDICT_OPEN_NOTABLECHECK | VERDICT_OPEN_NODNS) ||
	    verdict_table_create(c, "drop", VERDICT_TABLE_BLOCK) ||
	    verdict_table_create(c, "good", VERDICT_TABLE_ALLOW) ||
	    verdict_table_create(c, "other", VERDICT_TABLE_BLOCK)) {
		fprintf(stderr, "setup: %s\n", verdict_errdetail());
		return 2;
	}
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (verdict_add(c, ents[i].t, ents[i].cidr, ents[i].reason, 0,
				"test", 0)) {
			fprintf(stderr, "setup: %s\n", verdict_errdetail());
			return 2;
		}
	verdict_free(c);
	return 0;
}

void
harness_setup(const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(dir, sizeof(dir), "%s/%s.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp", prefix);

	if (n < 0 || (size_t)n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		die("TMPDIR");
	}
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
		die("mkdtemp");
	snprintf(conf, sizeof(conf), "%s/verdict.conf", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	if (in_child(tables, NULL) != 0) {
		fprintf(stderr, "%s: set-up failed\n",
			program_invocation_short_name);
		exit(2);
	}
}

void
cleanup(void)
{
	char cmd[PATH_MAX + 16];

	if (getenv("KEEP") == NULL && dir[0] &&
	    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) < (int)sizeof(cmd))
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
}

void
write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0644)) < 0)
		die(path);
	if (write(fd, text, len) != (ssize_t)len)
		die(path);
	close(fd);
}

int
in_child(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		int rc = fn(arg);

		fflush(stdout);
		_exit(rc);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
log_count(const char *s)
{
	FILE *f = fopen(logpath, "re");
	char line[2048];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, s))
			n++;
	fclose(f);
	return n;
}

int
silent_dns_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		die("silent DNS server");
	return ntohs(sa.sin_port);
}

void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
