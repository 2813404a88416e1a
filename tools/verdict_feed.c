/*
 * verdict_feed.c - "verdict feed": write a firewall / MTA / DNS feed
 *
 *	cmd_feed	parse feed options, open a context, write the feed
 *
 * The CLI's dispatcher calls cmd_feed(argc, argv, config, dbdir) with
 * argv[0] = "feed" and the global -c / -d values (NULL when not given).
 * Exit status: 0 written, 2 any error; with --diff 0 no change, 1
 * changed, 2 error.
 *
 * -o FILE is written to a temporary file in FILE's directory, flushed to
 * disk and renamed over FILE, so a reader (nft, rbldnsd, postmap) sees
 * the old feed or the new one, never half.  Its mode is 0666 less the
 * umask, as any file the user creates (not mkstemp's 0600): its consumer
 * often runs as another user.
 *
 * --diff OLD compares the new plain feed with OLD (an earlier plain
 * output; missing = empty) and prints "+CIDR" / "-CIDR" lines.  With -o
 * the new plain feed is also written to FILE (-o OLD keeps the state).
 *
 * Limits: the feed of --diff is held in memory (about 20 bytes a CIDR).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "verdict.h"

int cmd_feed(int argc, char **argv, const char *config, const char *dbdir);

#define FEED_TABLES_MAX 64

static const char feed_usage[] =
"usage: verdict feed [--format FORMAT] [-p N] [--tables A,B] [--name SET]\n"
"                    [--family inet|ip|ip6] [--nft-table TABLE] [--ranges]\n"
"                    [-o FILE] [--diff OLD]\n"
"\n"
"Write the block tables of profile N (or --tables) minus its allow tables\n"
"and trusted networks, unexpired entries only, as the minimal list of\n"
"CIDRs (IPv4 first, then IPv6), in the format a consumer loads:\n"
"\n"
"  plain     one CIDR a line (--ranges: start-end lines)       [default]\n"
"  pf        one CIDR a line: pfctl -t TABLE -T replace -f FILE\n"
"  nft       nft -f script: table inet TABLE, interval sets SET_v4 and\n"
"            SET_v6 created if missing, flushed and filled atomically\n"
"  ipset     ipset restore script: fills SET_v4_tmp, swaps it with SET_v4\n"
"  postfix   Postfix cidr: table, \"CIDR REJECT reason\"\n"
"  rbldnsd   rbldnsd ip4set dataset (IPv4), value 127.0.0.2, TXT = reason\n"
"  rbldnsd6  rbldnsd ip6trie dataset (IPv6)\n"
"  json      {cidr, table, reason, expires} per entry, unaggregated\n"
"\n"
"  -p, --profile N    profile (default 1)\n"
"  --tables A,B       these block tables instead of the profile's\n"
"  --name SET         set name (default verdict)\n"
"  --nft-table TABLE  nft table (default verdict)\n"
"  --family F         inet (both, default), ip (IPv4), ip6 (IPv6)\n"
"  -o, --output FILE  write FILE atomically (temporary file + rename)\n"
"  --diff OLD         print +CIDR/-CIDR against an earlier plain output;\n"
"                     exit 0 no change, 1 changed\n"
"\n"
"Exit status: 0 written, 2 error (--diff: 0 unchanged, 1 changed, 2 error).\n";

static void
feed_log(int level, const char *line, void *arg)
{
	(void)arg;
	if (level <= LOG_WARNING)
		fprintf(stderr, "verdict: %s\n", line);
}

static int
feed_fail(int err, const char *what)
{
	const char *d = verdict_errdetail();

	fprintf(stderr, "verdict: feed: %s: %s\n", what,
		d && *d ? d : verdict_strerror(err));
	return 2;
}

/* split_tables - "a,b" into a NULL-terminated vector (in place). */
static int
split_tables(char *s, const char **v, size_t max)
{
	size_t n = 0;

	for (char *p = s, *tok; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == 0)
			continue;
		if (n + 1 >= max)
			return -1;
		v[n++] = tok;
	}
	v[n] = NULL;
	return n ? 0 : -1;
}

/* atomic_open - a temporary file beside path, mode 0666 & ~umask. */
static FILE *
atomic_open(const char *path, char **tmp)
{
	size_t n = strlen(path) + 16;
	mode_t um;
	int fd;
	FILE *f;

	if ((*tmp = malloc(n)) == NULL)
		return NULL;
	if (snprintf(*tmp, n, "%s.XXXXXX", path) >= (int)n)
		goto fail;
	if ((fd = mkstemp(*tmp)) < 0)
		goto fail;
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) != 0 || (f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(*tmp);
		goto fail;
	}
	return f;
fail:
	free(*tmp);
	*tmp = NULL;
	return NULL;
}

