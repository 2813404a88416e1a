/*
 * geo.c - country and ASN of an address from MMDB files (libmaxminddb)
 *
 *	vd_geo_open	open geoip_country_db / geoip_asn_db of a config
 *	vd_geo_close	close them
 *	vd_geo_lookup	country and ASN of an address (thread-safe, hot path)
 *	vd_geo_lookup_ex	the same, optionally without the AS organisation
 *	vd_geo_decide	a profile's geo rules on a lookup: allow, block, weight
 *	vd_geo_profile_uses 1 if a profile has any geo rule
 *	vd_geo_doctor	report each configured file (verdict doctor)
 *	vd_geo_find_pair	the search-tree walk of vd_geo_lookup, for tests
 *
 * Each file is held by a handle (one MMDB_s, mapped with MMDB_MODE_MMAP)
 * published through an atomic pointer.  A lookup counts itself in (grace.h:
 * two uncontended atomics on its thread's stripe), loads the pointers,
 * looks up and decodes without any lock, and counts itself out.  A reload
 * swaps the pointer and retires the old handle, closed at the end of the
 * grace period; nobody waits for it: the thread that swapped advances it
 * as far as it can, later lookups finish it (a try-lock, tried only while
 * one is pending).
 *
 * The search trees are walked here, not by MMDB_lookup_sockaddr: both
 * trees in one loop, a node of each per step, so the two chains of
 * dependent loads (one cache miss per level of a large tree) overlap
 * instead of adding up.  The walk gives what MMDB_lookup_sockaddr gives -
 * found or not, the entry offset in the data section, the netmask, and
 * its errors: an IPv6 address in an IPv4 tree, a record pointing past
 * the data section.  IPv4 in an IPv6 tree starts at the record 96 zero
 * bits reach, found once per handle at open.  A node index is always
 * < node_count, and the nodes were checked to lie in the mapping.  A
 * file whose layout is not the one of the spec (record size, data
 * section where libmaxminddb put it) is looked up with
 * MMDB_lookup_sockaddr.  MMDB_get_value still decodes the record.
 *
 * Decoded values are memoised per handle by data-section offset: many
 * networks share one record (a country, an AS), the data at an offset
 * never changes while the file is mapped, and the memo dies with the
 * handle.  A memo slot is one 64-bit word (offset + 1, value) read and
 * written atomically, so a hit costs one load instead of a map walk.
 *
 * Reloading: the hot path reads the next-check time with one relaxed
 * atomic load.  When it is due, one thread (trylock: the others go on
 * with the handle they have) stat()s the file and compares its identity
 * (st_dev, st_ino, st_size, st_mtim) with the last one it tried; a new
 * identity is opened, checked and swapped in.  A replacement that fails
 * to open is logged once per identity and the previous copy stays in
 * service; a file that failed is retried only when its identity changes,
 * so a broken file is not reopened (and re-logged) every interval.
 *
 * Why the plausibility check: libmaxminddb 1.7.1 does not detect every
 * corruption.  At open we insist on a database_type, ip_version 4 or 6,
 * record size 24/28/32, a search tree (node_count x record bytes) that
 * fits in the file, and a build epoch in [2000, 2100).  A file failing it
 * is treated like one that does not open.
 *
 * Diagnostics: LOG_ERR once per failure of a file ("geoip_country_db
 * PATH: why; no geo data from it" or "...; still using the copy opened
 * before"), LOG_INFO when a replaced file has been reopened.  Lookups
 * never log: a lookup or decode error is simply "no data".
 *
 * Limits: replace a database by rename(2).  Overwriting a mapped file in
 * place changes the pages under every reader and can crash it (SIGBUS,
 * or garbage the library follows); the identity check only notices the
 * change afterwards.  Outright geo rules are only as good as the file: a
 * damaged tree that 1.7.1 does not detect can return plausible but wrong
 * data.  geoip_check_interval <= 0 turns reloading off.  A configured
 * file that is deleted keeps being served from the old mapping.
 */
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "geo.h"
#include "grace.h"

#define GEO_EPOCH_MIN	946684800ULL	/* 2000-01-01 */
#define GEO_EPOCH_MAX	4102444800ULL	/* 2100-01-01 */
#define GEO_INTERVAL_MAX (86400LL * 366)	/* seconds, keeps ns in range */

enum { GEO_COUNTRY = 0, GEO_ASN = 1, GEO_NFILES = 2 };

typedef struct geo_ident {
	dev_t	dev;
	ino_t	ino;
	off_t	size;
	struct timespec mtim;
} geo_ident;

