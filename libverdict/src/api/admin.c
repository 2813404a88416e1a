/*
 * admin.c - table administration and the doctor
 *
 *	verdict_table_create, verdict_table_drop, verdict_table_list
 *	verdict_add, verdict_del	one entry, as a user typed it
 *	verdict_dump			every entry of a table, in order
 *	verdict_expire			purge the entries past their expiry
 *	verdict_doctor			database access and modes, the
 *					profile's tables, zones and GeoIP
 *					files, a profile that blocks nothing
 *
 * Every write is one store transaction, so the readers (milter, callout,
 * CLI) see a table before or after a change, never half of it.  Writes
 * need a context opened with VERDICT_OPEN_WRITE; the read-only calls take
 * any open context.  An entry is checked as strictly as a list line: a
 * network with host bits set is refused with the network it probably
 * meant, and the store's own table rules (no /0 in a block table) apply.
 *
 * Diagnostics: "malformed network", "non-null host bits in X; did you
 * mean Y?", "reason longer than N bytes", "context opened read-only".
 *
 * Limits: a reason is at most TBL_REASON_MAX bytes, an origin tag is cut
 * at TBL_ORIGIN_MAX; expiry times fit 32 bits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cidr.h"
#include "cover.h"
#include "special.h"
#include "str.h"
#include "clock.h"
#include "ctx.h"
#include "dnsbl.h"
#include "geo.h"

#define DOCTOR_DEFAULT_TIMEOUT_MS 1500

VERDICT_API int
verdict_table_create(verdict_ctx *ctx, const char *name, int kind)
{
	int rc = vd_ctx_ready(ctx, 1);

	return rc ? rc : vd_catalog_create(ctx->te, name, kind);
}

VERDICT_API int
verdict_table_drop(verdict_ctx *ctx, const char *name)
{
	int rc = vd_ctx_ready(ctx, 1);

	return rc ? rc : vd_catalog_drop(ctx->te, name);
}

typedef struct list_arg {
	int (*cb)(const verdict_table_info *, void *);
	void *arg;
} list_arg;

/* list_cb - the store's table info as the public one */
static int
list_cb(const tbl_info *ti, void *arg)
{
	list_arg *a = arg;
	verdict_table_info vi = { ti->name, ti->kind, (size_t)ti->entries,
				  ti->imported };

	return a->cb(&vi, a->arg);
}

VERDICT_API int
verdict_table_list(verdict_ctx *ctx,
		   int (*cb)(const verdict_table_info *, void *), void *arg)
{
	list_arg a = { cb, arg };
	int rc;

	if (ctx->opened && ctx->te == NULL)
		return VERDICT_OK;	/* no database yet: no tables */
	rc = vd_ctx_ready(ctx, 0);
	return rc ? rc : vd_catalog_list(ctx->te, list_cb, &a);
}

/* entry_parse - a CIDR as a user typed it, for add. */
static int
entry_parse(const char *text, vcidr *c)
{
	const char *why;
	int r;

	if (text == NULL)
		return vd_err_set(VERDICT_EINVAL, 0, "missing network");
	r = vd_cidr_parse(text, strlen(text), c);
	if (r == CIDR_BAD)
		return vd_err_set(VERDICT_EINVAL, 0, "malformed network "
				   "\"%.60s\"", text);
	if (r == CIDR_HOSTBITS) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(c, buf);
		return vd_err_set(VERDICT_ERANGE, 0, "non-null host bits in "
				   "%.60s; did you mean %s?", text, buf);
	}
	if ((why = vd_cidr_table_check(c)) != NULL)
		return vd_err_set(VERDICT_ERANGE, 0, "%.60s: %s", text, why);
	return VERDICT_OK;
}

/* entry_wide - a network that covers a continent is refused in a block
 * table unless the caller says VERDICT_ALLOW_WIDE */
static int
entry_wide(verdict_ctx *ctx, const char *table, const char *text,
	   const vcidr *c, unsigned flags)
{
	char why[120];
	vaddr lo, hi;
	uint16_t id;
	int kind;

	if (flags & VERDICT_ALLOW_WIDE)
		return VERDICT_OK;
	vd_special_cidr_range(c, &lo, &hi);
	if (!vd_special_wide_why(&lo, &hi, why, sizeof(why)) ||
	    vd_catalog_table_id(ctx->te, table, &id, &kind) != VERDICT_OK ||
	    kind != VERDICT_TABLE_BLOCK)
		return VERDICT_OK;	/* a missing table is add's to say */
	return vd_err_set(VERDICT_ERANGE, 0, "%.60s %s: refused in block "
			   "table %s (--allow-wide to add it anyway)", text,
			   why, table);
}

