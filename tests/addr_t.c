/*
 * addr_t.c - addresses, networks, ranges: valid and hostile text forms,
 * canonical output, table checks, range splitting against a brute force.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "testutil.h"

static const struct {
	const char *label, *in, *out;	/* out NULL: must be refused */
} parse_cases[] = {
	{"v4 simple", "1.2.3.4", "1.2.3.4"},
	{"v4 zeros", "0.0.0.0", "0.0.0.0"},
	{"v4 max", "255.255.255.255", "255.255.255.255"},
	{"v4 single zero octets", "10.0.0.1", "10.0.0.1"},
	{"v4 leading zero", "010.1.1.1", NULL},
	{"v4 leading zero last", "1.1.1.01", NULL},
	{"v4 three octets", "1.2.3", NULL},
	{"v4 five octets", "1.2.3.4.5", NULL},
	{"v4 hex", "0x7f.0.0.1", NULL},
	{"v4 256", "1.2.3.256", NULL},
	{"v4 999", "1.2.3.999", NULL},
	{"v4 1000", "1.2.3.1000", NULL},
	{"v4 trailing dot", "1.2.3.4.", NULL},
	{"v4 leading dot", ".1.2.3.4", NULL},
	{"v4 empty octet", "1..3.4", NULL},
	{"v4 space", "1.2.3.4 ", NULL},
	{"v4 leading space", " 1.2.3.4", NULL},
	{"v4 inner space", "1.2. 3.4", NULL},
	{"v4 sign", "1.2.3.+4", NULL},
	{"v4 minus", "1.2.3.-4", NULL},
	{"v4 single number", "16909060", NULL},
	{"empty", "", NULL},
	{"garbage", "hello", NULL},
	{"v6 unspecified", "::", "::"},
	{"v6 loopback", "::1", "::1"},
	{"v6 full", "2001:0db8:0000:0000:0000:ff00:0042:8329",
	 "2001:db8::ff00:42:8329"},
	{"v6 upper case", "2001:DB8::ABCD", "2001:db8::abcd"},
	{"v6 mixed case", "2001:Db8::aBcD", "2001:db8::abcd"},
	{"v6 trailing ::", "2001:db8::", "2001:db8::"},
	{"v6 one zero group", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
	{"v6 :: for one group", "2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
	{"v6 longest run", "2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
	{"v6 tie first", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	{"v6 all eight", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
	{"v6 leading zeros", "0001:0002::0003", "1:2::3"},
	{"v6 7 groups + ::", "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
	{"v6 :: + 7 groups", "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
	{"v6 link local", "fe80::1", "fe80::1"},
	{"v6 zone id", "fe80::1%eth0", NULL},
	{"v6 zone num", "fe80::1%1", NULL},
	{"v6 triple colon", ":::", NULL},
	{"v6 triple colon mid", "1:::2", NULL},
	{"v6 two ::", "1::2::3", NULL},
	{"v6 nine groups", "1:2:3:4:5:6:7:8:9", NULL},
	{"v6 :: with eight", "1:2:3:4::5:6:7:8", NULL},
	{"v6 seven groups", "1:2:3:4:5:6:7", NULL},
	{"v6 long group", "12345::1", NULL},
	{"v6 long group last", "1::12345", NULL},
	{"v6 trailing colon", "1:2:3:4:5:6:7:8:", NULL},
	{"v6 leading colon", ":1:2:3:4:5:6:7:8", NULL},
	{"v6 trailing single colon", "1::2:", NULL},
	{"v6 leading single colon", ":1::2", NULL},
	{"v6 lone colon", ":", NULL},
	{"v6 bad hex", "2001:db8::g", NULL},
	{"v6 space", "2001:db8:: 1", NULL},
	{"v6 brackets", "[::1]", NULL},
	{"v6 mapped v4", "::ffff:1.2.3.4", "1.2.3.4"},
	{"v6 mapped hex", "::ffff:102:304", "1.2.3.4"},
	{"v6 mapped upper", "::FFFF:1.2.3.4", "1.2.3.4"},
	{"v6 mapped full", "0:0:0:0:0:ffff:1.2.3.4", "1.2.3.4"},
	{"v6 nat64", "64:ff9b::1.2.3.4", "64:ff9b::102:304"},
	{"v6 compat", "::1.2.3.4", "::102:304"},
	{"v6 embedded full", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
	{"v6 embedded too many", "1:2:3:4:5:6:7:1.2.3.4", NULL},
	{"v6 embedded bad v4", "::ffff:1.2.3.256", NULL},
	{"v6 embedded zero lead", "::ffff:01.2.3.4", NULL},
	{"v6 embedded short", "::ffff:1.2.3", NULL},
	{"v6 embedded not last", "::1.2.3.4:1", NULL},
	{"v6 embedded hex", "::ffff:a.2.3.4", NULL},
	{"v6 max", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	{"v6 ::ffff:0:0 prefix edge", "::fffe:1.2.3.4", "::fffe:102:304"},
	{"v6 documentation", "2001:db8:85a3::8a2e:370:7334",
	 "2001:db8:85a3::8a2e:370:7334"},
	{"v6 run at end", "1:0:0:0:0:0:0:0", "1::"},
	{"v6 run at start", "0:0:0:0:0:0:0:1", "::1"},
	{"v6 two runs longer second", "1:0:0:1:0:0:0:1", "1:0:0:1::1"},
};

START_TEST(test_parse)
{
	const char *in = parse_cases[_i].in;
	char buf[ADDR_TEXT_MAX];
	vaddr a;
	int rc = vd_addr_parse(in, strlen(in), &a);

	if (parse_cases[_i].out == NULL) {
		ck_assert_msg(rc == -1, "%s: \"%s\" accepted",
			      parse_cases[_i].label, in);
		return;
	}
	ck_assert_msg(rc == 0, "%s: \"%s\" refused", parse_cases[_i].label,
		      in);
	ck_assert_uint_eq(vd_addr_format(&a, buf), strlen(parse_cases[_i].out));
	ck_assert_msg(strcmp(buf, parse_cases[_i].out) == 0,
		      "%s: \"%s\" -> \"%s\", want \"%s\"",
		      parse_cases[_i].label, in, buf, parse_cases[_i].out);
	/* canonical output parses back to the same address */
	{
		vaddr b;

		ck_assert_int_eq(vd_addr_parse(buf, strlen(buf), &b), 0);
		ck_assert_int_eq(vd_addr_cmp(&a, &b), 0);
	}
}
END_TEST

/* the length argument is obeyed: bytes after it are never read */
START_TEST(test_parse_len)
{
	vaddr a, b;
	char buf[ADDR_TEXT_MAX];

	ck_assert_int_eq(vd_addr_parse("1.2.3.45", 7, &a), 0);
	vd_addr_format(&a, buf);
	ck_assert_str_eq(buf, "1.2.3.4");
	ck_assert_int_eq(vd_addr_parse("::1x", 3, &a), 0);
	ck_assert_int_eq(vd_addr_parse("1.2.3.4\0", 8, &a), -1);
	ck_assert_int_eq(vd_addr_parse("::ffff:1.2.3.4", 14, &a), 0);
	ck_assert(vd_addr_is_v4(&a));
	ck_assert_int_eq(vd_addr_parse("1.2.3.4", 7, &b), 0);
	ck_assert_int_eq(vd_addr_cmp(&a, &b), 0);
	ck_assert_int_eq(vd_addr_parse("2001:db8::1", 11, &b), 0);
	ck_assert(!vd_addr_is_v4(&b));
}
END_TEST

START_TEST(test_from_raw)
{
	static const uint8_t v4[4] = {192, 0, 2, 1};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	vaddr a;
	char buf[ADDR_TEXT_MAX];

	vd_addr_from_v4(&a, v4);
	vd_addr_format(&a, buf);
	ck_assert_str_eq(buf, "192.0.2.1");
	ck_assert(vd_addr_is_v4(&a));
	vd_addr_from_v6(&a, v6);
	vd_addr_format(&a, buf);
	ck_assert_str_eq(buf, "2001:db8::1");
}
END_TEST

START_TEST(test_inc_dec)
{
	vaddr a;
	char buf[ADDR_TEXT_MAX];

	vd_addr_parse("1.2.3.255", 9, &a);
	ck_assert_int_eq(vd_addr_inc(&a), 0);
	vd_addr_format(&a, buf);
	ck_assert_str_eq(buf, "1.2.4.0");
	ck_assert_int_eq(vd_addr_dec(&a), 0);
	vd_addr_format(&a, buf);
	ck_assert_str_eq(buf, "1.2.3.255");
	memset(a.b, 0xff, 16);
	ck_assert_int_eq(vd_addr_inc(&a), 1);
	vd_addr_format(&a, buf);
	ck_assert_str_eq(buf, "::");
	ck_assert_int_eq(vd_addr_dec(&a), 1);
	vd_addr_format(&a, buf);
	ck_assert_str_eq(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}
END_TEST

static const struct {
	const char *label, *in;
	int rc;
	const char *out;
	unsigned plen;
} cidr_cases[] = {
	{"v4 net", "10.0.0.0/8", CIDR_OK, "10.0.0.0/8", 104},
	{"v4 host", "1.2.3.4", CIDR_OK, "1.2.3.4/32", 128},
	{"v4 /32", "1.2.3.4/32", CIDR_OK, "1.2.3.4/32", 128},
	{"v4 /0", "0.0.0.0/0", CIDR_OK, "0.0.0.0/0", 96},
	{"v4 hostbits", "172.16.1.3/21", CIDR_HOSTBITS, "172.16.0.0/21", 117},
	{"v4 /0 hostbits", "1.2.3.4/0", CIDR_HOSTBITS, "0.0.0.0/0", 96},
	{"v4 /33", "1.2.3.4/33", CIDR_BAD, NULL, 0},
	{"v4 leading zero len", "1.2.3.0/024", CIDR_BAD, NULL, 0},
	{"v4 /00", "0.0.0.0/00", CIDR_BAD, NULL, 0},
	{"v4 empty len", "1.2.3.0/", CIDR_BAD, NULL, 0},
	{"v4 sign len", "1.2.3.0/+24", CIDR_BAD, NULL, 0},
	{"v4 negative len", "1.2.3.0/-1", CIDR_BAD, NULL, 0},
	{"v4 space len", "1.2.3.0/ 24", CIDR_BAD, NULL, 0},
	{"v4 len trailing", "1.2.3.0/24x", CIDR_BAD, NULL, 0},
	{"v4 two slashes", "1.2.3.0/24/1", CIDR_BAD, NULL, 0},
	{"v4 huge len", "1.2.3.0/4294967320", CIDR_BAD, NULL, 0},
	{"v4 bad addr", "1.2.3/24", CIDR_BAD, NULL, 0},
	{"v6 net", "2001:db8::/32", CIDR_OK, "2001:db8::/32", 32},
	{"v6 host", "2001:db8::1", CIDR_OK, "2001:db8::1/128", 128},
	{"v6 /0", "::/0", CIDR_OK, "::/0", 0},
	{"v6 /128", "::1/128", CIDR_OK, "::1/128", 128},
	{"v6 /129", "::1/129", CIDR_BAD, NULL, 0},
	{"v6 hostbits", "2001:db8::1/32", CIDR_HOSTBITS, "2001:db8::/32", 32},
	{"v6 upper", "2001:DB8:ABCD::/48", CIDR_OK, "2001:db8:abcd::/48", 48},
	{"v6 zone", "fe80::1%eth0/64", CIDR_BAD, NULL, 0},
	{"mapped /120 is v4 /24", "::ffff:1.2.3.0/120", CIDR_OK, "1.2.3.0/24",
	 120},
	{"mapped /128 is v4 host", "::ffff:1.2.3.4", CIDR_OK, "1.2.3.4/32", 128},
	{"mapped /97 is v4 /1", "::ffff:128.0.0.0/97", CIDR_OK, "128.0.0.0/1",
	 97},
	{"mapped /64 is v6", "::ffff:1.2.3.4/64", CIDR_HOSTBITS, "::/64", 64},
	{"mapped /96", "::ffff:0:0/96", CIDR_OK, "0.0.0.0/0", 96},
	{"v6 /95", "::ffff:0:0/95", CIDR_HOSTBITS, "::fffe:0:0/95", 95},
	{"empty", "", CIDR_BAD, NULL, 0},
	{"slash only", "/24", CIDR_BAD, NULL, 0},
};

START_TEST(test_cidr)
{
	const char *in = cidr_cases[_i].in;
	char buf[CIDR_TEXT_MAX];
	vcidr c;
	int rc = vd_cidr_parse(in, strlen(in), &c);

	ck_assert_msg(rc == cidr_cases[_i].rc, "%s: \"%s\" rc %d want %d",
		      cidr_cases[_i].label, in, rc, cidr_cases[_i].rc);
	if (rc == CIDR_BAD)
		return;
	ck_assert_uint_eq(c.plen, cidr_cases[_i].plen);
	ck_assert_uint_eq(vd_cidr_format(&c, buf), strlen(cidr_cases[_i].out));
	ck_assert_msg(strcmp(buf, cidr_cases[_i].out) == 0,
		      "%s: \"%s\" -> \"%s\", want \"%s\"",
		      cidr_cases[_i].label, in, buf, cidr_cases[_i].out);
	/* the canonical form parses back to the same network */
	{
		vcidr d;

		ck_assert_int_eq(vd_cidr_parse(buf, strlen(buf), &d), CIDR_OK);
		ck_assert_uint_eq(d.plen, c.plen);
		ck_assert_int_eq(vd_addr_cmp(&d.net, &c.net), 0);
	}
}
END_TEST

static const struct {
	const char *label, *in, *why;	/* why: expected prefix, or NULL */
	const char *suffix;
} table_cases[] = {
	{"v6 /0", "::/0", "/0 is not allowed in a table", NULL},
	{"v4 /0", "0.0.0.0/0", "/0 is not allowed in a table",
	 "would cover every IPv4 address"},
	{"mapped /96", "::ffff:0:0/96", "/0 is not allowed in a table",
	 "would cover every IPv4 address"},
	{"v6 ::/8", "::/8", NULL, "would cover every IPv4 address"},
	{"v6 ::/1", "::/1", NULL, "would cover every IPv4 address"},
	{"v6 ::/95 around mapped", "::fffe:0:0/95", NULL,
	 "would cover every IPv4 address"},
	{"v6 ::/96 compat", "::/96", "", NULL},
	{"v6 8000::/1", "8000::/1", "", NULL},
	{"v6 2001:db8::/32", "2001:db8::/32", "", NULL},
	{"v4 /1", "0.0.0.0/1", "", NULL},
	{"v4 /8", "10.0.0.0/8", "", NULL},
	{"v4 host", "1.2.3.4", "", NULL},
	{"v6 host", "::1", "", NULL},
};

START_TEST(test_table_check)
{
	const char *in = table_cases[_i].in;
	vcidr c;
	const char *why;

	ck_assert_int_ne(vd_cidr_parse(in, strlen(in), &c), CIDR_BAD);
	why = vd_cidr_table_check(&c);
	if (table_cases[_i].why && table_cases[_i].why[0] == 0) {
		ck_assert_msg(why == NULL, "%s: refused: %s",
			      table_cases[_i].label, why);
		return;
	}
	ck_assert_msg(why != NULL, "%s: accepted", table_cases[_i].label);
	if (table_cases[_i].why)
		ck_assert_msg(strncmp(why, table_cases[_i].why,
				      strlen(table_cases[_i].why)) == 0,
			      "%s: %s", table_cases[_i].label, why);
	if (table_cases[_i].suffix) {
		size_t n = strlen(why), m = strlen(table_cases[_i].suffix);

		ck_assert_msg(n >= m && strcmp(why + n - m,
					       table_cases[_i].suffix) == 0,
			      "%s: %s", table_cases[_i].label, why);
	}
}
END_TEST

static const struct {
	const char *a, *b;
	int contains;
} contain_cases[] = {
	{"10.0.0.0/8", "10.1.0.0/16", 1},
	{"10.0.0.0/8", "10.0.0.0/8", 1},
	{"10.1.0.0/16", "10.0.0.0/8", 0},
	{"10.0.0.0/8", "11.0.0.0/16", 0},
	{"::/0", "1.2.3.4", 1},
	{"2001:db8::/32", "2001:db8:1::/48", 1},
	{"2001:db8::/32", "2001:db9::/48", 0},
	{"0.0.0.0/0", "2001:db8::1", 0},
};

START_TEST(test_contains)
{
	vcidr a, b;

	vd_cidr_parse(contain_cases[_i].a, strlen(contain_cases[_i].a), &a);
	vd_cidr_parse(contain_cases[_i].b, strlen(contain_cases[_i].b), &b);
	ck_assert_int_eq(vd_cidr_contains(&a, &b), contain_cases[_i].contains);
}
END_TEST

START_TEST(test_mask_last)
{
	vcidr c;
	vaddr last;
	char buf[ADDR_TEXT_MAX];

	vd_cidr_parse("1.10.16.0/20", 12, &c);
	vd_addr_last(&c, &last);
	vd_addr_format(&last, buf);
	ck_assert_str_eq(buf, "1.10.31.255");
	vd_cidr_parse("2001:db8::/33", 13, &c);
	vd_addr_last(&c, &last);
	vd_addr_format(&last, buf);
	ck_assert_str_eq(buf, "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff");
	vd_cidr_parse("::/0", 4, &c);
	vd_addr_last(&c, &last);
	vd_addr_format(&last, buf);
	ck_assert_str_eq(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	vd_cidr_parse("0.0.0.0/0", 9, &c);
	vd_addr_last(&c, &last);
	vd_addr_format(&last, buf);
	ck_assert_str_eq(buf, "255.255.255.255");
	vd_addr_parse("1.2.3.4", 7, &last);
	vd_addr_mask(&last, 128);
	vd_addr_format(&last, buf);
	ck_assert_str_eq(buf, "1.2.3.4");
	vd_addr_mask(&last, 0);
	vd_addr_format(&last, buf);
	ck_assert_str_eq(buf, "::");
}
END_TEST

/* ---- vd_range_split against an independent recursive decomposition ---- */

typedef unsigned __int128 u128;

static u128
u(const vaddr *a)
{
	u128 v = 0;

	for (int k = 0; k < 16; k++)
		v = v << 8 | a->b[k];
	return v;
}

static void
ua(vaddr *a, u128 v)
{
	for (int k = 15; k >= 0; k--, v >>= 8)
		a->b[k] = (uint8_t)v;
}

#define MAXOUT 300

struct cover {
	vcidr c[MAXOUT];
	int n;
};

/* brute - split the binary tree: a block inside [lo,hi] is taken whole,
 * a block disjoint from it is dropped, any other is halved. */
static void
brute(u128 net, int plen, u128 lo, u128 hi, struct cover *out)
{
	u128 last = plen == 0 ? ~(u128)0 : net | ((((u128)1) << (128 - plen)) - 1);

	if (last < lo || net > hi)
		return;
	if (net >= lo && last <= hi) {
		ck_assert_int_lt(out->n, MAXOUT);
		ua(&out->c[out->n].net, net);
		out->c[out->n].plen = (uint8_t)plen;
		out->n++;
		return;
	}
	brute(net, plen + 1, lo, hi, out);
	brute(net | (((u128)1) << (127 - plen)), plen + 1, lo, hi, out);
}

static int
collect(const vcidr *c, void *arg)
{
	struct cover *out = arg;

	ck_assert_int_lt(out->n, MAXOUT);
	out->c[out->n++] = *c;
	return 0;
}

static void
check_range(const char *los, const char *his, int want_n)
{
	vaddr lo, hi;
	struct cover got = {.n = 0}, exp = {.n = 0};

	ck_assert_int_eq(vd_addr_parse(los, strlen(los), &lo), 0);
	ck_assert_int_eq(vd_addr_parse(his, strlen(his), &hi), 0);
	ck_assert_int_eq(vd_range_split(&lo, &hi, collect, &got), 0);
	brute(0, 0, u(&lo), u(&hi), &exp);
	ck_assert_msg(got.n == exp.n, "%s-%s: %d CIDRs, want %d", los, his,
		      got.n, exp.n);
	if (want_n >= 0)
		ck_assert_int_eq(got.n, want_n);
	for (int k = 0; k < got.n; k++) {
		ck_assert_uint_eq(got.c[k].plen, exp.c[k].plen);
		ck_assert_int_eq(vd_addr_cmp(&got.c[k].net, &exp.c[k].net), 0);
	}
}

static const struct {
	const char *lo, *hi;
	int n;
	const char *first;
} range_cases[] = {
	{"0.0.0.0", "255.255.255.255", 1, "0.0.0.0/0"},
	{"1.2.3.4", "1.2.3.4", 1, "1.2.3.4/32"},
	{"1.2.3.0", "1.2.3.255", 1, "1.2.3.0/24"},
	{"0.0.0.1", "255.255.255.254", 62, "0.0.0.1/32"},
	{"1.2.3.4", "1.2.3.9", 2, "1.2.3.4/30"},
	{"10.0.0.0", "10.0.1.0", 2, "10.0.0.0/24"},
	{"255.255.255.255", "255.255.255.255", 1, "255.255.255.255/32"},
	{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "::/0"},
	{"::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 254, "::1/128"},
	{"2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1,
	 "2001:db8::/32"},
	{"2001:db8::5", "2001:db8::5", 1, "2001:db8::5/128"},
	{"2001:db8::1", "2001:db8:1::", -1, "2001:db8::1/128"},
	{"::", "::fffe:ffff:ffff", -1, "::/81"},
};

START_TEST(test_range_cases)
{
	vaddr lo, hi;
	struct cover got = {.n = 0};
	char buf[CIDR_TEXT_MAX];

	check_range(range_cases[_i].lo, range_cases[_i].hi, range_cases[_i].n);
	vd_addr_parse(range_cases[_i].lo, strlen(range_cases[_i].lo), &lo);
	vd_addr_parse(range_cases[_i].hi, strlen(range_cases[_i].hi), &hi);
	vd_range_split(&lo, &hi, collect, &got);
	vd_cidr_format(&got.c[0], buf);
	ck_assert_str_eq(buf, range_cases[_i].first);
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

START_TEST(test_range_random)
{
	for (int t = 0; t < 3000; t++) {
		vaddr lo, hi;
		char a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX];
		uint8_t v4[4];

		if (t % 2 == 0) {
			uint32_t p = (uint32_t)rnd(), q = (uint32_t)rnd();

			if (t % 4 == 0)	/* short ranges too */
				q = p + (uint32_t)(rnd() % 5000);
			if (p > q) {
				uint32_t s = p;

				p = q;
				q = s;
			}
			v4[0] = (uint8_t)(p >> 24); v4[1] = (uint8_t)(p >> 16);
			v4[2] = (uint8_t)(p >> 8); v4[3] = (uint8_t)p;
			vd_addr_from_v4(&lo, v4);
			v4[0] = (uint8_t)(q >> 24); v4[1] = (uint8_t)(q >> 16);
			v4[2] = (uint8_t)(q >> 8); v4[3] = (uint8_t)q;
			vd_addr_from_v4(&hi, v4);
		} else {
			u128 p = (u128)rnd() << 64 | rnd(), q;

			p >>= rnd() % 128;
			q = p + (((u128)rnd() << 64 | rnd()) >> (rnd() % 128));
			if (q < p)
				q = ~(u128)0;
			ua(&lo, p);
			ua(&hi, q);
			if (vd_addr_is_v4(&lo) != vd_addr_is_v4(&hi))
				continue;
		}
		vd_addr_format(&lo, a);
		vd_addr_format(&hi, b);
		check_range(a, b, -1);
	}
}
END_TEST

static int
stop_at_two(const vcidr *c, void *arg)
{
	int *n = arg;

	(void)c;
	return ++*n == 2 ? 42 : 0;
}

START_TEST(test_range_errors)
{
	vaddr a, b;
	int n = 0;

	vd_addr_parse("1.2.3.5", 7, &a);
	vd_addr_parse("1.2.3.4", 7, &b);
	ck_assert_int_eq(vd_range_split(&a, &b, stop_at_two, &n), -1);
	vd_addr_parse("::1", 3, &b);
	ck_assert_int_eq(vd_range_split(&b, &a, stop_at_two, &n), -1);
	ck_assert_int_eq(n, 0);
	vd_addr_parse("1.2.3.1", 7, &a);
	vd_addr_parse("1.2.3.200", 9, &b);
	ck_assert_int_eq(vd_range_split(&a, &b, stop_at_two, &n), 42);
	ck_assert_int_eq(n, 2);
}
END_TEST

/* no input may read outside [s, s+len): random bytes under ASan */
START_TEST(test_random_bytes)
{
	static const char alpha[] = "0123456789abcdefABCDEF:./%x \0\xff";

	for (int t = 0; t < 200000; t++) {
		size_t len = rnd() % 48;
		char *s = malloc(len ? len : 1);
		vaddr a;
		vcidr c;

		for (size_t i = 0; i < len; i++)
			s[i] = t % 3 == 0 ? (char)rnd()
				: alpha[rnd() % (sizeof(alpha) - 1)];
		if (vd_addr_parse(s, len, &a) == 0) {
			char buf[ADDR_TEXT_MAX];
			vaddr b;
			size_t n = vd_addr_format(&a, buf);

			ck_assert_int_eq(vd_addr_parse(buf, n, &b), 0);
			ck_assert_int_eq(vd_addr_cmp(&a, &b), 0);
		}
		if (vd_cidr_parse(s, len, &c) != CIDR_BAD) {
			char buf[CIDR_TEXT_MAX];

			ck_assert_uint_le(vd_cidr_format(&c, buf), CIDR_TEXT_MAX - 1);
		}
		free(s);
	}
}
END_TEST

/* every IPv4 octet value and every canonical v4 text round-trips */
START_TEST(test_v4_octets)
{
	char in[32], buf[ADDR_TEXT_MAX];
	vaddr a;

	for (int v = 0; v < 1000; v++) {
		int n = snprintf(in, sizeof(in), "%d.%d.%d.%d", v, 0, v % 256, 7);

		ck_assert_int_eq(vd_addr_parse(in, (size_t)n, &a), v < 256 ? 0 : -1);
		if (v < 256) {
			vd_addr_format(&a, buf);
			ck_assert_str_eq(buf, in);
		}
	}
}
END_TEST

START_TEST(test_speed)
{
	/* not a benchmark: a guard against an accidental slow path */
	static const char *ips[] = {"192.168.100.200", "1.2.3.4",
				    "10.0.0.1", "223.255.254.1"};
	vaddr a;
	int64_t t0, t1;
	struct timespec ts;
	unsigned sum = 0;
	const int N = 2000000;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	for (int i = 0; i < N; i++) {
		const char *s = ips[i & 3];

		vd_addr_parse(s, strlen(s), &a);
		sum += a.b[15];
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	fprintf(stderr, "vd_addr_parse v4: %.1f ns (sum %u)\n",
		(double)(t1 - t0) / N, sum);
	ck_assert_int_lt((t1 - t0) / N, 2000);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_parse, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_parse_len);
	tcase_add_test(tc, test_from_raw);
	tcase_add_test(tc, test_inc_dec);
	tcase_add_loop_test(tc, test_cidr, 0,
			    sizeof(cidr_cases) / sizeof(cidr_cases[0]));
	tcase_add_loop_test(tc, test_table_check, 0,
			    sizeof(table_cases) / sizeof(table_cases[0]));
	tcase_add_loop_test(tc, test_contains, 0,
			    sizeof(contain_cases) / sizeof(contain_cases[0]));
	tcase_add_test(tc, test_mask_last);
	tcase_add_loop_test(tc, test_range_cases, 0,
			    sizeof(range_cases) / sizeof(range_cases[0]));
	tcase_add_test(tc, test_range_random);
	tcase_add_test(tc, test_range_errors);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_v4_octets);
	tcase_add_test(tc, test_speed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(addr_suite());
}
