/*
 * listfile_t.c - list file parsing: every line format, whole buffers
 * (BOM, CRLF, line numbers, bad lines, stop codes), the real-world lists
 * when present, and random bytes (run under ASan by .ci/run).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "listfile.h"
#include "testutil.h"

/* Items rendered as "cidr[reason]" joined by ' '; "!" marks host bits. */
struct out {
	char s[4096];
	size_t n;
	int count;
	size_t lineno;
};

static int
collect(const listfile_item *it, void *arg)
{
	struct out *o = arg;
	char c[CIDR_TEXT_MAX];

	vd_cidr_format(&it->cidr, c);
	o->n += (size_t)snprintf(o->s + o->n, sizeof(o->s) - o->n, "%s%s%s",
				 o->count ? " " : "", c,
				 it->hostbits ? "!" : "");
	if (it->reason_len)
		o->n += (size_t)snprintf(o->s + o->n, sizeof(o->s) - o->n,
					 "[%.*s]", (int)it->reason_len,
					 it->reason);
	ck_assert_uint_lt(o->n, sizeof(o->s));
	o->count++;
	o->lineno = it->lineno;
	return 0;
}

#define I LISTFILE_ITEMS
#define S LISTFILE_SKIP
#define B LISTFILE_BAD

static const struct {
	const char *label, *line;
	int rc;
	const char *out;	/* items, or for B a substring of why */
} line_cases[] = {
	/* bare addresses and networks */
	{"bare v4", "1.2.3.4", I, "1.2.3.4/32"},
	{"bare v6", "2001:db8::1", I, "2001:db8::1/128"},
	{"bare mapped", "::ffff:1.2.3.4", I, "1.2.3.4/32"},
	{"cidr v4", "1.10.16.0/20", I, "1.10.16.0/20"},
	{"cidr v6", "2001:678:254::/48", I, "2001:678:254::/48"},
	{"cidr hostbits", "172.16.1.3/21", I, "172.16.0.0/21!"},
	{"trailing ws", "1.2.3.0/24 \t ", I, "1.2.3.0/24"},
	{"leading ws", "  1.2.3.0/24", I, "1.2.3.0/24"},
	{"crlf", "1.2.3.0/24\r", I, "1.2.3.0/24"},
	/* Spamhaus DROP */
	{"drop", "1.10.16.0/20 ; SBL256894", I, "1.10.16.0/20[SBL256894]"},
	{"drop crlf", "1.10.16.0/20 ; SBL256894\r", I,
	 "1.10.16.0/20[SBL256894]"},
	{"drop v6", "2a14:c380:12::/48 ; SBL688015", I,
	 "2a14:c380:12::/48[SBL688015]"},
	{"drop no space", "1.10.16.0/20;SBL1", I, "1.10.16.0/20[SBL1]"},
	{"drop empty reason", "1.10.16.0/20 ;  ", I, "1.10.16.0/20"},
	{"drop second ;", "1.2.3.4 ; a ; b", I, "1.2.3.4/32[a ; b]"},
	{"drop reason with #", "1.2.3.4 ; a # b", I, "1.2.3.4/32[a # b]"},
	{"drop header", "; Spamhaus DROP List 2026/08/21", S, NULL},
	{"drop eof", "; EOF", S, NULL},
	/* comments */
	{"hash comment", "# spamhaus_drop", S, NULL},
	{"hash alone", "#", S, NULL},
	{"indented comment", "   # x", S, NULL},
	{"inline hash", "1.2.3.0/24 # a comment", I, "1.2.3.0/24"},
	{"inline hash tight", "1.2.3.0/24#x", I, "1.2.3.0/24"},
	{"hash then ;", "1.2.3.4 # c ; d", I, "1.2.3.4/32"},
	{"empty", "", S, NULL},
	{"spaces", "   \t  ", S, NULL},
	{"cr only", "\r", S, NULL},
	/* ranges */
	{"range", "1.2.3.4-1.2.3.9", I, "1.2.3.4/30 1.2.3.8/31"},
	{"range spaced", "1.2.3.4 - 1.2.3.9", I, "1.2.3.4/30 1.2.3.8/31"},
	{"range tabs", "1.2.3.4\t-\t1.2.3.7", I, "1.2.3.4/30"},
	{"range one", "1.2.3.4-1.2.3.4", I, "1.2.3.4/32"},
	{"range full v4", "0.0.0.0-255.255.255.255", I, "0.0.0.0/0"},
	{"range v6", "2001:db8::-2001:db8::ffff", I, "2001:db8::/112"},
	{"range v6 spaced", "2001:db8::1 - 2001:db8::3", I,
	 "2001:db8::1/128 2001:db8::2/127"},
	{"range reason", "1.2.3.0-1.2.3.255 ; why", I, "1.2.3.0/24[why]"},
	{"range comment", "1.2.3.0-1.2.3.255 # no", I, "1.2.3.0/24"},
	{"range reversed", "1.2.3.9-1.2.3.4", B, "range start after end"},
	{"range mixed", "1.2.3.4-2001:db8::1", B, "mixes IPv4 and IPv6"},
	{"range bad end", "1.2.3.4-1.2.3", B, "malformed range"},
	{"range bad start", "1.2.3-1.2.3.4", B, "malformed range"},
	{"range no end", "1.2.3.4-", B, "malformed range"},
	{"range cidr", "1.2.3.0/24-1.2.4.0/24", B, "malformed range"},
	{"range v6 reversed", "2001:db8::ff-2001:db8::1", B,
	 "range start after end"},
	{"range v6 mixed", "2001:db8::1-1.2.3.4", B, "mixes IPv4 and IPv6"},
	{"range double", "1.2.3.4-1.2.3.5-1.2.3.6", B, "malformed range"},
	/* P2P */
	{"p2p", "Some Org:1.2.3.0-1.2.3.255", I, "1.2.3.0/24[Some Org]"},
	{"p2p colons", "a:b:c:1.2.3.0-1.2.3.255", I, "1.2.3.0/24[a:b:c]"},
	{"p2p dash label", "Evil-Corp, Inc.:1.2.3.0-1.2.3.255", I,
	 "1.2.3.0/24[Evil-Corp, Inc.]"},
	{"p2p v6", "lab:2001:db8::1-2001:db8::1", I, "2001:db8::1/128[lab]"},
	{"p2p v6 label colons", "x:y:2001:db8::-2001:db8::ffff", I,
	 "2001:db8::/112[x:y]"},
	/* "beef:2001:db8::" is itself an address: read as such, never
	 * guessed as a label (a documented limit) */
	{"p2p v6 hex label", "beef:2001:db8::-2001:db8::ffff", B,
	 "range start after end"},
	{"p2p v6 non-hex label", "beefy:2001:db8::-2001:db8::ffff", I,
	 "2001:db8::/112[beefy]"},
	{"p2p hash in label", "Org #5:1.2.3.4-1.2.3.4", I,
	 "1.2.3.4/32[Org #5]"},
	{"p2p ; reason wins", "lab:1.2.3.4-1.2.3.4 ; r", I, "1.2.3.4/32[r]"},
	{"p2p space after colon", "lab: 1.2.3.4-1.2.3.5", I,
	 "1.2.3.4/31[lab]"},
	{"p2p crlf", "lab:1.2.3.4-1.2.3.5\r", I, "1.2.3.4/31[lab]"},
	{"p2p reversed", "lab:1.2.3.9-1.2.3.4", B, "range start after end"},
	{"p2p garbage", "lab:1.2.3-1.2.3.4", B, "malformed range"},
	/* DShield block.txt */
	{"dshield header", "Start\tEnd\tNetblock\tAttacks\tName\tCountry\temail",
	 S, NULL},
	{"dshield", "1.2.3.0\t1.2.3.255\t24\t1234\tSome Net\tCN\tabuse@x.cn", I,
	 "1.2.3.0/24"},
	{"dshield crlf", "1.2.3.0\t1.2.3.255\t24\t5\tN\tUS\ta@b-c.com\r", I,
	 "1.2.3.0/24"},
	{"dshield 3 cols", "1.2.3.0\t1.2.3.255\t24", I, "1.2.3.0/24"},
	{"dshield mismatch uses range", "1.2.3.0\t1.2.3.127\t24\t1", I,
	 "1.2.3.0/25"},
	{"dshield bad prefix", "1.2.3.0\t1.2.3.255\tx\t1", B,
	 "malformed DShield prefix"},
	{"dshield prefix 33", "1.2.3.0\t1.2.3.255\t33\t1", B,
	 "malformed DShield prefix"},
	{"dshield reversed", "1.2.3.255\t1.2.3.0\t24\t1", B,
	 "range start after end"},
	{"dshield v6", "2001:db8::\t2001:db8::ff\t120\t1", I, "2001:db8::/120"},
	/* hostile */
	{"bad v4", "1.2.3", B, "malformed address \"1.2.3\""},
	{"bad octal", "010.1.1.1", B, "malformed address"},
	{"bad net", "1.2.3.0/33", B, "malformed network \"1.2.3.0/33\""},
	{"bad hex", "0x7f.0.0.1", B, "malformed address"},
	{"zone", "fe80::1%eth0", B, "malformed address"},
	{"two tokens", "1.2.3.4 1.2.3.5", B, "malformed line"},
	{"no separator reason", "1.2.3.0/24 SBL1", B, "malformed line"},
	{"word", "hello", B, "malformed address \"hello\""},
	{"html", "<html><body>", B, "malformed"},
	{"bom mid-file", "\xef\xbb\xbf" "1.2.3.4", B, "malformed"},
	{"nul", "1.2.3.4\0", B, "malformed"},
	{"control", "1.2.3.4\x01", B, "malformed address \"1.2.3.4?\""},
	{"tab junk", "1.2.3.0/24\tfoo", B, "malformed line"},
};