#define GEO_MEMO_BITS	12		/* memo slots per handle: 32 KiB */

/* The search tree of one mapped file, as our walk reads it.  rs 0: walk
 * it with MMDB_lookup_sockaddr (metadata we do not know for sure). */
typedef struct geo_tree {
	const uint8_t *base;		/* node 0: start of the mapping */
	uint32_t nodes;			/* node_count */
	uint32_t data_size;		/* data_section_size of libmaxminddb */
	uint32_t v4node;		/* IPv6 tree: the record 96 zero bits */
	uint16_t v4bit;			/* reach, and how deep it is (< 96:
					 * every IPv4 address maps to it) */
	uint8_t	rs;			/* record bits 24, 28, 32; 0: fallback */
	uint8_t	v6;			/* ip_version 6 */
} geo_tree;

/* One opened file, closed by geo_handle_close() after its grace period.
 * memo[]: (data offset + 1) << 32 | value; 0 is an empty slot.  Values:
 * country 'C' << 8 | 'N', ASN the number; 0 means "none in the record". */
typedef struct geo_handle {
	MMDB_s	mmdb;
	geo_tree tree;
	geo_ident id;
	_Atomic uint64_t memo[1u << GEO_MEMO_BITS];
} geo_handle;

typedef struct geo_file {
	const char *key;		/* config key, for messages */
	char	*path;			/* NULL: not configured */
	_Atomic(geo_handle *) cur;	/* in service; NULL: no data; swapped
					 * under check */
	pthread_mutex_t check;		/* one checker; guards what follows */
	_Atomic int64_t next_check;	/* monotonic ns */
	geo_ident tried;		/* identity of the last file tried */
	int	tried_valid;		/* tried holds a stat() result */
	int	tried_errno;		/* errno of the last failed stat() */
	char	status[320];		/* "" or why the file on disk is not
					 * the one in service */
} geo_file;

struct geo_db {
	grace	gr;			/* first: the allocation is aligned;
					 * writer side under retire_mu */
	geo_file f[GEO_NFILES];
	pthread_mutex_t retire_mu;	/* guards what follows and gr */
	geo_handle *retired[GEO_NFILES]; /* swapped out, grace period running */
	int64_t	interval_ns;		/* 0: never check again */
	vd_logger lg;
};

/* geo_ident_of - the identity of a stat() result */
static void
geo_ident_of(const struct stat *st, geo_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtim = st->st_mtim;
}

static int
geo_ident_eq(const geo_ident *a, const geo_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec;
}

/* geo_plausible - the metadata checks 1.7.1 does not make; 0 ok, -1 */
static int
geo_plausible(const MMDB_s *m, char *err, size_t errlen)
{
	const MMDB_metadata_s *md = &m->metadata;
	uint64_t tree;

	if (md->database_type == NULL || md->database_type[0] == 0) {
		snprintf(err, errlen, "implausible metadata: no database_type");
		return -1;
	}
	if (md->ip_version != 4 && md->ip_version != 6) {
		snprintf(err, errlen, "implausible metadata: ip_version %u",
			 (unsigned)md->ip_version);
		return -1;
	}
	if (md->record_size != 24 && md->record_size != 28 &&
	    md->record_size != 32) {
		snprintf(err, errlen, "implausible metadata: record_size %u",
			 (unsigned)md->record_size);
		return -1;
	}
	/* node_count is 32 bits, a node at most 8 bytes: no overflow */
	tree = (uint64_t)md->node_count * (md->record_size / 4);
	if (md->node_count == 0 || m->file_size < 0 ||
	    tree + 16 > (uint64_t)m->file_size) {
		snprintf(err, errlen, "implausible metadata: %u nodes of %u "
			 "bits do not fit in a file of %lld bytes",
			 (unsigned)md->node_count, (unsigned)md->record_size,
			 (long long)m->file_size);
		return -1;
	}
	if (md->build_epoch < GEO_EPOCH_MIN || md->build_epoch >= GEO_EPOCH_MAX) {
		snprintf(err, errlen, "implausible metadata: build_epoch %llu",
			 (unsigned long long)md->build_epoch);
		return -1;
	}
	return 0;
}

/*
 * geo_rec - record bit (0 left, 1 right) of node v of a tree of rs-bit
 * records at base.  The caller keeps v < node_count; geo_tree_init
 * checked that the nodes lie in the mapping.  Inlined with a constant rs
 * in the common loop.
 */
