/*
 * verdict.c - the verdict(1) command: global options and dispatch
 *
 *	main		parse -c/-d/--help/--version, run one command
 *	cli_open	a context opened with the config, -d and the log sink
 *	cli_error	one-line error "verdict: what: detail"
 *	cli_usage	one-line usage error plus "try 'verdict CMD --help'"
 *	cli_parse_int, cli_parse_expires, cli_format_time
 *	sbuf_*		a growable output buffer with JSON string escaping
 *
 * The CLI uses the public API only (verdict.h), like any other program,
 * with one exception: its JSON strings are escaped by the library's
 * vd_json_escape (core/json.h, linked from the static library), so that
 * every JSON the project writes follows one rule from one routine.
 * Library log lines of level LOG_WARNING and worse go to stderr as
 * "verdict: LINE"; verdict lines (LOG_INFO) are not printed: the CLI
 * prints its own answers.
 *
 * Diagnostics: every error is one line on stderr; exit 2.
 * Limits: durations up to 100 years; absolute times in UTC ("Z") only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "verdict_cli.h"
/* the one private header: JSON strings escaped as the library's feed does */
#include "../libverdict/src/core/json.h"

/* usage_main, cut where the default configuration file is printed */
static const char usage_main[] =
"usage: verdict [-c CONFIG] [-d DBDIR] COMMAND [ARGS...]\n"
"\n"
"Decide from the source IP alone whether a mail connection comes from a\n"
"known spam source, and administer the local allow/block tables.\n"
"\n"
"Global options:\n"
"  -c, --config CONFIG  configuration file, by default\n"
"                       ";
static const char usage_main_tail[] = "\n"
"                       (built-in defaults when that file does not exist)\n"
"  -d, --database DIR   database directory (overrides `database')\n"
"  -h, --help           this text\n"
"  -V, --version        print the version\n"
"\n"
"Commands:\n"
"  check [-p N] [--json] [-q] [--explain] IP... | -   verdict for IPs\n"
"  table create NAME --kind block|allow|learned       create a table\n"
"  table drop NAME                                    delete a table\n"
"  table list                                         list tables\n"
"  add TABLE CIDR [--reason TEXT] [--expires WHEN] [--allow-wide]\n"
"  del TABLE CIDR                                     delete one entry\n"
"  import TABLE FILE|- [--merge] [--max-bad N] [--force] [--allow-wide]\n"
"         [--reason TEXT]                             replace or merge a list\n"
"  dump TABLE [--json]                                list a table\n"
"  expire                                             purge expired entries\n"
"  doctor [-p N]                                      check what a profile needs\n"
"  feed --format FORMAT [-p N] [--tables a,b] [-o FILE] firewall/MTA/rbldnsd feed\n"
"  report [-p N] IP [--weight W] [--reason TEXT] | -  report a spam source\n"
"  forgive IP|CIDR                                    forget learned scores\n"
"  stats [--json]                                     tables and counters\n"
"\n"
"Each command has --help.  See verdict(1).\n";

/* sbuf_reserve - room for more bytes plus a NUL; aborts when out of
 * memory (a CLI has nothing better to do). */
void
sbuf_reserve(sbuf *b, size_t more)
{
	size_t need = b->len + more + 1;
	size_t cap;
	char *p;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cli_msg("out of memory");
			exit(EXIT_ERR);
		}
		cap *= 2;
	}
	if ((p = realloc(b->p, cap)) == NULL) {
		cli_msg("out of memory");
		exit(EXIT_ERR);
	}
	b->p = p;
	b->cap = cap;
}