START_TEST(test_lines)
{
	const char *line = line_cases[_i].line;
	size_t len = strlen(line);
	struct out o = {.n = 0};
	char why[160] = "";
	int rc;

	if (strcmp(line_cases[_i].label, "nul") == 0)
		len = 8;
	rc = vd_listfile_parse_line(line, len, collect, &o, why, sizeof(why));
	ck_assert_msg(rc == line_cases[_i].rc, "%s: rc %d want %d (%s)",
		      line_cases[_i].label, rc, line_cases[_i].rc, why);
	if (rc == I)
		ck_assert_msg(strcmp(o.s, line_cases[_i].out) == 0,
			      "%s: got \"%s\" want \"%s\"",
			      line_cases[_i].label, o.s, line_cases[_i].out);
	else
		ck_assert_int_eq(o.count, 0);
	if (rc == B)
		ck_assert_msg(strstr(why, line_cases[_i].out) != NULL,
			      "%s: why \"%s\" lacks \"%s\"",
			      line_cases[_i].label, why, line_cases[_i].out);
	if (rc == I)
		ck_assert_uint_eq(o.lineno, 0);
}
END_TEST

/* reasons are cut at 200 bytes, never inside a UTF-8 character */
START_TEST(test_reason_cut)
{
	char line[600];
	struct out o = {.n = 0};
	char why[160];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "1.2.3.4 ; ");
	for (int k = 0; k < 150; k++) {		/* 300 bytes of "é" */
		line[n++] = (char)0xc3;
		line[n++] = (char)0xa9;
	}
	line[n] = 0;
	ck_assert_int_eq(vd_listfile_parse_line(line, n, collect, &o, why,
					     sizeof(why)), I);
	/* "1.2.3.4/32[" + 200 bytes + "]" */
	ck_assert_uint_eq(strlen(o.s), 11 + 200 + 1);
	o.n = 0;
	o.count = 0;
	n = (size_t)snprintf(line, sizeof(line), "1.2.3.4 ; x");
	for (int k = 0; k < 150; k++) {		/* "x" + 300: cut at 199 */
		line[n++] = (char)0xc3;
		line[n++] = (char)0xa9;
	}
	ck_assert_int_eq(vd_listfile_parse_line(line, n, collect, &o, why,
					     sizeof(why)), I);
	ck_assert_uint_eq(strlen(o.s), 11 + 199 + 1);
}
END_TEST

