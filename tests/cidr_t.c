/*
 * cidr_t.c - networks and ranges: valid and hostile text forms, canonical
 * output, table checks, containment, range splitting against a brute
 * force.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "testutil.h"

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

/* ---- vd_cidr_range_split against an independent recursive decomposition ---- */

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
	ck_assert_int_eq(vd_cidr_range_split(&lo, &hi, collect, &got), 0);
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
	vd_cidr_range_split(&lo, &hi, collect, &got);
	vd_cidr_format(&got.c[0], buf);
	ck_assert_str_eq(buf, range_cases[_i].first);
}
END_TEST

START_TEST(test_range_random)
{
	for (int t = 0; t < 3000; t++) {
		vaddr lo, hi;
		char a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX];
		uint8_t v4[4];

		if (t % 2 == 0) {
			uint32_t p = (uint32_t)tu_rnd();
			uint32_t q = (uint32_t)tu_rnd();

			if (t % 4 == 0)	/* short ranges too */
				q = p + (uint32_t)(tu_rnd() % 5000);
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
			u128 p = (u128)tu_rnd() << 64 | tu_rnd(), q;

			p >>= tu_rnd() % 128;
			q = p + (((u128)tu_rnd() << 64 | tu_rnd()) >>
				   (tu_rnd() % 128));
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
	ck_assert_int_eq(vd_cidr_range_split(&a, &b, stop_at_two, &n), -1);
	vd_addr_parse("::1", 3, &b);
	ck_assert_int_eq(vd_cidr_range_split(&b, &a, stop_at_two, &n), -1);
	ck_assert_int_eq(n, 0);
	vd_addr_parse("1.2.3.1", 7, &a);
	vd_addr_parse("1.2.3.200", 9, &b);
	ck_assert_int_eq(vd_cidr_range_split(&a, &b, stop_at_two, &n), 42);
	ck_assert_int_eq(n, 2);
}
END_TEST

/* no input may read outside [s, s+len): random bytes under ASan */
START_TEST(test_random_bytes)
{
	for (int t = 0; t < 200000; t++) {
		size_t len;
		char *s = tu_addr_noise(t, &len);
		vcidr c;

		if (vd_cidr_parse(s, len, &c) != CIDR_BAD) {
			char buf[CIDR_TEXT_MAX];

			ck_assert_uint_le(vd_cidr_format(&c, buf), CIDR_TEXT_MAX - 1);
		}
		free(s);
	}
}
END_TEST

static Suite *
cidr_suite(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("cidr");

	tcase_add_loop_test(tc, test_cidr, 0,
			    sizeof(cidr_cases) / sizeof(cidr_cases[0]));
	tcase_add_loop_test(tc, test_table_check, 0,
			    sizeof(table_cases) / sizeof(table_cases[0]));
	tcase_add_loop_test(tc, test_contains, 0,
			    sizeof(contain_cases) / sizeof(contain_cases[0]));
	tcase_add_loop_test(tc, test_range_cases, 0,
			    sizeof(range_cases) / sizeof(range_cases[0]));
	tcase_add_test(tc, test_range_random);
	tcase_add_test(tc, test_range_errors);
	tcase_add_test(tc, test_random_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(cidr_suite());
}
