/*
 * fuzz_dns_answer - libFuzzer target: the bytes a DNS server sends back,
 * through the path a c-ares result takes in the engine
 *
 * The engine's resolver callback (flight.c flight_done) hands the
 * c-ares status and raw packet to vd_answer_classify, then renders the answer
 * (vd_answer_text, vd_answer_ignored_meaning) and weighs it against the
 * profile's sites (vd_sites_weight).  This target does the same.
 *
 * Input: byte 0 chooses A or TXT (bit 0) and how the status is made
 * (bits 1-3): 0-3 derive it from the packet exactly as c-ares 1.18 does
 * for ares_query with ARES_FLAG_NOCHECKRESP (the resolver's flags): any
 * packet of at least 12 bytes reaches the query callback, which maps the
 * RCODE (NOERROR without answers = ENODATA, FORMERR, SERVFAIL, NXDOMAIN,
 * NOTIMP, REFUSED; other codes stay SUCCESS); 4-7 force a failure
 * status, with the packet (as c-ares passes on a mapped RCODE) or
 * without (timeouts, connection errors).  The rest is the packet.
 *
 * Properties: every packet gives a kind; counts stay in their arrays;
 * the TXT is NUL-terminated printable ASCII; listing codes lie in
 * 127.0.0.0/8 outside the error codes; the rendered text fits.
 */
#include <ares.h>
#include <string.h>

#include "dnsbl.h"
#include "fuzz.h"

static dnsbl_sites *sites;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	if (vd_sites_parse("zen.example=127.0.0.[2..11]*3 bl.example*2 "
			      "wl.example=127.0.[0..255].[1..3]*-2 "
			      "m.example&0.0.0.4 any.example=127.0.0.2",
			      NULL, &sites, err, sizeof(err)) != 0)
		abort();
	return 0;
}

/* ares_status - what c-ares 1.18's ares_query callback reports */
static int
ares_status(const unsigned char *p, size_t len)
{
	unsigned rcode, ancount;

	if (len < 12)
		return -1;	/* c-ares drops it; the query times out */
	rcode = p[3] & 0x0f;
	ancount = (unsigned)p[6] << 8 | p[7];
	switch (rcode) {
	case 0:
		return ancount > 0 ? ARES_SUCCESS : ARES_ENODATA;
	case 1:
		return ARES_EFORMERR;
	case 2:
		return ARES_ESERVFAIL;
	case 3:
		return ARES_ENOTFOUND;
	case 4:
		return ARES_ENOTIMP;
	case 5:
		return ARES_EREFUSED;
	default:
		return ARES_SUCCESS;
	}
}

static const int forced[] = {
	ARES_ETIMEOUT, ARES_ECONNREFUSED, ARES_EDESTRUCTION, ARES_ENOMEM,
	ARES_ESERVFAIL, ARES_EREFUSED, ARES_ENOTFOUND, ARES_EBADRESP,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *pkt;
	unsigned char *copy;
	dnsbl_answer a;
	char text[96], tiny[8];
	int want_txt, how, status, alen;
	size_t n;

	if (size < 1)
		return 0;
	want_txt = data[0] & 1;
	how = (data[0] >> 1) & 7;
	n = size - 1;
	if (n > 65535)
		return 0;
	/* a heap copy of exactly the packet, so ASan sees every overread */
	if ((copy = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(copy, data + 1, n);
	pkt = copy;
	alen = (int)n;
	if (how < 4) {
		if ((status = ares_status(pkt, n)) < 0) {
			status = ARES_ETIMEOUT;
			pkt = NULL;
			alen = 0;
		}
	} else {
		status = forced[(data[0] >> 4) & 7];
		if (how >= 6) {
			pkt = NULL;
			alen = 0;
		}
	}
	vd_answer_classify(pkt, alen, status, want_txt, &a);

	FUZZ_CHECK(a.kind >= DNSBL_LISTED && a.kind <= DNSBL_ERROR, "%d",
		   a.kind);
	FUZZ_CHECK(a.naddr >= 0 && a.naddr <= DNSBL_ADDR_MAX, "%d", a.naddr);
	FUZZ_CHECK(a.nignored >= 0 && a.nignored <= 4, "%d", a.nignored);
	FUZZ_CHECK(memchr(a.txt, 0, sizeof(a.txt)) != NULL, "txt");
	for (size_t i = 0; a.txt[i]; i++)
		FUZZ_CHECK(a.txt[i] >= 0x20 && a.txt[i] < 0x7f, "txt byte");
	if (a.kind == DNSBL_LISTED && !want_txt)
		FUZZ_CHECK(a.naddr > 0, "listed without a code");
	for (int i = 0; i < a.naddr; i++)
		FUZZ_CHECK(a.addr[i] >> 24 == 127 &&
			   (a.addr[i] & 0xffffff00u) != 0x7fffff00u &&
			   a.addr[i] != 0x7f0000ffu, "code %08x", a.addr[i]);
	if (status != ARES_SUCCESS && status != ARES_ENOTFOUND &&
	    status != ARES_ENODATA)
		FUZZ_CHECK(a.kind != DNSBL_LISTED, "listed on status %d",
			   status);

	vd_answer_text(&a, text, sizeof(text));
	FUZZ_CHECK(memchr(text, 0, sizeof(text)) != NULL, "text");
	vd_answer_text(&a, tiny, sizeof(tiny));
	FUZZ_CHECK(memchr(tiny, 0, sizeof(tiny)) != NULL, "tiny text");
	for (unsigned f = 1; f < (1u << DNSBL_IGN_KINDS); f <<= 1)
		if (a.flags & f)
			FUZZ_CHECK(vd_answer_ignored_meaning(f) != NULL, "%x", f);
	for (size_t i = 0; i < vd_sites_nzones(sites); i++)
		(void)vd_sites_weight(sites, i, &a);
	free(copy);
	return 0;
}