static inline __attribute__((always_inline)) uint32_t
geo_rec(const uint8_t *base, unsigned rs, uint32_t v, unsigned bit)
{
	const uint8_t *p;

	switch (rs) {
	case 24:
		p = base + (size_t)v * 6 + bit * 3;
		return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	case 28:
		p = base + (size_t)v * 7;
		if (bit)
			return ((uint32_t)p[3] & 0x0f) << 24 |
			    (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
		return ((uint32_t)p[3] & 0xf0) << 20 |
		    (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	default:
		p = base + (size_t)v * 8 + bit * 4;
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	}
}

/*
 * geo_tree_init - what our walk needs of h's tree, or rs = 0 when the
 * layout is not the one we know (then MMDB_lookup_sockaddr walks it).
 * The IPv4 start of an IPv6 tree is found here, once: 96 left records
 * from node 0, stopping early at a record that is not a node.
 */
static void
geo_tree_init(const MMDB_s *m, geo_tree *t)
{
	const MMDB_metadata_s *md = &m->metadata;
	uint64_t size;
	uint32_t v = 0;
	uint16_t bit = 0;

	memset(t, 0, sizeof(*t));
	if ((md->record_size != 24 && md->record_size != 28 &&
	     md->record_size != 32) ||
	    (md->ip_version != 4 && md->ip_version != 6) ||
	    md->node_count == 0 || m->file_content == NULL ||
	    m->file_size < 0)
		return;
	size = (uint64_t)md->node_count * (md->record_size / 4);
	/* the layout libmaxminddb computed must be the one we read */
	if (size + 16 > (uint64_t)m->file_size ||
	    m->data_section != m->file_content + size + 16 ||
	    (uint64_t)md->node_count + m->data_section_size > UINT32_MAX)
		return;
	t->base = m->file_content;
	t->nodes = md->node_count;
	t->data_size = m->data_section_size;
	t->v6 = md->ip_version == 6;
	t->rs = (uint8_t)md->record_size;
	if (t->v6)
		for (; bit < 96 && v < t->nodes; bit++)
			v = geo_rec(t->base, t->rs, v, 0);
	t->v4node = v;
	t->v4bit = bit;
}

/* geo_found_of - what MMDB_lookup_sockaddr makes of the record v reached
 * at depth bit */
static void
geo_found_of(const geo_tree *t, uint32_t v, unsigned bit, geo_found *f)
{
	f->netmask = (uint16_t)bit;
	if ((uint64_t)v >= (uint64_t)t->nodes + t->data_size)
		f->err = MMDB_CORRUPT_SEARCH_TREE_ERROR;	/* off the end */
	else if (v == t->nodes)
		f->found = 0;				/* empty record */
	else {
		f->found = 1;
		/* a value in (nodes, nodes + 16) wraps like libmaxminddb's;
		 * MMDB_get_value refuses such an offset */
		f->offset = v - t->nodes - 16;
	}
}

#define GEO_BIT(a, b)	((a)[(b) >> 3] >> (7 - ((b) & 7)) & 1u)

/*
 * geo_walk2 - look ip up in the trees t[0] and t[1] (either may be NULL)
 * in lockstep: each step reads the next node of both trees, so the two
 * chains of dependent cache misses overlap instead of adding up.
 * v4: ip is ::ffff:a.b.c.d, looked up as IPv4 (the ::a.b.c.d subtree of
 * an IPv6 tree, as MMDB_lookup_sockaddr does for AF_INET).  A node index
 * >= nodes is never read.
 */
static void
geo_walk2(const geo_tree *const t[2], const vaddr *ip, int v4,
	  geo_found out[2])
{
	const uint8_t *a[2], *p[2];
	uint32_t v[2], n[2];
	unsigned b[2], d[2], rs[2];
	int i;

	for (i = 0; i < 2; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		a[i] = ip->b;
		p[i] = NULL;
		v[i] = n[i] = 0;
		b[i] = d[i] = rs[i] = 0;	/* nothing to walk */
		if (t[i] == NULL)
			continue;
		p[i] = t[i]->base;
		rs[i] = t[i]->rs;
		out[i].ours = 1;
		if (!t[i]->v6 && !v4) {
			out[i].err = MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR;
			continue;
		}
		n[i] = t[i]->nodes;
		if (!t[i]->v6) {
			a[i] = ip->b + 12;
			d[i] = 32;
		} else {
			d[i] = 128;
			if (v4) {
				/* bits >= 96 of ::ffff:a.b.c.d are a.b.c.d;
				 * v4bit < 96 means v4node is a record */
				v[i] = t[i]->v4node;
				b[i] = t[i]->v4bit;
			}
		}
	}
	/* the two walks side by side; 24-bit records (the usual) inlined */
#define GEO_BOTH(rs0, rs1)						\
	while (b[0] < d[0] && v[0] < n[0] && b[1] < d[1] && v[1] < n[1]) { \
		v[0] = geo_rec(p[0], rs0, v[0], GEO_BIT(a[0], b[0]));	\
		v[1] = geo_rec(p[1], rs1, v[1], GEO_BIT(a[1], b[1]));	\
		b[0]++;							\
		b[1]++;							\
	}
	if (rs[0] == 24 && rs[1] == 24) {
		GEO_BOTH(24, 24)
	} else {
		GEO_BOTH(rs[0], rs[1])
	}
#undef GEO_BOTH
	for (i = 0; i < 2; i++) {
		while (b[i] < d[i] && v[i] < n[i]) {
			v[i] = geo_rec(p[i], rs[i], v[i], GEO_BIT(a[i], b[i]));
			b[i]++;
		}
		if (d[i])
			geo_found_of(t[i], v[i], b[i], &out[i]);
	}
}

/*
 * geo_handle_open - open and check path.  VERDICT_OK with *out holding
 * one reference; VERDICT_ENOMEM; VERDICT_EGEO with err set.
 */
static int
geo_handle_open(const char *path, const geo_ident *id, geo_handle **out,
		char *err, size_t errlen)
{
	geo_handle *h;
	int rc, e;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return VERDICT_ENOMEM;
	errno = 0;
	rc = MMDB_open(path, MMDB_MODE_MMAP, &h->mmdb);
	e = errno;
	if (rc != MMDB_SUCCESS) {
		free(h);
		if (rc == MMDB_OUT_OF_MEMORY_ERROR)
			return VERDICT_ENOMEM;
		if ((rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR) && e)
			snprintf(err, errlen, "%s (%s)", MMDB_strerror(rc),
				 strerror(e));
		else
			snprintf(err, errlen, "%s", MMDB_strerror(rc));
		return VERDICT_EGEO;
	}
	if (geo_plausible(&h->mmdb, err, errlen) != 0) {
		MMDB_close(&h->mmdb);
		free(h);
		return VERDICT_EGEO;
	}
	geo_tree_init(&h->mmdb, &h->tree);
	h->id = *id;
	*out = h;
	return VERDICT_OK;
}

/* geo_handle_close - unmap and free; no lookup may hold h */
static void
geo_handle_close(geo_handle *h)
{
	if (h) {
		MMDB_close(&h->mmdb);
		free(h);
	}
}

/* geo_retire_step - (retire_mu held) advance the grace period as far as
 * it goes now, never waiting; close the retired handles at its end */
static void
geo_retire_step(geo_db *g)
{
	int i;

	if (!vd_grace_step(&g->gr))
		return;
	for (i = 0; i < GEO_NFILES; i++) {
		geo_handle_close(g->retired[i]);
		g->retired[i] = NULL;
	}
}

/* geo_memo_get - the memoised value of the record at off; 1 hit, 0 miss */
static int
geo_memo_get(geo_handle *h, uint32_t off, uint32_t *val)
{
	uint32_t slot = (off * 2654435761u) >> (32 - GEO_MEMO_BITS);
	uint64_t w = atomic_load_explicit(&h->memo[slot],
					  memory_order_relaxed);

	if (w >> 32 != (uint64_t)off + 1)
		return 0;
	*val = (uint32_t)w;
	return 1;
}

static void
geo_memo_put(geo_handle *h, uint32_t off, uint32_t val)
{
	uint32_t slot = (off * 2654435761u) >> (32 - GEO_MEMO_BITS);

	if (off != UINT32_MAX)
		atomic_store_explicit(&h->memo[slot],
				      ((uint64_t)off + 1) << 32 | val,
				      memory_order_relaxed);
}

/* geo_now - the clock of the reload checks: coarse is enough for an
 * interval of seconds and costs a fraction of CLOCK_MONOTONIC */
static int64_t
geo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * geo_refresh - (check lock held) open the file when its identity differs
 * from the last one tried.  Returns VERDICT_ENOMEM or VERDICT_OK (a file
 * that fails is logged, not an error).
 */
static int
geo_refresh(geo_db *g, geo_file *f)
{
	struct stat st;
	geo_ident id;
	geo_handle *h, *old;
	char err[256];
	int rc;

	if (stat(f->path, &st) != 0) {
		int e = errno;

		if (f->tried_errno != e) {
			f->tried_errno = e;
			f->tried_valid = 0;
			snprintf(f->status, sizeof(f->status), "%s",
				 strerror(e));
			vd_log(&g->lg, LOG_ERR, "%s %s: %s; %s", f->key,
			       f->path, strerror(e), f->cur ?
			       "still using the copy opened before" :
			       "no geo data from it");
		}
		return VERDICT_OK;
	}
	geo_ident_of(&st, &id);
	if (f->tried_valid && geo_ident_eq(&id, &f->tried))
		return VERDICT_OK;
	/* one retired handle per file: a second replacement of the same
	 * file waits for the next check while the first one's grace period
	 * runs (lookups finish it within microseconds) */
	pthread_mutex_lock(&g->retire_mu);
	geo_retire_step(g);
	rc = g->retired[f - g->f] != NULL;
	pthread_mutex_unlock(&g->retire_mu);
	if (rc)
		return VERDICT_OK;
	rc = geo_handle_open(f->path, &id, &h, err, sizeof(err));
	if (rc == VERDICT_ENOMEM)
		return rc;
	f->tried = id;
	f->tried_valid = 1;
	f->tried_errno = 0;
	if (rc != VERDICT_OK) {
		snprintf(f->status, sizeof(f->status), "%s", err);
		vd_log(&g->lg, LOG_ERR, "%s %s: %s; %s", f->key, f->path, err,
		       f->cur ? "still using the copy opened before" :
		       "no geo data from it");
		return VERDICT_OK;
	}
	old = atomic_exchange(&f->cur, h);
	f->status[0] = 0;
	if (old) {
		vd_log(&g->lg, LOG_INFO, "%s %s: replaced file reopened",
		       f->key, f->path);
		pthread_mutex_lock(&g->retire_mu);
		g->retired[f - g->f] = old;
		vd_grace_start(&g->gr);
		geo_retire_step(g);
		pthread_mutex_unlock(&g->retire_mu);
	}
	return VERDICT_OK;
}

/* geo_check - reopen f if due (or force); one thread at a time */
static void
geo_check(geo_db *g, geo_file *f, int64_t now, int force)
{
	if (force)
		pthread_mutex_lock(&f->check);
	else if (pthread_mutex_trylock(&f->check) != 0)
		return;		/* another thread checks: use the old one */
	if (force || now >= atomic_load_explicit(&f->next_check,
						 memory_order_relaxed)) {
		atomic_store_explicit(&f->next_check, now + g->interval_ns,
				      memory_order_relaxed);
		pthread_mutex_lock(&g->retire_mu);
		geo_retire_step(g);
		pthread_mutex_unlock(&g->retire_mu);
		(void)geo_refresh(g, f);	/* ENOMEM: retry next time */
	}
	pthread_mutex_unlock(&f->check);
}

static void
geo_file_init(geo_file *f, const char *key)
{
	f->key = key;
	pthread_mutex_init(&f->check, NULL);
	atomic_init(&f->next_check, 0);
}

void
vd_geo_close(geo_db *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < GEO_NFILES; i++) {
		geo_handle_close(atomic_load(&g->f[i].cur));
		geo_handle_close(g->retired[i]);
		pthread_mutex_destroy(&g->f[i].check);
		free(g->f[i].path);
	}
	pthread_mutex_destroy(&g->retire_mu);
	free(g);
}

int
vd_geo_open(const vd_config *cfg, const vd_logger *lg, geo_db **out)
{
	const char *paths[GEO_NFILES];
	static const char *const keys[GEO_NFILES] = {
		"geoip_country_db", "geoip_asn_db"
	};
	geo_db *g = NULL;
	int64_t now, iv;
	int i, rc = VERDICT_OK;

	*out = NULL;
	paths[GEO_COUNTRY] = cfg->geoip_country_db;
	paths[GEO_ASN] = cfg->geoip_asn_db;
	for (i = 0; i < GEO_NFILES; i++)
		if (paths[i] && paths[i][0] == 0)
			paths[i] = NULL;
	if (paths[GEO_COUNTRY] == NULL && paths[GEO_ASN] == NULL)
		return VERDICT_OK;

	/* aligned: the stripes are one cache line each */
	g = aligned_alloc(64, (sizeof(*g) + 63) & ~(size_t)63);
	if (g == NULL)
		return VERDICT_ENOMEM;
	memset(g, 0, sizeof(*g));
	if (lg)
		g->lg = *lg;
	iv = cfg->geoip_check_interval;
	if (iv > GEO_INTERVAL_MAX)
		iv = GEO_INTERVAL_MAX;
	g->interval_ns = iv > 0 ? iv * 1000000000LL : 0;
	pthread_mutex_init(&g->retire_mu, NULL);
	for (i = 0; i < GEO_NFILES; i++)
		geo_file_init(&g->f[i], keys[i]);
	now = geo_now();
	for (i = 0; i < GEO_NFILES; i++) {
		geo_file *f = &g->f[i];

		if (paths[i] == NULL)
			continue;
		f->path = strdup(paths[i]);
		if (f->path == NULL) {
			rc = VERDICT_ENOMEM;
			goto out;
		}
		pthread_mutex_lock(&f->check);
		rc = geo_refresh(g, f);
		pthread_mutex_unlock(&f->check);
		if (rc != VERDICT_OK)
			goto out;
		atomic_store_explicit(&f->next_check, g->interval_ns ?
				      now + g->interval_ns : INT64_MAX,
				      memory_order_relaxed);
	}
	*out = g;
	g = NULL;
out:
	vd_geo_close(g);
	return rc;
}

/*
 * geo_span_ok - 1 if a decoded string lies inside the mapping.  1.7.1
 * bounds-checks sizes, but a damaged file is exactly where a second look
 * is cheap.
 */
static int
geo_span_ok(const MMDB_s *m, const char *s, uint32_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	const uint8_t *end = m->file_content + m->file_size;

	return p >= m->file_content && p <= end && (size_t)(end - p) >= len;
}

/*
 * geo_cc - map.iso_code of the entry into cc (upper case).  1 found,
 * 0 absent or malformed (try the next key), -1 decode error (stop).
 */
static int
geo_cc(MMDB_entry_s *e, const char *map, char cc[3])
{
	MMDB_entry_data_s d;
	int rc, i;

	rc = MMDB_get_value(e, &d, map, "iso_code", NULL);
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		return 0;
	if (rc != MMDB_SUCCESS)
		return -1;
	if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING ||
	    d.data_size != 2 || !geo_span_ok(e->mmdb, d.utf8_string, 2))
		return 0;
	for (i = 0; i < 2; i++) {
		char c = d.utf8_string[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return 0;
		cc[i] = c;
	}
	cc[2] = 0;
	return 1;
}

/*
 * geo_text - copy a UTF-8 value for output: cut on a character boundary,
 * control bytes and invalid sequences become '?', so JSON and reply
 * renderers get clean text.
 */
static void
geo_text(char *dst, size_t size, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n, k;

	while (i < len && o + 1 < size) {
		unsigned char c = s[i];

		if (c < 0x80) {
			dst[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			i++;
			continue;
		}
		n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 :
		    c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		for (k = 1; n && k <= n; k++)
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				n = 0;
		if (n == 0) {
			dst[o++] = '?';
			i++;
			continue;
		}
		if (o + n + 1 >= size)
			break;		/* the whole character or nothing */
		memcpy(dst + o, s + i, n + 1);
		o += n + 1;
		i += n + 1;
	}
	dst[o] = 0;
}

/* geo_asn - autonomous_system_number (and organisation) of the entry */
static void
geo_asn(MMDB_entry_s *e, geo_info *out, int flags)
{
	MMDB_entry_data_s d;
	uint64_t v;

	if (MMDB_get_value(e, &d, "autonomous_system_number", NULL) !=
	    MMDB_SUCCESS || !d.has_data)
		return;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		v = d.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		v = d.uint32;
		break;
	case MMDB_DATA_TYPE_UINT64:
		v = d.uint64;
		break;
	default:
		return;
	}
	if (v == 0 || v > UINT32_MAX)
		return;
	out->asn = (uint32_t)v;
	out->have_asn = 1;
	/* the organisation is optional: absent or broken leaves "" */
	if (flags & GEO_LOOKUP_NOORG)
		return;
	if (MMDB_get_value(e, &d, "autonomous_system_organization", NULL) ==
	    MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UTF8_STRING &&
	    geo_span_ok(e->mmdb, d.utf8_string, d.data_size))
		geo_text(out->as_org, sizeof(out->as_org), d.utf8_string,
			 d.data_size);
}

/* geo_sockaddr - ip as MMDB_lookup_sockaddr wants it */
static const struct sockaddr *
geo_sockaddr(const vaddr *ip, int v4, struct sockaddr_in *sin,
	     struct sockaddr_in6 *sin6)
{
	if (v4) {
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip->b + 12, 4);
		return (const struct sockaddr *)sin;
	}
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, ip->b, 16);
	return (const struct sockaddr *)sin6;
}