VERDICT_API int
verdict_add(verdict_ctx *ctx, const char *table, const char *cidr,
	    const char *reason, time_t expires, const char *origin,
	    unsigned flags)
{
	tbl_entry e;
	int rc;

	if ((rc = vd_ctx_ready(ctx, 1)) != 0 ||
	    (rc = entry_parse(cidr, &e.cidr)) ||
	    (rc = entry_wide(ctx, table, cidr, &e.cidr, flags)))
		return rc;
	if (reason && strlen(reason) > TBL_REASON_MAX)
		return vd_err_set(VERDICT_ERANGE, 0, "reason longer than %d "
				   "bytes", TBL_REASON_MAX);
	if (expires < 0 || (uint64_t)expires > UINT32_MAX)
		return vd_err_set(VERDICT_ERANGE, 0, "expiry out of range");
	if (origin == NULL)
		origin = "cli";
	e.added = (uint64_t)time(NULL);
	e.expires = (uint32_t)expires;
	e.reason = reason ? reason : "";
	e.rlen = (uint8_t)strlen(e.reason);
	e.origin = origin;
	e.olen = (uint8_t)vd_str_utf8_cut(origin, strlen(origin),
					   TBL_ORIGIN_MAX);
	return vd_entries_add(ctx->te, table, &e, !!(flags & VERDICT_MERGE));
}

VERDICT_API int
verdict_del(verdict_ctx *ctx, const char *table, const char *cidr)
{
	vcidr c;
	int rc;

	if ((rc = vd_ctx_ready(ctx, 1)) != 0)
		return rc;
	if (cidr == NULL || vd_cidr_parse(cidr, strlen(cidr), &c) != CIDR_OK)
		return vd_err_set(VERDICT_EINVAL, 0, "malformed network "
				   "\"%.60s\"", cidr ? cidr : "");
	return vd_entries_del(ctx->te, table, &c);
}

typedef struct dump_arg {
	int (*cb)(const verdict_entry *, void *);
	void *arg;
} dump_arg;

/* dump_cb - the store's entry as the public one, texts NUL-terminated */
static int
dump_cb(const tbl_entry *e, void *arg)
{
	dump_arg *a = arg;
	char cidr[CIDR_TEXT_MAX], reason[TBL_REASON_MAX + 1];
	char origin[TBL_ORIGIN_MAX + 1];
	verdict_entry ve;

	vd_cidr_format(&e->cidr, cidr);
	memcpy(reason, e->reason, e->rlen);
	reason[e->rlen] = 0;
	memcpy(origin, e->origin, e->olen);
	origin[e->olen] = 0;
	ve.cidr = cidr;
	ve.reason = e->rlen ? reason : NULL;
	ve.origin = e->olen ? origin : NULL;
	ve.added = (int64_t)e->added;
	ve.expires = (int64_t)e->expires;
	return a->cb(&ve, a->arg);
}

VERDICT_API int
verdict_dump(verdict_ctx *ctx, const char *table,
	     int (*cb)(const verdict_entry *, void *), void *arg)
{
	dump_arg a = { cb, arg };
	int rc = vd_ctx_ready(ctx, 0);

	if (rc)
		return rc;
	if (!vd_catalog_name_ok(table))
		return vd_err_set(VERDICT_EINVAL, 0, "bad table name "
				   "\"%.80s\"", table);
	return vd_entries_dump(ctx->te, table, dump_cb, &a);
}

VERDICT_API int
verdict_expire(verdict_ctx *ctx, size_t *purged)
{
	size_t learned = 0;
	int rc = vd_ctx_ready(ctx, 1);

	if (rc == VERDICT_OK)
		rc = vd_entries_expire(ctx->te, (uint32_t)time(NULL), purged);
	if (rc == VERDICT_OK)
		rc = vd_learned_expire(ctx->te, &ctx->learn,
				       (uint64_t)vd_clock_wall_s(), &learned);
	if (rc == VERDICT_OK && purged)
		*purged += learned;
	return rc;
}

