/*
 * answer.h - what a DNSBL reply means: listed, not listed or unknown,
 * and the answers that are never a listing
 *
 * A reply is classified once, in the thread that drives the resolver, and
 * copied from there to the cache and to every check that asked.
 */
#ifndef VD_ANSWER_H
#define VD_ANSWER_H

#include <stddef.h>
#include <stdint.h>

/*
 * A classified answer (vd_answer_classify).  LISTED: at least one A record in
 * 127.0.0.0/8 that is not an operator error code; addr[] holds them (host
 * order).  NXDOMAIN also covers NOERROR without A records (NODATA): not
 * listed.  Everything else is unknown.  ignored[] holds the error codes
 * and outside-127/8 answers dropped (flags says which kinds).
 */
enum dnsbl_kind {
	DNSBL_PENDING = 0,
	DNSBL_LISTED = 1,
	DNSBL_NXDOMAIN = 2,
	DNSBL_TIMEOUT = 3,
	DNSBL_SERVFAIL = 4,
	DNSBL_REFUSED = 5,
	DNSBL_BAD = 6,		/* malformed, truncated, wrong type */
	DNSBL_IGNORED = 7,	/* only error codes / outside 127/8 */
	DNSBL_ERROR = 8		/* other resolver failure */
};

#define DNSBL_IGN_OUTSIDE	0x01	/* answer outside 127.0.0.0/8 */
#define DNSBL_IGN_252		0x02	/* 127.255.255.252 typo in zone name */
#define DNSBL_IGN_254		0x04	/* 127.255.255.254 public resolver */
#define DNSBL_IGN_255		0x08	/* 127.255.255.255 excessive queries */
#define DNSBL_IGN_OTHER		0x10	/* other 127.255.255.0/24 */
#define DNSBL_IGN_WL255		0x20	/* 127.0.0.255 DNSWL blocked */
#define DNSBL_IGN_KINDS		6

#define DNSBL_ADDR_MAX 16
#define DNSBL_TXT_MAX 200

typedef struct dnsbl_answer {
	int kind;			/* enum dnsbl_kind */
	unsigned flags;			/* DNSBL_IGN_* seen */
	int naddr;
	int nignored;
	uint32_t addr[DNSBL_ADDR_MAX];	/* listing codes, host order */
	uint32_t ignored[4];		/* first dropped answers */
	uint32_t ttl;			/* seconds: A TTL or SOA negative TTL */
	int truncated;			/* TC bit set */
	char txt[DNSBL_TXT_MAX + 1];	/* TXT queries only */
} dnsbl_answer;

/*
 * vd_answer_classify - classify the raw reply c-ares handed a callback:
 * status is the c-ares status, abuf/alen the packet (may be NULL/0).
 * want_txt: parse TXT instead of A.  Never reads outside abuf[0..alen);
 * any packet gives an answer (malformed ones DNSBL_BAD).  Pure: no
 * logging, no state; the fuzz target calls it directly.
 */
void vd_answer_classify(const unsigned char *abuf, int alen, int status,
			int want_txt, dnsbl_answer *out);

/* vd_answer_ignored_flag - the DNSBL_IGN_* kind of A record v (host
 * order), 0 when v may be a listing code. */
unsigned vd_answer_ignored_flag(uint32_t v);

/* vd_answer_ignored_meaning - "query through a public resolver" etc. for
 * one DNSBL_IGN_* bit. */
const char *vd_answer_ignored_meaning(unsigned flag);

/* vd_answer_text - "127.0.0.2,127.0.0.4", "NXDOMAIN", "timeout",
 * "SERVFAIL", "REFUSED", "bad answer", "ignored 127.255.255.254 (query
 * through a public resolver)"; cut cleanly to size. */
void vd_answer_text(const dnsbl_answer *a, char *buf, size_t size);

/* vd_answer_ip4_text - dotted quad of v (host order). */
void vd_answer_ip4_text(uint32_t v, char *buf, size_t size);

#endif
