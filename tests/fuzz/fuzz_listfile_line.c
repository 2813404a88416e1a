/*
 * fuzz_listfile_line - libFuzzer target: vd_listfile_parse_line
 *
 * Properties: the result is ITEMS (with at least one item), SKIP (none)
 * or BAD (none, a NUL-terminated reason); every item is a normalised
 * CIDR whose canonical text parses back to it, and its reason lies inside
 * the line, at most LISTFILE_REASON_MAX bytes.
 */
#include <string.h>

#include "cidr.h"
#include "fuzz.h"
#include "listfile.h"

struct line {
	const char *s;
	size_t len;
	size_t n;
};

static int
emit(const listfile_item *it, void *arg)
{
	struct line *ln = arg;
	vcidr d;
	vaddr m = it->cidr.net;
	char t[CIDR_TEXT_MAX];
	size_t n;

	FUZZ_CHECK(it->cidr.plen <= 128, "%u", it->cidr.plen);
	vd_addr_mask(&m, it->cidr.plen);
	FUZZ_CHECK(vd_addr_cmp(&m, &it->cidr.net) == 0, "host bits kept");
	n = vd_cidr_format(&it->cidr, t);
	FUZZ_CHECK(vd_cidr_parse(t, n, &d) == CIDR_OK && d.plen == it->cidr.plen &&
		   vd_addr_cmp(&d.net, &it->cidr.net) == 0, "%s", t);
	FUZZ_CHECK(it->reason_len <= LISTFILE_REASON_MAX, "%zu",
		   it->reason_len);
	if (it->reason_len > 0)
		FUZZ_CHECK(it->reason >= ln->s &&
			   it->reason + it->reason_len <= ln->s + ln->len,
			   "reason outside the line");
	FUZZ_CHECK(it->lineno == 0, "%zu", it->lineno);
	ln->n++;
	FUZZ_CHECK(ln->n <= 512, "too many items");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line ln = { (const char *)data, size, 0 };
	char why[64];
	int r;

	memset(why, 'x', sizeof(why));
	r = vd_listfile_parse_line(ln.s, size, emit, &ln, why, sizeof(why));
	switch (r) {
	case LISTFILE_ITEMS:
		FUZZ_CHECK(ln.n > 0, "ITEMS without an item");
		break;
	case LISTFILE_SKIP:
		FUZZ_CHECK(ln.n == 0, "SKIP with %zu items", ln.n);
		break;
	case LISTFILE_BAD:
		FUZZ_CHECK(ln.n == 0, "BAD with %zu items", ln.n);
		FUZZ_CHECK(memchr(why, 0, sizeof(why)) != NULL &&
			   why[0] != 0, "no reason");
		break;
	default:
		FUZZ_CHECK(0, "result %d", r);
	}
	return 0;
}
