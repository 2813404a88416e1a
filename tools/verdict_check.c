/*
 * verdict_check.c - "verdict check": verdicts for IPs on the command line
 * or streamed from standard input
 *
 *	cmd_check	parse options, open read-only, answer every input
 *
 * Output: exactly one line per input, in input order: "IP VERDICT SOURCE
 * REASON" (absent fields "-"), or with --json one object per line whose
 * keys are always all present (null when there is nothing to say).  A
 * malformed input gets verdict "error" and one message on stderr; the
 * other inputs are still answered.
 *
 * Speed: from stdin the lines are read with read(2) into one buffer and
 * the answers written fully buffered; standard output is flushed whenever
 * the next read would wait (so a co-process sees its answer), after every
 * line with --line-buffered or a terminal.  Checks answered from the local
 * tables take about a microsecond, so they run on the main thread: a pool
 * of --parallel N workers is started only once a check has consulted
 * DNSBL zones (the only case where waiting dominates).  Then inputs are
 * taken in batches of whatever is readable (up to 8 N lines); the workers
 * each own a verdict_result and claim lines with an atomic counter, and
 * the main thread prints the batch in input order.
 *
 * A database directory moved away and made anew while a stream runs is
 * opened again between two lines (checked at most once a second).
 *
 * Limits: one input line is at most 16 MB; a batch ends its DNS round at
 * the slowest of its checks (each bounded by the profile's deadline).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verdict_cli.h"

#define LINE_MAX_BYTES (16UL << 20)
#define PARALLEL_MAX 4096

static const char usage_check[] =
"usage: verdict check [-p N] [--json] [-q] [--explain] [--parallel N]\n"
"                     [--line-buffered] IP... | -\n"
"\n"
"Print the verdict for each IP (IPv4 or IPv6), one line per IP in input\n"
"order: IP VERDICT SOURCE REASON (\"-\" when absent).  VERDICT is block,\n"
"allow, neutral, tempfail or error.  With - the IPs are read from standard\n"
"input, one per line.\n"
"  -p, --profile N    use [profile N] of the configuration (default 1)\n"
"  --json             one JSON object per line: ip, verdict, score, source,\n"
"                     cidr, reason, reply, elapsed_us, country, asn, as_org,\n"
"                     zones (null when there is nothing to say)\n"
"  -q, --quiet        print nothing; only the exit status tells\n"
"  --explain          print every step of each decision before its line\n"
"  --parallel N       checks in flight when DNSBL zones are queried\n"
"                     (default 64; 1 = no threads)\n"
"  --line-buffered    flush after every line\n"
"Exit status: 2 on any usage, configuration or data error or malformed\n"
"IP; else 3 if any tempfail; else 1 if any block; else 0.\n";

typedef struct check_opts {
	verdict_ctx *ctx;
	const cli_global *g;	/* to reopen a replaced database */
	int reopen_failed;	/* once: the old context is kept */
	int profile;
	int json;
	int quiet;
	int explain;
	int flush_each;
	long parallel;
} check_opts;

/* One answered input. */
typedef struct item {
	sbuf in;		/* the input text, NUL-terminated */
	sbuf out;		/* the rendered stdout line(s) */
	sbuf err;		/* the stderr message, or empty */
	int kind;		/* verdict kind for the exit status */
	int zones;		/* a DNSBL zone was consulted */
} item;

#define ECHO_MAX 200	/* bytes of a malformed input echoed */

/* put_text - an input shown in text output: at most ECHO_MAX bytes (a
 * megabyte line must not come back as a megabyte line, twice),
 * non-printing bytes (also >= 0x80) as '?', the empty string as "" so
 * the fields stay fields. */
static void
put_text(sbuf *b, const char *s, size_t len, int quote_empty)
{
	size_t i;

	if (len == 0 && quote_empty) {
		sbuf_add(b, "\"\"", 2);
		return;
	}
	if (len > ECHO_MAX)
		len = ECHO_MAX;
	sbuf_reserve(b, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		b->p[b->len++] = c <= 0x20 || c >= 0x7F ? '?' : (char)c;
	}
	b->p[b->len] = 0;
}

/* put_field - a text field: "-" when absent, control bytes as spaces
 * (a reason from a list file must not break the line). */
