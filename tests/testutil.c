/*
 * testutil.c - helpers shared by the Check tests
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

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