typedef struct doctor_arg {
	int (*cb)(const verdict_doctor_line *, void *);
	void *arg;
	const char *what;
} doctor_arg;

/* doctor_item - a lower layer's finding as a doctor line */
static int
doctor_item(const char *name, int ok, const char *detail, void *arg)
{
	doctor_arg *a = arg;
	verdict_doctor_line l = { a->what, name, ok, detail };

	return a->cb(&l, a->arg);
}

/* doctor_world_writable - data.mdb or lock.mdb that every user may
 * change: anyone could then change what is blocked */
static int
doctor_world_writable(const char *dir, doctor_arg *da)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	verdict_doctor_line l = { "database", NULL, 0, NULL };
	char path[4096], msg[4200];
	struct stat st;
	int rc;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (stat(path, &st) != 0 || !(st.st_mode & S_IWOTH))
			continue;
		snprintf(msg, sizeof(msg), "writable by every user (mode "
			 "%04o): anyone on this host can change what is "
			 "blocked; chmod o-w %s", (unsigned)(st.st_mode & 07777),
			 path);
		l.name = path;
		l.detail = msg;
		if ((rc = da->cb(&l, da->arg)) != 0)
			return rc;
	}
	return VERDICT_OK;
}

/* doctor_group - a database_group that does not exist: the library
 * looks it up only when it creates a file, so doctor is where a typo
 * shows before it matters */
static int
doctor_group(verdict_ctx *ctx, doctor_arg *da)
{
	const char *group = ctx->cfg->database_group;
	verdict_doctor_line l = { "database", group, 2, "database_group: no "
				  "such group; files created keep their "
				  "creator's group" };
	gid_t gid;

	if (group == NULL || vd_db_files_group(group, &gid) == 0)
		return VERDICT_OK;
	return da->cb(&l, da->arg);
}

/* doctor_database - the directory there and readable, lock.mdb
 * writable, the files not writable by every user */
static int
doctor_database(verdict_ctx *ctx, doctor_arg *da)
{
	verdict_doctor_line l;
	char msg[1024];
	int rc;

	rc = vd_db_files_access(vd_ctx_dbdir(ctx), msg, sizeof(msg));
	l.what = "database";
	l.name = vd_ctx_dbdir(ctx);
	l.ok = rc == VERDICT_OK;
	l.detail = l.ok ? "readable, lock.mdb writable" : msg;
	if ((rc = da->cb(&l, da->arg)) != 0)
		return rc;
	if ((rc = doctor_group(ctx, da)) != 0)
		return rc;
	return doctor_world_writable(vd_ctx_dbdir(ctx), da);
}

/* doctor_profile - a profile that can block nothing is reported */
static int
doctor_profile(const policy_profile *pr, doctor_arg *da)
{
	char name[16];
	verdict_doctor_line l = { "profile", name, 0, "no table, no DNSBL "
				  "zone and no GeoIP rule: every address "
				  "passes" };

	if (!vd_ctx_profile_empty(pr))
		return VERDICT_OK;
	snprintf(name, sizeof(name), "%d", pr->number);
	return da->cb(&l, da->arg);
}

/* doctor_tables - every table the profile names, present or missing */
static int
doctor_tables(const policy_profile *pr, doctor_arg *da)
{
	size_t nt = pr->nallow + pr->nblock;
	verdict_doctor_line l;
	int rc;

	for (int k = 0; k < 2; k++) {
		const config_strlist *names = k ? &pr->cfg->block_tables :
					      &pr->cfg->allow_tables;

		for (size_t i = 0; i < names->n; i++) {
			size_t j;

			for (j = 0; j < nt; j++)
				if (strcmp(pr->names[j], names->v[i]) == 0)
					break;
			l.what = "table";
			l.name = names->v[i];
			l.ok = j < nt;
			l.detail = !l.ok ? "missing: named in the config but "
				   "not in the database" : k ?
				   "block table present" :
				   "allow table present";
			if ((rc = da->cb(&l, da->arg)) != 0)
				return rc;
		}
	}
	return VERDICT_OK;
}