/* geo_find_lib - MMDB_lookup_sockaddr's answer as a geo_found */
static void
geo_find_lib(MMDB_s *m, const vaddr *ip, int v4, geo_found *f)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	MMDB_lookup_result_s r;
	int err = MMDB_SUCCESS;

	memset(f, 0, sizeof(*f));
	r = MMDB_lookup_sockaddr(m, geo_sockaddr(ip, v4, &sin, &sin6), &err);
	f->err = err;
	f->found = err == MMDB_SUCCESS && r.found_entry;
	f->offset = r.entry.offset;
	f->netmask = r.netmask;
}

/* geo_is_v4 - ip is ::ffff:a.b.c.d (looked up as IPv4) */
static int
geo_is_v4(const vaddr *ip)
{
	static const uint8_t v4pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0xff, 0xff };

	return memcmp(ip->b, v4pfx, sizeof(v4pfx)) == 0;
}

/*
 * geo_find2 - the records of ip in m[0] and m[1] (either may be NULL):
 * our lockstep walk for the trees it knows, MMDB_lookup_sockaddr for the
 * others.  t[i] is m[i]'s tree or NULL.
 */
static void
geo_find2(MMDB_s *const m[2], const geo_tree *const t[2], const vaddr *ip,
	  geo_found out[2])
{
	const geo_tree *w[2];
	int i, v4 = geo_is_v4(ip);

	for (i = 0; i < 2; i++)
		w[i] = m[i] && t[i] && t[i]->rs ? t[i] : NULL;
	geo_walk2(w, ip, v4, out);
	for (i = 0; i < 2; i++)
		if (m[i] && w[i] == NULL)
			geo_find_lib(m[i], ip, v4, &out[i]);
}

