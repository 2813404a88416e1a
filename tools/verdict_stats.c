/*
 * verdict_stats.c - verdict stats: the tables and the metrics files
 *
 *	cmd_stats	one summary of the database's tables and of every
 *			*.prom file in metrics_dir (callout and milter)
 *
 * An administrator without Prometheus reads here what the front ends
 * count: the files are the textfile-collector files the callout and the
 * milter write (verdict_stats_write), summed over files and profiles.
 * Latency quantiles are estimated from the histogram buckets as
 * Prometheus' histogram_quantile does (linear within a bucket).
 *
 * Diagnostics: "stats: DIR: strerror" when metrics_dir cannot be read;
 * "FILE:LINE: not a sample" for a line that does not parse (skipped).
 *
 * Limits: at most STATS_SOURCES sources, STATS_ZONES zones; a file
 * being replaced is read before or after the rename, never half.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verdict_cli.h"

#define STATS_ZONES 64
#define NBOUND 16
#define NSRC 6
#define NOUT 5

static const char usage_stats[] =
"usage: verdict stats [--json]\n"
"\n"
"Summarise the tables of the database (entries, last import) and the\n"
"counters the callout and verdict-milter write into metrics_dir\n"
"(callout-PID.prom, milter-PID.prom): checks and blocks per source, DNSBL\n"
"lookups per zone, zone health, latency p50/p99 per source and zone.\n"
"Without metrics_dir only the tables are shown.  --json prints one JSON\n"
"object instead.\n"
"Exit 0, or 2 when the configuration or the database cannot be read.\n";

static const char *const src_name[NSRC] = {
	"none", "trusted", "table", "learned", "geoip", "dnsbl"
};
static const char *const out_name[NOUT] = {
	"listed", "not_listed", "timeout", "error", "ignored"
};
static const char *const le_text[NBOUND] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
	"0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"
};

typedef struct zone_sum {
	char name[128];
	double out[NOUT];
	double hist[NBOUND];	/* answer times, cumulative */
	int up;			/* -1 unknown */
} zone_sum;

/* What the files add up to. */
typedef struct totals {
	size_t files;
	double checks[NSRC], blocks[NSRC], verdicts[4], errors,
	       would_block;
	double hist[NBOUND], dhist[NBOUND];	/* cumulative buckets */
	double shist[NSRC][NBOUND];		/* by source */
	size_t nz;
	zone_sum z[STATS_ZONES];
} totals;

/* A parsed sample: name, up to four labels, value. */
typedef struct sample {
	char name[96];
	size_t n;
	char k[4][32], v[4][128];
	double value;
} sample;

static const char *
label(const sample *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->k[i], k) == 0)
			return s->v[i];
	return "";
}

/* parse_labels - {k="v",...} at p into s; the rest after '}' or NULL */
static const char *
parse_labels(const char *p, sample *s)
{
	while (*p && *p != '}') {
		size_t kl = strcspn(p, "=");
		size_t vl = 0;

		if (s->n >= 4 || kl == 0 || kl >= sizeof(s->k[0]) ||
		    p[kl] != '=' || p[kl + 1] != '"')
			return NULL;
		memcpy(s->k[s->n], p, kl);
		s->k[s->n][kl] = 0;
		for (p += kl + 2; *p && *p != '"'; p++) {
			char ch = *p;

			if (ch == '\\' && p[1])
				ch = *++p == 'n' ? '\n' : *p;
			if (vl + 1 < sizeof(s->v[0]))
				s->v[s->n][vl++] = ch;
		}
		if (*p != '"')
			return NULL;
		s->v[s->n++][vl] = 0;
		if (*++p == ',')
			p++;
	}
	return *p == '}' ? p + 1 : NULL;
}

/* parse_sample - one exposition line; 0 ok, -1 not a sample */
static int
parse_sample(const char *line, sample *s)
{
	size_t nl = strcspn(line, "{ ");
	const char *p = line + nl;
	char *end;

	s->n = 0;
	if (nl == 0 || nl >= sizeof(s->name))
		return -1;
	memcpy(s->name, line, nl);
	s->name[nl] = 0;
	if (*p == '{' && (p = parse_labels(p + 1, s)) == NULL)
		return -1;
	if (*p != ' ')
		return -1;
	s->value = strtod(p + 1, &end);
	return end == p + 1 ? -1 : 0;
}