/* the quoted text in why is cut to ~60 bytes, and why to whylen */
START_TEST(test_why_cut)
{
	char line[300], why[160], small[20];
	struct out o = {.n = 0};

	memset(line, 'z', 250);
	ck_assert_int_eq(vd_listfile_parse_line(line, 250, collect, &o, why,
					     sizeof(why)), B);
	ck_assert_uint_lt(strlen(why), 100);
	ck_assert_ptr_nonnull(strstr(why, "...\""));
	ck_assert_int_eq(vd_listfile_parse_line(line, 250, collect, &o, small,
					     sizeof(small)), B);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(vd_listfile_parse_line(line, 250, collect, &o, NULL, 0),
			 B);
}
END_TEST

struct bads {
	size_t lines[16];
	char why[16][160];
	int n;
	int stop;
};

struct bufout {
	struct out o;
	struct bads b;
	size_t linenos[64];
};

static int
collect_buf(const listfile_item *it, void *arg)
{
	struct bufout *bo = arg;

	if (bo->o.count < 64)
		bo->linenos[bo->o.count] = it->lineno;
	return collect(it, &bo->o);
}

static int
record_bad(size_t lineno, const char *why, void *arg)
{
	struct bufout *bo = arg;

	ck_assert_int_lt(bo->b.n, 16);
	bo->b.lines[bo->b.n] = lineno;
	snprintf(bo->b.why[bo->b.n], sizeof(bo->b.why[0]), "%s", why);
	bo->b.n++;
	return bo->b.stop && bo->b.n == bo->b.stop ? 7 : 0;
}