void
vd_geo_find_pair(struct MMDB_s *m0, struct MMDB_s *m1, const vaddr *ip,
	      geo_found out[2], geo_found lib[2])
{
	MMDB_s *m[2] = { m0, m1 };
	geo_tree t[2];
	const geo_tree *tp[2];
	int i;

	for (i = 0; i < 2; i++) {
		if (m[i])
			geo_tree_init(m[i], &t[i]);
		tp[i] = m[i] ? &t[i] : NULL;
	}
	geo_find2(m, tp, ip, out);
	for (i = 0; lib && i < 2; i++) {
		memset(&lib[i], 0, sizeof(lib[i]));
		if (m[i])
			geo_find_lib(m[i], ip, geo_is_v4(ip), &lib[i]);
	}
}

void
vd_geo_lookup(geo_db *g, const vaddr *ip, geo_info *out)
{
	vd_geo_lookup_ex(g, ip, out, 0);
}

void
vd_geo_lookup_ex(geo_db *g, const vaddr *ip, geo_info *out, int flags)
{
	geo_handle *h[GEO_NFILES];
	MMDB_s *m[GEO_NFILES];
	const geo_tree *t[GEO_NFILES];
	geo_found f[GEO_NFILES];
	MMDB_entry_s e;
	unsigned stripe, parity;
	uint32_t v;
	int64_t now;
	int i;

	out->country[0] = 0;
	out->asn = 0;
	out->as_org[0] = 0;
	out->have_country = out->have_asn = 0;
	if (g == NULL)
		return;

	if (g->interval_ns) {
		now = geo_now();
		for (i = 0; i < GEO_NFILES; i++)
			if (g->f[i].path && now >= atomic_load_explicit(
			    &g->f[i].next_check, memory_order_relaxed))
				geo_check(g, &g->f[i], now, 0);
	}

	stripe = vd_grace_self_stripe();
	parity = vd_grace_enter(&g->gr, stripe);
	for (i = 0; i < GEO_NFILES; i++) {
		h[i] = atomic_load(&g->f[i].cur);
		m[i] = h[i] ? &h[i]->mmdb : NULL;
		t[i] = h[i] ? &h[i]->tree : NULL;
	}
	/* both trees at once (GEO_COUNTRY 0, GEO_ASN 1) */
	geo_find2(m, t, ip, f);
	if (h[GEO_COUNTRY] && f[GEO_COUNTRY].err == MMDB_SUCCESS &&
	    f[GEO_COUNTRY].found) {
		e.mmdb = m[GEO_COUNTRY];
		e.offset = f[GEO_COUNTRY].offset;
		if (!geo_memo_get(h[GEO_COUNTRY], e.offset, &v)) {
			char cc[3];
			int rc = geo_cc(&e, "country", cc);

			if (rc == 0)
				rc = geo_cc(&e, "registered_country", cc);
			v = rc == 1 ? (uint32_t)(unsigned char)cc[0] << 8 |
			    (unsigned char)cc[1] : 0;
			geo_memo_put(h[GEO_COUNTRY], e.offset, v);
		}
		if (v) {
			out->country[0] = (char)(v >> 8);
			out->country[1] = (char)(v & 0xff);
			out->country[2] = 0;
			out->have_country = 1;
		}
	}
	if (h[GEO_ASN] && f[GEO_ASN].err == MMDB_SUCCESS && f[GEO_ASN].found) {
		e.mmdb = m[GEO_ASN];
		e.offset = f[GEO_ASN].offset;
		if ((flags & GEO_LOOKUP_NOORG) &&
		    geo_memo_get(h[GEO_ASN], e.offset, &v)) {
			out->asn = v;
			out->have_asn = v != 0;
		} else {
			geo_asn(&e, out, flags);
			geo_memo_put(h[GEO_ASN], e.offset, out->asn);
		}
	}
	vd_grace_exit(&g->gr, stripe, parity);
	/* a grace period running: advance it (nobody waits for the lock) */
	if (vd_grace_pending(&g->gr) &&
	    pthread_mutex_trylock(&g->retire_mu) == 0) {
		geo_retire_step(g);
		pthread_mutex_unlock(&g->retire_mu);
	}
}