static int
index_of(const char *const *names, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0)
			return (int)i;
	return -1;
}

/* zone_of - the totals of a zone, added on first sight; NULL when full */
static zone_sum *
zone_of(totals *t, const char *name)
{
	for (size_t i = 0; i < t->nz; i++)
		if (strcmp(t->z[i].name, name) == 0)
			return &t->z[i];
	if (t->nz == STATS_ZONES)
		return NULL;
	zone_sum *z = &t->z[t->nz++];
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->up = -1;
	return z;
}

/* add_sample - one sample into the totals */
static void
add_sample(totals *t, const sample *s)
{
	int i, v;
	zone_sum *z;

	if (strcmp(s->name, "verdict_checks_total") == 0) {
		i = index_of(src_name, NSRC, label(s, "source"));
		v = index_of((const char *const []){ "neutral", "allow",
			     "block", "tempfail" }, 4, label(s, "verdict"));
		if (i < 0 || v < 0)
			return;
		t->checks[i] += s->value;
		t->verdicts[v] += s->value;
		if (v == VERDICT_BLOCK)
			t->blocks[i] += s->value;
	} else if (strcmp(s->name, "verdict_errors_total") == 0) {
		t->errors += s->value;
	} else if (strcmp(s->name, "verdict_would_block_total") == 0) {
		t->would_block += s->value;
	} else if (strcmp(s->name, "verdict_check_duration_seconds_bucket")
		   == 0) {
		if ((i = index_of(le_text, NBOUND, label(s, "le"))) < 0)
			return;
		t->hist[i] += s->value;
		if ((v = index_of(src_name, NSRC, label(s, "source"))) >= 0)
			t->shist[v][i] += s->value;
	} else if (strcmp(s->name, "verdict_dnsbl_duration_seconds_bucket")
		   == 0) {
		if ((i = index_of(le_text, NBOUND, label(s, "le"))) >= 0)
			t->dhist[i] += s->value;
	} else if (strcmp(s->name,
		   "verdict_dnsbl_answer_duration_seconds_bucket") == 0) {
		if ((i = index_of(le_text, NBOUND, label(s, "le"))) >= 0 &&
		    (z = zone_of(t, label(s, "zone"))) != NULL)
			z->hist[i] += s->value;
	} else if (strcmp(s->name, "verdict_dnsbl_queries_total") == 0) {
		i = index_of(out_name, NOUT, label(s, "result"));
		if (i >= 0 && (z = zone_of(t, label(s, "zone"))) != NULL)
			z->out[i] += s->value;
	} else if (strcmp(s->name, "verdict_zone_up") == 0) {
		if ((z = zone_of(t, label(s, "zone"))) != NULL)
			z->up = z->up == 0 ? 0 : (int)s->value;
	}
}

/* read_file - every sample of one .prom file */
static void
read_file(totals *t, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	sample s;
	long n = 0;

	if (f == NULL) {
		cli_msg("stats: %s: %s", path, strerror(errno));
		return;
	}
	t->files++;
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		if (parse_sample(line, &s) != 0)
			cli_msg("%s:%ld: not a sample", path, n);
		else
			add_sample(t, &s);
	}
	fclose(f);
}