void
sbuf_add(sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void
sbuf_puts(sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_putc(sbuf *b, char c)
{
	sbuf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

/* sbuf_long - decimal without printf: this is on the check hot path. */
void
sbuf_long(sbuf *b, long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	sbuf_add(b, tmp + i, sizeof(tmp) - i);
}

/* sbuf_json_str - a JSON string, or null for NULL.  The escaping is the
 * library's own (vd_json_escape), shared with the json feed: controls
 * escaped, invalid UTF-8 as U+FFFD, so the output is valid JSON whatever
 * a list file held. */
void
sbuf_json_str(sbuf *b, const char *s)
{
	size_t n, used;

	if (s == NULL) {
		sbuf_add(b, "null", 4);
		return;
	}
	n = strlen(s);
	if (n > (SIZE_MAX - 2) / VD_JSON_ESC_MAX) {
		cli_msg("out of memory");
		exit(EXIT_ERR);
	}
	sbuf_reserve(b, n * VD_JSON_ESC_MAX + 2);
	b->p[b->len++] = '"';
	b->len += vd_json_escape(b->p + b->len, n * VD_JSON_ESC_MAX, s, n,
				 &used);
	b->p[b->len++] = '"';
	b->p[b->len] = 0;
}

void
sbuf_free(sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
cli_msg(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "verdict: %s\n", line);
}

void
cli_error(int err, const char *fmt, ...)
{
	char what[1024];
	const char *detail = verdict_errdetail();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (detail == NULL || *detail == 0)
		detail = verdict_strerror(err);
	fprintf(stderr, "verdict: %s: %s\n", what, detail);
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the hint reads "try 'verdict table create --help'" */
	fprintf(stderr, "verdict: %s%s%s\ntry 'verdict %s%s--help'\n",
		cmd ? cmd : "", cmd ? ": " : "", msg,
		cmd ? cmd : "", cmd ? " " : "");
	return EXIT_ERR;
}

int
cli_badopt(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return cli_usage(cmd, "option %s needs a value",
				 argv[optind - 1]);
	if (optopt != 0 && optopt != '?')
		return cli_usage(cmd, "unknown option -%c", optopt);
	return cli_usage(cmd, "unknown option %s", argv[optind - 1]);
}

/* log_sink - the library's log callback: warnings and worse to stderr,
 * one write per line so lines from several threads do not mix. */
static void
log_sink(int level, const char *line, void *arg)
{
	(void)arg;
	if (level > LOG_WARNING)
		return;
	flockfile(stderr);
	fputs_unlocked("verdict: ", stderr);
	fputs_unlocked(line, stderr);
	fputc_unlocked('\n', stderr);
	funlockfile(stderr);
}

char cli_open_detail[1024];

verdict_ctx *
cli_open(const cli_global *g, const char *what, unsigned flags,
	 int *open_err)
{
	verdict_ctx *ctx;
	const char *conf = g->config;
	struct stat st;
	int rc;

	if ((ctx = verdict_new()) == NULL) {
		cli_msg("%s: %s", what, verdict_strerror(VERDICT_ENOMEM));
		return NULL;
	}
	if ((rc = verdict_set_log(ctx, log_sink, NULL)) != VERDICT_OK) {
		cli_error(rc, "%s", what);
		goto fail;
	}
	/* No -c and no default file: built-in defaults, silently. */
	if (conf == NULL && stat(verdict_default_config(), &st) == 0)
		conf = verdict_default_config();
	else if (conf == NULL && errno != ENOENT)
		conf = verdict_default_config();	/* the library says why */
	if (conf != NULL && (rc = verdict_load_config(ctx, conf)) != 0) {
		/* the detail names file:line itself when it has one */
		if (strstr(verdict_errdetail(), conf) != NULL)
			cli_error(rc, "config");
		else
			cli_error(rc, "config %s", conf);
		goto fail;
	}
	if (g->dbdir != NULL &&
	    (rc = verdict_set_database(ctx, g->dbdir)) != VERDICT_OK) {
		cli_error(rc, "%s", g->dbdir);
		goto fail;
	}
	if ((rc = verdict_open(ctx, flags)) != VERDICT_OK) {
		if (open_err == NULL) {
			/* a configuration error (it names file:line), a
			 * GeoIP file or the resolver are not the database */
			const char *d = verdict_errdetail();

			if (rc == VERDICT_ECONFIG || rc == VERDICT_EGEO ||
			    rc == VERDICT_EDNS || (conf != NULL &&
			    strncmp(d, conf, strlen(conf)) == 0))
				cli_error(rc, "%s", what);
			else
				cli_error(rc, "%s: cannot open the database",
					  what);
			goto fail;
		}
		/* the caller reports it: keep the detail past verdict_free */
		*open_err = rc;
		snprintf(cli_open_detail, sizeof(cli_open_detail), "%s",
			 *verdict_errdetail() ? verdict_errdetail() :
			 verdict_strerror(rc));
		goto fail;
	}
	return ctx;
fail:
	verdict_free(ctx);
	return NULL;
}

/* cli_parse_int - no sign unless min < 0, no white space, no leading
 * zeros, within [min, max]. */
int
cli_parse_int(const char *s, long min, long max, long *out)
{
	const char *p = s;
	int neg = 0;
	unsigned long v = 0, lim;

	if (*p == '-' && min < 0) {
		neg = 1;
		p++;
	}
	if (*p == 0 || (p[0] == '0' && p[1] != 0))
		return -1;
	lim = neg ? 0UL - (unsigned long)min : (unsigned long)max;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (lim - (unsigned long)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (neg) {
		long r = v == 0 ? 0 : -(long)(v - 1) - 1;

		if (r < min)
			return -1;
		*out = r;
		return 0;
	}
	if (v > (unsigned long)max || (long)v < min)
		return -1;
	*out = (long)v;
	return 0;
}

/* digits - exactly n decimal digits at s. */
static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * cli_parse_expires - "N" plus ms/s/m/h/d/w (a bare number is seconds)
 * from now, rounded up to whole seconds; or "YYYY-MM-DDTHH:MM:SSZ".  Any
 * absolute time after the epoch is accepted, past ones too (tests and
 * "expire now" use them).
 */
int
cli_parse_expires(const char *s, time_t now, time_t *out)
{
	static const struct {
		const char *suffix;
		long ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "w", 604800000 }, { "", 1000 },
	};
	const long max_ms = 100L * 366 * 86400000;	/* 100 years */
	size_t len = strlen(s), nd = 0, i;
	char num[24];
	long n;

	if (len == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
	    s[13] == ':' && s[16] == ':' && s[19] == 'Z') {
		struct tm tm, back;
		int y, mo, d, h, mi, se;
		time_t t;

		if (digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
		    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
		    digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
			return -1;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = se;
		if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
			return -1;
		t = timegm(&tm);
		/* timegm normalises 02-30 to 03-02: refuse what moved */
		if (t <= 0 || gmtime_r(&t, &back) == NULL ||
		    back.tm_mday != d || back.tm_mon != mo - 1)
			return -1;
		*out = t;
		return 0;
	}
	while (nd < len && s[nd] >= '0' && s[nd] <= '9')
		nd++;
	if (nd == 0 || nd >= sizeof(num))
		return -1;
	memcpy(num, s, nd);
	num[nd] = 0;
	if (cli_parse_int(num, 0, max_ms, &n) != 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + nd, units[i].suffix) != 0)
			continue;
		if (n > max_ms / units[i].ms)
			return -1;
		n *= units[i].ms;
		*out = now + (time_t)((n + 999) / 1000);
		return 0;
	}
	return -1;
}

void
cli_format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

/* cmd_feed_cli - verdict feed (tools/verdict_feed.c opens its own ctx) */
static int
cmd_feed_cli(const cli_global *g, int argc, char **argv)
{
	return cmd_feed(argc, argv, g->config, g->dbdir);
}

static const struct {
	const char *name;
	int (*fn)(const cli_global *, int, char **);
} commands[] = {
	{ "check", cmd_check },
	{ "table", cmd_table },
	{ "add", cmd_add },
	{ "del", cmd_del },
	{ "import", cmd_import },
	{ "dump", cmd_dump },
	{ "expire", cmd_expire },
	{ "doctor", cmd_doctor },
	{ "feed", cmd_feed_cli },
	{ "report", cmd_report },
	{ "forgive", cmd_forgive },
	{ "stats", cmd_stats },
};

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cli_global g = { NULL, NULL };
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:d:hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g.config = optarg;
			break;
		case 'd':
			g.dbdir = optarg;
			break;
		case 'h':
			printf("%s%s%s", usage_main, verdict_default_config(),
			       usage_main_tail);
			return EXIT_OK;
		case 'V':
			printf("verdict %s (libverdict %s)\n",
			       VERDICT_VERSION_STRING, verdict_version());
			return EXIT_OK;
		default:
			return cli_badopt(NULL, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(NULL, "no command given");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].fn(&g, argc - optind, argv + optind);
	return cli_usage(NULL, "unknown command \"%s\"", argv[optind]);
}
