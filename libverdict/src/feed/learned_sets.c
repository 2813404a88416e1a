/*
 * learned_sets.c - nft and ipset sets of the learned blocks
 *
 *	vd_feed_learned_sets	NAME_learned_v4/_v6 with per-element timeouts
 *
 * Each element carries the time after which its score is below the
 * threshold, so the kernel drops it without another feed run; ipset
 * takes at most FEED_IPSET_TIMEOUT_MAX seconds, an element already due
 * gets 1 s.
 */
#include "cidr.h"
#include "feed_run.h"

void
vd_feed_learned_sets(feed_run *fr, int fam)
{
	const feed_opts *o = fr->o;
	const char *nm = o->name, *sfx = fam == 4 ? "_v4" : "_v6";
	size_t n = 0;

	if (o->format == FEED_NFT)
		fprintf(fr->out, "flush set inet %s %s_learned%s\n",
			o->nft_table, nm, sfx);
	else
		fprintf(fr->out, "create %s_learned%s hash:net family %s "
			"timeout 0 -exist\ndestroy %s_learned%s_tmp -exist\n"
			"create %s_learned%s_tmp hash:net family %s "
			"timeout 0\n", nm, sfx, fam == 4 ? "inet" : "inet6",
			nm, sfx, nm, sfx, fam == 4 ? "inet" : "inet6");
	for (size_t i = 0; i < o->nlearned; i++) {
		const feed_learned *l = &o->learned[i];
		char buf[CIDR_TEXT_MAX];
		uint32_t t = l->timeout ? l->timeout : 1;

		if (vd_addr_is_v4(&l->key.net) != (fam == 4))
			continue;
		vd_cidr_format(&l->key, buf);
		if (o->format == FEED_IPSET) {
			fprintf(fr->out, "add %s_learned%s_tmp %s timeout "
				"%u\n", nm, sfx, buf, t > FEED_IPSET_TIMEOUT_MAX ?
				FEED_IPSET_TIMEOUT_MAX : t);
			continue;
		}
		if (n % FEED_NFT_CHUNK == 0) {
			if (n)
				put(fr, " }\n");
			fprintf(fr->out, "add element inet %s %s_learned%s { ",
				o->nft_table, nm, sfx);
		} else {
			put(fr, ",\n\t");
		}
		fprintf(fr->out, "%s timeout %us", buf, t);
		n++;
	}
	if (o->format == FEED_NFT && n)
		put(fr, " }\n");
	if (o->format == FEED_IPSET)
		fprintf(fr->out, "swap %s_learned%s_tmp %s_learned%s\n"
			"destroy %s_learned%s_tmp\n", nm, sfx, nm, sfx, nm,
			sfx);
}