/* read_dir - every *.prom of dir; 0, or -1 when dir cannot be read */
static int
read_dir(totals *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	size_t l;

	if (d == NULL) {
		cli_msg("stats: %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".prom") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     e->d_name) >= sizeof(path))
			continue;
		read_file(t, path);
	}
	closedir(d);
	return 0;
}

/* quantile - q of a cumulative histogram, as histogram_quantile; NAN
 * when empty */
static double
quantile(const double *b, double q)
{
	static const double ub[NBOUND - 1] = { 0.0001, 0.00025, 0.0005,
		0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
		2.5, 5 };
	double rank = q * b[NBOUND - 1], lo, below;
	size_t i;

	if (b[NBOUND - 1] <= 0)
		return NAN;
	for (i = 0; i < NBOUND - 1 && b[i] < rank; i++)
		;
	if (i == NBOUND - 1)
		return ub[NBOUND - 2];
	lo = i ? ub[i - 1] : 0;
	below = i ? b[i - 1] : 0;
	if (b[i] - below <= 0)
		return ub[i];
	return lo + (ub[i] - lo) * (rank - below) / (b[i] - below);
}

/* Tables as verdict_table_list hands them out, kept for printing. */
typedef struct tables {
	sbuf text, json;
	size_t n;
} tables;

static int
table_cb(const verdict_table_info *ti, void *arg)
{
	tables *t = arg;
	char when[32] = "-", line[256];

	if (ti->imported)
		cli_format_time(ti->imported, when, sizeof(when));
	snprintf(line, sizeof(line), "  %-24s %-5s %10zu  %s\n", ti->name,
		 ti->kind == VERDICT_TABLE_ALLOW ? "allow" : "block",
		 ti->entries, when);
	sbuf_puts(&t->text, line);
	sbuf_puts(&t->json, t->n++ ? "," : "");
	sbuf_puts(&t->json, "{\"name\":");
	sbuf_json_str(&t->json, ti->name);
	sbuf_puts(&t->json, ",\"kind\":");
	sbuf_json_str(&t->json, ti->kind == VERDICT_TABLE_ALLOW ? "allow" :
		      "block");
	sbuf_puts(&t->json, ",\"entries\":");
	sbuf_long(&t->json, (long)ti->entries);
	sbuf_puts(&t->json, ",\"last_import\":");
	sbuf_json_str(&t->json, ti->imported ? when : NULL);
	sbuf_putc(&t->json, '}');
	return 0;
}

static double
all_checks(const totals *t)
{
	double n = 0;

	for (int i = 0; i < 4; i++)
		n += t->verdicts[i];
	return n;
}

static double
pct(double a, double b)
{
	return b > 0 ? 100.0 * a / b : 0;
}

static void
print_text(const tables *tb, const totals *t, const char *dir)
{
	double n = all_checks(t), p50 = quantile(t->hist, 0.5),
	       p99 = quantile(t->hist, 0.99);

	if (tb->n)
		printf("  %-24s %-5s %10s  %s\n%s", "table", "kind", "entries",
		       "last import", tb->text.p);
	else
		printf("tables: none\n");
	if (dir == NULL) {
		printf("metrics_dir is not set: no counters to show\n");
		return;
	}
	printf("counters: %zu file(s) in %s\n", t->files, dir);
	printf("checks: %.0f  block %.0f (%.1f%%)  allow %.0f  neutral %.0f"
	       "  tempfail %.0f  errors %.0f  would-block %.0f\n", n,
	       t->verdicts[2], pct(t->verdicts[2], n), t->verdicts[1],
	       t->verdicts[0], t->verdicts[3], t->errors, t->would_block);
	if (!isnan(p50))
		printf("latency: p50 %.6f s  p99 %.6f s\n", p50, p99);
	printf("  %-10s %10s %10s %7s %10s %10s\n", "source", "checks",
	       "blocks", "share", "p50 s", "p99 s");
	for (int i = 0; i < NSRC; i++)
		if (t->checks[i] > 0)
			printf("  %-10s %10.0f %10.0f %6.1f%% %10.6f %10.6f\n",
			       src_name[i], t->checks[i], t->blocks[i],
			       pct(t->blocks[i], n),
			       quantile(t->shist[i], 0.5),
			       quantile(t->shist[i], 0.99));
	if (t->nz == 0)
		return;
	p50 = quantile(t->dhist, 0.5);
	p99 = quantile(t->dhist, 0.99);
	if (!isnan(p50))
		printf("dnsbl step: p50 %.6f s  p99 %.6f s\n", p50, p99);
	printf("  %-24s %8s %8s %7s %7s %6s %7s %3s %9s %9s\n", "zone",
	       "lookups", "listed", "share", "timeout", "error", "ignored",
	       "up", "p50 s", "p99 s");
	for (size_t i = 0; i < t->nz; i++) {
		const zone_sum *z = &t->z[i];
		double q = 0;

		for (int o = 0; o < NOUT; o++)
			q += z->out[o];
		printf("  %-24s %8.0f %8.0f %6.1f%% %7.0f %6.0f %7.0f %3s "
		       "%9.6f %9.6f\n", z->name, q, z->out[0],
		       pct(z->out[0], q), z->out[2], z->out[3], z->out[4],
		       z->up < 0 ? "-" : z->up ? "yes" : "no",
		       quantile(z->hist, 0.5), quantile(z->hist, 0.99));
	}
}

static void
json_num(sbuf *b, const char *key, double v, int comma)
{
	char num[64];

	if (isnan(v))
		snprintf(num, sizeof(num), "null");
	else
		snprintf(num, sizeof(num), "%.9g", v);
	sbuf_puts(b, comma ? ",\"" : "\"");
	sbuf_puts(b, key);
	sbuf_puts(b, "\":");
	sbuf_puts(b, num);
}

static void
print_json(const tables *tb, const totals *t, const char *dir)
{
	sbuf b = { 0 };
	double n = all_checks(t);

	sbuf_puts(&b, "{\"tables\":[");
	sbuf_puts(&b, tb->json.p ? tb->json.p : "");
	sbuf_puts(&b, "],\"metrics_dir\":");
	sbuf_json_str(&b, dir);
	if (dir != NULL) {
		json_num(&b, "files", (double)t->files, 1);
		json_num(&b, "checks", n, 1);
		json_num(&b, "block", t->verdicts[2], 1);
		json_num(&b, "allow", t->verdicts[1], 1);
		json_num(&b, "neutral", t->verdicts[0], 1);
		json_num(&b, "tempfail", t->verdicts[3], 1);
		json_num(&b, "errors", t->errors, 1);
		json_num(&b, "would_block", t->would_block, 1);
		json_num(&b, "p50_seconds", quantile(t->hist, 0.5), 1);
		json_num(&b, "p99_seconds", quantile(t->hist, 0.99), 1);
		sbuf_puts(&b, ",\"sources\":{");
		for (int i = 0, k = 0; i < NSRC; i++) {
			if (t->checks[i] <= 0)
				continue;
			sbuf_puts(&b, k++ ? ",\"" : "\"");
			sbuf_puts(&b, src_name[i]);
			sbuf_puts(&b, "\":{");
			json_num(&b, "checks", t->checks[i], 0);
			json_num(&b, "blocks", t->blocks[i], 1);
			json_num(&b, "p50_seconds", quantile(t->shist[i], 0.5),
				 1);
			json_num(&b, "p99_seconds",
				 quantile(t->shist[i], 0.99), 1);
			sbuf_putc(&b, '}');
		}
		sbuf_puts(&b, "},\"zones\":{");
		for (size_t i = 0; i < t->nz; i++) {
			sbuf_puts(&b, i ? "," : "");
			sbuf_json_str(&b, t->z[i].name);
			sbuf_puts(&b, ":{");
			for (int o = 0; o < NOUT; o++)
				json_num(&b, out_name[o], t->z[i].out[o], o);
			json_num(&b, "up", t->z[i].up < 0 ? NAN : t->z[i].up,
				 1);
			json_num(&b, "p50_seconds", quantile(t->z[i].hist, 0.5),
				 1);
			json_num(&b, "p99_seconds",
				 quantile(t->z[i].hist, 0.99), 1);
			sbuf_putc(&b, '}');
		}
		sbuf_putc(&b, '}');
	}
	sbuf_puts(&b, "}\n");
	fputs(b.p, stdout);
	sbuf_free(&b);
}

int
cmd_stats(const cli_global *g, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	tables tb = { { 0 }, { 0 }, 0 };
	totals *t;
	verdict_ctx *ctx;
	char dir[4096];
	int c, json = 0, rc, have_dir;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			fputs(usage_stats, stdout);
			return EXIT_OK;
		} else
			return cli_badopt("stats", c, argv);
	}
	if (argc - optind != 0)
		return cli_usage("stats", "no arguments expected");
	/* every table of the database, whether the profiles name it or not */
	if ((ctx = cli_open(g, "stats", VERDICT_OPEN_NODNS |
			    VERDICT_OPEN_NOTABLECHECK, NULL)) == NULL)
		return EXIT_ERR;
	rc = verdict_table_list(ctx, table_cb, &tb);
	have_dir = verdict_config_get(ctx, "metrics_dir", dir, sizeof(dir))
		   == VERDICT_OK;
	verdict_free(ctx);
	if (rc != VERDICT_OK && rc != VERDICT_ESTATE) {
		cli_error(rc, "stats: tables");
		return EXIT_ERR;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		cli_msg("stats: out of memory");
		return EXIT_ERR;
	}
	rc = EXIT_OK;
	if (have_dir && read_dir(t, dir) != 0)
		rc = EXIT_ERR;
	if (json)
		print_json(&tb, t, have_dir ? dir : NULL);
	else
		print_text(&tb, t, have_dir ? dir : NULL);
	free(t);
	sbuf_free(&tb.text);
	sbuf_free(&tb.json);
	return rc;
}
