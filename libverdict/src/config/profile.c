/*
 * profile.c - the sections of verdict.conf(5) (profile.h)
 *
 *	vd_profile_parse	the text into the global section and profiles
 *
 * The lexer calls back here for every "key = value" and every
 * "[profile N]".  A key is looked up in the keys table, refused when it
 * is global-only inside a profile or set twice in one section, and its
 * value stored in the section being read.  Nothing is modified after
 * parsing, which makes the sharing of lists between sections safe.
 *
 * Diagnostics: "FILE:LINE: what" for a global key in a profile, a key
 * set twice ("first set at line N"), a profile declared twice,
 * dnsbl_min_ttl above dnsbl_max_ttl (at the later of the two lines), and
 * milter_profiles naming an undeclared profile (at its line).
 *
 * Limits: profile numbers 1..CONFIG_PROFILE_MAX.  Profile 1 always exists:
 * when undeclared it is a copy of the global section.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "keys.h"
#include "lexer.h"
#include "profile.h"
#include "str.h"
#include "value.h"

/* parse - the state of one parse */
struct parse {
	vd_lexer lx;
	vd_arena *a;
	vd_config *cfg;
	config_profile *cur;		/* section being filled; its number
					 * is 0 for the global one */
	int set_line[VD_KEYS_MAX];	/* where each key was set in it */
	int prof_line[CONFIG_PROFILE_MAX + 1];	/* header lines */
	config_profile *prof[CONFIG_PROFILE_MAX + 1];
	int mprofiles_line;
};

/* on_key - one complete "key = value" into the current section */
static int
on_key(void *arg, const char *key, size_t klen, const char *v, size_t vlen,
       int line)
{
	struct parse *p = arg;
	const vd_key *k;
	char *base;
	int i;

	if ((i = vd_keys_lookup(&p->lx, key, klen, line)) < 0)
		return -1;
	k = &vd_keys[i];
	if (k->global && p->cur->number)
		return vd_lexer_err(&p->lx, line, "\"%s\" is a global key; "
				    "move it above the first [profile]",
				    k->name);
	if (p->set_line[i])
		return vd_lexer_err(&p->lx, line, "\"%s\" is set twice in %s; "
				    "first set at line %d", k->name,
				    p->cur->number ? "this [profile]" :
				    "the global section", p->set_line[i]);
	p->set_line[i] = line;
	base = k->global ? (char *)p->cfg : (char *)p->cur;
	if (vd_value_set(&p->lx, p->a, k, base, v, vlen, line) != 0)
		return -1;
	if (k->type == K_MPROFILES)
		p->mprofiles_line = line;
	return 0;
}

/* end_section - checks that need the whole section */
static int
end_section(struct parse *p)
{
	const config_profile *c = p->cur;
	int lmin = p->set_line[vd_keys_index("dnsbl_min_ttl")];
	int lmax = p->set_line[vd_keys_index("dnsbl_max_ttl")];

	if (c->dnsbl_min_ttl > c->dnsbl_max_ttl)
		return vd_lexer_err(&p->lx, lmin > lmax ? lmin : lmax,
				    "dnsbl_min_ttl (%llds) is greater than "
				    "dnsbl_max_ttl (%llds)",
				    (long long)c->dnsbl_min_ttl,
				    (long long)c->dnsbl_max_ttl);
	return 0;
}

/* new_profile - profile n, a copy of the global section; NULL when out
 * of memory */
static config_profile *
new_profile(struct parse *p, int n)
{
	config_profile *pr = vd_arena_alloc(p->a, sizeof(*pr));

	if (pr == NULL)
		return NULL;
	*pr = p->cfg->global;
	pr->number = n;
	p->prof[n] = pr;
	return pr;
}

/* on_section - "[profile n]": end the section before, start a copy of
 * the global one */
static int
on_section(void *arg, int n, int line)
{
	struct parse *p = arg;
	config_profile *pr;

	if (p->prof_line[n])
		return vd_lexer_err(&p->lx, line, "[profile %d] is declared "
				    "twice; first at line %d", n,
				    p->prof_line[n]);
	if (end_section(p) != 0)
		return -1;
	if ((pr = new_profile(p, n)) == NULL)
		return vd_lexer_oom(&p->lx);
	p->prof_line[n] = line;
	p->cur = pr;
	memset(p->set_line, 0, sizeof(p->set_line));
	return 0;
}

/* check_milter_profiles - every profile named must be declared */
static int
check_milter_profiles(struct parse *p)
{
	const vd_config *cfg = p->cfg;
	size_t i;

	for (i = 0; i < cfg->milter_profiles.n; i++) {
		const char *v = cfg->milter_profiles.v[i].value;
		long m;

		if (strcmp(v, "none") == 0)
			continue;
		if (vd_str_parse_long(v, strlen(v), 1, CONFIG_PROFILE_MAX,
				       &m) != 0 ||
		    vd_config_profile_get(cfg, (int)m) == NULL)
			return vd_lexer_err(&p->lx, p->mprofiles_line,
					    "milter_profiles: %s=%s names "
					    "[profile %s], which is not "
					    "declared",
					    cfg->milter_profiles.v[i].name, v,
					    v);
	}
	return 0;
}

/* finish - the profile array (profile 1 implicit), cross-section checks */
static int
finish(struct parse *p)
{
	vd_config *cfg = p->cfg;
	size_t n = 0;
	int num;

	if (p->prof[1] == NULL && new_profile(p, 1) == NULL)
		return vd_lexer_oom(&p->lx);
	for (num = 1; num <= CONFIG_PROFILE_MAX; num++)
		n += p->prof[num] != NULL;
	cfg->profiles = vd_arena_array(p->a, n, sizeof(*cfg->profiles));
	if (cfg->profiles == NULL)
		return vd_lexer_oom(&p->lx);
	for (num = 1; num <= CONFIG_PROFILE_MAX; num++)
		if (p->prof[num])
			cfg->profiles[cfg->nprofiles++] = *p->prof[num];
	return check_milter_profiles(p);
}

/* vd_profile_parse - the state is a few KiB: on the heap, not the stack
 * of a host's thread */
int
vd_profile_parse(vd_config *cfg, const char *path, const char *text,
		 size_t size, char *err, size_t errlen)
{
	struct parse *p;
	int rc = -1;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		if (errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	p->lx.path = path;
	p->lx.err = err;
	p->lx.errlen = errlen;
	p->lx.key = on_key;
	p->lx.section = on_section;
	p->lx.arg = p;
	p->a = cfg->arena;
	p->cfg = cfg;
	p->cur = &cfg->global;
	if (vd_lexer_run(&p->lx, text, size) != 0 || end_section(p) != 0 ||
	    finish(p) != 0)
		goto out;
	rc = 0;
out:
	free(p);
	return rc;
}