/* geo_item_match - 1 if one rule item names the country or the ASN */
static int
geo_item_match(const config_geo_item *it, const geo_info *in)
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

/* geo_list_match - the first matching item of l, or NULL */
static const config_geo_item *
geo_list_match(const config_geolist *l, const geo_info *in)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (geo_item_match(&l->v[i], in))
			return &l->v[i];
	return NULL;
}

/* geo_name - "country CN" or "AS64496" for a matched item */
static void
geo_name(const config_geo_item *it, const geo_info *in, char *buf,
	 size_t len)
{
	if (it->country[0] && in->have_country)
		snprintf(buf, len, "country %s", in->country);
	else
		snprintf(buf, len, "AS%lu", (unsigned long)it->asn);
}

int
vd_geo_decide(const config_profile *p, const geo_info *info, int *weight,
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
			if (!geo_item_match(&wl[j]->v[i], info))
				continue;
			sum += wl[j]->v[i].weight;
			if (matched++)
				continue;
			/* name each kind once in why */
			geo_name(&wl[j]->v[i], info, part, sizeof(part));
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
	if ((hit = geo_list_match(&p->allow_countries, info)) != NULL ||
	    (hit = geo_list_match(&p->allow_asns, info)) != NULL)
		ret = GEO_ALLOW;
	else if ((hit = geo_list_match(&p->block_countries, info)) != NULL ||
		 (hit = geo_list_match(&p->block_asns, info)) != NULL)
		ret = GEO_BLOCK;
	if (hit && why && whylen)
		geo_name(hit, info, why, whylen);
	return ret;
}

