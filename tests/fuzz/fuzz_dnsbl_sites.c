/*
 * fuzz_dnsbl_sites - libFuzzer target: vd_sites_parse (postscreen's
 * dnsbl_sites grammar)
 *
 * Properties: an error leaves no sites and a message; compiled sites
 * have 1..DNSBL_ZONES_MAX lower-case domains of at most DNSBL_DOMAIN_MAX
 * bytes; every domain gives a query name for 192.0.2.1 and 2001:db8::1
 * (vd_sites_qname, which may refuse only a name that does not fit), and
 * evaluating an answer (vd_sites_weight, vd_sites_settled) is safe.
 */
#include <string.h>

#include "dnsbl.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dnsbl_sites *s = NULL;
	dnsbl_answer a;
	unsigned char open[DNSBL_ZONES_MAX];
	char *text, err[512], q[1100];
	size_t n;
	vaddr ip4, ip6;
	int rc;

	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	rc = vd_sites_parse(text, NULL, &s, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(s == NULL && err[0] != 0, "error without text");
		free(text);
		return 0;
	}
	n = vd_sites_nzones(s);
	FUZZ_CHECK(n <= DNSBL_ZONES_MAX, "%zu zones", n);
	vd_addr_parse("192.0.2.1", 9, &ip4);
	vd_addr_parse("2001:db8::1", 11, &ip6);
	memset(&a, 0, sizeof(a));
	a.kind = DNSBL_LISTED;
	a.naddr = 2;
	a.addr[0] = 0x7f000002;
	a.addr[1] = 0x7f00000a;
	for (size_t i = 0; i < n; i++) {
		const char *d = vd_sites_domain(s, i);
		size_t dl = strlen(d);

		FUZZ_CHECK(dl >= 1 && dl <= DNSBL_DOMAIN_MAX, "%zu", dl);
		for (size_t j = 0; j < dl; j++)
			FUZZ_CHECK(!(d[j] >= 'A' && d[j] <= 'Z'), "%s", d);
		FUZZ_CHECK(vd_sites_display(s, i) != NULL, "display");
		FUZZ_CHECK(vd_sites_qname(&ip4, d, q, sizeof(q)) == 0, "%s", d);
		FUZZ_CHECK(vd_sites_qname(&ip6, d, q, sizeof(q)) == 0, "%s", d);
		(void)vd_sites_weight(s, i, &a);
		open[i] = (unsigned char)(i & 1);
	}
	(void)vd_sites_settled(s, 1, -1, 0, open);
	vd_sites_free(s);
	free(text);
	return 0;
}