/* atomic_close - flush, fsync, rename into place (or unlink on error). */
static int
atomic_close(FILE *f, char *tmp, const char *path, int ok)
{
	int rc = 0;

	if (ok && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0))
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (ok && rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (!ok || rc != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
	} else {
		char *d = strdup(path);
		int dfd;

		/* the rename itself reaches the disk with its directory */
		if (d && (dfd = open(dirname(d), O_RDONLY | O_DIRECTORY)) >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(d);
	}
	free(tmp);
	return ok ? rc : -1;
}

static int
cidr_cmp(const void *a, const void *b)
{
	return verdict_cidr_cmp(a, b);
}

/* read_cidrs - the CIDR lines of a plain feed (text in buf, or file). */
static int
read_cidrs(const char *what, FILE *f, verdict_cidr **out, size_t *nout)
{
	char *line = NULL;
	size_t cap = 0, n = 0, vcap = 0, lineno = 0;
	ssize_t len;
	verdict_cidr *v = NULL;
	int rc = 0;

	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
				   line[len - 1] == '\r' ||
				   line[len - 1] == ' '))
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		if (n == vcap) {
			size_t c = vcap ? vcap * 2 : 1024;
			verdict_cidr *nv = realloc(v, c * sizeof(*nv));

			if (nv == NULL) {
				rc = -1;
				fprintf(stderr, "verdict: feed: out of "
					"memory\n");
				goto out;
			}
			v = nv;
			vcap = c;
		}
		if (verdict_cidr_parse(line, (size_t)len, &v[n]) ==
		    VERDICT_EINVAL) {
			fprintf(stderr, "verdict: feed: %s:%zu: not a CIDR: "
				"%.*s\n", what, lineno, (int)(len > 60 ? 60 :
				len), line);
			rc = -1;
			goto out;
		}
		n++;
	}
	if (ferror(f)) {
		fprintf(stderr, "verdict: feed: %s: %s\n", what,
			strerror(errno));
		rc = -1;
	}
	if (n)
		qsort(v, n, sizeof(*v), cidr_cmp);
out:
	free(line);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* feed_diff - print +/- lines; 0 same, 1 changed, 2 error. */
static int
feed_diff(const char *oldpath, const char *newtext, size_t newlen)
{
	verdict_cidr *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0;
	FILE *fo, *fn;
	int changed = 0, rc = 2;
	char buf[VERDICT_CIDR_TEXT_MAX];

	if ((fo = fopen(oldpath, "r")) == NULL && errno != ENOENT) {
		fprintf(stderr, "verdict: feed: %s: %s\n", oldpath,
			strerror(errno));
		return 2;
	}
	if (fo && read_cidrs(oldpath, fo, &a, &na) != 0)
		goto out;
	if ((fn = fmemopen((void *)newtext, newlen ? newlen : 1, "r")) ==
	    NULL)
		goto out;
	if (newlen == 0)
		nb = 0;
	else if (read_cidrs("new feed", fn, &b, &nb) != 0) {
		fclose(fn);
		goto out;
	}
	fclose(fn);
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : cidr_cmp(&a[i], &b[j]);

		if (c == 0) {
			i++, j++;
			continue;
		}
		changed = 1;
		verdict_cidr_format(c < 0 ? &a[i] : &b[j], buf, sizeof(buf));
		printf("%c%s\n", c < 0 ? '-' : '+', buf);
		if (c < 0)
			i++;
		else
			j++;
	}
	rc = fflush(stdout) == 0 && !ferror(stdout) ? changed : 2;
out:
	if (fo)
		fclose(fo);
	free(a);
	free(b);
	return rc;
}

/* The command line of one feed. */
typedef struct feed_opts {
	const char *format, *name, *nft_table, *output, *diff;
	const char *tables[FEED_TABLES_MAX + 1];
	const char *const *tv;		/* tables, or NULL: the profile's */
	long profile;
	int family, ranges;
} feed_opts;

/* feed_opt - one option into *o; 0 go on, 1 done (--help), 2 error. */
static int
feed_opt(int c, char *arg, feed_opts *o)
{
	char *end;

	switch (c) {
	case 'f':
		o->format = arg;
		return 0;
	case 'p':
		errno = 0;
		o->profile = strtol(arg, &end, 10);
		if (errno || *end || end == arg || o->profile < 1 ||
		    o->profile > 999) {
			fprintf(stderr, "verdict: feed: bad profile \"%s\" "
				"(1..999)\n", arg);
			return 2;
		}
		return 0;
	case 't':
		if (split_tables(arg, o->tables, sizeof(o->tables) /
				 sizeof(*o->tables)) != 0) {
			fprintf(stderr, "verdict: feed: bad --tables list\n");
			return 2;
		}
		o->tv = o->tables;
		return 0;
	case 'n':
		o->name = arg;
		return 0;
	case 'F':
		if (strcmp(arg, "inet") == 0)
			o->family = 0;
		else if (strcmp(arg, "ip") == 0)
			o->family = 4;
		else if (strcmp(arg, "ip6") == 0)
			o->family = 6;
		else {
			fprintf(stderr, "verdict: feed: --family is inet, ip "
				"or ip6\n");
			return 2;
		}
		return 0;
	case 'T':
		o->nft_table = arg;
		return 0;
	case 'r':
		o->ranges = 1;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'D':
		o->diff = arg;
		return 0;
	case 'h':
		fputs(feed_usage, stdout);
		return 1;
	}
	return 2;
}

