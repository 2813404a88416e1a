/*
 * learned.c - the records of learned tables (learned.h)
 *
 *	vd_learned_key			a reported address's source key
 *	vd_learned_encode/decode	the record codec
 *	vd_learned_dbi, _lookup		what a check reads
 *	vd_learned_blocked, _reset	the blocked keys
 *	vd_learned_batch_add/free	reports waiting for a commit
 *	vd_learned_commit		a batch in one write transaction
 *	vd_learned_forgive		records inside a network, deleted
 *	vd_learned_expire		records decayed to nothing, purged
 *	vd_learned_dump			a table's records in order
 *
 * A batch is sorted by table and key before its transaction, so a flood
 * of reports for one key reads and writes its record once, and the
 * records are written in key order (LMDB's cheapest).  Every change of a
 * record puts or deletes its key in the blocked db in the same
 * transaction, so the two never disagree for a reader.  The writer's
 * lock of LMDB serialises commits from every process: a report is never
 * lost to a concurrent one.  When a table passes learn_max_entries the
 * commit drops its lowest current scores down to 63/64 of the bound, so
 * a flood of new sources costs one scan now and then and never fills
 * the database.
 *
 * Diagnostics: errors through vd_err_set ("not a learned table", LMDB
 * codes kept).
 *
 * Limits: 256 tables in one batch; a batch's reasons at most 4 GiB.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cidr.h"
#include "entries.h"
#include "errors.h"
#include "le_bytes.h"
#include "learned.h"

static pthread_mutex_t learned_dbi_mu = PTHREAD_MUTEX_INITIALIZER;

static int blocked_set(MDB_txn *txn, MDB_dbi bdbi, const uint8_t *kb,
		       const learn_params *p, const learn_rec *r,
		       uint64_t now);

void
vd_learned_key(const learn_params *p, const vaddr *ip, vcidr *key)
{
	key->net = *ip;
	key->plen = (uint8_t)(vd_addr_is_v4(ip) ? 96 + p->prefix_v4 :
			      p->prefix_v6);
	vd_addr_mask(&key->net, key->plen);
}

size_t
vd_learned_encode(uint8_t *buf, const learn_rec *r)
{
	uint64_t bits;

	memcpy(&bits, &r->score, 8);
	le_put64(buf, bits);
	le_put64(buf + 8, r->last);
	le_put64(buf + 16, r->first);
	le_put32(buf + 24, r->reports);
	le_put32(buf + 28, r->half_life);
	le_put16(buf + 32, r->crossings);
	buf[34] = r->rlen;
	memcpy(buf + LEARNED_HDR, r->reason, r->rlen);
	return LEARNED_HDR + (size_t)r->rlen;
}

int
vd_learned_decode(const MDB_val *v, learn_rec *r)
{
	const uint8_t *p = v->mv_data;
	uint64_t bits;

	if (v->mv_size < LEARNED_HDR ||
	    v->mv_size != LEARNED_HDR + (size_t)p[34] || p[34] > TBL_REASON_MAX)
		return -1;
	bits = le_get64(p);
	memcpy(&r->score, &bits, 8);
	r->last = le_get64(p + 8);
	r->first = le_get64(p + 16);
	r->reports = le_get32(p + 24);
	r->half_life = le_get32(p + 28);
	r->crossings = le_get16(p + 32);
	r->rlen = p[34];
	memcpy(r->reason, p + LEARNED_HDR, r->rlen);
	r->reason[r->rlen] = 0;
	return isfinite(r->score) ? 0 : -1;
}

/* blocked_dbi - the blocked db of table id */
static int
blocked_dbi(MDB_txn *txn, uint16_t id, int create, MDB_dbi *dbi)
{
	char name[16];

	snprintf(name, sizeof(name), "l.%u", (unsigned)id);
	return mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, dbi);
}

int
vd_learned_reset(MDB_txn *txn, uint16_t id)
{
	MDB_dbi dbi;
	int rc = blocked_dbi(txn, id, 1, &dbi);

	return rc ? rc : mdb_drop(txn, dbi, 0);
}

