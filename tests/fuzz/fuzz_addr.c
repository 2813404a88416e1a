/*
 * fuzz_addr.c - libFuzzer target: vd_addr_parse, vd_cidr_parse, vd_cidr_range_split
 *
 * The input is parsed as an address and as a CIDR.  Properties: a parsed
 * value formats canonically, and the canonical text parses back to the
 * same value and formats to the same text; a CIDR never keeps host bits
 * and contains itself.  The first 33 bytes, read raw, also give a range
 * [lo, hi] for vd_cidr_range_split: the CIDRs it emits are ascending, adjacent,
 * aligned, maximal and cover exactly [lo, hi].
 */
#include <string.h>

#include "addr.h"
#include "cidr.h"
#include "fuzz.h"

static void
check_addr(const char *s, size_t len)
{
	vaddr a, b, c;
	char t1[ADDR_TEXT_MAX], t2[ADDR_TEXT_MAX];
	size_t n1, n2;

	if (vd_addr_parse(s, len, &a) != 0)
		return;
	n1 = vd_addr_format(&a, t1);
	FUZZ_CHECK(n1 == strlen(t1) && n1 < ADDR_TEXT_MAX, "%zu", n1);
	FUZZ_CHECK(vd_addr_parse(t1, n1, &b) == 0, "\"%s\"", t1);
	FUZZ_CHECK(vd_addr_cmp(&a, &b) == 0, "\"%s\"", t1);
	n2 = vd_addr_format(&b, t2);
	FUZZ_CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0, "%s %s", t1, t2);
	FUZZ_CHECK(vd_addr_is_v4(&a) == (strchr(t1, ':') == NULL), "%s", t1);
	c = a;
	if (vd_addr_inc(&c) == 0) {
		FUZZ_CHECK(vd_addr_cmp(&c, &a) > 0, "%s", t1);
		FUZZ_CHECK(vd_addr_dec(&c) == 0 && vd_addr_cmp(&c, &a) == 0, "%s", t1);
	}
}

static void
check_cidr(const char *s, size_t len)
{
	vcidr c, d;
	vaddr m, last;
	char t1[CIDR_TEXT_MAX], t2[CIDR_TEXT_MAX];
	size_t n1, n2;
	int r;

	r = vd_cidr_parse(s, len, &c);
	if (r == CIDR_BAD)
		return;
	FUZZ_CHECK(r == CIDR_OK || r == CIDR_HOSTBITS, "%d", r);
	FUZZ_CHECK(c.plen <= 128, "%u", c.plen);
	m = c.net;
	vd_addr_mask(&m, c.plen);
	FUZZ_CHECK(vd_addr_cmp(&m, &c.net) == 0, "host bits kept");
	n1 = vd_cidr_format(&c, t1);
	FUZZ_CHECK(n1 == strlen(t1) && n1 < CIDR_TEXT_MAX, "%zu", n1);
	FUZZ_CHECK(vd_cidr_parse(t1, n1, &d) == CIDR_OK, "\"%s\"", t1);
	FUZZ_CHECK(d.plen == c.plen && vd_addr_cmp(&d.net, &c.net) == 0,
		   "\"%s\" reparsed differs", t1);
	n2 = vd_cidr_format(&d, t2);
	FUZZ_CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0, "%s %s", t1, t2);
	FUZZ_CHECK(vd_cidr_contains(&c, &c), "%s", t1);
	vd_addr_last(&c, &last);
	FUZZ_CHECK(vd_addr_cmp(&last, &c.net) >= 0, "%s", t1);
	(void)vd_cidr_table_check(&c);
	(void)vd_cidr_is_v4(&c);
}

struct split {
	vaddr lo, hi, next;
	int started, done;
	unsigned n;
};

static int
split_emit(const vcidr *c, void *arg)
{
	struct split *sp = arg;
	vaddr m = c->net, last, plo, phi;
	vcidr parent;

	FUZZ_CHECK(!sp->done, "CIDR after the end of the range");
	FUZZ_CHECK(c->plen <= 128, "%u", c->plen);
	vd_addr_mask(&m, c->plen);
	FUZZ_CHECK(vd_addr_cmp(&m, &c->net) == 0, "unaligned CIDR");
	FUZZ_CHECK(vd_addr_cmp(&c->net, sp->started ? &sp->next : &sp->lo) == 0,
		   "gap or overlap");
	vd_addr_last(c, &last);
	FUZZ_CHECK(vd_addr_cmp(&last, &sp->hi) <= 0, "beyond hi");
	if (c->plen > 0) {	/* maximal: the parent leaves [lo, hi] */
		parent.net = c->net;
		parent.plen = (uint8_t)(c->plen - 1);
		vd_addr_mask(&parent.net, parent.plen);
		plo = parent.net;
		vd_addr_last(&parent, &phi);
		FUZZ_CHECK(vd_addr_cmp(&plo, &sp->lo) < 0 ||
			   vd_addr_cmp(&phi, &sp->hi) > 0, "not maximal");
	}
	sp->started = 1;
	sp->n++;
	FUZZ_CHECK(sp->n <= 256, "too many CIDRs");
	sp->next = last;
	if (vd_addr_cmp(&last, &sp->hi) == 0)
		sp->done = 1;
	else
		FUZZ_CHECK(vd_addr_inc(&sp->next) == 0, "wrap");
	return 0;
}

static void
check_split(const uint8_t *data, size_t size)
{
	struct split sp;
	vaddr t;
	int r;

	if (size < 33)
		return;
	memset(&sp, 0, sizeof(sp));
	memcpy(sp.lo.b, data + 1, 16);
	memcpy(sp.hi.b, data + 17, 16);
	if (data[0] & 1) {	/* IPv4: map both */
		vd_addr_from_v4(&sp.lo, data + 1);
		vd_addr_from_v4(&sp.hi, data + 17);
	}
	if (data[0] & 2) {	/* a narrow range: share a prefix */
		unsigned keep = 12 + (data[0] >> 4) % 4;

		memcpy(sp.hi.b, sp.lo.b, keep);
	}
	if (vd_addr_cmp(&sp.lo, &sp.hi) > 0) {
		t = sp.lo;
		sp.lo = sp.hi;
		sp.hi = t;
	}
	if (vd_addr_is_v4(&sp.lo) != vd_addr_is_v4(&sp.hi)) {
		FUZZ_CHECK(vd_cidr_range_split(&sp.lo, &sp.hi, split_emit, &sp) == -1,
			   "mixed families accepted");
		return;
	}
	r = vd_cidr_range_split(&sp.lo, &sp.hi, split_emit, &sp);
	FUZZ_CHECK(r == 0, "%d", r);
	FUZZ_CHECK(sp.done, "range not covered to hi");
	if (vd_addr_cmp(&sp.lo, &sp.hi) < 0)
		FUZZ_CHECK(vd_cidr_range_split(&sp.hi, &sp.lo, split_emit, &sp) == -1,
			   "lo > hi accepted");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_addr((const char *)data, size);
	check_cidr((const char *)data, size);
	check_split(data, size);
	return 0;
}