static void
put_field(sbuf *b, const char *s)
{
	size_t len, i;

	if (s == NULL || *s == 0) {
		sbuf_putc(b, '-');
		return;
	}
	len = strlen(s);
	sbuf_reserve(b, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		b->p[b->len++] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
	}
	b->p[b->len] = 0;
}

static void
put_json_long(sbuf *b, long v, int present)
{
	if (present)
		sbuf_long(b, v);
	else
		sbuf_add(b, "null", 4);
}

/* render_json - the --json object; every key, in the documented order. */
static void
render_json(sbuf *b, const check_opts *o, const char *in, int ok,
	    const verdict_result *res)
{
	const char *ip = ok ? verdict_result_ip(res) : NULL;
	size_t i, nz = ok ? verdict_result_zone_count(res) : 0;
	unsigned long asn = ok ? verdict_result_asn(res) : 0;

	sbuf_add(b, "{\"ip\":", 6);
	sbuf_json_str(b, ip ? ip : in);
	sbuf_add(b, ",\"verdict\":", 11);
	sbuf_json_str(b, verdict_kind_name(ok ? verdict_result_kind(res) :
					   VERDICT_ERROR));
	sbuf_add(b, ",\"score\":", 9);
	put_json_long(b, ok ? verdict_result_score(res) : 0, ok);
	sbuf_add(b, ",\"source\":", 10);
	sbuf_json_str(b, ok ? verdict_result_source(res) : NULL);
	sbuf_add(b, ",\"cidr\":", 8);
	sbuf_json_str(b, ok ? verdict_result_cidr(res) : NULL);
	sbuf_add(b, ",\"reason\":", 10);
	sbuf_json_str(b, ok ? verdict_result_reason(res) : NULL);
	sbuf_add(b, ",\"reply\":", 9);
	sbuf_json_str(b, ok ? verdict_result_reply(res) : NULL);
	sbuf_add(b, ",\"elapsed_us\":", 14);
	put_json_long(b, ok ? verdict_result_elapsed_us(res) : 0, ok);
	sbuf_add(b, ",\"country\":", 11);
	sbuf_json_str(b, ok ? verdict_result_country(res) : NULL);
	sbuf_add(b, ",\"asn\":", 7);
	put_json_long(b, (long)asn, asn != 0);
	sbuf_add(b, ",\"as_org\":", 10);
	sbuf_json_str(b, ok ? verdict_result_as_org(res) : NULL);
	sbuf_add(b, ",\"zones\":[", 10);
	for (i = 0; i < nz; i++) {
		const char *zone = NULL, *answer = NULL;
		int weight = 0;
		long ms = -1;

		verdict_result_zone(res, i, &zone, &answer, &weight, &ms);
		if (i)
			sbuf_putc(b, ',');
		sbuf_add(b, "{\"zone\":", 8);
		sbuf_json_str(b, zone);
		sbuf_add(b, ",\"answer\":", 10);
		sbuf_json_str(b, answer);
		sbuf_add(b, ",\"weight\":", 10);
		sbuf_long(b, weight);
		sbuf_add(b, ",\"ms\":", 6);
		put_json_long(b, ms, ms >= 0);
		sbuf_putc(b, '}');
	}
	sbuf_putc(b, ']');
	if (o->explain) {
		size_t ne = ok ? verdict_result_explain_count(res) : 0;

		sbuf_add(b, ",\"explain\":[", 12);
		for (i = 0; i < ne; i++) {
			if (i)
				sbuf_putc(b, ',');
			sbuf_json_str(b, verdict_result_explain(res, i));
		}
		sbuf_putc(b, ']');
	}
	sbuf_add(b, "}\n", 2);
}

static unsigned
check_flags(const check_opts *o)
{
	unsigned flags = VERDICT_CHECK_NOLOG;

	if (o->explain)
		flags |= VERDICT_CHECK_EXPLAIN;
	if (o->json)
		flags |= VERDICT_CHECK_DETAIL;	/* as_org in the output */
	return flags;
}

/* has_nul - "1.2.3.4\0junk" must not pass as 1.2.3.4 */
static int
has_nul(const item *it)
{
	return it->in.len && memchr(it->in.p, 0, it->in.len) != NULL;
}

/* check_format - it->out (and the exit-status kind) from a check's rc
 * and res; it->err is already written when rc is not VERDICT_OK */