/* What an allow table covers. */
typedef struct allow_cov {
	vd_cover cv;		/* IPv4 */
	int wide6;		/* an IPv6 network wider than a /16 */
} allow_cov;

/* doctor_allow_entry - an allow table's entry into its coverage */
static int
doctor_allow_entry(const tbl_entry *e, void *arg)
{
	allow_cov *ac = arg;
	vaddr lo, hi;

	if (vd_cidr_is_v4(&e->cidr)) {
		vd_cover_add(&ac->cv, &e->cidr);
		return 0;
	}
	vd_special_cidr_range(&e->cidr, &lo, &hi);
	ac->wide6 |= vd_special_wide(&lo, &hi, NULL);
	return 0;
}

/* doctor_wide - trusted networks and allow tables wider than a /8 pass
 * a continent unchecked: warnings (ok 2), since it may be meant */
static int
doctor_wide(verdict_ctx *ctx, const policy_profile *pr, doctor_arg *da)
{
	const config_profile *p = pr->cfg;
	char why[120], name[CIDR_TEXT_MAX], msg[200];
	verdict_doctor_line l = { "trusted_networks", name, 2, msg };
	vaddr lo, hi;
	int rc;

	for (size_t i = 0; i < p->ntrusted; i++) {
		vd_special_cidr_range(&p->trusted[i], &lo, &hi);
		if (!vd_special_wide_why(&lo, &hi, why, sizeof(why)))
			continue;
		vd_cidr_format(&p->trusted[i], name);
		snprintf(msg, sizeof(msg), "%s: every address in it passes "
			 "unchecked", why);
		if ((rc = da->cb(&l, da->arg)) != 0)
			return rc;
	}
	l.what = "table";
	for (size_t k = 0; ctx->te && k < pr->nallow; k++) {
		allow_cov ac = { { 0 }, 0 };
		uint64_t pub = 0;

		rc = vd_entries_dump(ctx->te, pr->names[k], doctor_allow_entry,
				     &ac);
		if (rc == VERDICT_OK)
			pub = vd_cover_public(&ac.cv);
		vd_cover_free(&ac.cv);
		if (rc != VERDICT_OK || (!ac.wide6 && pub <= (uint64_t)1 << 24))
			continue;
		l.name = pr->names[k];
		if (ac.wide6)
			snprintf(msg, sizeof(msg), "allow table holds an IPv6 "
				 "network wider than a /16: every address in "
				 "it passes unchecked");
		else
			snprintf(msg, sizeof(msg), "allow table covers %llu "
				 "public IPv4 addresses, more than a /8: every "
				 "address in it passes unchecked",
				 (unsigned long long)pub);
		if ((rc = da->cb(&l, da->arg)) != 0)
			return rc;
	}
	return VERDICT_OK;
}

VERDICT_API int
verdict_doctor(verdict_ctx *ctx, int profile,
	       int (*cb)(const verdict_doctor_line *, void *), void *arg)
{
	doctor_arg da = { cb, arg, NULL };
	const policy_profile *pr;
	int rc;

	if (!ctx->opened)
		return vd_err_set(VERDICT_ESTATE, 0, "context not open");
	if ((pr = vd_ctx_profile(ctx, profile)) == NULL)
		return vd_err_set(VERDICT_ENOENT, 0, "no [profile %d]",
				   profile);
	if ((rc = doctor_profile(pr, &da)) != 0)
		return rc;
	if ((rc = doctor_database(ctx, &da)) != 0)
		return rc;
	if ((rc = doctor_tables(pr, &da)) != 0 ||
	    (rc = doctor_wide(ctx, pr, &da)) != 0)
		return rc;
	if (pr->sites && ctx->dns) {
		int64_t ms = pr->cfg->dnsbl_timeout_ms;

		da.what = "zone";
		rc = vd_selftest_doctor(ctx->dns, pr->sites, vd_clock_now_ns() +
				     (ms > 0 ? ms : DOCTOR_DEFAULT_TIMEOUT_MS) *
				     1000000, doctor_item, &da);
		if (rc != 0)
			return rc;
	}
	if (ctx->geo) {
		da.what = "geoip";
		if ((rc = vd_geo_doctor(ctx->geo, doctor_item, &da)) != 0)
			return rc;
	}
	return VERDICT_OK;
}
