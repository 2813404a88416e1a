/*
 * vm_learn.c - verdict-milter learns from the content filter before it
 *
 *	vm_learn_configure	milter_learn and learn_header, fixed at start
 *	vm_learn_on		is learning on
 *	vm_learn_conn_init	a connection's client and profile
 *	vm_learn_header		a header that matches learn_header
 *	vm_learn_eom, _abort	report the client at end of message
 *
 * With milter_learn = yes the milter stays for the whole connection: a
 * connect that is not refused answers SMFIS_CONTINUE (SMFIS_ACCEPT would
 * end every later callback), and the header and end-of-message callbacks
 * are registered (no body callback, so libmilter asks the MTA for
 * SMFIP_NOBODY).  Postfix shows a later milter the headers an earlier
 * one added, so with spamass-milter before verdict-milter in one
 * smtpd_milters list, a message SpamAssassin judged spam carries
 * "X-Spam-Flag: YES" here, and its client is reported (weight 1, the
 * header as reason) into the first learned table of the connection's
 * profile.  The report is queued: the library commits it within
 * learn_commit_interval.
 *
 * Diagnostics: "learned: ip=... queue_id=... reported (HEADER)" (info),
 * "learned: report for ip=... failed: ..." (warning).
 *
 * Limits: learn_header is one "Name: value" pair; the name is compared
 * without case, the value without case after trimming white space.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "verdict.h"
#include "vm_gen.h"
#include "vm_learn.h"
#include "vm_log.h"
#include "vm_util.h"

static int learn_on;
static char learn_name[128];
static char learn_value[256];
static char learn_text[400];

/* trim - a copy of s[0..n) without leading and trailing white space */
static void
trim(char *dst, size_t len, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

void
vm_learn_configure(int on, const char *header)
{
	const char *colon = header ? strchr(header, ':') : NULL;

	learn_on = on && colon != NULL;
	if (on && colon == NULL)
		vm_log(LOG_ERR, "learn_header \"%s\" is not \"Name: value\"; "
		       "not learning", header ? header : "");
	if (!learn_on)
		return;
	trim(learn_name, sizeof(learn_name), header,
	     (size_t)(colon - header));
	trim(learn_value, sizeof(learn_value), colon + 1, strlen(colon + 1));
	snprintf(learn_text, sizeof(learn_text), "%s: %s", learn_name,
		 learn_value);
}

int
vm_learn_on(void)
{
	return learn_on;
}

void
vm_learn_conn_init(vm_learn_conn *lc, const struct sockaddr *sa, int profile)
{
	const void *a = NULL;
	int af = sa ? sa->sa_family : 0;

	memset(lc, 0, sizeof(*lc));
	lc->profile = profile;
	if (af == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (af == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(af, a, lc->ip, sizeof(lc->ip)) == NULL)
		lc->ip[0] = 0;
}

void
vm_learn_header(vm_learn_conn *lc, const char *name, const char *value)
{
	char v[256];

	if (!learn_on || name == NULL || value == NULL ||
	    strcasecmp(name, learn_name) != 0)
		return;
	trim(v, sizeof(v), value, strlen(value));
	if (strcasecmp(v, learn_value) == 0)
		lc->matched = 1;
}

void
vm_learn_eom(vm_learn_conn *lc, const char *qid)
{
	vm_gen *g;
	int rc;

	if (!lc->matched || lc->ip[0] == 0 || lc->profile == 0) {
		lc->matched = 0;
		return;
	}
	lc->matched = 0;
	g = vm_gen_get();
	rc = verdict_report_ex(g->vc, lc->profile, lc->ip, 1.0, learn_text);
	if (rc == VERDICT_OK)
		vm_log(LOG_INFO, "learned: ip=%s queue_id=%s reported (%s)",
		       lc->ip, qid && *qid ? qid : "-", learn_text);
	else
		vm_log(LOG_WARNING, "learned: report for ip=%s failed: %s: %s",
		       lc->ip, verdict_strerror(rc), verdict_errdetail());
	vm_gen_put(g);
}

void
vm_learn_abort(vm_learn_conn *lc)
{
	lc->matched = 0;
}
