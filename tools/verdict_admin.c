/*
 * verdict_admin.c - table administration commands of verdict(1)
 *
 *	cmd_table	table create NAME --kind block|allow, drop, list
 *	cmd_add		add TABLE CIDR [--reason TEXT] [--expires WHEN]
 *	cmd_del		del TABLE CIDR
 *	cmd_import	import TABLE FILE|- [--merge] [--max-bad N] [--force]
 *			[--allow-wide]
 *	cmd_dump	dump TABLE [--json]
 *	cmd_expire	expire
 *	cmd_doctor	doctor [-p N]
 *
 * Writers open the context with VERDICT_OPEN_WRITE|VERDICT_OPEN_CREATE,
 * readers (dump, list, doctor) read-only.  Every administration command
 * also passes VERDICT_OPEN_NOTABLECHECK: a table the config names but that
 * does not exist yet must not stop the admin from creating or filling the
 * others (check still refuses it).  doctor opens as check does, so such a
 * table is its "FAIL database" line.  No command starts the resolver
 * except doctor.
 *
 * Diagnostics: one line "verdict: what: detail" and exit 2.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verdict_cli.h"
#include "verdict_heap.h"

#define ADMIN_WRITE (VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE | \
		     VERDICT_OPEN_NODNS | VERDICT_OPEN_NOTABLECHECK)
#define ADMIN_READ (VERDICT_OPEN_NODNS | VERDICT_OPEN_NOTABLECHECK)

static const char usage_table[] =
"usage: verdict table create NAME --kind block|allow|learned\n"
"       verdict table drop NAME\n"
"       verdict table list\n"
"\n"
"Create, delete or list tables.  NAME is [a-z0-9_-]{1,64}.  list prints\n"
"one aligned line per table under a header: NAME, KIND, ENTRIES.\n";
static const char usage_table_create[] =
"usage: verdict table create NAME --kind block|allow|learned\n"
"\n"
"Create an empty table of that kind.  NAME is [a-z0-9_-]{1,64}.  A learned\n"
"table holds the scores of verdict report (learned_tables).\n";
static const char usage_table_drop[] =
"usage: verdict table drop NAME\n"
"\n"
"Delete a table and all its entries.\n";
static const char usage_table_list[] =
"usage: verdict table list\n"
"\n"
"List the tables: NAME, KIND (block|allow|learned) and ENTRIES, aligned, after a\n"
"header line.\n";
static const char usage_add[] =
"usage: verdict add TABLE CIDR [--reason TEXT] [--expires WHEN] [--allow-wide]\n"
"\n"
"Add one network (or address) to TABLE.  Host bits must be zero.\n"
"  --reason TEXT   reason shown in verdicts (at most 200 bytes)\n"
"  --expires WHEN  a duration from now (N followed by ms, s, m, h, d or w;\n"
"                  a bare number is seconds) or an absolute UTC time\n"
"                  YYYY-MM-DDTHH:MM:SSZ\n"
"  --allow-wide    accept, in a block table, a network holding more public\n"
"                  addresses than a /8 of IPv4 or a /16 of IPv6\n"
"An existing entry is an error; delete it first or use import --merge.\n";
static const char usage_del[] =
"usage: verdict del TABLE CIDR\n"
"\n"
"Delete exactly that network from TABLE (not the ones inside it).\n";
static const char usage_import[] =
"usage: verdict import TABLE FILE|- [--merge] [--max-bad N] [--force]\n"
"                                   [--reason TEXT] [--allow-wide]\n"
"\n"
"Replace the contents of TABLE with the list in FILE (- is standard\n"
"input), in one transaction.  Prints \"imported N entries (M warnings)\".\n"
"  --merge        add to the table instead; existing networks get the new\n"
"                 reason and expiry\n"
"  --max-bad N    abort (table untouched) when more than N lines are bad\n"
"                 (default 0)\n"
"  --force        allow an import that shrinks the table by more than half\n"
"  --reason TEXT  reason for lines that carry none\n"
"  --allow-wide   accept, in a block table, entries (CIDRs or ranges as\n"
"                 written) holding more public addresses than a /8 of IPv4\n"
"                 or a /16 of IPv6, and a table covering more than 1/8 of\n"
"                 the public IPv4 space (special-purpose space such as\n"
"                 224.0.0.0/4 never counts)\n";
static const char usage_dump[] =
"usage: verdict dump TABLE [--json]\n"
"\n"
"Print the entries of TABLE in address order, IPv4 first: one line\n"
"CIDR<TAB>REASON<TAB>EXPIRES per entry (\"-\" when absent, EXPIRES in\n"
"UTC), or with --json one object per line with keys cidr, reason,\n"
"origin, added, expires (times as YYYY-MM-DDTHH:MM:SSZ, null when absent).\n"
"A learned table: KEY<TAB>SCORE<TAB>REPORTS<TAB>FIRST<TAB>LAST<TAB>\n"
"HALF-LIFE<TAB>BLOCKED-UNTIL<TAB>REASON, the score as of now, or with --json\n"
"keys key, score, reports, first_seen, last_seen, reason, half_life,\n"
"blocked_until.\n";
static const char usage_expire[] =
"usage: verdict expire\n"
"\n"
"Delete expired entries from every table, and learned keys whose score has\n"
"decayed below 0.01; prints \"purged N entries\".\n";
static const char usage_doctor[] =
"usage: verdict doctor [-p N]\n"
"\n"
"Check what profile N (default 1) depends on: the database, its tables,\n"
"each DNSBL zone (RFC 5782 self-test) and each GeoIP database.  One line\n"
"per item: ok|FAIL|WARN, what, name, detail.  Exit 0 when none FAILs\n"
"(WARN: works, worth a look), 1 when one does, 2 on a configuration error.\n";

/* simple_opts - parse a command that only has --help and the given long
 * options; returns -1 to go on, or an exit status. */
