/*
 * feed_driver.c - a stand-in for verdict(1) in the feed tests
 *
 *	feed_driver [-c CONF] [-d DIR] feed ...		cmd_feed (tools/verdict_feed.c)
 *	feed_driver [-c CONF] [-d DIR] table create NAME --kind block|allow
 *	feed_driver [-c CONF] [-d DIR] import [--force] TABLE FILE
 *	feed_driver [-c CONF] [-d DIR] add TABLE CIDR [REASON [EXPIRES]]
 *	feed_driver [-c CONF] [-d DIR] expire
 *
 * The same command lines as verdict(1), so the integration tests and
 * tools/verdict-update run against either (VERDICT=...).  Exit 0 / 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "verdict.h"

int cmd_feed(int argc, char **argv, const char *config, const char *dbdir);

static void
logcb(int level, const char *line, void *arg)
{
	(void)arg;
	if (level <= LOG_WARNING)
		fprintf(stderr, "feed_driver: %s\n", line);
}

static int
fail(int rc, const char *what)
{
	fprintf(stderr, "feed_driver: %s: %s\n", what,
		*verdict_errdetail() ? verdict_errdetail() :
		verdict_strerror(rc));
	return 2;
}

int
main(int argc, char **argv)
{
	const char *config = NULL, *dbdir = NULL;
	verdict_ctx *ctx;
	int i = 1, rc, status = 2;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-c") == 0)
			config = argv[i + 1];
		else if (strcmp(argv[i], "-d") == 0)
			dbdir = argv[i + 1];
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: feed_driver [-c CONF] [-d DIR] "
			"feed|table|import|add|expire ...\n");
		return 2;
	}
	if (strcmp(argv[i], "feed") == 0)
		return cmd_feed(argc - i, argv + i, config, dbdir);
	if ((ctx = verdict_new()) == NULL)
		return 2;
	verdict_set_log(ctx, logcb, NULL);
	if (config && (rc = verdict_load_config(ctx, config)) != 0) {
		fail(rc, config);
		goto out;
	}
	if (dbdir && (rc = verdict_set_database(ctx, dbdir)) != 0)
		goto out;
	if ((rc = verdict_open(ctx, VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE |
			       VERDICT_OPEN_NODNS |
			       VERDICT_OPEN_NOTABLECHECK)) != 0) {
		fail(rc, "open");
		goto out;
	}
	if (strcmp(argv[i], "table") == 0 && argc - i == 5 &&
	    strcmp(argv[i + 1], "create") == 0 &&
	    strcmp(argv[i + 3], "--kind") == 0) {
		int kind = strcmp(argv[i + 4], "allow") == 0 ?
			VERDICT_TABLE_ALLOW : VERDICT_TABLE_BLOCK;

		rc = verdict_table_create(ctx, argv[i + 2], kind);
		status = rc ? fail(rc, "table create") : 0;
	} else if (strcmp(argv[i], "import") == 0) {
		unsigned flags = 0;
		size_t n = 0, w = 0;

		if (i + 1 < argc && strcmp(argv[i + 1], "--force") == 0) {
			flags |= VERDICT_FORCE;
			i++;
		}
		if (argc - i != 3) {
			fprintf(stderr, "feed_driver: import TABLE FILE\n");
			goto out;
		}
		rc = verdict_import(ctx, argv[i + 1], argv[i + 2], flags, 100,
				    NULL, &n, &w);
		if (rc)
			status = fail(rc, "import");
		else {
			printf("imported %zu entries (%zu warnings)\n", n, w);
			status = 0;
		}
	} else if (strcmp(argv[i], "add") == 0 && argc - i >= 3) {
		time_t exp = argc - i >= 5 ? (time_t)strtoll(argv[i + 4],
							      NULL, 10) : 0;

		rc = verdict_add(ctx, argv[i + 1], argv[i + 2],
				 argc - i >= 4 ? argv[i + 3] : NULL, exp,
				 NULL, VERDICT_MERGE);
		status = rc ? fail(rc, "add") : 0;
	} else if (strcmp(argv[i], "expire") == 0) {
		size_t n = 0;

		rc = verdict_expire(ctx, &n);
		status = rc ? fail(rc, "expire") : 0;
	} else {
		fprintf(stderr, "feed_driver: unknown command %s\n", argv[i]);
	}
out:
	verdict_free(ctx);
	return status;
}
