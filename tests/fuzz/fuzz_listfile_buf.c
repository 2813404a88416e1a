/*
 * fuzz_listfile_buf - libFuzzer target: vd_listfile_parse_buf (a whole file)
 *
 * Properties: parse_buf returns 0; line numbers of items and bad lines
 * start at 1 and never go back; reasons lie inside the buffer; and the
 * whole-file parse agrees with parsing each line alone (same number of
 * items and of bad lines).
 */
#include <string.h>

#include "fuzz.h"
#include "listfile.h"

struct counts {
	const char *buf;
	size_t len;
	size_t items, bad, lastline, lines;
};

static int
emit(const listfile_item *it, void *arg)
{
	struct counts *c = arg;
	vaddr m = it->cidr.net;

	FUZZ_CHECK(it->cidr.plen <= 128, "%u", it->cidr.plen);
	vd_addr_mask(&m, it->cidr.plen);
	FUZZ_CHECK(vd_addr_cmp(&m, &it->cidr.net) == 0, "host bits kept");
	FUZZ_CHECK(it->lineno >= 1 && it->lineno >= c->lastline &&
		   it->lineno <= c->lines, "line %zu after %zu (of %zu)",
		   it->lineno, c->lastline, c->lines);
	if (it->reason_len > 0)
		FUZZ_CHECK(it->reason >= c->buf &&
			   it->reason + it->reason_len <= c->buf + c->len,
			   "reason outside the buffer");
	FUZZ_CHECK(it->reason_len <= LISTFILE_REASON_MAX, "%zu",
		   it->reason_len);
	c->lastline = it->lineno;
	c->items++;
	return 0;
}

static int
bad(size_t lineno, const char *why, void *arg)
{
	struct counts *c = arg;

	FUZZ_CHECK(lineno >= 1 && lineno >= c->lastline &&
		   lineno <= c->lines, "bad line %zu after %zu", lineno,
		   c->lastline);
	FUZZ_CHECK(why != NULL && why[0] != 0, "no reason");
	c->lastline = lineno;
	c->bad++;
	return 0;
}

static int
emit_count(const listfile_item *it, void *arg)
{
	(void)it;
	(*(size_t *)arg)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *p, *end = buf + size, *nl;
	struct counts c = { buf, size, 0, 0, 0, 0 };
	size_t items = 0, nbad = 0;
	char why[160];
	int r;

	/* line by line, as the file parser promises to do */
	p = buf;
	if (size >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		c.lines++;
		if (vd_listfile_parse_line(p, (size_t)(nl - p), emit_count, &items,
					why, sizeof(why)) == LISTFILE_BAD)
			nbad++;
	}
	r = vd_listfile_parse_buf(buf, size, emit, bad, &c);
	FUZZ_CHECK(r == 0, "%d", r);
	FUZZ_CHECK(c.items == items && c.bad == nbad,
		   "file: %zu items %zu bad; lines: %zu items %zu bad",
		   c.items, c.bad, items, nbad);
	return 0;
}