static const struct option help_only[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
help_or_bad(const char *cmd, int argc, char **argv, const char *usage)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", help_only, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		return cli_badopt(cmd, c, argv);
	}
	return -1;
}

/* table_create - "table create NAME --kind block|allow" */
static int
table_create(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "table create";
	const char *kind = NULL;
	verdict_ctx *ctx;
	int c, k, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hk:", lopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kind = optarg;
			break;
		case 'h':
			fputs(usage_table_create, stdout);
			return EXIT_OK;
		default:
			return cli_badopt(cmd, c, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage(cmd, "expected one table NAME");
	if (kind == NULL)
		return cli_usage(cmd, "--kind block|allow|learned is required");
	if (strcmp(kind, "block") == 0)
		k = VERDICT_TABLE_BLOCK;
	else if (strcmp(kind, "allow") == 0)
		k = VERDICT_TABLE_ALLOW;
	else if (strcmp(kind, "learned") == 0)
		k = VERDICT_TABLE_LEARNED;
	else
		return cli_usage(cmd, "--kind must be block, allow or learned, "
				 "not \"%s\"", kind);
	if ((ctx = cli_open(g, cmd, ADMIN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_table_create(ctx, argv[optind], k);
	if (rc != VERDICT_OK)
		cli_error(rc, "table create %s", argv[optind]);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

static int
table_drop(const cli_global *g, int argc, char **argv)
{
	const char *cmd = "table drop";
	verdict_ctx *ctx;
	int rc;

	if ((rc = help_or_bad(cmd, argc, argv, usage_table_drop)) >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage(cmd, "expected one table NAME");
	if ((ctx = cli_open(g, cmd, ADMIN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_table_drop(ctx, argv[optind]);
	if (rc != VERDICT_OK)
		cli_error(rc, "table drop %s", argv[optind]);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

/* The table list is collected first so the columns can be aligned. */
typedef struct list_row {
	char *name;
	int kind;
	size_t entries;
} list_row;

typedef struct list_acc {
	list_row *rows;
	size_t n, cap;
} list_acc;

static int
list_cb(const verdict_table_info *ti, void *arg)
{
	list_acc *acc = arg;

	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 16;
		list_row *r = realloc(acc->rows, cap * sizeof(*r));

		if (r == NULL)
			return VERDICT_ENOMEM;
		acc->rows = r;
		acc->cap = cap;
	}
	if ((acc->rows[acc->n].name = strdup(ti->name)) == NULL)
		return VERDICT_ENOMEM;
	acc->rows[acc->n].kind = ti->kind;
	acc->rows[acc->n].entries = ti->entries;
	acc->n++;
	return 0;
}

static int
table_list(const cli_global *g, int argc, char **argv)
{
	const char *cmd = "table list";
	list_acc acc = { NULL, 0, 0 };
	verdict_ctx *ctx;
	int rc, status = EXIT_ERR;
	size_t i, wname = 4, wnum = 7;

	if ((rc = help_or_bad(cmd, argc, argv, usage_table_list)) >= 0)
		return rc;
	if (argc - optind != 0)
		return cli_usage(cmd, "no arguments expected");
	if ((ctx = cli_open(g, cmd, ADMIN_READ, NULL)) == NULL)
		return EXIT_ERR;
	if ((rc = verdict_table_list(ctx, list_cb, &acc)) != VERDICT_OK) {
		cli_error(rc, "table list");
		goto out;
	}
	for (i = 0; i < acc.n; i++) {
		char num[32];
		size_t l = strlen(acc.rows[i].name);

		if (l > wname)
			wname = l;
		l = (size_t)snprintf(num, sizeof(num), "%zu",
				     acc.rows[i].entries);
		if (l > wnum)
			wnum = l;
	}
	printf("%-*s  %-7s  %*s\n", (int)wname, "NAME", "KIND", (int)wnum,
	       "ENTRIES");
	for (i = 0; i < acc.n; i++)
		printf("%-*s  %-7s  %*zu\n", (int)wname, acc.rows[i].name,
		       acc.rows[i].kind == VERDICT_TABLE_ALLOW ? "allow" :
		       acc.rows[i].kind == VERDICT_TABLE_LEARNED ? "learned" :
		       "block", (int)wnum, acc.rows[i].entries);
	status = EXIT_OK;
out:
	for (i = 0; i < acc.n; i++)
		free(acc.rows[i].name);
	free(acc.rows);
	verdict_free(ctx);
	return status;
}

int
cmd_table(const cli_global *g, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("table", "expected create, drop or list");
	if (strcmp(argv[1], "create") == 0)
		return table_create(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "drop") == 0)
		return table_drop(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return table_list(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_table, stdout);
		return EXIT_OK;
	}
	return cli_usage("table", "unknown subcommand \"%s\"", argv[1]);
}

int
cmd_add(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "allow-wide", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL, *when = NULL;
	unsigned flags = 0;
	time_t expires = 0;
	verdict_ctx *ctx;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			reason = optarg;
			break;
		case 'e':
			when = optarg;
			break;
		case 'W':
			flags |= VERDICT_ALLOW_WIDE;
			break;
		case 'h':
			fputs(usage_add, stdout);
			return EXIT_OK;
		default:
			return cli_badopt("add", c, argv);
		}
	}
	if (argc - optind != 2)
		return cli_usage("add", "expected TABLE and CIDR");
	if (when != NULL && cli_parse_expires(when, time(NULL), &expires))
		return cli_usage("add", "bad --expires \"%s\" (expected e.g. "
				 "7d, 12h, 90m or 2026-12-31T00:00:00Z)", when);
	if ((ctx = cli_open(g, "add", ADMIN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_add(ctx, argv[optind], argv[optind + 1], reason,
			 expires, "cli", flags);
	if (rc != VERDICT_OK)
		cli_error(rc, "add %s %s", argv[optind], argv[optind + 1]);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

int
cmd_del(const cli_global *g, int argc, char **argv)
{
	verdict_ctx *ctx;
	int rc;

	if ((rc = help_or_bad("del", argc, argv, usage_del)) >= 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage("del", "expected TABLE and CIDR");
	if ((ctx = cli_open(g, "del", ADMIN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_del(ctx, argv[optind], argv[optind + 1]);
	if (rc != VERDICT_OK)
		cli_error(rc, "del %s %s", argv[optind], argv[optind + 1]);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

int
cmd_import(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "merge", no_argument, NULL, 'm' },
		{ "max-bad", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "allow-wide", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	unsigned flags = 0;
	long max_bad = 0;
	size_t entries = 0, warnings = 0;
	heap_prefault heap;
	verdict_ctx *ctx;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			flags |= VERDICT_MERGE;
			break;
		case 'f':
			flags |= VERDICT_FORCE;
			break;
		case 'W':
			flags |= VERDICT_ALLOW_WIDE;
			break;
		case 'b':
			if (cli_parse_int(optarg, 0, 1000000000L, &max_bad))
				return cli_usage("import", "bad --max-bad \"%s\" "
						 "(expected 0..1000000000)",
						 optarg);
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			fputs(usage_import, stdout);
			return EXIT_OK;
		default:
			return cli_badopt("import", c, argv);
		}
	}
	if (argc - optind != 2)
		return cli_usage("import", "expected TABLE and FILE (or -)");
	if ((ctx = cli_open(g, "import", ADMIN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	heap_prefault_start(argv[optind + 1], &heap);
	rc = verdict_import(ctx, argv[optind], argv[optind + 1], flags,
			    max_bad, reason, &entries, &warnings);
	heap_prefault_done(&heap);
	if (rc != VERDICT_OK)
		cli_error(rc, "import %s %s", argv[optind], argv[optind + 1]);
	else
		printf("imported %zu entries (%zu warnings)\n", entries,
		       warnings);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

/* text_field - a dump field on one line: TAB, CR, LF and other control
 * characters become spaces so the columns stay columns. */
static void
text_field(FILE *fp, const char *s)
{
	if (s == NULL || *s == 0) {
		fputc_unlocked('-', fp);
		return;
	}
	for (; *s; s++)
		fputc_unlocked((unsigned char)*s < 0x20 || *s == 0x7F ?
			       ' ' : *s, fp);
}

static int
dump_cb(const verdict_entry *e, void *arg)
{
	int json = *(int *)arg;
	char tbuf[40];

	if (json) {
		sbuf b = { NULL, 0, 0 };

		sbuf_puts(&b, "{\"cidr\":");
		sbuf_json_str(&b, e->cidr);
		sbuf_puts(&b, ",\"reason\":");
		sbuf_json_str(&b, e->reason);
		sbuf_puts(&b, ",\"origin\":");
		sbuf_json_str(&b, e->origin);
		sbuf_puts(&b, ",\"added\":");
		if (e->added > 0)
			cli_format_time(e->added, tbuf, sizeof(tbuf));
		sbuf_json_str(&b, e->added > 0 ? tbuf : NULL);
		sbuf_puts(&b, ",\"expires\":");
		if (e->expires > 0)
			cli_format_time(e->expires, tbuf, sizeof(tbuf));
		sbuf_json_str(&b, e->expires > 0 ? tbuf : NULL);
		sbuf_puts(&b, "}\n");
		fwrite_unlocked(b.p, 1, b.len, stdout);
		sbuf_free(&b);
		return 0;
	}
	text_field(stdout, e->cidr);
	fputc_unlocked('\t', stdout);
	text_field(stdout, e->reason);
	fputc_unlocked('\t', stdout);
	if (e->expires > 0)
		cli_format_time(e->expires, tbuf, sizeof(tbuf));
	text_field(stdout, e->expires > 0 ? tbuf : NULL);
	fputc_unlocked('\n', stdout);
	return 0;
}

int
cmd_dump(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	verdict_ctx *ctx;
	int c, rc, json = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage_dump, stdout);
			return EXIT_OK;
		default:
			return cli_badopt("dump", c, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage("dump", "expected one TABLE");
	if ((ctx = cli_open(g, "dump", ADMIN_READ, NULL)) == NULL)
		return EXIT_ERR;
	if (cli_learned(ctx, argv[optind]))
		rc = cli_learned_dump(ctx, argv[optind], json);
	else
		rc = verdict_dump(ctx, argv[optind], dump_cb, &json);
	if (rc != VERDICT_OK)
		cli_error(rc, "dump %s", argv[optind]);
	verdict_free(ctx);
	if (fflush(stdout) != 0) {
		cli_msg("dump: write error");
		return EXIT_ERR;
	}
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

int
cmd_expire(const cli_global *g, int argc, char **argv)
{
	verdict_ctx *ctx;
	size_t purged = 0;
	int rc;

	if ((rc = help_or_bad("expire", argc, argv, usage_expire)) >= 0)
		return rc;
	if (argc - optind != 0)
		return cli_usage("expire", "no arguments expected");
	if ((ctx = cli_open(g, "expire", ADMIN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_expire(ctx, &purged);
	if (rc != VERDICT_OK)
		cli_error(rc, "expire");
	else
		printf("purged %zu entries\n", purged);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

static int
doctor_cb(const verdict_doctor_line *d, void *arg)
{
	int *bad = arg;

	if (!d->ok)
		*bad = 1;
	printf("%-4s  %-8s  %s  %s\n", d->ok == 2 ? "WARN" : d->ok ? "ok" :
	       "FAIL",
	       d->what ? d->what : "-",
	       d->name && *d->name ? d->name : "-",
	       d->detail && *d->detail ? d->detail : "-");
	return 0;
}

int
cmd_doctor(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	verdict_ctx *ctx;
	long profile = 1;
	int c, rc, bad = 0, open_err = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hp:", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_int(optarg, 1, 999, &profile))
				return cli_usage("doctor", "bad profile \"%s\" "
						 "(expected 1..999)", optarg);
			break;
		case 'h':
			fputs(usage_doctor, stdout);
			return EXIT_OK;
		default:
			return cli_badopt("doctor", c, argv);
		}
	}
	if (argc - optind != 0)
		return cli_usage("doctor", "no arguments expected");
	/* Opened as check opens it, so that a configured table that is
	 * missing shows here as the FAIL line check would die of. */
	ctx = cli_open(g, "doctor", 0, &open_err);
	if (ctx == NULL && open_err == 0)
		return EXIT_ERR;	/* configuration error, printed */
	if (ctx == NULL) {
		printf("%-4s  %-8s  %s  %s\n", "FAIL", "database", "-",
		       cli_open_detail);
		return EXIT_FOUND;
	}
	if (!verdict_profile_exists(ctx, (int)profile)) {
		cli_msg("doctor: profile %ld is not declared in the "
			"configuration", profile);
		verdict_free(ctx);
		return EXIT_ERR;
	}
	rc = verdict_doctor(ctx, (int)profile, doctor_cb, &bad);
	if (rc != VERDICT_OK)
		cli_error(rc, "doctor");
	verdict_free(ctx);
	fflush(stdout);
	if (rc != VERDICT_OK)
		return EXIT_ERR;
	return bad ? EXIT_FOUND : EXIT_OK;
}