int
vd_geo_profile_uses(const config_profile *p)
{
	return p->country_weights.n || p->asn_weights.n ||
	    p->block_countries.n || p->block_asns.n ||
	    p->allow_countries.n || p->allow_asns.n;
}

int
vd_geo_doctor(geo_db *g,
	   int (*cb)(const char *path, int ok, const char *detail, void *arg),
	   void *arg)
{
	char detail[512], desc[192], built[16];
	geo_handle *h;
	struct tm tm;
	time_t t;
	int i, rc, ok;

	if (g == NULL)
		return 0;
	for (i = 0; i < GEO_NFILES; i++) {
		geo_file *f = &g->f[i];

		if (f->path == NULL)
			continue;
		pthread_mutex_lock(&f->check);
		(void)geo_refresh(g, f);
		/* f->cur is swapped only under f->check: h stays mapped */
		h = atomic_load(&f->cur);
		ok = h != NULL && f->status[0] == 0;
		if (h) {
			const MMDB_metadata_s *md = &h->mmdb.metadata;

			t = (time_t)md->build_epoch;
			if (gmtime_r(&t, &tm) == NULL ||
			    strftime(built, sizeof(built), "%Y-%m-%d", &tm) == 0)
				snprintf(built, sizeof(built), "?");
			snprintf(desc, sizeof(desc), "%s, IPv%u tree, %lu nodes, "
				 "built %s", md->database_type,
				 (unsigned)md->ip_version,
				 (unsigned long)md->node_count, built);
			if (ok)
				snprintf(detail, sizeof(detail), "%s", desc);
			else
				snprintf(detail, sizeof(detail), "%s; serving "
					 "the copy opened before (%s)", f->status,
					 desc);
		} else {
			snprintf(detail, sizeof(detail), "%s", f->status[0] ?
				 f->status : "not opened");
		}
		pthread_mutex_unlock(&f->check);
		rc = cb(f->path, ok, detail, arg);
		if (rc)
			return rc;
	}
	return 0;
}