static const struct {
	const char *label, *buf;
	const char *out;
	const char *linenos;	/* of the items, "1,2" */
	const char *badlines;
} buf_cases[] = {
	{"empty", "", "", "", ""},
	{"only newline", "\n", "", "", ""},
	{"blank lines", "\n  \n\t\n\r\n", "", "", ""},
	{"bom", "\xef\xbb\xbf" "1.2.3.4\n", "1.2.3.4/32", "1", ""},
	{"bom comment", "\xef\xbb\xbf# x\n1.2.3.4\n", "1.2.3.4/32", "2", ""},
	{"bom only", "\xef\xbb\xbf", "", "", ""},
	{"crlf", "1.2.3.4\r\n5.6.7.0/24 ; r\r\n", "1.2.3.4/32 5.6.7.0/24[r]",
	 "1,2", ""},
	{"no final newline", "1.2.3.4\n5.6.7.8", "1.2.3.4/32 5.6.7.8/32",
	 "1,2", ""},
	{"bad lines counted", "x\n1.2.3.4\n\ny\n", "1.2.3.4/32", "2", "1,4"},
	{"mixed formats",
	 "; DROP\n1.10.16.0/20 ; SBL256894\n# netset\n2001:db8::/32\n"
	 "Start\tEnd\tNetblock\tAttacks\n"
	 "9.9.9.0\t9.9.9.255\t24\t1\tN\tUS\te\n"
	 "lab:8.8.8.8-8.8.8.9\n",
	 "1.10.16.0/20[SBL256894] 2001:db8::/32 9.9.9.0/24 8.8.8.8/31[lab]",
	 "2,4,6,7", ""},
	{"range linenos", "# h\n1.2.3.4-1.2.3.9\n", "1.2.3.4/30 1.2.3.8/31",
	 "2,2", ""},
};

static void
join(char *dst, size_t n, const size_t *v, int count)
{
	size_t k = 0;

	dst[0] = 0;
	for (int i = 0; i < count; i++)
		k += (size_t)snprintf(dst + k, n - k, "%s%zu", i ? "," : "",
				      v[i]);
}