/* dbi_again - both dbs in a read transaction: LMDB code */
static int
dbi_again(tbl_env *te, uint16_t id, MDB_dbi *dbi, MDB_dbi *bdbi)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return rc;
	if ((rc = vd_entries_dbi(txn, id, 0, dbi)) == 0 &&
	    (rc = blocked_dbi(txn, id, 0, bdbi)) == 0)
		return mdb_txn_commit(txn);
	mdb_txn_abort(txn);
	return rc;
}

/* blocked_rebuild - the blocked db of table id made from its records
 * (a writer opening a table whose blocked db is missing) */
static int
blocked_rebuild(tbl_env *te, uint16_t id, const learn_params *p,
		uint64_t now)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_dbi dbi, bdbi;
	MDB_val k, v;
	learn_rec r;
	int rc;

	if ((rc = mdb_txn_begin(te->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = vd_entries_dbi(txn, id, 0, &dbi)) == 0 &&
	    (rc = blocked_dbi(txn, id, 1, &bdbi)) == 0 &&
	    (rc = mdb_cursor_open(txn, dbi, &c)) == 0) {
		for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
			if (k.mv_size == ENTRIES_KEY_LEN &&
			    vd_learned_decode(&v, &r) == 0 &&
			    (rc = blocked_set(txn, bdbi, k.mv_data, p, &r,
					      now)) != 0)
				break;
		mdb_cursor_close(c);
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

int
vd_learned_dbi(tbl_env *te, uint16_t id, const learn_params *p,
	       uint64_t now, MDB_dbi *dbi, MDB_dbi *bdbi)
{
	MDB_txn *txn;
	int rc;

	/* LMDB: no two transactions of a process may open dbs at once */
	pthread_mutex_lock(&learned_dbi_mu);
	rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn);
	if (rc == 0) {
		rc = vd_entries_dbi(txn, id, 0, dbi);
		if (rc == 0)
			rc = blocked_dbi(txn, id, 0, bdbi);
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	if (rc == MDB_NOTFOUND && te->write &&
	    (rc = blocked_rebuild(te, id, p, now)) == 0)
		rc = dbi_again(te, id, dbi, bdbi);
	pthread_mutex_unlock(&learned_dbi_mu);
	if (rc == MDB_NOTFOUND)
		return vd_err_set(VERDICT_EDB, rc, "learned table (id %u) has "
				   "no db of blocked keys: open it once for "
				   "writing (verdict expire) to rebuild it",
				   (unsigned)id);
	return rc ? vd_lmdb_env_err(rc, "learned table") : VERDICT_OK;
}

int
vd_learned_blocked(MDB_txn *txn, MDB_dbi bdbi, const vcidr *key,
		   uint64_t *until, char *reason)
{
	uint8_t kb[ENTRIES_KEY_LEN];
	MDB_val k = { sizeof(kb), kb }, v;
	const uint8_t *p;
	int rc;

	vd_entries_key(kb, key);
	rc = mdb_get(txn, bdbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	p = v.mv_data;
	if (rc != 0 || v.mv_size < 9 || v.mv_size != 9 + (size_t)p[8] ||
	    p[8] > TBL_REASON_MAX)
		return -1;
	*until = le_get64(p);
	memcpy(reason, p + 9, p[8]);
	reason[p[8]] = 0;
	return 1;
}

/* blocked_set - the blocked db after a record changed: its key in it
 * while the record blocks, out of it otherwise */
static int
blocked_set(MDB_txn *txn, MDB_dbi bdbi, const uint8_t *kb,
	    const learn_params *p, const learn_rec *r, uint64_t now)
{
	uint64_t until = r ? vd_learn_model_until(p, r, now) : 0;
	uint8_t vb[9 + TBL_REASON_MAX];
	MDB_val k = { ENTRIES_KEY_LEN, (void *)kb }, v;
	int rc;

	if (until == 0) {
		rc = mdb_del(txn, bdbi, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	le_put64(vb, until);
	vb[8] = r->rlen;
	memcpy(vb + 9, r->reason, r->rlen);
	v.mv_size = 9 + (size_t)r->rlen;
	v.mv_data = vb;
	return mdb_put(txn, bdbi, &k, &v, 0);
}

int
vd_learned_lookup(MDB_txn *txn, MDB_dbi dbi, const vcidr *key, learn_rec *r)
{
	uint8_t kb[ENTRIES_KEY_LEN];
	MDB_val k = { sizeof(kb), kb }, v;
	int rc;

	vd_entries_key(kb, key);
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0 || vd_learned_decode(&v, r) != 0)
		return -1;
	return 1;
}

int
vd_learned_batch_add(learned_batch *b, uint8_t table, const vcidr *key,
		     double weight, const char *reason, size_t rlen)
{
	learned_item *it;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		learned_item *v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL || b->n >= UINT32_MAX)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of "
					   "memory");
		b->v = v;
		b->cap = cap;
	}
	if (rlen > TBL_REASON_MAX)
		rlen = TBL_REASON_MAX;
	if (b->plen + rlen > b->pcap) {
		size_t cap = b->pcap ? b->pcap * 2 : 4096;
		char *p;

		while (cap < b->plen + rlen)
			cap *= 2;
		if (cap > UINT32_MAX || (p = realloc(b->pool, cap)) == NULL)
			return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of "
					   "memory");
		b->pool = p;
		b->pcap = cap;
	}
	it = &b->v[b->n];
	it->key = *key;
	it->table = table;
	it->rlen = (uint8_t)rlen;
	it->roff = (uint32_t)b->plen;
	it->seq = (uint32_t)b->n;
	it->weight = weight;
	if (rlen)
		memcpy(b->pool + b->plen, reason, rlen);
	b->plen += rlen;
	b->n++;
	return VERDICT_OK;
}

