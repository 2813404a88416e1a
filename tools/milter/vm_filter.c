/*
 * vm_filter.c - verdict-milter's libmilter callbacks
 *
 *	vm_filter_describe	the smfiDesc: which callbacks are registered
 *	vm_filter_busy		callbacks running now
 *	vm_filter_pending	connection states not yet closed
 *
 * Only xxfi_connect is registered (plus xxfi_envfrom and xxfi_close with
 * milter_stage = mail), so libmilter asks the MTA to send nothing after
 * CONNECT.  milter_learn = yes adds xxfi_header, xxfi_eom, xxfi_abort and
 * xxfi_close (vm_learn.c), and a connect that is not refused then
 * answers SMFIS_CONTINUE.  BLOCK -> SMFIS_REJECT, TEMPFAIL -> SMFIS_TEMPFAIL, everything
 * else (ALLOW, NEUTRAL, ERROR, hostaddr NULL, a non-IP family, profile
 * "none") -> SMFIS_ACCEPT: the milter fails open.  libmilter does not
 * allow smfi_setreply at connect, so a site that wants the reason told
 * uses milter_stage = mail: the connect verdict is kept in the
 * connection's private data and MAIL FROM is refused with the profile's
 * rendered reply.
 *
 * Diagnostics: "check failed, connection accepted: ..." (at most one in
 * 10 seconds), "refused at MAIL FROM: ip=... verdict=... queue_id=...",
 * out of memory (syslog).
 *
 * Limits: the reply text at MAIL FROM is cut at 255 bytes.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "verdict.h"
#include "vm_filter.h"
#include "vm_gen.h"
#include "vm_learn.h"
#include "vm_log.h"
#include "vm_stats.h"
#include "vm_util.h"

/* Per-connection state: a refusal kept for MAIL FROM (milter_stage =
 * mail), or a connection followed for learning (milter_learn). */
typedef struct conn {
	int refuse;
	int kind;
	char ip[64];
	char reply[256];
	vm_learn_conn lc;
} conn;

static atomic_int busy;			/* callbacks running */
static atomic_int pending;		/* conn states alive */

/* vm_filter_reply - smfi_setreply from a rendered "554 5.7.1 text" reply */
static void
vm_filter_reply(SMFICTX *mctx, const conn *c)
{
	const char *r = c->reply, *p;
	char rcode[4], xcode[32], text[600];
	int temp = c->kind == VERDICT_TEMPFAIL;
	size_t o = 0;

	vm_util_copy(rcode, sizeof(rcode), temp ? "421" : "554");
	vm_util_copy(xcode, sizeof(xcode), temp ? "4.7.1" : "5.7.1");
	/* take the template's own codes when they agree with the kind */
	if (r[0] == (temp ? '4' : '5') && r[1] >= '0' && r[1] <= '9' &&
	    r[2] >= '0' && r[2] <= '9' && r[3] == ' ') {
		memcpy(rcode, r, 3);
		rcode[3] = 0;
		r += 4;
		p = strchr(r, ' ');
		if (r[0] == rcode[0] && r[1] == '.' && p != NULL &&
		    (size_t)(p - r) < sizeof(xcode) &&
		    strspn(r, "0123456789.") == (size_t)(p - r)) {
			memcpy(xcode, r, (size_t)(p - r));
			xcode[p - r] = 0;
			r = p + 1;
		}
	}
	for (; *r && o + 2 < sizeof(text); r++) {
		if (*r == '%')
			text[o++] = '%';
		text[o++] = *r;
	}
	text[o] = 0;
	if (smfi_setreply(mctx, rcode, xcode, o ? text : NULL) != MI_SUCCESS)
		vm_log(LOG_WARNING, "smfi_setreply refused \"%s %s %s\"", rcode,
		    xcode, text);
}