START_TEST(test_bufs)
{
	struct bufout bo;
	char got[256];
	int rc;

	memset(&bo, 0, sizeof(bo));
	rc = vd_listfile_parse_buf(buf_cases[_i].buf, strlen(buf_cases[_i].buf),
				collect_buf, record_bad, &bo);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strcmp(bo.o.s, buf_cases[_i].out) == 0,
		      "%s: got \"%s\"", buf_cases[_i].label, bo.o.s);
	join(got, sizeof(got), bo.linenos, bo.o.count);
	ck_assert_msg(strcmp(got, buf_cases[_i].linenos) == 0,
		      "%s: linenos %s", buf_cases[_i].label, got);
	join(got, sizeof(got), bo.b.lines, bo.b.n);
	ck_assert_msg(strcmp(got, buf_cases[_i].badlines) == 0,
		      "%s: bad lines %s", buf_cases[_i].label, got);
}
END_TEST

static int
stop_at_second(const listfile_item *it, void *arg)
{
	int *n = arg;

	(void)it;
	return ++*n == 2 ? 1 : 0;	/* 1 on purpose: same as SKIP */
}

START_TEST(test_stop)
{
	struct bufout bo;
	int n = 0;
	char why[100];

	/* emit's return stops the parse and comes back as is */
	ck_assert_int_eq(vd_listfile_parse_buf("1.1.1.1\n2.2.2.2\n3.3.3.3\n", 24,
					    stop_at_second, NULL, &n), 1);
	ck_assert_int_eq(n, 2);
	n = 0;
	ck_assert_int_eq(vd_listfile_parse_line("1.2.3.0-1.2.3.9", 15,
					     stop_at_second, &n, why,
					     sizeof(why)), 1);
	ck_assert_int_eq(n, 2);
	/* bad's return stops the parse and comes back as is */
	memset(&bo, 0, sizeof(bo));
	bo.b.stop = 2;
	ck_assert_int_eq(vd_listfile_parse_buf("x\n1.1.1.1\ny\n2.2.2.2\n", 20,
					    collect_buf, record_bad, &bo), 7);
	ck_assert_int_eq(bo.o.count, 1);
	ck_assert_str_eq(bo.b.why[0], "malformed address \"x\"");
	/* without a bad callback bad lines are skipped */
	ck_assert_int_eq(vd_listfile_parse_buf("x\n1.1.1.1\n", 10, collect_buf,
					    NULL, &bo), 0);
}
END_TEST

/* ---- real-world lists (SOURCES.md oracle) ---- */

struct count {
	size_t items, bad, hostbits;
	char first_reason[64];
	char first_cidr[CIDR_TEXT_MAX];
	char last_cidr[CIDR_TEXT_MAX];
};

static int
count_item(const listfile_item *it, void *arg)
{
	struct count *c = arg;

	if (c->items == 0) {
		snprintf(c->first_reason, sizeof(c->first_reason), "%.*s",
			 (int)it->reason_len, it->reason ? it->reason : "");
		vd_cidr_format(&it->cidr, c->first_cidr);
	}
	vd_cidr_format(&it->cidr, c->last_cidr);
	c->items++;
	c->hostbits += (size_t)it->hostbits;
	return 0;
}

