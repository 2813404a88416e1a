/*
 * sites.h - a profile's DNSBL/DNSWL sites: postscreen's dnsbl_sites
 * grammar, weights, display names
 *
 * A profile's dnsbl_sites text is compiled once (vd_sites_parse) into a
 * read-only dnsbl_sites shared by every thread.
 */
#ifndef VD_SITES_H
#define VD_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "answer.h"
#include "config.h"

typedef struct dnsbl_sites dnsbl_sites;	/* one profile's compiled sites */

#define DNSBL_ZONES_MAX 32		/* distinct domains per profile */
#define DNSBL_ENTRIES_MAX 128		/* site entries per profile */
#define DNSBL_DOMAIN_MAX 189		/* 253 - 64 (the IPv6 nibble prefix) */
#define DNSBL_WEIGHT_MAX 1000000

/*
 * vd_sites_parse - compile postscreen grammar
 *	sites  = site { ("," | white space) site }
 *	site   = domain [ "=" filter | "&" mask ] [ "*" weight ]
 *	filter = field "." field "." field "." field
 *	field  = octet | "[" member { ";" member } "]"
 *	member = octet | octet ".." octet
 * text NULL or blank gives zero sites (valid).  reply_names (may be NULL)
 * maps secret domains to display names (case-insensitive).  On error
 * returns VERDICT_ECONFIG (or VERDICT_ENOMEM) and err gets
 * "offending text: what"; the caller adds file:line.
 */
int vd_sites_parse(const char *text, const config_pairlist *reply_names,
		   dnsbl_sites **out, char *err, size_t errlen);
void vd_sites_free(dnsbl_sites *s);

/* vd_sites_nzones - distinct domains (one query each per check). */
size_t vd_sites_nzones(const dnsbl_sites *s);

/* vd_sites_memo - DNSBL_ZONES_MAX pointer slots (one per domain,
 * initially NULL) kept in s for one owner: the first non-zero owner id to
 * ask claims them for the life of s and gets them; any other owner gets
 * NULL.  Read and write the slots with __atomic builtins.  The engine
 * keeps its zone records there (no lookup by name per check). */
void **vd_sites_memo(const dnsbl_sites *s, uint64_t owner);

/* vd_sites_domain / _display - domain i (lower case) and its display
 * name (the reply_names value, else the domain). */
const char *vd_sites_domain(const dnsbl_sites *s, size_t i);
const char *vd_sites_display(const dnsbl_sites *s, size_t i);

/* vd_sites_mapped - 1 when domain i has a display name of its own (a
 * secret domain such as a DQS key mapped to a public name). */
int vd_sites_mapped(const dnsbl_sites *s, size_t i);

/* vd_sites_weight - weight that domain i's entries add for answer a
 * (each matching entry counts once however many records match). */
int vd_sites_weight(const dnsbl_sites *s, size_t i, const dnsbl_answer *a);

/*
 * vd_sites_settled - 1 when no answer still missing for the domains with
 * open[i] != 0 can move score across the block threshold (score >=
 * threshold) or, when allow_threshold < 0, the allow threshold (score <=
 * allow_threshold).
 */
int vd_sites_settled(const dnsbl_sites *s, int threshold, int allow_threshold,
		     int score, const unsigned char *open);

/* vd_sites_qname - "d.c.b.a.domain" or 32 reversed nibbles + ".domain";
 * 0 ok, -1 when it does not fit. */
int vd_sites_qname(const vaddr *ip, const char *domain, char *buf,
		   size_t size);

/* vd_sites_qname6 - vd_sites_qname in the 32-nibble form also for an
 * IPv4-mapped ip (the IPv6 test entries of RFC 5782 section 5). */
int vd_sites_qname6(const vaddr *ip, const char *domain, char *buf,
		    size_t size);

#endif
