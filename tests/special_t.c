/*
 * special_t.c - special-purpose space and the width of an entry
 * (core/special.c, core/cover.c): table-driven, label, range, expected
 * public addresses and wideness.
 */
#include <string.h>

#include "cidr.h"
#include "cover.h"
#include "special.h"
#include "testutil.h"

static const struct {
	const char *label, *lo, *hi;	/* hi NULL: lo is a CIDR */
	unsigned long long pub;		/* IPv4: exact; 0 with v6 set */
	int wide;
} cases[] = {
	{ "a /24", "192.0.3.0/24", NULL, 256, 0 },
	{ "a public /8", "4.0.0.0/8", NULL, 16777216, 0 },
	{ "a public /7", "4.0.0.0/7", NULL, 33554432, 1 },
	{ "private /8", "10.0.0.0/8", NULL, 0, 0 },
	{ "FireHOL level1 224/3", "224.0.0.0/3", NULL, 0, 0 },
	{ "240/4", "240.0.0.0/4", NULL, 0, 0 },
	{ "0/8 this network", "0.0.0.0/8", NULL, 0, 0 },
	{ "TEST-NET-1", "192.0.2.0/24", NULL, 0, 0 },
	{ "192.0.0.0/23: half special", "192.0.0.0/23", NULL, 256, 0 },
	{ "0.0.0.0/1", "0.0.0.0/1", NULL, 2092957696ULL, 1 },
	{ "range of the world", "0.0.0.1", "255.255.255.255", 3702257664ULL,
	  1 },
	{ "range 1/8 as range", "1.0.0.0", "1.255.255.255", 16777216, 0 },
	{ "range /8 and one", "1.0.0.0", "2.0.0.0", 16777217, 1 },
	{ "100.64/10 CGN", "100.64.0.0/10", NULL, 0, 0 },
	{ "v6 /16 public", "2400::/16", NULL, 0, 0 },
	{ "v6 /15 public", "2400::/15", NULL, 0, 1 },
	{ "v6 fc00::/7", "fc00::/7", NULL, 0, 0 },
	{ "v6 ff00::/8", "ff00::/8", NULL, 0, 0 },
	{ "v6 2001::/23", "2001::/23", NULL, 0, 0 },
	{ "v6 2002::/16 6to4", "2002::/16", NULL, 0, 0 },
};

static void
range_of(int i, vaddr *lo, vaddr *hi)
{
	vcidr c;

	if (cases[i].hi == NULL) {
		ck_assert_int_ne(vd_cidr_parse(cases[i].lo, strlen(cases[i].lo),
					       &c), CIDR_BAD);
		vd_special_cidr_range(&c, lo, hi);
		return;
	}
	ck_assert_int_eq(vd_addr_parse(cases[i].lo, strlen(cases[i].lo), lo),
			 0);
	ck_assert_int_eq(vd_addr_parse(cases[i].hi, strlen(cases[i].hi), hi),
			 0);
}

START_TEST(width)
{
	vaddr lo, hi;
	vd_u128 pub;
	int wide;

	range_of(_i, &lo, &hi);
	wide = vd_special_wide(&lo, &hi, &pub);
	ck_assert_msg(wide == cases[_i].wide, "%s: wide %d", cases[_i].label,
		      wide);
	if (vd_addr_is_v4(&lo))
		ck_assert_msg((unsigned long long)vd_special_public(&lo, &hi)
			      == cases[_i].pub, "%s: %llu public",
			      cases[_i].label, (unsigned long long)
			      vd_special_public(&lo, &hi));
}
END_TEST

/* the public IPv4 space: 2^32 minus the registry, summed by hand */
START_TEST(total)
{
	uint64_t special = (uint64_t)3 * (1 << 24) + (1 << 22) + (1 << 16) +
			   (1 << 20) + 8 * 256 + (1 << 16) + (1 << 17) +
			   2 * (1 << 28);

	ck_assert_uint_eq(vd_special_v4_public_total(),
			  ((uint64_t)1 << 32) - special);
}
END_TEST

/* the union counts overlaps once; the sum twice */
START_TEST(cover_union)
{
	static const char *nets[] = { "4.0.0.0/8", "4.1.0.0/16", "5.0.0.0/8",
				      "10.0.0.0/8", "2001:db8::/32" };
	vd_cover cv = { 0 };
	vcidr c;

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		ck_assert_int_eq(vd_cidr_parse(nets[i], strlen(nets[i]), &c),
				 CIDR_OK);
		ck_assert_int_eq(vd_cover_add(&cv, &c), 0);
	}
	ck_assert_uint_eq(cv.sum, 2 * (1 << 24) + (1 << 16));
	ck_assert_uint_eq(vd_cover_public(&cv), 2 * (1 << 24));
	vd_cover_free(&cv);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("special");
	TCase *tc = tcase_create("special");

	tcase_add_loop_test(tc, width, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, total);
	tcase_add_test(tc, cover_union);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
