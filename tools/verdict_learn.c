/*
 * verdict_learn.c - learned reputation commands of verdict(1)
 *
 *	cmd_report	report IP [--weight W] [--reason TEXT] [-p N] | -
 *	cmd_forgive	forgive IP|CIDR
 *	cli_learned	is a table a learned one (for dump)
 *	cli_learned_dump  dump of a learned table
 *
 * report - reads the whole of standard input first and checks every
 * line, then hands the batch to verdict_report_many: one write
 * transaction, all or nothing, so a bad line (named by its number) leaves
 * the table as it was.
 *
 * Diagnostics: "verdict: report: -:LINE: what", exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict_cli.h"

#define LEARN_WRITE (VERDICT_OPEN_WRITE | VERDICT_OPEN_CREATE | \
		     VERDICT_OPEN_NODNS | VERDICT_OPEN_NOTABLECHECK)

static const char usage_report[] =
"usage: verdict report [-p N] IP [--weight W] [--reason TEXT]\n"
"       verdict report [-p N] -\n"
"\n"
"Report a source a content filter judged spam (a negative weight: ham)\n"
"into the first learned table of profile N (default 1).  With -, read\n"
"lines \"IP [WEIGHT] [REASON]\" from standard input ('#' comments and\n"
"blank lines skipped) and commit them in one transaction, all or none.\n"
"  -p N           profile (default 1)\n"
"  --weight W     a number from -100 to 100 (default 1)\n"
"  --reason TEXT  reason shown in verdicts (at most 200 bytes)\n"
"Prints \"reported N (M ignored)\"; trusted, allow-listed, loopback\n"
"127.0.0.1 and ::1 and the host's own addresses are ignored.\n";
static const char usage_forgive[] =
"usage: verdict forgive IP|CIDR\n"
"\n"
"Delete the learned records of IP, or of every key inside CIDR, from\n"
"every learned table.  Prints \"forgave N keys\".\n";

/* parse_weight - a finite decimal number, strictly */
static int
parse_weight(const char *s, double *w)
{
	char *end;

	if (*s == 0)
		return -1;
	errno = 0;
	*w = strtod(s, &end);
	if (*end != 0 || errno == ERANGE)
		return -1;
	return 0;
}

typedef struct report_in {
	char *buf;
	verdict_report_item *it;
	size_t *line;
	size_t n, cap;
} report_in;

/* read_all - standard input into one buffer */
static int
read_all(char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0, r;
	char *b = malloc(cap + 1), *nb;

	if (b == NULL)
		return -1;
	while ((r = fread(b + n, 1, cap - n, stdin)) > 0) {
		n += r;
		if (n == cap) {
			if ((nb = realloc(b, cap * 2 + 1)) == NULL) {
				free(b);
				return -1;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (ferror(stdin)) {
		free(b);
		return -1;
	}
	b[n] = 0;
	*out = b;
	*len = n;
	return 0;
}

/* in_push - one item with its line number */
static int
in_push(report_in *in, const char *ip, double w, const char *reason,
	size_t line)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 4096;
		verdict_report_item *it = realloc(in->it, cap * sizeof(*it));
		size_t *ln;

		if (it == NULL)
			return -1;
		in->it = it;
		if ((ln = realloc(in->line, cap * sizeof(*ln))) == NULL)
			return -1;
		in->line = ln;
		in->cap = cap;
	}
	in->it[in->n].ip = ip;
	in->it[in->n].weight = w;
	in->it[in->n].reason = reason;
	in->line[in->n++] = line;
	return 0;
}

/* parse_line - "IP [WEIGHT] [REASON]" in place; 1 skipped, 0 pushed,
 * -1 bad (message printed) */
static int
parse_line(report_in *in, char *s, size_t line)
{
	char *ip, *w = NULL, *reason = NULL, *e;
	double wt = 1;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == 0 || *s == '#')
		return 1;
	ip = s;
	s += strcspn(s, " \t");
	if (*s) {
		*s++ = 0;
		s += strspn(s, " \t");
		w = *s ? s : NULL;
		s += strcspn(s, " \t");
		if (*s) {
			*s++ = 0;
			s += strspn(s, " \t");
			reason = *s ? s : NULL;
		}
	}
	if (reason) {
		e = reason + strlen(reason);
		while (e > reason && (e[-1] == ' ' || e[-1] == '\t' ||
				      e[-1] == '\r'))
			*--e = 0;
	} else if (w) {
		e = w + strlen(w);
		while (e > w && e[-1] == '\r')
			*--e = 0;
	}
	if (w && parse_weight(w, &wt) != 0) {
		cli_msg("report: -:%zu: weight \"%.40s\" is not a number",
			line, w);
		return -1;
	}
	if (in_push(in, ip, wt, reason, line) != 0) {
		cli_msg("report: out of memory");
		return -1;
	}
	return 0;
}

/* report_stdin - every line read and checked into in; 0 or -1 */
static int
report_stdin(report_in *in)
{
	size_t len, line = 0;
	char *p, *nl;

	if (read_all(&in->buf, &len) != 0) {
		cli_msg("report: reading standard input failed");
		return -1;
	}
	for (p = in->buf; *p || p < in->buf + len; p = nl + 1) {
		line++;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = 0;
		if (parse_line(in, p, line) < 0)
			return -1;
		if (nl == NULL)
			break;
	}
	return 0;
}

