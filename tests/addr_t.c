/*
 * addr_t.c - addresses: valid and hostile text forms, canonical output,
 * arithmetic, masks.  Networks and ranges are in cidr_t.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
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

/* no input may read outside [s, s+len): random bytes under ASan */
START_TEST(test_random_bytes)
{
	for (int t = 0; t < 200000; t++) {
		size_t len;
		char *s = tu_addr_noise(t, &len);
		vaddr a;

		if (vd_addr_parse(s, len, &a) == 0) {
			char buf[ADDR_TEXT_MAX];
			vaddr b;
			size_t n = vd_addr_format(&a, buf);

			ck_assert_int_eq(vd_addr_parse(buf, n, &b), 0);
			ck_assert_int_eq(vd_addr_cmp(&a, &b), 0);
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
	tcase_add_test(tc, test_mask_last);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_v4_octets);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(addr_suite());
}