static void
check_format(const check_opts *o, item *it, verdict_result *res, int rc)
{
	const char *in = it->in.p ? it->in.p : "";
	size_t inlen = it->in.len;
	int ok = rc == VERDICT_OK;

	it->kind = ok ? verdict_result_kind(res) : VERDICT_ERROR;
	it->zones = ok && verdict_result_zone_count(res) > 0;
	if (o->quiet)
		return;
	if (o->json) {
		render_json(&it->out, o, in, ok, res);
		return;
	}
	if (o->explain && ok) {
		size_t i, ne = verdict_result_explain_count(res);

		for (i = 0; i < ne; i++) {
			sbuf_add(&it->out, "  ", 2);
			put_field(&it->out, verdict_result_explain(res, i));
			sbuf_putc(&it->out, '\n');
		}
	}
	if (ok && verdict_result_ip(res) != NULL)
		sbuf_puts(&it->out, verdict_result_ip(res));
	else
		put_text(&it->out, in, inlen, 1);
	sbuf_putc(&it->out, ' ');
	sbuf_puts(&it->out, verdict_kind_name(it->kind));
	sbuf_putc(&it->out, ' ');
	put_field(&it->out, ok ? verdict_result_source(res) : NULL);
	sbuf_putc(&it->out, ' ');
	put_field(&it->out, ok ? verdict_result_reason(res) : NULL);
	sbuf_putc(&it->out, '\n');
}

/* check_one - answer one input into it->out / it->err, alone */
static void
check_one(const check_opts *o, item *it, verdict_result *res)
{
	const char *in = it->in.p ? it->in.p : "";
	size_t inlen = it->in.len;
	int rc;

	it->out.len = 0;
	it->err.len = 0;
	it->zones = 0;
	if (has_nul(it)) {
		rc = VERDICT_EINVAL;
		sbuf_puts(&it->err, "verdict: check \"");
		put_text(&it->err, in, inlen, 0);
		sbuf_puts(&it->err, "\": contains a NUL byte\n");
	} else {
		rc = verdict_check_ex(o->ctx, o->profile, in, 0,
				      check_flags(o), res);
		if (rc != VERDICT_OK) {
			const char *d = verdict_errdetail();

			sbuf_puts(&it->err, "verdict: check \"");
			put_text(&it->err, in, inlen, 0);
			sbuf_puts(&it->err, "\": ");
			sbuf_puts(&it->err, d && *d ? d : verdict_strerror(rc));
			sbuf_putc(&it->err, '\n');
		}
	}
	check_format(o, it, res, rc);
}

/*
 * Input: the command line's IPs, or lines of standard input.  A final
 * line without a newline is a line; an empty file has no lines.  Lines
 * lose leading and trailing blanks and a CR.
 */
typedef struct input {
	char **argv;		/* command-line IPs, or NULL for stdin */
	int argc, argi;
	int fd;
	char *buf;
	size_t cap, start, end;
	int eof;
	int error;		/* read error or line too long */
} input;

/* in_poll - 1 when fd has data (or EOF) now. */
static int
in_poll(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) > 0;
}

/* in_fill - read more into the buffer; flush stdout first when the read
 * would wait, so whoever feeds us sees the answers so far. */
static int
in_fill(input *in)
{
	ssize_t n;

	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->end == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 1 << 16;
		char *p;

		if (cap > LINE_MAX_BYTES) {
			cli_msg("check: standard input: line longer than %lu "
				"bytes", LINE_MAX_BYTES);
			in->error = 1;
			return -1;
		}
		if ((p = realloc(in->buf, cap)) == NULL) {
			cli_msg("check: out of memory");
			in->error = 1;
			return -1;
		}
		in->buf = p;
		in->cap = cap;
	}
	if (!in_poll(in->fd))
		fflush(stdout);
	do
		n = read(in->fd, in->buf + in->end, in->cap - in->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		cli_msg("check: standard input: %s", strerror(errno));
		in->error = 1;
		return -1;
	}
	if (n == 0)
		in->eof = 1;
	in->end += (size_t)n;
	return 0;
}

