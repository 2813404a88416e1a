/*
 * georule.c - a profile's country and ASN rules on a lookup (geo.h)
 *
 *	vd_georule_decide	allow, block or weight from country_weights,
 *			asn_weights, block_* and allow_* of a profile
 *	vd_georule_profile_uses 1 if a profile has any geo rule
 *
 * The rules are plain lists from the config: the lists are short (a
 * handful of countries and AS numbers a site cares about), so a linear
 * scan is both the simplest and the cheapest form.  An allow beats a
 * block because sites use allow_* to exempt a partner inside a blocked
 * country or AS; weights are summed whatever the decision, so a
 * --json caller sees what geo would have added.
 *
 * Diagnostics: none; pure functions.
 *
 * Limits: a lookup without data matches nothing, so a missing or damaged
 * database never blocks by itself.  Country codes compare
 * case-insensitively, two ASCII letters only.  The weight sum saturates
 * at the int range.
 */
#include <stdio.h>

#include "geo.h"

/* georule_item_match - 1 if one rule item names the country or the ASN */
static int
georule_item_match(const config_geo_item *it, const geo_info *in)
{
	if (it->country[0] && in->have_country) {
		char a = it->country[0], b = it->country[1];

		if (a >= 'a' && a <= 'z')
			a = (char)(a - 'a' + 'A');
		if (b >= 'a' && b <= 'z')
			b = (char)(b - 'a' + 'A');
		if (a == in->country[0] && b == in->country[1] &&
		    it->country[2] == 0)
			return 1;
	}
	return it->asn && in->have_asn && it->asn == in->asn;
}

/* georule_list_match - the first matching item of l, or NULL */
static const config_geo_item *
georule_list_match(const config_geolist *l, const geo_info *in)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (georule_item_match(&l->v[i], in))
			return &l->v[i];
	return NULL;
}

/* georule_name - "country CN" or "AS64496" for a matched item */
static void
georule_name(const config_geo_item *it, const geo_info *in, char *buf,
	 size_t len)
{
	if (it->country[0] && in->have_country)
		snprintf(buf, len, "country %s", in->country);
	else
		snprintf(buf, len, "AS%lu", (unsigned long)it->asn);
}

int
vd_georule_decide(const config_profile *p, const geo_info *info, int *weight,
	   char *why, size_t whylen)
{
	const config_geo_item *hit;
	const config_geolist *wl[2];
	char part[32];
	long long sum = 0;
	size_t i, j, used = 0;
	int matched, ret = GEO_NONE;

	if (why && whylen)
		why[0] = 0;
	if (!info->have_country && !info->have_asn) {
		if (weight)
			*weight = 0;
		return GEO_NONE;
	}

	wl[0] = &p->country_weights;
	wl[1] = &p->asn_weights;
	for (j = 0; j < 2; j++) {
		matched = 0;
		for (i = 0; i < wl[j]->n; i++) {
			if (!georule_item_match(&wl[j]->v[i], info))
				continue;
			sum += wl[j]->v[i].weight;
			if (matched++)
				continue;
			/* name each kind once in why */
			georule_name(&wl[j]->v[i], info, part, sizeof(part));
			if (why && used < whylen) {
				int n = snprintf(why + used, whylen - used,
						 "%s%s", used ? ", " : "", part);

				if (n > 0)
					used += (size_t)n;
			}
		}
	}
	if (weight)
		*weight = sum > INT32_MAX ? INT32_MAX :
		    sum < INT32_MIN ? INT32_MIN : (int)sum;

	/* allow beats block: exempt these */
	if ((hit = georule_list_match(&p->allow_countries, info)) != NULL ||
	    (hit = georule_list_match(&p->allow_asns, info)) != NULL)
		ret = GEO_ALLOW;
	else if ((hit = georule_list_match(&p->block_countries, info)) != NULL ||
		 (hit = georule_list_match(&p->block_asns, info)) != NULL)
		ret = GEO_BLOCK;
	if (hit && why && whylen)
		georule_name(hit, info, why, whylen);
	return ret;
}

int
vd_georule_profile_uses(const config_profile *p)
{
	return p->country_weights.n || p->asn_weights.n ||
	    p->block_countries.n || p->block_asns.n ||
	    p->allow_countries.n || p->allow_asns.n;
}