int
vd_learned_batch_reserve(learned_batch *b, size_t n)
{
	learned_item *v;

	if (n <= b->cap)
		return VERDICT_OK;
	if ((v = realloc(b->v, n * sizeof(*v))) == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	b->v = v;
	b->cap = n;
	return VERDICT_OK;
}

void
vd_learned_batch_free(learned_batch *b)
{
	free(b->v);
	free(b->pool);
	memset(b, 0, sizeof(*b));
}

/* item_byte - byte d of an item's sort key: the table, the 16 address
 * bytes, the prefix length (d = 0 most significant) */
static inline unsigned
item_byte(const learned_item *it, int d)
{
	return d == 0 ? it->table : d <= 16 ? it->key.net.b[d - 1] :
	       it->key.plen;
}

/* items_sort - by table, key, then arrival: an LSD radix sort, stable,
 * so equal keys keep their order; a byte every item shares (the
 * ::ffff: of IPv4, one table) costs a counting pass and no move.
 * VERDICT_ENOMEM when the second buffer cannot be had. */
static int
items_sort(learned_batch *b)
{
	learned_item *src = b->v, *dst;
	size_t cnt[256];

	if (b->n < 2)
		return VERDICT_OK;
	if ((dst = malloc(b->n * sizeof(*dst))) == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	for (int d = 17; d >= 0; d--) {
		size_t sum = 0;
		unsigned u;

		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < b->n; i++)
			cnt[item_byte(&src[i], d)]++;
		if (cnt[item_byte(&src[0], d)] == b->n)
			continue;
		for (u = 0; u < 256; u++) {
			size_t c = cnt[u];

			cnt[u] = sum;
			sum += c;
		}
		for (size_t i = 0; i < b->n; i++)
			dst[cnt[item_byte(&src[i], d)]++] = src[i];
		{
			learned_item *t = src;

			src = dst;
			dst = t;
		}
	}
	if (src != b->v) {
		memcpy(b->v, src, b->n * sizeof(*src));
		dst = src;
	}
	free(dst);
	return VERDICT_OK;
}

/* learned_table - a live learned table's record and db in a write txn */
static int
learned_table(MDB_txn *txn, tbl_env *te, const char *name, catalog_rec *m,
	      MDB_dbi *dbi)
{
	int rc = vd_catalog_get(txn, te, name, m);

	if (rc == MDB_NOTFOUND || (rc == 0 && !m->live))
		return vd_err_set(VERDICT_ENOENT, 0, "no table \"%s\" (create "
				   "it with 'verdict table create %s --kind "
				   "learned')", name, name);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	if (m->kind != VERDICT_TABLE_LEARNED)
		return vd_err_set(VERDICT_EINVAL, 0, "table \"%s\" is not a "
				   "learned table", name);
	if ((rc = vd_entries_dbi(txn, m->id, 0, dbi)) != 0)
		return vd_lmdb_env_err(rc, "learned table");
	return VERDICT_OK;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* learned_evict - down to 63/64 of max_entries, lowest scores first */
static int
learned_evict(MDB_txn *txn, MDB_dbi dbi, MDB_dbi bdbi, const learn_params *p,
	      uint64_t now, catalog_rec *m)
{
	uint64_t target = p->max_entries - p->max_entries / 64, drop;
	double *sc, cut;
	size_t n = 0, cap = (size_t)m->entries;
	MDB_cursor *c;
	MDB_val k, v;
	learn_rec r;
	int rc;

	if ((sc = malloc((cap ? cap : 1) * sizeof(*sc))) == NULL)
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0) {
		free(sc);
		return vd_lmdb_env_err(rc, "learned table");
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && n < cap;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		sc[n++] = vd_learned_decode(&v, &r) ? -INFINITY :
			  vd_learn_model_score(&r, now);
	if (n <= target) {
		mdb_cursor_close(c);
		free(sc);
		return VERDICT_OK;
	}
	drop = n - target;
	qsort(sc, n, sizeof(*sc), dbl_cmp);
	cut = sc[drop - 1];
	free(sc);
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && drop > 0) {
		double s = vd_learned_decode(&v, &r) ? -INFINITY :
			   vd_learn_model_score(&r, now);

		if (s <= cut) {
			if ((rc = blocked_set(txn, bdbi, k.mv_data, p, NULL,
					      now)) != 0 ||
			    (rc = mdb_cursor_del(c, 0)) != 0)
				break;
			drop--;
			m->entries--;
			rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
			continue;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND && rc != EINVAL)
		return vd_lmdb_env_err(rc, "learned table");
	return VERDICT_OK;
}

typedef struct commit_arg {
	const learn_params *p;
	const char *const *names;
	const learned_batch *b;
	uint64_t now;
} commit_arg;

/* commit_key - the reports items[0..n) of one key onto its record */
static int
commit_key(MDB_cursor *c, MDB_dbi bdbi, const commit_arg *a,
	   const learned_item *it, size_t n, int *created)
{
	uint8_t kb[ENTRIES_KEY_LEN], vb[LEARNED_VAL_MAX];
	MDB_val k = { sizeof(kb), kb }, v;
	learn_rec r;
	int rc;

	vd_entries_key(kb, &it->key);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return vd_lmdb_env_err(rc, "learned table");
	*created = rc == MDB_NOTFOUND;
	if (rc != 0 || vd_learned_decode(&v, &r) != 0)
		vd_learn_model_new(a->p, &r, a->now);
	for (size_t i = 0; i < n; i++)
		vd_learn_model_apply(a->p, &r, a->now, it[i].weight,
				     a->b->pool + it[i].roff, it[i].rlen);
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	v.mv_size = vd_learned_encode(vb, &r);
	v.mv_data = vb;
	if ((rc = mdb_cursor_put(c, &k, &v, 0)) != 0 ||
	    (rc = blocked_set(mdb_cursor_txn(c), bdbi, kb, a->p, &r,
			      a->now)) != 0)
		return vd_lmdb_env_err(rc, "learned table");
	return VERDICT_OK;
}

/* commit_table - the items [i, j) of one table */
static int
commit_table(MDB_txn *txn, tbl_env *te, const commit_arg *a, size_t i,
	     size_t j)
{
	const learned_item *v = a->b->v;
	const char *name = a->names[v[i].table];
	catalog_rec m;
	MDB_cursor *c;
	MDB_dbi dbi, bdbi;
	int rc, created;

	if ((rc = learned_table(txn, te, name, &m, &dbi)) != VERDICT_OK)
		return rc;
	if ((rc = blocked_dbi(txn, m.id, 1, &bdbi)) != 0)
		return vd_lmdb_env_err(rc, "learned table");
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return vd_lmdb_env_err(rc, "learned table");
	while (i < j) {
		size_t k = i + 1;

		while (k < j && v[k].key.plen == v[i].key.plen &&
		       memcmp(&v[k].key.net, &v[i].key.net, 16) == 0)
			k++;
		if ((rc = commit_key(c, bdbi, a, v + i, k - i, &created)) != 0)
			break;
		m.entries += (uint64_t)created;
		i = k;
	}
	mdb_cursor_close(c);
	if (rc != VERDICT_OK)
		return rc;
	if (m.entries > a->p->max_entries &&
	    (rc = learned_evict(txn, dbi, bdbi, a->p, a->now, &m)) !=
	    VERDICT_OK)
		return rc;
	if ((rc = vd_catalog_put(txn, te, name, &m)) != 0)
		return vd_lmdb_env_err(rc, "catalogue");
	return VERDICT_OK;
}

static int
commit_fn(MDB_txn *txn, tbl_env *te, void *arg)
{
	const commit_arg *a = arg;
	const learned_batch *b = a->b;
	size_t i = 0;
	int rc;

	while (i < b->n) {
		size_t j = i + 1;

		while (j < b->n && b->v[j].table == b->v[i].table)
			j++;
		if ((rc = commit_table(txn, te, a, i, j)) != VERDICT_OK)
			return rc;
		i = j;
	}
	return VERDICT_OK;
}

int
vd_learned_commit(tbl_env *te, const learn_params *p,
		  const char *const *names, learned_batch *b, uint64_t now)
{
	commit_arg a = { p, names, b, now };

	int rc;

	if (b->n == 0)
		return VERDICT_OK;
	if ((rc = items_sort(b)) != VERDICT_OK)
		return rc;
	return vd_lmdb_env_write(te, commit_fn, &a);
}

typedef struct forgive_arg forgive_arg;
struct forgive_arg {
	const vcidr *c;
	vaddr start;		/* c's network masked to a source key */
	uint64_t now;
	size_t n;
	const learn_params *p;	/* expiry: when a block ends */
	MDB_dbi bdbi;		/* the blocked db of the table walked */
	/* the work on one learned table, its cursor open on the records */
	int (*one)(MDB_txn *, MDB_cursor *, forgive_arg *, catalog_rec *);
};

/* drop_current - delete the record under c and its blocked key, count
 * it, and move c to the record after it; 0 or an LMDB code (MDB_NOTFOUND
 * or EINVAL at the end of the table) */
static int
drop_current(MDB_txn *txn, MDB_cursor *c, forgive_arg *a, catalog_rec *m,
	     MDB_val *k, MDB_val *v)
{
	int rc;

	if ((rc = blocked_set(txn, a->bdbi, k->mv_data, NULL, NULL, 0)) != 0 ||
	    (rc = mdb_cursor_del(c, 0)) != 0)
		return rc;
	a->n++;
	if (m->entries)
		m->entries--;
	return mdb_cursor_get(c, k, v, MDB_GET_CURRENT);
}

/* walk_end - close the cursor of a purge; the end of the table is not an
 * error */
static int
walk_end(MDB_cursor *c, int rc)
{
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND && rc != EINVAL)
		return vd_lmdb_env_err(rc, "learned table");
	return VERDICT_OK;
}

/* forgive_one - delete the records of the table under c inside a->c, and the
 * record of the key that holds a->c when it is narrower than a key */
static int
forgive_one(MDB_txn *txn, MDB_cursor *c, forgive_arg *a, catalog_rec *m)
{
	uint8_t kb[ENTRIES_KEY_LEN];
	MDB_val k = { sizeof(kb), kb }, v;
	vcidr s = { a->start, 0 };
	int rc;

	vd_entries_key(kb, &s);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == ENTRIES_KEY_LEN) {
		vcidr e;

		memcpy(&e.net, k.mv_data, 16);
		e.plen = ((uint8_t *)k.mv_data)[16];
		if (!vd_cidr_contains(a->c, &e) &&
		    !vd_cidr_contains(&e, a->c)) {
			/* past the start of c and not in it: past its end */
			if (memcmp(&e.net, &a->c->net, 16) > 0)
				break;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
			continue;
		}
		if ((rc = drop_current(txn, c, a, m, &k, &v)) != 0)
			break;
	}
	return rc;
}