/* feed_args - the command line into *o; -1 go on, else the exit status. */
static int
feed_args(int argc, char **argv, feed_opts *o)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "profile", required_argument, NULL, 'p' },
		{ "tables", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "family", required_argument, NULL, 'F' },
		{ "nft-table", required_argument, NULL, 'T' },
		{ "ranges", no_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "diff", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, r;

	memset(o, 0, sizeof(*o));
	o->format = "plain";
	o->profile = 1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+f:p:o:h", opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			fprintf(stderr, "verdict: feed: unknown or incomplete "
				"option \"%s\"\n%s", argv[optind - 1 > 0 ?
				optind - 1 : 0], "try 'verdict feed --help'\n");
			return 2;
		}
		if ((r = feed_opt(c, optarg, o)) != 0)
			return r == 1 ? 0 : 2;
	}
	if (optind < argc) {
		fprintf(stderr, "verdict: feed: unexpected argument \"%s\"\n",
			argv[optind]);
		return 2;
	}
	if (o->diff && (strcmp(o->format, "plain") != 0 || o->ranges)) {
		fprintf(stderr, "verdict: feed: --diff compares plain CIDR "
			"feeds (no --format, no --ranges)\n");
		return 2;
	}
	return -1;
}

/* feed_ctx - an opened context for the feed, or NULL after a message. */
static verdict_ctx *
feed_ctx(const char *config, const char *dbdir, long profile)
{
	verdict_ctx *ctx;
	int rc;

	if ((ctx = verdict_new()) == NULL) {
		feed_fail(VERDICT_ENOMEM, "context");
		return NULL;
	}
	verdict_set_log(ctx, feed_log, NULL);
	if (config == NULL && access(verdict_default_config(), F_OK) == 0)
		config = verdict_default_config();
	if (config && (rc = verdict_load_config(ctx, config)) != 0) {
		feed_fail(rc, config);
		goto fail;
	}
	if (dbdir && (rc = verdict_set_database(ctx, dbdir)) != 0) {
		feed_fail(rc, dbdir);
		goto fail;
	}
	if ((rc = verdict_open(ctx, VERDICT_OPEN_NODNS)) != 0) {
		feed_fail(rc, "open");
		goto fail;
	}
	if (!verdict_profile_exists(ctx, (int)profile)) {
		fprintf(stderr, "verdict: feed: no [profile %ld]\n", profile);
		goto fail;
	}
	return ctx;
fail:
	verdict_free(ctx);
	return NULL;
}

/* feed_write - the feed to stdout, to -o FILE atomically, or (--diff)
 * into *mem; 0 or 2 after a message. */
static int
feed_write(verdict_ctx *ctx, const feed_opts *o, char **mem, size_t *memlen)
{
	char *tmp = NULL;
	FILE *out;
	int rc;

	if (o->diff)
		out = open_memstream(mem, memlen);
	else if (o->output)
		out = atomic_open(o->output, &tmp);
	else
		out = stdout;
	if (out == NULL) {
		fprintf(stderr, "verdict: feed: %s: %s\n", o->output ?
			o->output : "memory", strerror(errno));
		return 2;
	}
	rc = verdict_feed(ctx, (int)o->profile, o->tv, o->family, o->format,
			  o->name, o->nft_table, o->ranges, out);
	if (out == stdout) {
		if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
			rc = VERDICT_EIO;
	} else if (o->diff) {
		if (fclose(out) != 0 && rc == 0)
			rc = VERDICT_EIO;
	} else if (atomic_close(out, tmp, o->output, rc == 0) != 0 &&
		   rc == 0) {
		fprintf(stderr, "verdict: feed: %s: %s\n", o->output,
			strerror(errno));
		return 2;
	}
	if (rc != 0)
		return feed_fail(rc, o->output ? o->output : "write");
	return 0;
}

/* feed_keep - -o FILE with --diff: the new plain feed becomes FILE. */
static int
feed_keep(const char *output, const char *text, size_t len)
{
	char *tmp = NULL;
	FILE *f = atomic_open(output, &tmp);
	int ok = f != NULL;

	if (ok) {
		ok = fwrite(text, 1, len, f) == len;
		if (atomic_close(f, tmp, output, ok) != 0)
			ok = 0;
	}
	if (!ok) {
		fprintf(stderr, "verdict: feed: %s: %s\n", output,
			strerror(errno));
		return 2;
	}
	return 0;
}

int
cmd_feed(int argc, char **argv, const char *config, const char *dbdir)
{
	feed_opts o;
	char *memtext = NULL;
	size_t memlen = 0;
	verdict_ctx *ctx;
	int status;

	if ((status = feed_args(argc, argv, &o)) >= 0)
		return status;
	if ((ctx = feed_ctx(config, dbdir, o.profile)) == NULL)
		return 2;
	if ((status = feed_write(ctx, &o, &memtext, &memlen)) == 0 &&
	    o.diff) {
		status = feed_diff(o.diff, memtext, memlen);
		if (status != 2 && o.output &&
		    feed_keep(o.output, memtext, memlen) != 0)
			status = 2;
	}
	free(memtext);
	verdict_free(ctx);
	return status;
}