/* in_next - the next input into *dst; 1 got one, 0 end, -1 error. */
static int
in_next(input *in, sbuf *dst)
{
	char *nl, *s, *e;

	dst->len = 0;
	if (in->argv != NULL) {
		if (in->argi >= in->argc)
			return 0;
		sbuf_add(dst, in->argv[in->argi], strlen(in->argv[in->argi]));
		in->argi++;
		return 1;
	}
	for (;;) {
		nl = in->start < in->end ? memchr(in->buf + in->start, '\n',
						  in->end - in->start) : NULL;
		if (nl != NULL || (in->eof && in->start < in->end))
			break;
		if (in->eof)
			return 0;
		if (in_fill(in) < 0)
			return -1;
	}
	s = in->buf + in->start;
	e = nl ? nl : in->buf + in->end;
	in->start = (size_t)(e - in->buf) + (nl ? 1 : 0);
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	sbuf_add(dst, s, (size_t)(e - s));
	return 1;
}

/* in_ready - 1 when in_next would not wait. */
static int
in_ready(input *in)
{
	if (in->argv != NULL || in->eof)
		return 1;
	if (in->start < in->end &&
	    memchr(in->buf + in->start, '\n', in->end - in->start) != NULL)
		return 1;
	return in_poll(in->fd);
}

typedef struct tally {
	int err, tempfail, block;
} tally;

static void
emit(const check_opts *o, item *it, tally *t)
{
	if (it->err.len)
		fwrite(it->err.p, 1, it->err.len, stderr);
	if (!o->quiet) {
		fwrite_unlocked(it->out.p, 1, it->out.len, stdout);
		if (o->flush_each)
			fflush(stdout);
	}
	if (it->kind == VERDICT_ERROR)
		t->err = 1;
	else if (it->kind == VERDICT_TEMPFAIL)
		t->tempfail = 1;
	else if (it->kind == VERDICT_BLOCK)
		t->block = 1;
}

/* check_follow - a stream outlives many imports, and a database
 * directory moved away and made anew (verdict_database_changed, one stat
 * a second at most) is opened again between two lines; when the new one
 * cannot be opened the old context is kept, said once. */
static void
check_follow(check_opts *o)
{
	verdict_ctx *nc;

	if (o->reopen_failed || !verdict_database_changed(o->ctx))
		return;
	if ((nc = cli_open(o->g, "check: the database was replaced", 0,
			   NULL)) == NULL) {
		cli_msg("check: keeping the database opened before");
		o->reopen_failed = 1;
		return;
	}
	verdict_free(o->ctx);
	o->ctx = nc;
}

/*
 * run_batched - the rest of the input in batches of what is readable
 * without waiting, up to --parallel lines, each batch checked at once by
 * verdict_check_many on this thread: its DNS queries are in flight
 * together and no thread is woken per check.  A failed check is asked
 * again alone, for its error text.
 */
static int
run_batched(check_opts *o, input *in, tally *t)
{
	size_t cap = (size_t)o->parallel, i, n, m;
	verdict_result **res = NULL, **rp = NULL;
	const char **ips = NULL;
	item *items = NULL;
	int rc = 0, got = 1, many;

	items = calloc(cap, sizeof(*items));
	res = calloc(cap, sizeof(*res));
	rp = calloc(cap, sizeof(*rp));
	ips = calloc(cap, sizeof(*ips));
	if (items == NULL || res == NULL || rp == NULL || ips == NULL)
		goto nomem;
	for (i = 0; i < cap; i++)
		if ((res[i] = verdict_result_new()) == NULL)
			goto nomem;
	while (got > 0) {
		for (n = 0; n < cap && (n == 0 || in_ready(in)); n++)
			if ((got = in_next(in, &items[n].in)) <= 0)
				break;
		if (got < 0)
			rc = -1;
		if (n == 0)
			break;
		check_follow(o);
		for (i = m = 0; i < n; i++) {
			items[i].out.len = items[i].err.len = 0;
			items[i].zones = 0;
			if (has_nul(&items[i]))
				continue;
			ips[m] = items[i].in.p ? items[i].in.p : "";
			rp[m++] = res[i];
		}
		many = verdict_check_many(o->ctx, o->profile, ips, m, 0,
					  check_flags(o), rp) == VERDICT_OK;
		for (i = 0; i < n; i++) {
			if (!many || has_nul(&items[i])
			    || verdict_result_kind(res[i]) == VERDICT_ERROR)
				check_one(o, &items[i], res[i]);
			else
				check_format(o, &items[i], res[i],
					     VERDICT_OK);
			emit(o, &items[i], t);
		}
	}
	goto out;
nomem:
	cli_msg("check: out of memory");
	rc = -1;
out:
	for (i = 0; items != NULL && i < cap; i++) {
		sbuf_free(&items[i].in);
		sbuf_free(&items[i].out);
		sbuf_free(&items[i].err);
	}
	for (i = 0; res != NULL && i < cap; i++)
		verdict_result_free(res[i]);
	free(items);
	free(res);
	free(rp);
	free(ips);
	return rc;
}