/* report_run - the batch into the table, the outcome printed */
static int
report_run(const cli_global *g, long profile, report_in *in)
{
	verdict_ctx *ctx;
	size_t bad = 0, ignored = 0;
	int rc;

	if ((ctx = cli_open(g, "report", LEARN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_report_many(ctx, (int)profile, in->it, in->n, &bad,
				 &ignored);
	if (rc == VERDICT_EINVAL || rc == VERDICT_ERANGE)
		cli_msg("report: -:%zu: %s", bad < in->n ? in->line[bad] : 0,
			verdict_errdetail());
	else if (rc != VERDICT_OK)
		cli_error(rc, "report");
	else
		printf("reported %zu (%zu ignored)\n", in->n - ignored,
		       ignored);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

int
cmd_report(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "weight", required_argument, NULL, 'w' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	report_in in = { NULL, NULL, NULL, 0, 0 };
	const char *reason = NULL, *w = NULL;
	long profile = 1;
	double wt = 1;
	int c, rc = EXIT_ERR;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hp:", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_int(optarg, 1, 999, &profile) != 0)
				return cli_usage("report", "bad profile \"%s\"",
						 optarg);
			break;
		case 'w':
			w = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			fputs(usage_report, stdout);
			return EXIT_OK;
		default:
			return cli_badopt("report", c, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage("report", "expected one IP, or - for standard "
				 "input");
	if (strcmp(argv[optind], "-") == 0) {
		if (w || reason)
			return cli_usage("report", "--weight and --reason go "
					 "on the lines of standard input");
		if (report_stdin(&in) == 0)
			rc = report_run(g, profile, &in);
	} else if (w && parse_weight(w, &wt) != 0) {
		return cli_usage("report", "weight \"%s\" is not a number", w);
	} else if (in_push(&in, argv[optind], wt, reason, 0) == 0) {
		rc = report_run(g, profile, &in);
	}
	free(in.buf);
	free(in.it);
	free(in.line);
	return rc;
}

int
cmd_forgive(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	verdict_ctx *ctx;
	size_t removed = 0;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_forgive, stdout);
			return EXIT_OK;
		}
		return cli_badopt("forgive", c, argv);
	}
	if (argc - optind != 1)
		return cli_usage("forgive", "expected one IP or CIDR");
	if ((ctx = cli_open(g, "forgive", LEARN_WRITE, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_forgive(ctx, argv[optind], &removed);
	if (rc != VERDICT_OK)
		cli_error(rc, "forgive %s", argv[optind]);
	else
		printf("forgave %zu keys\n", removed);
	verdict_free(ctx);
	return rc == VERDICT_OK ? EXIT_OK : EXIT_ERR;
}

typedef struct kind_arg {
	const char *name;
	int kind;
} kind_arg;

static int
kind_cb(const verdict_table_info *ti, void *arg)
{
	kind_arg *a = arg;

	if (strcmp(ti->name, a->name) == 0)
		a->kind = ti->kind;
	return 0;
}

int
cli_learned(verdict_ctx *ctx, const char *table)
{
	kind_arg a = { table, 0 };

	verdict_table_list(ctx, kind_cb, &a);
	return a.kind == VERDICT_TABLE_LEARNED;
}

/* ldump_cb - KEY SCORE REPORTS FIRST LAST HALF-LIFE BLOCKED-UNTIL REASON */
static int
ldump_cb(const verdict_learned_entry *e, void *arg)
{
	int json = *(int *)arg;
	char f[40], l[40], u[40] = "-";
	sbuf b = { NULL, 0, 0 };
	char num[64];

	cli_format_time(e->first_seen, f, sizeof(f));
	cli_format_time(e->last_seen, l, sizeof(l));
	if (e->blocked_until > 0)
		cli_format_time(e->blocked_until, u, sizeof(u));
	if (!json) {
		printf("%s\t%.3f\t%u\t%s\t%s\t%u\t%s\t%s\n", e->key, e->score,
		       e->reports, f, l, e->half_life, u,
		       e->reason ? e->reason : "-");
		return 0;
	}
	sbuf_puts(&b, "{\"key\":");
	sbuf_json_str(&b, e->key);
	snprintf(num, sizeof(num), ",\"score\":%.3f,\"reports\":%u",
		 e->score, e->reports);
	sbuf_puts(&b, num);
	sbuf_puts(&b, ",\"first_seen\":");
	sbuf_json_str(&b, f);
	sbuf_puts(&b, ",\"last_seen\":");
	sbuf_json_str(&b, l);
	sbuf_puts(&b, ",\"reason\":");
	sbuf_json_str(&b, e->reason);
	snprintf(num, sizeof(num), ",\"half_life\":%u", e->half_life);
	sbuf_puts(&b, num);
	sbuf_puts(&b, ",\"blocked_until\":");
	sbuf_json_str(&b, e->blocked_until > 0 ? u : NULL);
	sbuf_puts(&b, "}\n");
	fwrite(b.p, 1, b.len, stdout);
	sbuf_free(&b);
	return 0;
}

int
cli_learned_dump(verdict_ctx *ctx, const char *table, int json)
{
	return verdict_learned_dump(ctx, table, ldump_cb, &json);
}