static int
count_bad(size_t lineno, const char *why, void *arg)
{
	struct count *c = arg;

	fprintf(stderr, "line %zu: %s\n", lineno, why);
	c->bad++;
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static const struct {
	const char *file;
	size_t entries;
	const char *first_cidr, *first_reason, *last_cidr;
} real_cases[] = {
	{"realworld/drop.txt", 1699, "1.10.16.0/20", "SBL256894",
	 "223.254.0.0/16"},
	{"realworld/dropv6.txt", 91, "2001:678:254::/48", "SBL697648",
	 "2a14:c380:12::/48"},
	{"realworld/spamhaus_drop.netset", 1599, NULL, "", "223.254.0.0/16"},
	{"realworld/dshield.netset", 20, NULL, "", "199.45.154.0/24"},
	{"realworld/blocklist_de_mail.ipset", 12200, NULL, "",
	 "223.236.99.217/32"},
	{"realworld/edrop_merged_2024/edrop.txt", 0, NULL, NULL, NULL},
};

START_TEST(test_realworld)
{
	const char *path = tu_shared(real_cases[_i].file);
	struct count c;
	size_t len;
	char *buf;

	if (path == NULL) {
		fprintf(stderr, "SKIP %s: not present\n", real_cases[_i].file);
		return;
	}
	memset(&c, 0, sizeof(c));
	buf = slurp(path, &len);
	ck_assert_int_eq(vd_listfile_parse_buf(buf, len, count_item, count_bad,
					    &c), 0);
	ck_assert_uint_eq(c.bad, 0);
	ck_assert_uint_eq(c.hostbits, 0);
	ck_assert_msg(c.items == real_cases[_i].entries, "%s: %zu entries",
		      real_cases[_i].file, c.items);
	if (real_cases[_i].first_cidr)
		ck_assert_str_eq(c.first_cidr, real_cases[_i].first_cidr);
	if (real_cases[_i].first_reason)
		ck_assert_str_eq(c.first_reason, real_cases[_i].first_reason);
	if (real_cases[_i].last_cidr)
		ck_assert_str_eq(c.last_cidr, real_cases[_i].last_cidr);
	free(buf);
}
END_TEST

/* ---- hostile input: random bytes, exact-size heap copies for ASan ---- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
check_item(const listfile_item *it, void *arg)
{
	const char **span = arg;

	ck_assert_uint_le(it->cidr.plen, 128);
	ck_assert_uint_le(it->reason_len, LISTFILE_REASON_MAX);
	if (it->reason_len) {
		ck_assert(it->reason >= span[0]);
		ck_assert(it->reason + it->reason_len <= span[1]);
	}
	return 0;
}

START_TEST(test_random_lines)
{
	static const char alpha[] = "0123456789abcdefABCDEF:./-#; \t\r\n%x\0\xc3\xa9\xff";
	char why[160];

	for (int t = 0; t < 100000; t++) {
		size_t len = rnd() % (t % 10 == 0 ? 400 : 60);
		char *s = malloc(len ? len : 1);
		const char *span[2];

		for (size_t i = 0; i < len; i++)
			s[i] = t % 4 == 0 ? (char)rnd()
				: alpha[rnd() % (sizeof(alpha) - 1)];
		span[0] = s;
		span[1] = s + len;
		if (vd_listfile_parse_line(s, len, check_item, span, why,
					sizeof(why)) == LISTFILE_BAD)
			ck_assert_uint_lt(strlen(why), sizeof(why));
		vd_listfile_parse_buf(s, len, check_item, NULL, span);
		free(s);
	}
}
END_TEST

static int
count_only(const listfile_item *it, void *arg)
{
	(*(size_t *)arg) += it->cidr.plen;
	return 0;
}

START_TEST(test_speed)
{
	/* a guard against an accidental slow path, not the benchmark */
	const size_t N = 1200000;
	char *buf = malloc(N * 32), *p = buf;
	size_t sum = 0;
	struct timespec t0, t1;
	double ns;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < N; i++)
		p += snprintf(p, 32, "%u.%u.%u.0/%u%s\n",
			      (unsigned)(rnd() % 223 + 1),
			      (unsigned)(rnd() % 256), (unsigned)(rnd() % 256),
			      24, i % 3 ? "" : " ; SBL123456");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(vd_listfile_parse_buf(buf, (size_t)(p - buf), count_only,
					    NULL, &sum), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9
	      + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)N;
	fprintf(stderr, "vd_listfile_parse_buf: %.1f ns/line\n", ns);
	ck_assert_uint_eq(sum, N * 120);
	ck_assert(ns < 5000);
	free(buf);
}
END_TEST

static Suite *
listfile_suite(void)
{
	Suite *s = suite_create("listfile");
	TCase *tc = tcase_create("listfile");

	tcase_add_loop_test(tc, test_lines, 0,
			    sizeof(line_cases) / sizeof(line_cases[0]));
	tcase_add_test(tc, test_reason_cut);
	tcase_add_test(tc, test_why_cut);
	tcase_add_loop_test(tc, test_bufs, 0,
			    sizeof(buf_cases) / sizeof(buf_cases[0]));
	tcase_add_test(tc, test_stop);
	tcase_add_loop_test(tc, test_realworld, 0,
			    sizeof(real_cases) / sizeof(real_cases[0]));
	tcase_add_test(tc, test_random_lines);
	tcase_add_test(tc, test_speed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(listfile_suite());
}