/* check_args - the command line into *o and *in; -1 go on, else the exit
 * status. */
static int
check_args(int argc, char **argv, check_opts *o, input *in)
{
	static const struct option lopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "explain", no_argument, NULL, 'x' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "line-buffered", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long profile = 1;
	int c, line_buffered = 0;

	o->parallel = 64;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hp:q", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_int(optarg, 1, 999, &profile))
				return cli_usage("check", "bad profile \"%s\" "
						 "(expected 1..999)", optarg);
			break;
		case 'j':
			o->json = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'x':
			o->explain = 1;
			break;
		case 'P':
			if (cli_parse_int(optarg, 1, PARALLEL_MAX,
					  &o->parallel))
				return cli_usage("check", "bad --parallel \"%s\" "
						 "(expected 1..%d)", optarg,
						 PARALLEL_MAX);
			break;
		case 'L':
			line_buffered = 1;
			break;
		case 'h':
			fputs(usage_check, stdout);
			return EXIT_OK;
		default:
			return cli_badopt("check", c, argv);
		}
	}
	if (argc - optind < 1)
		return cli_usage("check", "expected IP addresses or -");
	if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
		in->fd = 0;
	} else {
		for (int i = optind; i < argc; i++)
			if (strcmp(argv[i], "-") == 0)
				return cli_usage("check", "- (standard input) "
						 "cannot be mixed with IPs");
		in->argv = argv + optind;
		in->argc = argc - optind;
	}
	o->profile = (int)profile;
	o->flush_each = line_buffered || isatty(1);
	return -1;
}

/* check_run - every input checked and printed; the tally in *t. */
static void
check_run(check_opts *o, input *in, item *one, verdict_result *res,
	  tally *t)
{
	int got;

	if (!o->flush_each)
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	/* Local answers are fastest on this thread; go parallel only when
	 * a check has had to ask DNS. */
	while ((got = in_next(in, &one->in)) > 0) {
		if (in->argv == NULL)
			check_follow(o);
		check_one(o, one, res);
		emit(o, one, t);
		if (one->zones && o->parallel > 1 && in->argv == NULL) {
			if (run_batched(o, in, t) < 0)
				t->err = 1;
			break;
		}
	}
	if (got < 0 || in->error)
		t->err = 1;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_msg("check: write error on standard output");
		t->err = 1;
	}
}

int
cmd_check(const cli_global *g, int argc, char **argv)
{
	check_opts o;
	input in;
	item one;
	tally t = { 0, 0, 0 };
	verdict_result *res = NULL;
	int status = EXIT_ERR;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	memset(&one, 0, sizeof(one));
	if ((status = check_args(argc, argv, &o, &in)) >= 0)
		return status;
	status = EXIT_ERR;
	o.g = g;
	if ((o.ctx = cli_open(g, "check", 0, NULL)) == NULL)
		return EXIT_ERR;
	if (!verdict_profile_exists(o.ctx, o.profile)) {
		cli_msg("check: profile %d is not declared in the "
			"configuration", o.profile);
		goto out;
	}
	if ((res = verdict_result_new()) == NULL) {
		cli_msg("check: %s", verdict_strerror(VERDICT_ENOMEM));
		goto out;
	}
	check_run(&o, &in, &one, res, &t);
	status = t.err ? EXIT_ERR : t.tempfail ? EXIT_TEMPFAIL :
		 t.block ? EXIT_FOUND : EXIT_OK;
out:
	sbuf_free(&one.in);
	sbuf_free(&one.out);
	sbuf_free(&one.err);
	free(in.buf);
	verdict_result_free(res);
	verdict_free(o.ctx);
	return status;
}