/* learned_each - a->one on table m when it is a learned one, with its
 * blocked db and a cursor on its records */
static int
learned_each(MDB_txn *txn, MDB_dbi dbi, catalog_rec *m, void *arg)
{
	forgive_arg *a = arg;
	MDB_cursor *c;
	int rc;

	if (m->kind != VERDICT_TABLE_LEARNED)
		return VERDICT_OK;
	if ((rc = blocked_dbi(txn, m->id, 1, &a->bdbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return vd_lmdb_env_err(rc, "learned table");
	return walk_end(c, a->one(txn, c, a, m));
}

/* learned_walk - every learned table through learned_each, in the one
 * write transaction (a retry starts the count again) */
static int
learned_walk(MDB_txn *txn, tbl_env *te, void *arg)
{
	((forgive_arg *)arg)->n = 0;
	return vd_catalog_walk(txn, te, learned_each, arg);
}

int
vd_learned_forgive(tbl_env *te, const learn_params *p, const vcidr *c,
		   size_t *removed)
{
	forgive_arg a = { c, c->net, 0, 0, p, 0, forgive_one };
	vcidr key;
	int rc;

	vd_learned_key(p, &c->net, &key);
	if (key.plen < c->plen)
		a.start = key.net;
	rc = vd_lmdb_env_write(te, learned_walk, &a);

	if (removed)
		*removed = rc == VERDICT_OK ? a.n : 0;
	return rc;
}

/* expire_one - purge the forgotten records of the table under c; 0 or
 * an LMDB code */
static int
expire_one(MDB_txn *txn, MDB_cursor *c, forgive_arg *a, catalog_rec *m)
{
	MDB_val k, v;
	learn_rec r;
	int rc;

	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0) {
		if (vd_learned_decode(&v, &r) == 0 &&
		    !vd_learn_model_forgotten(&r, a->now)) {
			/* still remembered; its block may have ended */
			if (k.mv_size == ENTRIES_KEY_LEN &&
			    vd_learn_model_until(a->p, &r, a->now) == 0 &&
			    (rc = blocked_set(txn, a->bdbi, k.mv_data, NULL,
					      NULL, 0)) != 0)
				break;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
			continue;
		}
		if ((rc = drop_current(txn, c, a, m, &k, &v)) != 0)
			break;
	}
	return rc;
}

int
vd_learned_expire(tbl_env *te, const learn_params *p, uint64_t now,
		  size_t *purged)
{
	forgive_arg a = { NULL, { { 0 } }, now, 0, p, 0, expire_one };
	int rc = vd_lmdb_env_write(te, learned_walk, &a);

	if (purged)
		*purged = rc == VERDICT_OK ? a.n : 0;
	return rc;
}

int
vd_learned_dump(tbl_env *te, const char *name, learned_dump_fn cb, void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	catalog_rec m;
	MDB_dbi dbi;
	int rc, cbrc = 0;

	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn)) != 0)
		return vd_lmdb_env_err(rc, te->dir);
	if ((rc = learned_table(txn, te, name, &m, &dbi)) != VERDICT_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0) {
		rc = vd_lmdb_env_err(rc, "learned table");
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		learn_rec r;
		vcidr key;

		if (k.mv_size != ENTRIES_KEY_LEN || vd_learned_decode(&v, &r))
			continue;
		memcpy(&key.net, k.mv_data, 16);
		key.plen = ((uint8_t *)k.mv_data)[16];
		if ((cbrc = cb(&key, &r, arg)) != 0)
			break;
	}
	rc = cbrc ? cbrc : rc == MDB_NOTFOUND || rc == 0 ? VERDICT_OK :
	     vd_lmdb_env_err(rc, "learned table");
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}