static sfsistat
vm_filter_connect(SMFICTX *mctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	static atomic_long last_warn;
	verdict_result *res = NULL;
	sfsistat rc = SMFIS_ACCEPT;
	vm_gen *g = NULL;
	conn *c;
	int profile, kind, err;
	long now;

	(void)hostname;
	atomic_fetch_add(&busy, 1);
	vm_stats_connect();
	if (hostaddr == NULL || (hostaddr->sa_family != AF_INET &&
				 hostaddr->sa_family != AF_INET6)) {
		vm_stats_skip();	/* local or not IP: no verdict */
		goto out;
	}
	g = vm_gen_get();
	if ((profile = vm_gen_profile(g, smfi_getsymval(mctx,
						     "{daemon_name}"))) == 0) {
		vm_stats_skip();
		goto out;
	}
	if ((res = verdict_result_new()) == NULL) {
		vm_log(LOG_ERR, "out of memory; connection accepted unchecked");
		goto out;
	}
	vm_log_qid(smfi_getsymval(mctx, "i"));
	err = verdict_check_sockaddr(g->vc, profile, hostaddr, 0, 0, res);
	vm_log_qid(NULL);
	vm_stats_record(res);
	kind = verdict_result_kind(res);
	if (err != VERDICT_OK) {
		now = (long)time(NULL);
		if (now - atomic_load(&last_warn) >= 10) {
			atomic_store(&last_warn, now);
			vm_log(LOG_WARNING, "check failed, connection accepted: "
			    "%s: %s", verdict_strerror(err),
			    verdict_errdetail());
		}
		goto out;
	}
	if (kind == VERDICT_BLOCK)
		rc = SMFIS_REJECT;
	else if (kind == VERDICT_TEMPFAIL)
		rc = SMFIS_TEMPFAIL;
	if (rc != SMFIS_ACCEPT && vm_gen_stage()) {
		/* milter_stage = mail: tell the client at MAIL FROM */
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			vm_log(LOG_ERR, "out of memory; refusing at connect");
			goto out;
		}
		c->refuse = 1;
		c->kind = kind;
		vm_util_copy(c->ip, sizeof(c->ip), verdict_result_ip(res) ?
		     verdict_result_ip(res) : "-");
		vm_util_copy(c->reply, sizeof(c->reply), verdict_result_reply(res) ?
		     verdict_result_reply(res) : "");
		if (smfi_setpriv(mctx, c) != MI_SUCCESS) {
			free(c);
			goto out;
		}
		atomic_fetch_add(&pending, 1);
		rc = SMFIS_CONTINUE;
	}
	if (rc == SMFIS_ACCEPT && vm_learn_on() &&
	    (c = calloc(1, sizeof(*c))) != NULL) {
		/* learning: stay for the messages (ACCEPT ends callbacks) */
		vm_learn_conn_init(&c->lc, hostaddr, profile);
		if (smfi_setpriv(mctx, c) != MI_SUCCESS) {
			free(c);
			goto out;
		}
		atomic_fetch_add(&pending, 1);
		rc = SMFIS_CONTINUE;
	}
out:
	verdict_result_free(res);
	if (g != NULL)
		vm_gen_put(g);
	atomic_fetch_sub(&busy, 1);
	return rc;
}

static sfsistat
vm_filter_envfrom(SMFICTX *mctx, char **argv)
{
	conn *c = smfi_getpriv(mctx);
	const char *qid;

	(void)argv;
	if (c == NULL || !c->refuse)
		return vm_learn_on() ? SMFIS_CONTINUE : SMFIS_ACCEPT;
	atomic_fetch_add(&busy, 1);
	vm_filter_reply(mctx, c);
	qid = smfi_getsymval(mctx, "i");
	vm_log(LOG_INFO, "refused at MAIL FROM: ip=%s verdict=%s queue_id=%s",
	    c->ip, verdict_kind_name(c->kind), qid && *qid ? qid : "-");
	atomic_fetch_sub(&busy, 1);
	return c->kind == VERDICT_TEMPFAIL ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

static sfsistat
vm_filter_header(SMFICTX *mctx, char *name, char *value)
{
	conn *c = smfi_getpriv(mctx);

	if (c != NULL)
		vm_learn_header(&c->lc, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
vm_filter_eom(SMFICTX *mctx)
{
	conn *c = smfi_getpriv(mctx);

	if (c != NULL) {
		atomic_fetch_add(&busy, 1);
		vm_learn_eom(&c->lc, smfi_getsymval(mctx, "i"));
		atomic_fetch_sub(&busy, 1);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
vm_filter_abort(SMFICTX *mctx)
{
	conn *c = smfi_getpriv(mctx);

	if (c != NULL)
		vm_learn_abort(&c->lc);
	return SMFIS_CONTINUE;
}

static sfsistat
vm_filter_close(SMFICTX *mctx)
{
	conn *c = smfi_getpriv(mctx);

	if (c != NULL) {
		smfi_setpriv(mctx, NULL);
		free(c);
		atomic_fetch_sub(&pending, 1);
	}
	return SMFIS_CONTINUE;
}

void
vm_filter_describe(struct smfiDesc *desc, int stage)
{
	memset(desc, 0, sizeof(*desc));
	desc->xxfi_name = "verdict-milter";
	desc->xxfi_version = SMFI_VERSION;
	desc->xxfi_flags = 0;
	desc->xxfi_connect = vm_filter_connect;
	if (stage) {
		desc->xxfi_envfrom = vm_filter_envfrom;
		desc->xxfi_close = vm_filter_close;
	}
	if (vm_learn_on()) {
		/* no body callback: libmilter asks for SMFIP_NOBODY */
		desc->xxfi_header = vm_filter_header;
		desc->xxfi_eom = vm_filter_eom;
		desc->xxfi_abort = vm_filter_abort;
		desc->xxfi_close = vm_filter_close;
	}
}

int
vm_filter_busy(void)
{
	return atomic_load(&busy);
}

int
vm_filter_pending(void)
{
	return atomic_load(&pending);
}
