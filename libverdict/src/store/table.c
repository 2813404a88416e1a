/*
 * table.c - LMDB reputation tables: open, probe, write, rebuild the index
 *
 *	vd_tbl_open/close		process-wide environment per directory
 *	vd_tbl_read_begin/end	pooled MDB_NOTLS read transactions
 *	vd_tbl_probe		one MDB_SET_RANGE answers every table
 *	vd_tbl_create/drop/list	table catalogue
 *	vd_tbl_add/del/replace	entries; the index is rebuilt in the same txn
 *	vd_tbl_dump/expire		walk / purge entries
 *
 * The on-disk layout is described in table.h.  Why a combined index: a
 * range lookup costs about what one libmaxminddb lookup does, so a verdict
 * that probed each table would lose to it; one probe per verdict answers
 * the allow and the block tables of any profile at once.
 *
 * LMDB rules handled here (lmdb.h, "Caveats"):
 * - one MDB_env per path per process: a registry shares it between
 *   contexts (a reload opens a new context on the same database);
 * - thread-per-connection hosts: MDB_NOTLS and a pool of reset read
 *   transactions, so a reader slot is not tied to a thread; the slots are
 *   TBL_MAXREADERS, a value every process must share;
 * - MDB_MAP_FULL: writers grow the map and retry the whole operation;
 * - MDB_MAP_RESIZED: a reader that meets it stops new checkouts, waits for
 *   the few microseconds the active lookups need, adopts the new size;
 * - fork: an environment is never used in a child (vd_tbl_forked);
 * - a truncated data.mdb (file shorter than its last page) is refused at
 *   open; LMDB does not validate page contents beyond that.
 *
 * Limits: at most 250 live tables; a reason is at most 200 bytes; an
 * expiry is a 32-bit time (until 2106).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "blk4.h"
#include "table.h"

#define TBL_MAPSIZE_MIN ((size_t)1 << 30)
#define TBL_POOL_MAX 256

size_t vd_tbl_mapsize_min = TBL_MAPSIZE_MIN;
#define TBL_TABLES_MAX 250
#define TBL_FORMAT 4	/* 2: IPv4 intervals in idx4; 3: in blocks, idx4b;
			 * 4: in blocks of a page each, idx4p */

/*
 * The index lives in two dbs.  IPv4 intervals (inside ::ffff:0:0/96; an
 * interval never straddles its edges, since tables refuse a network that
 * contains it) are in idx4p, packed in blocks of consecutive intervals
 * (blk4.h: one record per block, keyed by its last end as a host-order
 * u32); everything else is in idx, a record per interval, under the
 * 16-byte end with a 16-byte start.  The table part of an interval
 * (ntables, per-table chunks) is the same in both.  Blocks because a
 * verdict on a large table spent most of its time in LMDB's binary
 * search of a leaf page, a cache miss per probe; a block's ends are
 * searched in a few lines fetched at once.
 */
#define IX_HDR6 17	/* start[16] | ntables */

struct tbl_reader {
	MDB_txn *txn;
	MDB_cursor *cur, *cur4;
	unsigned shard;		/* whose active count it is in */
	tbl_reader *next;
};

/*
 * The reader pool is split in shards, a thread always using the same one,
 * so that two threads checking at once do not fight over one lock and one
 * cache line.  A map resize (rare) takes every shard lock to see that no
 * lookup is active in the process.
 */
#define TBL_SHARDS 8
typedef struct tbl_shard {
	pthread_mutex_t mu;
	tbl_reader *free;
	unsigned nfree;
	unsigned active;
} __attribute__((aligned(64))) tbl_shard;

struct tbl_env {
	MDB_env *env;
	MDB_dbi meta, idx, idx4;
	dev_t dev;
	ino_t ino;
	int write;
	int refs;
	unsigned gen;		/* fork generation at open */
	char *dir;
	vd_logger lg;
	/* reader pool */
	pthread_mutex_t mu;	/* the resize protocol */
	pthread_cond_t drained;
	int need_resize;	/* atomic */
	size_t want_size;	/* under mu: the size to set, 0 = adopt */
	tbl_env *next;
	tbl_shard sh[TBL_SHARDS];
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static tbl_env *registry;
static unsigned fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
tbl_atfork_child(void)
{
	/* The child must not touch environments of the parent; new opens in
	 * the child get fresh ones.  The registry lock may have been held by
	 * another parent thread at fork time. */
	fork_gen++;
	pthread_mutex_init(&registry_mu, NULL);
	registry = NULL;
}

static void
tbl_atfork_init(void)
{
	pthread_atfork(NULL, NULL, tbl_atfork_child);
}

int
vd_tbl_forked(const tbl_env *te)
{
	return te->gen != __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

/* Little-endian helpers for index and entry values. */
static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int
db_err(int rc, const char *what)
{
	if (rc == EACCES || rc == EPERM)
		return vd_util_err(VERDICT_EPERM, rc, "%s: %s", what,
				mdb_strerror(rc));
	if (rc == ENOMEM)
		return vd_util_err(VERDICT_ENOMEM, rc, "%s: out of memory", what);
	return vd_util_err(VERDICT_EDB, rc, "%s: %s", what, mdb_strerror(rc));
}

int
vd_tbl_name_ok(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++) {
		char c = name[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
		if (n >= TBL_NAME_MAX)
			return 0;
	}
	return n > 0;
}

/* ---------------------------------------------------------------- open */

int
vd_tbl_check_access(const char *dir, char *msg, size_t msglen)
{
	char path[4096];
	struct stat st;

	msg[0] = 0;
	if (stat(dir, &st) != 0) {
		snprintf(msg, msglen, "database directory %s: %s", dir,
			 strerror(errno));
		return errno == ENOENT ? VERDICT_ENOENT : VERDICT_EPERM;
	}
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
		snprintf(msg, msglen, "%s is not writable by uid %ld: every "
			 "process that reads the tables (the MTA's user for "
			 "the callout, the milter's user) needs write access "
			 "to it; see database_mode and database_group",
			 path, (long)geteuid());
		return VERDICT_EPERM;
	}
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (access(path, F_OK) == 0 && access(path, R_OK) != 0) {
		snprintf(msg, msglen, "%s is not readable by uid %ld", path,
			 (long)geteuid());
		return VERDICT_EPERM;
	}
	return VERDICT_OK;
}

/* tbl_fix_mode - apply database_mode / database_group to the files. */
static void
tbl_fix_mode(tbl_env *te, unsigned mode, const char *group)
{
	static const char *files[] = { "data.mdb", "lock.mdb" };
	char path[4096];
	gid_t gid = (gid_t)-1;

	if (group) {
		struct group gr, *res = NULL;
		char buf[4096];

		if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) == 0 && res)
			gid = res->gr_gid;
		else
			vd_log(&te->lg, LOG_WARNING, "database_group %s: no "
			       "such group", group);
	}
	for (size_t i = 0; i < 2; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", te->dir, files[i]);
		if (stat(path, &st) != 0 || st.st_uid != geteuid())
			continue;
		if ((st.st_mode & 07777) != mode && chmod(path, mode) != 0)
			vd_log(&te->lg, LOG_WARNING, "chmod %s: %s", path,
			       strerror(errno));
		if (gid != (gid_t)-1 && st.st_gid != gid &&
		    chown(path, (uid_t)-1, gid) != 0)
			vd_log(&te->lg, LOG_WARNING, "chown %s: %s", path,
			       strerror(errno));
	}
}

/* tbl_check_size - refuse a data.mdb shorter than its last used page:
 * LMDB would fault reading past the end of the mapping. */
static int
tbl_check_size(tbl_env *te)
{
	MDB_envinfo info;
	MDB_stat st;
	struct stat fst;
	char path[4096];

	snprintf(path, sizeof(path), "%s/data.mdb", te->dir);
	if (stat(path, &fst) != 0)
		return vd_util_err(VERDICT_EIO, errno, "%s: %s", path,
				strerror(errno));
	if (mdb_env_info(te->env, &info) != 0 || mdb_env_stat(te->env, &st))
		return vd_util_err(VERDICT_EDB, 0, "%s: cannot read its header",
				path);
	if ((uint64_t)(info.me_last_pgno + 1) * st.ms_psize >
	    (uint64_t)fst.st_size)
		return vd_util_err(VERDICT_EDB, MDB_CORRUPTED, "%s is truncated: "
				"%lld bytes, its last page ends at %llu; "
				"restore it or re-create the tables", path,
				(long long)fst.st_size,
				(unsigned long long)(info.me_last_pgno + 1) *
				st.ms_psize);
	return VERDICT_OK;
}

static int idx_rebuild(MDB_txn *txn, tbl_env *te);

static int
tbl_open_env(tbl_env *te, unsigned mode)
{
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
	MDB_txn *txn = NULL;
	struct stat fst;
	char path[4096];
	size_t mapsize = vd_tbl_mapsize_min;
	int rc;

	snprintf(path, sizeof(path), "%s/data.mdb", te->dir);
	if (stat(path, &fst) == 0) {
		if ((size_t)fst.st_size * 2 > mapsize)
			mapsize = (size_t)fst.st_size * 2;
	} else if (errno != ENOENT) {
		int e = errno;

		return vd_util_err(e == EACCES ? VERDICT_EPERM : VERDICT_EIO, e,
				"%s: %s", path, strerror(e));
	} else if (!te->write) {
		return vd_util_err(VERDICT_ENOENT, ENOENT, "database %s has no "
				"tables yet (create one with 'verdict table "
				"create')", te->dir);
	}
	if (!te->write)
		flags |= MDB_RDONLY;
	if ((rc = mdb_env_create(&te->env)) != 0)
		return db_err(rc, "mdb_env_create");
	mdb_env_set_maxreaders(te->env, TBL_MAXREADERS);
	mdb_env_set_maxdbs(te->env, 2 + 1024);
	mdb_env_set_mapsize(te->env, mapsize);
	rc = mdb_env_open(te->env, te->dir, flags, (mdb_mode_t)mode);
	if (rc != 0) {
		if (rc == EACCES || rc == EPERM) {
			char msg[1024];

			if (vd_tbl_check_access(te->dir, msg, sizeof(msg)) != 0)
				return vd_util_err(VERDICT_EPERM, rc, "%s", msg);
		}
		return db_err(rc, te->dir);
	}
	if ((rc = tbl_check_size(te)) != 0)
		return rc;
	mdb_reader_check(te->env, NULL);
	rc = mdb_txn_begin(te->env, NULL, te->write ? 0 : MDB_RDONLY, &txn);
	if (rc != 0)
		return db_err(rc, "begin");
	rc = mdb_dbi_open(txn, "meta", te->write ? MDB_CREATE : 0, &te->meta);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "idx", te->write ? MDB_CREATE : 0,
				  &te->idx);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, "idx4p", MDB_INTEGERKEY |
				  (te->write ? MDB_CREATE : 0), &te->idx4);
		if (rc == MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return vd_util_err(VERDICT_EDB, rc, "database %s was "
					"written by an older libverdict: run "
					"'verdict expire' once to upgrade its "
					"index", te->dir);
		}
	}
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return vd_util_err(VERDICT_ENOENT, rc, "database %s has no tables "
				"yet (create one with 'verdict table create')",
				te->dir);
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return db_err(rc, "open tables");
	}
	if (te->write) {
		MDB_val k = { 6, "format" }, v;
		uint8_t fmt[4];

		rc = mdb_get(txn, te->meta, &k, &v);
		if (rc == 0 && v.mv_size == 4 &&
		    get_u32(v.mv_data) < TBL_FORMAT) {
			static const char *const olddb[] = { "idx4", "idx4b" };
			MDB_dbi old;

			/* an older layout: rebuild the index in place, and
			 * delete format 2's idx4 and format 3's idx4b so
			 * that a reader still on an old library fails
			 * instead of reading them */
			if ((rc = idx_rebuild(txn, te)) != 0) {
				mdb_txn_abort(txn);
				return rc;
			}
			for (size_t i = 0; i < 2; i++) {
				if (mdb_dbi_open(txn, olddb[i], MDB_INTEGERKEY,
						 &old) == 0
				    && (rc = mdb_drop(txn, old, 1)) != 0) {
					mdb_txn_abort(txn);
					return db_err(rc, "index upgrade");
				}
			}
			rc = MDB_NOTFOUND;
		}
		if (rc == MDB_NOTFOUND) {
			put_u32(fmt, TBL_FORMAT);
			v.mv_size = 4;
			v.mv_data = fmt;
			mdb_put(txn, te->meta, &k, &v, 0);
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return db_err(rc, "commit");
	return VERDICT_OK;
}

int
vd_tbl_open(const char *dir, int write, int create, unsigned mode,
	 const char *group, const vd_logger *lg, tbl_env **out)
{
	struct stat st;
	tbl_env *te;
	int rc;

	pthread_once(&atfork_once, tbl_atfork_init);
	*out = NULL;
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT || !create)
			return vd_util_err(errno == ENOENT ? VERDICT_ENOENT :
					VERDICT_EPERM, errno,
					"database directory %s: %s", dir,
					strerror(errno));
		/* a directory: add x wherever the mode gives r */
		if (mkdir(dir, (mode | (mode & 0444) >> 2) & 0777) != 0 &&
		    errno != EEXIST)
			return vd_util_err(VERDICT_EPERM, errno, "mkdir %s: %s",
					dir, strerror(errno));
		if (stat(dir, &st) != 0)
			return vd_util_err(VERDICT_EIO, errno, "%s: %s", dir,
					strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return vd_util_err(VERDICT_EINVAL, ENOTDIR, "database %s is not "
				"a directory", dir);

	pthread_mutex_lock(&registry_mu);
	for (te = registry; te; te = te->next) {
		if (te->dev == st.st_dev && te->ino == st.st_ino)
			break;
	}
	if (te) {
		if (write && !te->write) {
			pthread_mutex_unlock(&registry_mu);
			return vd_util_err(VERDICT_EBUSY, 0, "database %s is "
					"already open read-only in this "
					"process", dir);
		}
		te->refs++;
		pthread_mutex_unlock(&registry_mu);
		*out = te;
		return VERDICT_OK;
	}
	te = aligned_alloc(_Alignof(tbl_env), sizeof(*te));
	if (te)
		memset(te, 0, sizeof(*te));
	if (te == NULL || (te->dir = strdup(dir)) == NULL) {
		pthread_mutex_unlock(&registry_mu);
		free(te);
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	}
	te->dev = st.st_dev;
	te->ino = st.st_ino;
	te->write = write;
	te->refs = 1;
	te->gen = fork_gen;
	if (lg)
		te->lg = *lg;
	pthread_mutex_init(&te->mu, NULL);
	for (int i = 0; i < TBL_SHARDS; i++)
		pthread_mutex_init(&te->sh[i].mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&te->drained, &ca);
		pthread_condattr_destroy(&ca);
	}
	rc = tbl_open_env(te, mode);
	if (rc != VERDICT_OK) {
		pthread_mutex_unlock(&registry_mu);
		if (te->env)
			mdb_env_close(te->env);
		pthread_mutex_destroy(&te->mu);
		for (int i = 0; i < TBL_SHARDS; i++)
			pthread_mutex_destroy(&te->sh[i].mu);
		pthread_cond_destroy(&te->drained);
		free(te->dir);
		free(te);
		return rc;
	}
	if (write)
		tbl_fix_mode(te, mode, group);
	te->next = registry;
	registry = te;
	pthread_mutex_unlock(&registry_mu);
	*out = te;
	return VERDICT_OK;
}

void
vd_tbl_close(tbl_env *te)
{
	tbl_env **pp;
	tbl_reader *r;

	if (te == NULL)
		return;
	if (vd_tbl_forked(te))
		return;		/* the parent's: leave it alone */
	pthread_mutex_lock(&registry_mu);
	if (--te->refs > 0) {
		pthread_mutex_unlock(&registry_mu);
		return;
	}
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == te) {
			*pp = te->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_mu);
	for (int i = 0; i < TBL_SHARDS; i++) {
		while ((r = te->sh[i].free) != NULL) {
			te->sh[i].free = r->next;
			mdb_cursor_close(r->cur);
			mdb_cursor_close(r->cur4);
			mdb_txn_abort(r->txn);
			free(r);
		}
		pthread_mutex_destroy(&te->sh[i].mu);
	}
	mdb_env_close(te->env);
	pthread_mutex_destroy(&te->mu);
	pthread_cond_destroy(&te->drained);
	free(te->dir);
	free(te);
}

/* ------------------------------------------------------------- readers */

/* my_shard - the calling thread's shard, given out round-robin. */
static unsigned
my_shard(void)
{
	static unsigned next;
	static __thread unsigned mine;	/* 0: none yet */

	if (mine == 0)
		mine = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) %
		       TBL_SHARDS + 1;
	return mine - 1;
}

/* tbl_resize - adopt the map size another process set (or set the one
 * this process's writer asked for, want_size), once no lookup of this
 * process is active: LMDB allows it only then.  New checkouts wait
 * meanwhile (they see need_resize), active ones take microseconds.
 * Waits until deadline_ns (<= 0: 100 ms). */
static int
tbl_resize(tbl_env *te, int64_t deadline_ns)
{
	struct timespec ts;
	int rc = VERDICT_OK;

	if (deadline_ns <= 0)
		deadline_ns = vd_clock_now_ns() + 100000000;
	ts.tv_sec = deadline_ns / 1000000000;
	ts.tv_nsec = deadline_ns % 1000000000;
	pthread_mutex_lock(&te->mu);
	while (__atomic_load_n(&te->need_resize, __ATOMIC_ACQUIRE)) {
		unsigned active = 0;
		int i;

		for (i = 0; i < TBL_SHARDS; i++) {
			pthread_mutex_lock(&te->sh[i].mu);
			active += te->sh[i].active;
		}
		if (active == 0) {
			int mrc = mdb_env_set_mapsize(te->env, te->want_size);

			te->want_size = 0;
			if (mrc != 0)
				vd_log(&te->lg, LOG_ERR, "database %s: cannot "
				       "adopt the new map size: %s", te->dir,
				       mdb_strerror(mrc));
			__atomic_store_n(&te->need_resize, 0,
					 __ATOMIC_RELEASE);
		}
		while (i-- > 0)
			pthread_mutex_unlock(&te->sh[i].mu);
		if (active == 0) {
			pthread_cond_broadcast(&te->drained);
			break;
		}
		if (pthread_cond_timedwait(&te->drained, &te->mu, &ts) ==
		    ETIMEDOUT) {
			rc = vd_util_err(VERDICT_ETIMEOUT, MDB_MAP_RESIZED,
				      "database map resize in progress");
			break;
		}
	}
	pthread_mutex_unlock(&te->mu);
	return rc;
}

/* tbl_grow - a writer's resize (size 0: adopt another process's): the
 * same drain as a reader's. */
static int
tbl_grow(tbl_env *te, size_t size)
{
	pthread_mutex_lock(&te->mu);
	te->want_size = size;
	__atomic_store_n(&te->need_resize, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&te->mu);
	return tbl_resize(te, vd_clock_now_ns() + 10 * (int64_t)1000000000);
}

static void
reader_close(tbl_reader *r)
{
	mdb_cursor_close(r->cur);
	mdb_cursor_close(r->cur4);
	mdb_txn_abort(r->txn);
	free(r);
}

int
vd_tbl_read_begin(tbl_env *te, int64_t deadline_ns, tbl_reader **out)
{
	unsigned si = my_shard();
	tbl_shard *sh = &te->sh[si];
	tbl_reader *r;
	int rc, tries = 0;

	if (vd_tbl_forked(te))
		return vd_util_err(VERDICT_EFORK, 0, "database opened before "
				"fork() cannot be used in the child");
again:
	if (__atomic_load_n(&te->need_resize, __ATOMIC_ACQUIRE) &&
	    (rc = tbl_resize(te, deadline_ns)) != VERDICT_OK)
		return rc;
	pthread_mutex_lock(&sh->mu);
	r = sh->free;
	if (r) {
		sh->free = r->next;
		sh->nfree--;
	}
	sh->active++;
	pthread_mutex_unlock(&sh->mu);

	if (r) {
		rc = mdb_txn_renew(r->txn);
		if (rc == 0)
			rc = mdb_cursor_renew(r->txn, r->cur);
		if (rc == 0)
			rc = mdb_cursor_renew(r->txn, r->cur4);
	} else {
		r = calloc(1, sizeof(*r));
		if (r == NULL) {
			rc = ENOMEM;
		} else {
			rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &r->txn);
			if (rc == 0) {
				rc = mdb_cursor_open(r->txn, te->idx, &r->cur);
				if (rc == 0) {
					rc = mdb_cursor_open(r->txn, te->idx4,
							     &r->cur4);
					if (rc != 0)
						mdb_cursor_close(r->cur);
				}
				if (rc != 0) {
					mdb_txn_abort(r->txn);
					r->txn = NULL;
				}
			}
		}
	}
	if (rc == 0) {
		r->shard = si;
		*out = r;
		return VERDICT_OK;
	}
	/* failure: give back the slot, maybe resize and retry once */
	pthread_mutex_lock(&sh->mu);
	sh->active--;
	pthread_mutex_unlock(&sh->mu);
	if (r) {
		if (r->txn)
			reader_close(r);
		else
			free(r);
	}
	if (rc == MDB_MAP_RESIZED) {
		__atomic_store_n(&te->need_resize, 1, __ATOMIC_RELEASE);
		if (tries++ == 0)
			goto again;
	}
	if (rc == MDB_READERS_FULL)
		return vd_util_err(VERDICT_EBUSY, rc, "database %s: all %d reader "
				"slots in use", te->dir, TBL_MAXREADERS);
	return db_err(rc, te->dir);
}

void
vd_tbl_read_end(tbl_env *te, tbl_reader *r)
{
	tbl_shard *sh = &te->sh[r->shard];
	int drained;

	mdb_txn_reset(r->txn);
	pthread_mutex_lock(&sh->mu);
	sh->active--;
	if (sh->nfree < TBL_POOL_MAX / TBL_SHARDS) {
		r->next = sh->free;
		sh->free = r;
		sh->nfree++;
		r = NULL;
	}
	drained = sh->active == 0 &&
		  __atomic_load_n(&te->need_resize, __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&sh->mu);
	if (r)
		reader_close(r);
	if (drained) {
		pthread_mutex_lock(&te->mu);
		pthread_cond_broadcast(&te->drained);
		pthread_mutex_unlock(&te->mu);
	}
}

/* ---------------------------------------------------------- index values */

/* v4_key - the idx4 key of an IPv4-mapped address. */
static uint32_t
v4_key(const vaddr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
	       (uint32_t)a->b[14] << 8 | a->b[15];
}

/* ix_key - the key of address a in idx (v4 = 0) or idx4 (v4 = 1). */
static void
ix_key(int v4, const vaddr *a, uint32_t *k4, MDB_val *k)
{
	if (v4) {
		*k4 = v4_key(a);
		k->mv_size = 4;
		k->mv_data = k4;
	} else {
		k->mv_size = 16;
		k->mv_data = (void *)a->b;
	}
}

static void
v4_from_key(vaddr *a, uint32_t k)
{
	uint8_t b[4] = { k >> 24, k >> 16 & 0xff, k >> 8 & 0xff, k & 0xff };

	vd_addr_from_v4(a, b);
}

/* val_hit - table id's unexpired most specific entry in the value of an
 * interval; hdr is the header length (IX_HDR6 or IX_HDR4): ntables is
 * its last byte. */
static int
val_hit(const uint8_t *val, size_t len, size_t hdr, uint16_t id,
	uint32_t now, tbl_hit *hit)
{
	size_t off = hdr, nt;

	if (len < hdr)
		return 0;
	nt = val[hdr - 1];

/* The walk over one index value: calls fn for every table chunk. */
	for (size_t t = 0; t < nt; t++) {
		uint16_t tid;
		size_t depth;

		if (off + 3 > len)
			return 0;
		tid = get_u16(val + off);
		depth = val[off + 2];
		off += 3;
		for (size_t d = 0; d < depth; d++) {
			uint32_t exp;
			size_t rlen;

			if (off + 6 > len)
				return 0;
			exp = get_u32(val + off + 1);
			rlen = val[off + 5];
			if (off + 6 + rlen > len)
				return 0;
			if (tid == id && (exp == 0 || exp > now)) {
				hit->plen = val[off];
				hit->expires = exp;
				hit->rlen = (uint8_t)rlen;
				hit->reason = (const char *)val + off + 6;
				return 1;
			}
			off += 6 + rlen;
		}
		if (tid > id)
			return 0;	/* chunks are in ascending id order */
	}
	return 0;
}

int
vd_tbl_val_hit(const uint8_t *val, size_t len, uint16_t id, uint32_t now,
	    tbl_hit *hit)
{
	return val_hit(val, len, 1, id, now, hit);
}

int
vd_tbl_probe(tbl_reader *r, const vaddr *ip, const uint16_t *ids, size_t n,
	  uint32_t now, tbl_hit *hits)
{
	MDB_val k, v;
	uint32_t k4;
	size_t hdr;
	int rc, v4;

	for (size_t i = 0; i < n; i++)
		hits[i].plen = 0;
	v4 = vd_addr_is_v4(ip);
	ix_key(v4, ip, &k4, &k);
	rc = mdb_cursor_get(v4 ? r->cur4 : r->cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return VERDICT_OK;
	if (rc != 0)
		return db_err(rc, "lookup");
	if (v4) {
		const uint8_t *part;
		size_t plen;

		rc = vd_blk4_find(v.mv_data, v.mv_size, k4, &part, &plen);
		if (rc < 0)
			return vd_util_err(VERDICT_EDB, MDB_CORRUPTED, "lookup: "
					"damaged index block");
		if (rc == 0)
			return VERDICT_OK;	/* in a gap */
		for (size_t i = 0; i < n; i++)
			val_hit(part, plen, 1, ids[i], now, &hits[i]);
		return VERDICT_OK;
	}
	hdr = IX_HDR6;
	if (v.mv_size < hdr || memcmp(v.mv_data, ip->b, hdr - 1) > 0)
		return VERDICT_OK;	/* in a gap between intervals */
	for (size_t i = 0; i < n; i++)
		val_hit(v.mv_data, v.mv_size, hdr, ids[i], now, &hits[i]);
	return VERDICT_OK;
}

static const uint8_t v4_lo[16] = { [10] = 0xff, [11] = 0xff };

/* walk6 - idx from key `from` on, up to (not including) key `to` when
 * to != NULL. */
static int
walk6(tbl_reader *r, const uint8_t *from, const uint8_t *to,
      tbl_interval_fn cb, void *arg)
{
	MDB_val k = { 16, (void *)from }, v;
	int rc = from ? mdb_cursor_get(r->cur, &k, &v, MDB_SET_RANGE) :
			mdb_cursor_get(r->cur, &k, &v, MDB_FIRST);

	for (; rc == 0; rc = mdb_cursor_get(r->cur, &k, &v, MDB_NEXT)) {
		vaddr s, e;

		if (k.mv_size != 16 || v.mv_size < IX_HDR6)
			return vd_util_err(VERDICT_EDB, MDB_CORRUPTED, "index "
					"record of bad size");
		if (to && memcmp(k.mv_data, to, 16) >= 0)
			return VERDICT_OK;
		memcpy(e.b, k.mv_data, 16);
		memcpy(s.b, v.mv_data, 16);
		if ((rc = cb(&s, &e, (uint8_t *)v.mv_data + IX_HDR6 - 1,
			     v.mv_size - (IX_HDR6 - 1), arg)) != 0)
			return rc;
	}
	return rc == MDB_NOTFOUND ? VERDICT_OK : db_err(rc, "index walk");
}

/* walk4 - every IPv4 interval, block by block. */
static int
walk4(tbl_reader *r, tbl_interval_fn cb, void *arg)
{
	MDB_val k, v;
	int rc = mdb_cursor_get(r->cur4, &k, &v, MDB_FIRST);

	for (; rc == 0; rc = mdb_cursor_get(r->cur4, &k, &v, MDB_NEXT)) {
		size_t n = vd_blk4_count(v.mv_data, v.mv_size);

		if (k.mv_size != 4 || n == 0)
			return vd_util_err(VERDICT_EDB, MDB_CORRUPTED, "damaged "
					"index block");
		for (size_t i = 0; i < n; i++) {
			blk4_iv iv;
			vaddr s, e;

			vd_blk4_get(v.mv_data, v.mv_size, i, &iv);
			v4_from_key(&s, iv.start);
			v4_from_key(&e, iv.end);
			if ((rc = cb(&s, &e, iv.part, iv.plen, arg)) != 0)
				return rc;
		}
	}
	return rc == MDB_NOTFOUND ? VERDICT_OK : db_err(rc, "index walk");
}

/* vd_tbl_walk_intervals - in address order: the IPv6 intervals below
 * ::ffff:0:0, the IPv4 intervals, the rest of IPv6. */
int
vd_tbl_walk_intervals(tbl_reader *r, tbl_interval_fn cb, void *arg)
{
	int rc;

	if ((rc = walk6(r, NULL, v4_lo, cb, arg)) != 0 ||
	    (rc = walk4(r, cb, arg)) != 0)
		return rc;
	return walk6(r, v4_lo, NULL, cb, arg);
}

/* --------------------------------------------------------------- sweep */

/* One entry as the index builder sees it. */
typedef struct sw_ent {
	vaddr start, end;
	uint16_t tid;
	uint8_t plen;
	uint8_t rlen;
	uint32_t expires;
	const char *reason;
} sw_ent;

typedef int (*sw_emit_fn)(const vaddr *s, const vaddr *e, const uint8_t *val,
			  size_t len, void *arg);

typedef struct sweep {
	sw_ent *stack;
	size_t depth, cap;
	vaddr cur;
	int cur_past_end;	/* cur wrapped past the last address */
	uint8_t *buf;		/* value being built */
	size_t bufcap;
	vaddr lo, hi;		/* clip */
	sw_emit_fn emit;
	void *arg;
} sweep;

/* sweep_value - encode the stack as an index value for start s. */
static int
sweep_value(sweep *sw, const vaddr *s, size_t *len)
{
	uint16_t tids[TBL_TABLES_MAX + 1];
	size_t ntids = 0, need = 17, off;

	for (size_t i = 0; i < sw->depth; i++) {
		size_t j;

		need += 6 + sw->stack[i].rlen;
		for (j = 0; j < ntids && tids[j] != sw->stack[i].tid; j++)
			;
		if (j == ntids) {
			if (ntids == TBL_TABLES_MAX)
				return vd_util_err(VERDICT_ERANGE, 0, "too many "
						"tables");
			tids[ntids++] = sw->stack[i].tid;
		}
	}
	need += 3 * ntids;
	if (need > sw->bufcap) {
		uint8_t *nb = realloc(sw->buf, need * 2);

		if (nb == NULL)
			return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
		sw->buf = nb;
		sw->bufcap = need * 2;
	}
	/* ascending table ids (insertion sort: a handful of tables) */
	for (size_t i = 1; i < ntids; i++) {
		uint16_t t = tids[i];
		size_t j = i;

		for (; j > 0 && tids[j - 1] > t; j--)
			tids[j] = tids[j - 1];
		tids[j] = t;
	}
	memcpy(sw->buf, s->b, 16);
	sw->buf[16] = (uint8_t)ntids;
	off = 17;
	for (size_t t = 0; t < ntids; t++) {
		size_t depth_at = off + 2, depth = 0;

		put_u16(sw->buf + off, tids[t]);
		off += 3;
		for (size_t i = sw->depth; i-- > 0;) {
			const sw_ent *e = &sw->stack[i];

			if (e->tid != tids[t])
				continue;
			sw->buf[off] = e->plen;
			put_u32(sw->buf + off + 1, e->expires);
			sw->buf[off + 5] = e->rlen;
			memcpy(sw->buf + off + 6, e->reason, e->rlen);
			off += 6 + (size_t)e->rlen;
			depth++;
		}
		sw->buf[depth_at] = (uint8_t)depth;
	}
	*len = off;
	return VERDICT_OK;
}

/* sweep_emit - emit [a, b] (clipped) with the current stack. */
static int
sweep_emit(sweep *sw, const vaddr *a, const vaddr *b)
{
	vaddr s = *a, e = *b;
	size_t len;
	int rc;

	if (vd_addr_cmp(&s, &sw->lo) < 0)
		s = sw->lo;
	if (vd_addr_cmp(&e, &sw->hi) > 0)
		e = sw->hi;
	if (vd_addr_cmp(&s, &e) > 0)
		return VERDICT_OK;
	if ((rc = sweep_value(sw, &s, &len)) != 0)
		return rc;
	return sw->emit(&s, &e, sw->buf, len, sw->arg);
}

static int
sweep_pop(sweep *sw)
{
	const sw_ent *top = &sw->stack[sw->depth - 1];
	int rc;

	if (!sw->cur_past_end && vd_addr_cmp(&sw->cur, &top->end) <= 0) {
		if ((rc = sweep_emit(sw, &sw->cur, &top->end)) != 0)
			return rc;
		sw->cur = top->end;
		sw->cur_past_end = vd_addr_inc(&sw->cur);
	}
	sw->depth--;
	return VERDICT_OK;
}

/* sweep_push - entries must come in (start asc, plen asc) order. */
static int
sweep_push(sweep *sw, const sw_ent *e)
{
	int rc;

	while (sw->depth > 0 &&
	       vd_addr_cmp(&sw->stack[sw->depth - 1].end, &e->start) < 0) {
		if ((rc = sweep_pop(sw)) != 0)
			return rc;
	}
	if (sw->depth > 0 && !sw->cur_past_end &&
	    vd_addr_cmp(&sw->cur, &e->start) < 0) {
		vaddr before = e->start;

		vd_addr_dec(&before);
		if ((rc = sweep_emit(sw, &sw->cur, &before)) != 0)
			return rc;
	}
	sw->cur = e->start;
	sw->cur_past_end = 0;
	if (sw->depth == sw->cap) {
		size_t nc = sw->cap ? sw->cap * 2 : 64;
		sw_ent *ns = realloc(sw->stack, nc * sizeof(*ns));

		if (ns == NULL)
			return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
		sw->stack = ns;
		sw->cap = nc;
	}
	sw->stack[sw->depth++] = *e;
	return VERDICT_OK;
}

static int
sweep_finish(sweep *sw)
{
	int rc;

	while (sw->depth > 0)
		if ((rc = sweep_pop(sw)) != 0)
			return rc;
	return VERDICT_OK;
}

static void
sweep_init(sweep *sw, const vaddr *lo, const vaddr *hi, sw_emit_fn emit,
	   void *arg)
{
	memset(sw, 0, sizeof(*sw));
	if (lo)
		sw->lo = *lo;
	if (hi)
		sw->hi = *hi;
	else
		memset(sw->hi.b, 0xff, 16);
	sw->emit = emit;
	sw->arg = arg;
}

static void
sweep_free(sweep *sw)
{
	free(sw->stack);
	free(sw->buf);
}

/* ----------------------------------------------------------- entry codec */

static void
ent_key(uint8_t key[17], const vcidr *c)
{
	memcpy(key, c->net.b, 16);
	key[16] = c->plen;
}

/* ent_encode - value of an entry db record into buf (>= 8+4+2+255+255). */
static size_t
ent_encode(uint8_t *buf, const tbl_entry *e)
{
	size_t off = 0;

	put_u64(buf, e->added);
	put_u32(buf + 8, e->expires);
	off = 12;
	buf[off++] = e->olen;
	memcpy(buf + off, e->origin, e->olen);
	off += e->olen;
	buf[off++] = e->rlen;
	memcpy(buf + off, e->reason, e->rlen);
	return off + e->rlen;
}

/* ent_decode - an entry db record into e (pointers into the record). */
static int
ent_decode(const MDB_val *k, const MDB_val *v, tbl_entry *e)
{
	const uint8_t *p = v->mv_data;
	size_t off;

	if (k->mv_size != 17 || v->mv_size < 14)
		return -1;
	memcpy(e->cidr.net.b, k->mv_data, 16);
	e->cidr.plen = ((const uint8_t *)k->mv_data)[16];
	e->added = get_u64(p);
	e->expires = get_u32(p + 8);
	e->olen = p[12];
	off = 13;
	if (off + e->olen + 1 > v->mv_size)
		return -1;
	e->origin = (const char *)p + off;
	off += e->olen;
	e->rlen = p[off++];
	if (off + e->rlen > v->mv_size)
		return -1;
	e->reason = (const char *)p + off;
	return 0;
}

static void
ent_to_sw(const tbl_entry *e, uint16_t tid, sw_ent *s)
{
	s->start = e->cidr.net;
	vd_addr_last(&e->cidr, &s->end);
	s->tid = tid;
	s->plen = e->cidr.plen;
	s->rlen = e->rlen;
	s->expires = e->expires;
	s->reason = e->reason;
}

/* ---------------------------------------------------------- catalogue */

typedef struct meta_rec {
	int kind;
	uint16_t id;
	int live;
	uint64_t entries;
} meta_rec;

static int
meta_get(MDB_txn *txn, tbl_env *te, const char *name, meta_rec *m)
{
	char key[TBL_NAME_MAX + 3];
	MDB_val k, v;
	int rc;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "t:%s", name);
	k.mv_data = key;
	rc = mdb_get(txn, te->meta, &k, &v);
	if (rc != 0)
		return rc;
	if (v.mv_size != 12)
		return MDB_CORRUPTED;
	m->kind = ((uint8_t *)v.mv_data)[0];
	m->id = get_u16((uint8_t *)v.mv_data + 1);
	m->live = ((uint8_t *)v.mv_data)[3];
	m->entries = get_u64((uint8_t *)v.mv_data + 4);
	return 0;
}

static int
meta_put(MDB_txn *txn, tbl_env *te, const char *name, const meta_rec *m)
{
	char key[TBL_NAME_MAX + 3];
	uint8_t val[12];
	MDB_val k, v;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "t:%s", name);
	k.mv_data = key;
	val[0] = (uint8_t)m->kind;
	put_u16(val + 1, m->id);
	val[3] = (uint8_t)m->live;
	put_u64(val + 4, m->entries);
	v.mv_size = sizeof(val);
	v.mv_data = val;
	return mdb_put(txn, te->meta, &k, &v, 0);
}

static int
ent_dbi(MDB_txn *txn, uint16_t id, int create, MDB_dbi *dbi)
{
	char name[16];

	snprintf(name, sizeof(name), "e.%u", (unsigned)id);
	return mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, dbi);
}

/* Live tables: ids in ascending name order (the catalogue's order). */
typedef struct live_set {
	size_t n;
	uint16_t id[TBL_TABLES_MAX];
	MDB_dbi dbi[TBL_TABLES_MAX];
} live_set;

static int
live_tables(MDB_txn *txn, tbl_env *te, live_set *ls)
{
	MDB_cursor *c;
	MDB_val k = { 2, "t:" }, v;
	int rc;

	ls->n = 0;
	if ((rc = mdb_cursor_open(txn, te->meta, &c)) != 0)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 2 || memcmp(k.mv_data, "t:", 2) != 0)
			break;
		if (v.mv_size != 12 || ((uint8_t *)v.mv_data)[3] == 0)
			continue;
		if (ls->n == TBL_TABLES_MAX)
			break;
		ls->id[ls->n] = get_u16((uint8_t *)v.mv_data + 1);
		if ((rc = ent_dbi(txn, ls->id[ls->n], 0, &ls->dbi[ls->n])))
			break;
		ls->n++;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
vd_tbl_table_id(tbl_env *te, const char *name, uint16_t *id, int *kind)
{
	MDB_txn *txn;
	meta_rec m;
	int rc;

	if (!vd_tbl_name_ok(name))
		return vd_util_err(VERDICT_EINVAL, 0, "bad table name \"%.80s\" "
				"(use a-z, 0-9, _ and -, at most 64)", name);
	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn)) != 0)
		return db_err(rc, te->dir);
	rc = meta_get(txn, te, name, &m);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND || (rc == 0 && !m.live))
		return vd_util_err(VERDICT_ENOENT, 0, "no table \"%s\" in %s",
				name, te->dir);
	if (rc != 0)
		return db_err(rc, "catalogue");
	*id = m.id;
	*kind = m.kind;
	return VERDICT_OK;
}

int
vd_tbl_list(tbl_env *te, int (*cb)(const tbl_info *, void *), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = { 2, "t:" }, v;
	int rc, cbrc = 0;

	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn)) != 0)
		return db_err(rc, te->dir);
	if ((rc = mdb_cursor_open(txn, te->meta, &c)) != 0) {
		mdb_txn_abort(txn);
		return db_err(rc, "catalogue");
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		tbl_info ti;
		const uint8_t *p = v.mv_data;

		if (k.mv_size < 3 || memcmp(k.mv_data, "t:", 2) != 0)
			break;
		if (v.mv_size != 12 || p[3] == 0 ||
		    k.mv_size - 2 > TBL_NAME_MAX)
			continue;
		memcpy(ti.name, (char *)k.mv_data + 2, k.mv_size - 2);
		ti.name[k.mv_size - 2] = 0;
		ti.kind = p[0];
		ti.id = get_u16(p + 1);
		ti.entries = get_u64(p + 4);
		if ((cbrc = cb(&ti, arg)) != 0)
			break;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (cbrc)
		return cbrc;
	return rc == 0 || rc == MDB_NOTFOUND ? VERDICT_OK :
	       db_err(rc, "catalogue");
}

/* ------------------------------------------------------------- writers */

typedef int (*write_fn)(MDB_txn *txn, tbl_env *te, void *arg);

/*
 * Writeback ahead of the commit's sync.  LMDB commits by writing every
 * dirty page into the page cache and then calling fdatasync(), which
 * starts the device writes only then: for an import's 120 MB the sync
 * waited 230-260 ms after 130 ms of writing.  While a large commit
 * writes, a helper asks the kernel every 5 ms to start writing back the
 * part of the file written since (sync_file_range(SYNC_FILE_RANGE_WRITE):
 * a hint that changes nothing about durability - fdatasync still
 * decides), so the device works while LMDB copies: the sync then waits
 * 150-165 ms, the commit as a whole 30-60 ms less.
 */
typedef struct wb_helper {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd, done, on;
	off_t from;
} wb_helper;

static void *
wb_run(void *arg)
{
	wb_helper *w = arg;
	off_t from = w->from;
	struct timespec ts;
	struct stat st;

	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		pthread_mutex_unlock(&w->mu);
		/* LMDB writes pages in page order, so the file grows from
		 * front to back: start what is new since the last round */
		if (fstat(w->fd, &st) == 0 && st.st_size > from) {
			(void)sync_file_range(w->fd, from, st.st_size - from,
					      SYNC_FILE_RANGE_WRITE);
			from = st.st_size;
		}
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 5000000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!w->done)
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* wb_start - start the helper (w->on says whether it runs) */
static void
wb_start(wb_helper *w, MDB_env *env)
{
	pthread_condattr_t ca;
	MDB_envinfo info;
	MDB_stat st;
	int fd;

	w->on = 0;
	if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0 ||
	    mdb_env_get_fd(env, &fd) != 0)
		return;
	/* pages past the last committed one are this commit's */
	w->from = (off_t)(info.me_last_pgno + 1) * (off_t)st.ms_psize;
	w->fd = fd;
	w->done = 0;
	if (pthread_condattr_init(&ca) != 0)
		return;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->th, NULL, wb_run, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return;
	}
	w->on = 1;
}

static void
wb_stop(wb_helper *w)
{
	if (!w->on)
		return;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->on = 0;
}

/* tbl_write - one write transaction running fn; on MDB_MAP_FULL the map
 * is doubled and fn runs again from the start.  bulk: a large transaction
 * (an import), committed with writeback ahead (wb_helper). */
static int
tbl_write_ex(tbl_env *te, write_fn fn, void *arg, int bulk)
{
	if (!te->write)
		return vd_util_err(VERDICT_ESTATE, 0, "database opened read-only");
	if (vd_tbl_forked(te))
		return vd_util_err(VERDICT_EFORK, 0, "database opened before "
				"fork() cannot be used in the child");
	for (int tries = 0; tries < 12; tries++) {
		MDB_txn *txn;
		MDB_envinfo info;
		int rc;

		if ((rc = mdb_txn_begin(te->env, NULL, 0, &txn)) != 0) {
			if (rc == MDB_MAP_RESIZED &&
			    tbl_grow(te, 0) == VERDICT_OK)
				continue;
			return db_err(rc, te->dir);
		}
		vd_util_clear_err();
		rc = fn(txn, te, arg);
		if (rc == VERDICT_OK) {
			wb_helper wb = { .on = 0 };

			if (bulk)
				wb_start(&wb, te->env);
			rc = mdb_txn_commit(txn);
			wb_stop(&wb);
			if (rc == 0)
				return VERDICT_OK;
			if (rc == EIO || rc == ENOSPC || rc == EFBIG ||
			    rc == EDQUOT)
				return vd_util_err(VERDICT_EIO, rc, "commit: %s "
						"(disk full or over a file size "
						"limit?); the tables are as they "
						"were", mdb_strerror(rc));
			if (rc != MDB_MAP_FULL)
				return db_err(rc, "commit");
		} else {
			mdb_txn_abort(txn);
			if (rc != VERDICT_EDB || verdict_errlower() !=
			    MDB_MAP_FULL)
				return rc;
		}
		/* map full: grow and redo */
		mdb_env_info(te->env, &info);
		if ((rc = tbl_grow(te, info.me_mapsize * 2)) != VERDICT_OK)
			return rc;
		vd_log(&te->lg, LOG_INFO, "database %s: map grown to %zu MiB",
		       te->dir, info.me_mapsize * 2 >> 20);
	}
	return vd_util_err(VERDICT_EDB, MDB_MAP_FULL, "database %s: map full",
			te->dir);
}

static int
tbl_write(tbl_env *te, write_fn fn, void *arg)
{
	return tbl_write_ex(te, fn, arg, 0);
}

/* ix6_put - one IPv6 interval ending at e, its value in the 16-byte
 * form (start[16] | table part), into idx. */
static int
ix6_put(MDB_txn *txn, tbl_env *te, const vaddr *e, const uint8_t *val,
	size_t len, unsigned flags)
{
	MDB_val k = { 16, (void *)e->b }, v = { len, (void *)val };

	return mdb_put(txn, te->idx, &k, &v, flags);
}

/* blk4_of - the block form of an IPv4 interval from s, e and the 16-byte
 * form of its value */
static void
blk4_of(const vaddr *s, const vaddr *e, const uint8_t *val, size_t len,
	blk4_iv *iv)
{
	iv->start = v4_key(s);
	iv->end = v4_key(e);
	iv->part = val + IX_HDR6 - 1;
	iv->plen = len - (IX_HDR6 - 1);
}

/* Emission into the index during a full rebuild: keys ascend, so append
 * (IPv6 below ::ffff:0:0 and above the IPv4 block go to one db, IPv4 in
 * blocks to the other: each sees its own keys in ascending order). */
typedef struct emit_arg {
	MDB_txn *txn;
	tbl_env *te;
	MDB_cursor *c6;		/* on idx: appends skip the descent */
	blk4_w w;
} emit_arg;

static int
emit_append(const vaddr *s, const vaddr *e, const uint8_t *val, size_t len,
	    void *arg)
{
	emit_arg *ea = arg;
	int rc;

	if (vd_addr_is_v4(e)) {
		blk4_iv iv;

		blk4_of(s, e, val, len, &iv);
		rc = vd_blk4_w_add(&ea->w, &iv);
	} else {
		MDB_val k = { 16, (void *)e->b }, v = { len, (void *)val };

		rc = mdb_cursor_put(ea->c6, &k, &v, MDB_APPEND);
	}
	return rc ? db_err(rc, "index write") : VERDICT_OK;
}

/* A bulk in key order, one entry at a time: the IPv6 items below
 * ::ffff:0:0, the IPv4 items, the other IPv6 items (the 16-byte key
 * order); of equal CIDRs only the last.  An entry's reason points into
 * its item (or where a long one is): valid while the bulk is. */
typedef struct bulk_it {
	const tbl_bulk *b;
	size_t seg, i, split6;	/* split6: the first IPv6 item above */
} bulk_it;

_Static_assert(sizeof(tbl_item4) == 32, "tbl_item4 is 32 bytes");
_Static_assert(sizeof(tbl_item6) == 40, "tbl_item6 is 40 bytes");

/* item_reason - where an item's reason is: in it, or behind its pointer */
static inline const char *
item_reason(const char *r, uint8_t inl)
{
	const char *p;

	if (inl)
		return r;
	memcpy(&p, r, sizeof(p));
	return p;
}

/* item_set_reason - the reason into the item, or a pointer to it */
static inline void
item_set_reason(char *r, size_t room, uint8_t *inl, const char *reason,
		size_t rlen)
{
	*inl = rlen <= room;
	if (*inl)
		memcpy(r, reason, rlen);
	else
		memcpy(r, &reason, sizeof(reason));
}

static void
bulk_it_init(bulk_it *it, const tbl_bulk *b)
{
	size_t lo = 0, hi = b->n6;

	/* the first IPv6 item at or above ::ffff:0:0 (none is inside) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(b->v6[mid].key, v4_lo, 12) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	it->b = b;
	it->seg = 0;
	it->i = 0;
	it->split6 = lo;
}

/* bulk_next - the next entry into *e; 0 at the end */
static int
bulk_next(bulk_it *it, tbl_entry *e)
{
	const tbl_bulk *b = it->b;

	for (;;) {
		size_t end = it->seg == 0 ? it->split6 :
			     it->seg == 1 ? b->n4 : b->n6;

		if (it->i >= end) {
			if (it->seg == 2)
				return 0;
			/* IPv4 from its start; IPv6 again from split6 */
			it->i = ++it->seg == 2 ? it->split6 : 0;
			continue;
		}
		if (it->seg == 1) {
			const tbl_item4 *x = &b->v4[it->i];

			/* equal CIDRs: the last one (the sort is stable) */
			if (it->i + 1 < end && x[1].key == x->key) {
				it->i++;
				continue;
			}
			v4_from_key(&e->cidr.net, (uint32_t)(x->key >> 8 &
							    0xffffffff));
			e->cidr.plen = (uint8_t)x->key;
			e->reason = item_reason(x->r, x->inl);
			e->rlen = x->rlen;
			e->expires = x->expires;
		} else {
			const tbl_item6 *x = &b->v6[it->i];

			if (it->i + 1 < end &&
			    memcmp(x[1].key, x->key, 17) == 0) {
				it->i++;
				continue;
			}
			memcpy(e->cidr.net.b, x->key, 16);
			e->cidr.plen = x->key[16];
			e->reason = item_reason(x->r, x->inl);
			e->rlen = x->rlen;
			e->expires = x->expires;
		}
		e->added = b->added;
		e->origin = b->origin;
		e->olen = b->olen;
		it->i++;
		return 1;
	}
}

/* One sorted stream of entries for the rebuild: an entry db, or (for
 * the table an import just wrote) the bulk it was written from, which
 * saves reading back what the transaction has just written. */
typedef struct src {
	MDB_cursor *cur;	/* NULL: the bulk */
	MDB_val k, v;
	bulk_it it;
	tbl_entry e;		/* the bulk's current entry */
	uint8_t key[17];	/* its key */
	int has;
} src;

static void
src_next(src *x, int first)
{
	if (x->cur) {
		x->has = mdb_cursor_get(x->cur, &x->k, &x->v,
					first ? MDB_FIRST : MDB_NEXT) == 0;
		return;
	}
	x->has = bulk_next(&x->it, &x->e);
	if (x->has) {
		ent_key(x->key, &x->e.cidr);
		x->k.mv_size = 17;
		x->k.mv_data = x->key;
	}
}

/* idx_rebuild_from - rebuild the whole index from every live table: a
 * k-way merge of the sorted entry streams into one sweep.  When b is
 * set, table aid's entries come from it (sorted). */
static int
idx_rebuild_from(MDB_txn *txn, tbl_env *te, uint16_t aid, const tbl_bulk *b)
{
	live_set ls;
	src *xs;
	emit_arg *ea;
	sweep sw;
	int rc = 0;

	if ((rc = live_tables(txn, te, &ls)) != 0)
		return db_err(rc, "catalogue");
	if ((rc = mdb_drop(txn, te->idx, 0)) != 0 ||
	    (rc = mdb_drop(txn, te->idx4, 0)) != 0)
		return db_err(rc, "index reset");
	if ((xs = calloc(ls.n + 1, sizeof(*xs))) == NULL ||
	    (ea = malloc(sizeof(*ea))) == NULL) {
		free(xs);
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	}
	ea->txn = txn;
	ea->te = te;
	if ((rc = mdb_cursor_open(txn, te->idx, &ea->c6)) != 0) {
		free(xs);
		free(ea);
		return db_err(rc, "index write");
	}
	vd_blk4_w_init(&ea->w, txn, te->idx4, MDB_APPEND);
	sweep_init(&sw, NULL, NULL, emit_append, ea);
	for (size_t i = 0; i < ls.n && rc == 0; i++) {
		if (b && ls.id[i] == aid) {
			bulk_it_init(&xs[i].it, b);
		} else if ((rc = mdb_cursor_open(txn, ls.dbi[i],
						 &xs[i].cur)) != 0) {
			rc = db_err(rc, "entries");
			break;
		}
		src_next(&xs[i], 1);
	}
	while (rc == 0) {
		size_t best = ls.n;
		tbl_entry e;
		sw_ent sv;

		for (size_t i = 0; i < ls.n; i++) {
			if (!xs[i].has)
				continue;
			if (best == ls.n || memcmp(xs[i].k.mv_data,
						   xs[best].k.mv_data, 17) < 0)
				best = i;
		}
		if (best == ls.n)
			break;
		if (xs[best].cur == NULL) {
			e = xs[best].e;
		} else if (ent_decode(&xs[best].k, &xs[best].v, &e) != 0) {
			rc = vd_util_err(VERDICT_EDB, MDB_CORRUPTED, "damaged "
				      "entry record in table id %u",
				      ls.id[best]);
			break;
		}
		ent_to_sw(&e, ls.id[best], &sv);
		if ((rc = sweep_push(&sw, &sv)) != 0)
			break;
		src_next(&xs[best], 0);
	}
	if (rc == 0)
		rc = sweep_finish(&sw);
	if (rc == 0 && (rc = vd_blk4_w_flush(&ea->w)) != 0)
		rc = db_err(rc, "index write");
	for (size_t i = 0; i < ls.n; i++)
		if (xs[i].cur)
			mdb_cursor_close(xs[i].cur);
	free(xs);
	mdb_cursor_close(ea->c6);
	vd_blk4_w_free(&ea->w);
	free(ea);
	sweep_free(&sw);
	return rc;
}

static int
idx_rebuild(MDB_txn *txn, tbl_env *te)
{
	return idx_rebuild_from(txn, te, 0, NULL);
}

/* sw_add - append entry e of table tid to a growing sweep array. */
static int
sw_add(sw_ent **ents, size_t *n, size_t *cap, const tbl_entry *e,
       uint16_t tid)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		sw_ent *ne = realloc(*ents, nc * sizeof(*ne));

		if (ne == NULL)
			return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
		*ents = ne;
		*cap = nc;
	}
	ent_to_sw(e, tid, &(*ents)[(*n)++]);
	return VERDICT_OK;
}

/* Range rebuild (add/del): only the intervals inside the changed CIDR,
 * collected as end[16] | value. */
static int
emit_collect(const vaddr *s, const vaddr *e, const uint8_t *val, size_t len,
	     void *arg)
{
	(void)s;
	if (vd_util_recs_add(arg, e->b, 16, val, len) != 0)
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	return VERDICT_OK;
}

static int
sw_ent_cmp(const void *a, const void *b)
{
	const sw_ent *x = a, *y = b;
	int c = vd_addr_cmp(&x->start, &y->start);

	if (c)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int
idx_rebuild_range(MDB_txn *txn, tbl_env *te, const vcidr *r)
{
	live_set ls;
	sw_ent *ents = NULL;
	size_t n = 0, cap = 0;
	util_recs so = { 0 };
	vaddr lo = r->net, hi;
	sweep sw;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	vd_addr_last(r, &hi);
	if ((rc = live_tables(txn, te, &ls)) != 0)
		return db_err(rc, "catalogue");
	for (size_t t = 0; t < ls.n; t++) {
		uint8_t key[17];
		tbl_entry e;

		/* covering entries: one exact probe per shorter prefix */
		for (unsigned p = 0; p <= r->plen; p++) {
			vcidr cc = { lo, (uint8_t)p };

			vd_addr_mask(&cc.net, p);
			ent_key(key, &cc);
			k.mv_size = 17;
			k.mv_data = key;
			if (p == r->plen)
				break;	/* inner scan covers plen >= r->plen */
			if (mdb_get(txn, ls.dbi[t], &k, &v) != 0)
				continue;
			if (ent_decode(&k, &v, &e) == 0 &&
			    (rc = sw_add(&ents, &n, &cap, &e, ls.id[t])) != 0)
				goto out;
		}
		/* entries inside r */
		if ((rc = mdb_cursor_open(txn, ls.dbi[t], &c)) != 0) {
			rc = db_err(rc, "entries");
			goto out;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			if (ent_decode(&k, &v, &e) != 0)
				continue;
			if (vd_addr_cmp(&e.cidr.net, &hi) > 0)
				break;
			if ((rc = sw_add(&ents, &n, &cap, &e, ls.id[t])) != 0)
				goto out;
		}
		mdb_cursor_close(c);
		c = NULL;
		if (rc != 0 && rc != MDB_NOTFOUND) {
			rc = db_err(rc, "entries");
			goto out;
		}
	}
	if (n > 1)
		qsort(ents, n, sizeof(*ents), sw_ent_cmp);
	sweep_init(&sw, &lo, &hi, emit_collect, &so);
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = sweep_push(&sw, &ents[i]);
	if (rc == 0)
		rc = sweep_finish(&sw);
	sweep_free(&sw);
	if (rc != 0)
		goto out;

	if (vd_addr_is_v4(&lo)) {
		/* IPv4: the blocks over [lo, hi] rewritten */
		blk4_iv *nv = malloc((so.n ? so.n : 1) * sizeof(*nv));

		if (nv == NULL) {
			rc = vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < so.n; i++) {
			vaddr st, e;

			memcpy(e.b, so.rec[i], 16);
			memcpy(st.b, so.rec[i] + 16, 16);
			blk4_of(&st, &e, so.rec[i] + 16, so.len[i] - 16, &nv[i]);
		}
		rc = vd_blk4_replace(txn, te->idx4, v4_key(&lo), v4_key(&hi), nv,
				  so.n);
		free(nv);
		if (rc != 0)
			rc = db_err(rc, "index");
		goto out;
	}
	/* IPv6: cut the old intervals that overlap [lo, hi] */
	if ((rc = mdb_cursor_open(txn, te->idx, &c)) != 0) {
		rc = db_err(rc, "index");
		goto out;
	}
	for (;;) {
		uint8_t *old;
		size_t olen;
		vaddr os, oe;

		k.mv_size = 16;
		k.mv_data = lo.b;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0 || v.mv_size < IX_HDR6 || k.mv_size != 16) {
			rc = db_err(rc ? rc : MDB_CORRUPTED, "index");
			goto out;
		}
		memcpy(oe.b, k.mv_data, 16);
		memcpy(os.b, v.mv_data, 16);
		if (vd_addr_cmp(&os, &hi) > 0)
			break;
		olen = v.mv_size;
		if ((old = malloc(olen)) == NULL) {
			rc = vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
			goto out;
		}
		memcpy(old, v.mv_data, olen);
		if ((rc = mdb_cursor_del(c, 0)) != 0) {
			free(old);
			rc = db_err(rc, "index");
			goto out;
		}
		v.mv_size = olen;
		v.mv_data = old;
		if (vd_addr_cmp(&os, &lo) < 0) {
			vaddr left = lo;

			vd_addr_dec(&left);
			rc = ix6_put(txn, te, &left, v.mv_data, v.mv_size, 0);
		}
		if (rc == 0 && vd_addr_cmp(&oe, &hi) > 0) {
			vaddr right = hi;

			vd_addr_inc(&right);
			memcpy(old, right.b, 16);
			rc = ix6_put(txn, te, &oe, v.mv_data, v.mv_size, 0);
		}
		free(old);
		if (rc != 0) {
			rc = db_err(rc, "index");
			goto out;
		}
	}
	for (size_t i = 0; i < so.n; i++) {
		vaddr e;

		memcpy(e.b, so.rec[i], 16);
		if ((rc = ix6_put(txn, te, &e, so.rec[i] + 16, so.len[i] - 16,
				  0)) != 0) {
			rc = db_err(rc, "index");
			goto out;
		}
	}
out:
	if (c)
		mdb_cursor_close(c);
	vd_util_recs_free(&so);
	free(ents);
	return rc;
}

/* --- create / drop */

typedef struct create_arg {
	const char *name;
	int kind;
} create_arg;

static int
do_create(MDB_txn *txn, tbl_env *te, void *arg)
{
	create_arg *a = arg;
	meta_rec m;
	live_set ls;
	MDB_dbi dbi;
	int rc = meta_get(txn, te, a->name, &m);
	int known = rc == 0;

	if (rc == 0 && m.live)
		return vd_util_err(VERDICT_EEXIST, 0, "table \"%s\" exists "
				"already", a->name);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return db_err(rc, "catalogue");
	if ((rc = live_tables(txn, te, &ls)) != 0)
		return db_err(rc, "catalogue");
	if (ls.n >= TBL_TABLES_MAX)
		return vd_util_err(VERDICT_ERANGE, 0, "at most %d tables",
				TBL_TABLES_MAX);
	if (!known) {
		/* a new name: the next id (a dropped name keeps its own) */
		MDB_val k = { 6, "nextid" }, v;
		uint8_t b[2];
		uint16_t id = 1;

		if (mdb_get(txn, te->meta, &k, &v) == 0 && v.mv_size == 2)
			id = get_u16(v.mv_data);
		if (id == 0xffff)
			return vd_util_err(VERDICT_ERANGE, 0, "table ids "
					"exhausted");
		m.id = id;
		put_u16(b, (uint16_t)(id + 1));
		v.mv_size = 2;
		v.mv_data = b;
		if ((rc = mdb_put(txn, te->meta, &k, &v, 0)) != 0)
			return db_err(rc, "catalogue");
	}
	m.kind = a->kind;
	m.live = 1;
	m.entries = 0;
	if ((rc = ent_dbi(txn, m.id, 1, &dbi)) != 0)
		return db_err(rc, "create table");
	if ((rc = mdb_drop(txn, dbi, 0)) != 0)
		return db_err(rc, "create table");
	if ((rc = meta_put(txn, te, a->name, &m)) != 0)
		return db_err(rc, "catalogue");
	return VERDICT_OK;
}

int
vd_tbl_create(tbl_env *te, const char *name, int kind)
{
	create_arg a = { name, kind };

	if (!vd_tbl_name_ok(name))
		return vd_util_err(VERDICT_EINVAL, 0, "bad table name \"%.80s\" "
				"(use a-z, 0-9, _ and -, at most 64)", name);
	if (kind != VERDICT_TABLE_BLOCK && kind != VERDICT_TABLE_ALLOW)
		return vd_util_err(VERDICT_EINVAL, 0, "bad table kind");
	return tbl_write(te, do_create, &a);
}

static int
do_drop(MDB_txn *txn, tbl_env *te, void *arg)
{
	const char *name = arg;
	meta_rec m;
	MDB_dbi dbi;
	int rc = meta_get(txn, te, name, &m);

	if (rc == MDB_NOTFOUND || (rc == 0 && !m.live))
		return vd_util_err(VERDICT_ENOENT, 0, "no table \"%s\"", name);
	if (rc != 0)
		return db_err(rc, "catalogue");
	if ((rc = ent_dbi(txn, m.id, 0, &dbi)) == 0)
		rc = mdb_drop(txn, dbi, 0);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return db_err(rc, "drop");
	m.live = 0;
	m.entries = 0;
	if ((rc = meta_put(txn, te, name, &m)) != 0)
		return db_err(rc, "catalogue");
	return idx_rebuild(txn, te);
}

int
vd_tbl_drop(tbl_env *te, const char *name)
{
	if (!vd_tbl_name_ok(name))
		return vd_util_err(VERDICT_EINVAL, 0, "bad table name \"%.80s\"",
				name);
	return tbl_write(te, do_drop, (void *)name);
}

/* --- add / del */

typedef struct one_arg {
	const char *table;
	const tbl_entry *e;
	const vcidr *c;
	int merge;
} one_arg;

static int
open_table(MDB_txn *txn, tbl_env *te, const char *name, meta_rec *m,
	   MDB_dbi *dbi)
{
	int rc = meta_get(txn, te, name, m);

	if (rc == MDB_NOTFOUND || (rc == 0 && !m->live))
		return vd_util_err(VERDICT_ENOENT, 0, "no table \"%s\" (create "
				"it with 'verdict table create %s --kind "
				"block|allow')", name, name);
	if (rc != 0)
		return db_err(rc, "catalogue");
	if ((rc = ent_dbi(txn, m->id, 0, dbi)) != 0)
		return db_err(rc, "table");
	return VERDICT_OK;
}

static int
do_add(MDB_txn *txn, tbl_env *te, void *arg)
{
	one_arg *a = arg;
	uint8_t key[17], val[8 + 4 + 2 + 2 * 255];
	MDB_val k = { 17, key }, v;
	meta_rec m;
	MDB_dbi dbi;
	int rc;

	if ((rc = open_table(txn, te, a->table, &m, &dbi)) != 0)
		return rc;
	ent_key(key, &a->e->cidr);
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == 0 && !a->merge) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(&a->e->cidr, buf);
		return vd_util_err(VERDICT_EEXIST, 0, "%s is already in table "
				"\"%s\"", buf, a->table);
	}
	if (rc == MDB_NOTFOUND)
		m.entries++;
	v.mv_size = ent_encode(val, a->e);
	v.mv_data = val;
	if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0)
		return db_err(rc, "add");
	if ((rc = meta_put(txn, te, a->table, &m)) != 0)
		return db_err(rc, "catalogue");
	return idx_rebuild_range(txn, te, &a->e->cidr);
}

int
vd_tbl_add(tbl_env *te, const char *table, const tbl_entry *e, int merge)
{
	one_arg a = { table, e, &e->cidr, merge };

	return tbl_write(te, do_add, &a);
}

static int
do_del(MDB_txn *txn, tbl_env *te, void *arg)
{
	one_arg *a = arg;
	uint8_t key[17];
	MDB_val k = { 17, key };
	meta_rec m;
	MDB_dbi dbi;
	int rc;

	if ((rc = open_table(txn, te, a->table, &m, &dbi)) != 0)
		return rc;
	ent_key(key, a->c);
	rc = mdb_del(txn, dbi, &k, NULL);
	if (rc == MDB_NOTFOUND) {
		char buf[CIDR_TEXT_MAX];

		vd_cidr_format(a->c, buf);
		return vd_util_err(VERDICT_ENOENT, 0, "%s is not in table \"%s\"",
				buf, a->table);
	}
	if (rc != 0)
		return db_err(rc, "del");
	m.entries--;
	if ((rc = meta_put(txn, te, a->table, &m)) != 0)
		return db_err(rc, "catalogue");
	return idx_rebuild_range(txn, te, a->c);
}

int
vd_tbl_del(tbl_env *te, const char *table, const vcidr *c)
{
	one_arg a = { table, NULL, c, 0 };

	return tbl_write(te, do_del, &a);
}

/* --- bulk replace */

/* A replacement of at least this many entries sorts its two families on
 * two threads and commits with writeback ahead (wb_helper); below, a
 * thread costs more than it saves. */
#define BULK_THREADS_MIN 65536

int
vd_tbl_bulk_init(tbl_bulk *b, size_t hint, uint64_t added, const char *origin)
{
	memset(b, 0, sizeof(*b));
	b->added = added;
	b->origin = origin;
	b->olen = (uint8_t)strlen(origin);
	b->cap4 = hint + 16;
	b->cap6 = hint + 16;
	b->v4 = vd_util_bigreserve(b->cap4 * sizeof(*b->v4));
	b->v6 = vd_util_bigreserve(b->cap6 * sizeof(*b->v6));
	if (b->v4 == NULL || b->v6 == NULL) {
		vd_tbl_bulk_free(b);
		return VERDICT_ENOMEM;
	}
	return 0;
}

void
vd_tbl_bulk_free(tbl_bulk *b)
{
	vd_util_bigfree(b->v4, b->cap4 * sizeof(*b->v4));
	vd_util_bigfree(b->v6, b->cap6 * sizeof(*b->v6));
	b->v4 = NULL;
	b->v6 = NULL;
	b->n4 = b->cap4 = b->n6 = b->cap6 = 0;
}

/* bulk_room - room for more items of a family: grow (x2 or to fit) */
static int
bulk_room(void **arr, size_t *cap, size_t n, size_t more, size_t size)
{
	size_t nc = *cap;
	void *na;

	if (n + more <= *cap)
		return 0;
	while (nc < n + more)
		nc = nc ? nc * 2 : 1024;
	if ((na = vd_util_bigresize(*arr, *cap * size, nc * size)) == NULL)
		return VERDICT_ENOMEM;
	*arr = na;
	*cap = nc;
	return 0;
}

int
vd_tbl_bulk_add(tbl_bulk *b, const vcidr *c, const char *reason, size_t rlen,
	     uint32_t expires)
{
	if (vd_cidr_is_v4(c)) {
		tbl_item4 *x;

		if (b->n4 == b->cap4 && bulk_room((void **)&b->v4, &b->cap4,
						  b->n4, 1, sizeof(*x)))
			return VERDICT_ENOMEM;
		x = &b->v4[b->n4++];
		x->key = (uint64_t)v4_key(&c->net) << 8 | c->plen;
		x->expires = expires;
		x->rlen = (uint8_t)rlen;
		item_set_reason(x->r, sizeof(x->r), &x->inl, reason, rlen);
	} else {
		tbl_item6 *x;

		if (b->n6 == b->cap6 && bulk_room((void **)&b->v6, &b->cap6,
						  b->n6, 1, sizeof(*x)))
			return VERDICT_ENOMEM;
		x = &b->v6[b->n6++];
		memcpy(x->key, c->net.b, 16);
		x->key[16] = c->plen;
		x->rlen = (uint8_t)rlen;
		x->expires = expires;
		item_set_reason(x->r, sizeof(x->r), &x->inl, reason, rlen);
	}
	return 0;
}

int
vd_tbl_bulk_join(tbl_bulk *b, const tbl_bulk *more)
{
	if (bulk_room((void **)&b->v4, &b->cap4, b->n4, more->n4,
		      sizeof(*b->v4)) ||
	    bulk_room((void **)&b->v6, &b->cap6, b->n6, more->n6,
		      sizeof(*b->v6)))
		return VERDICT_ENOMEM;
	if (more->n4)
		memcpy(b->v4 + b->n4, more->v4, more->n4 * sizeof(*b->v4));
	if (more->n6)
		memcpy(b->v6 + b->n6, more->v6, more->n6 * sizeof(*b->v6));
	b->n4 += more->n4;
	b->n6 += more->n6;
	return 0;
}

/*
 * The sorts are stable radix sorts, most significant byte first, then
 * least significant byte first within each bucket: the first pass
 * scatters the items by the top byte of the address into 256 buckets
 * (with a list's random order, ~100 KB each), and the passes over the
 * other bytes then run on one bucket at a time, in the core's cache.
 * (Byte-wide passes over the whole array took 74 ms for 1M IPv4 items
 * and 52 for 200k IPv6 ones: each pass read and scattered 32 MB.)  A byte
 * that is the same in every item of a bucket costs a count and no move.
 */

/* lsd4 - the items of one bucket by key bytes 0..3 (plen and the three
 * low address bytes), x through scratch y; returns where they end up */
static tbl_item4 *
lsd4(tbl_item4 *x, tbl_item4 *y, size_t m)
{
	for (int pass = 0; pass < 4; pass++) {
		size_t count[257] = { 0 };
		int sh = pass * 8;
		tbl_item4 *sw;

		for (size_t i = 0; i < m; i++)
			count[((x[i].key >> sh) & 0xff) + 1]++;
		if (count[((x[0].key >> sh) & 0xff) + 1] == m)
			continue;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < m; i++)
			y[count[(x[i].key >> sh) & 0xff]++] = x[i];
		sw = x;
		x = y;
		y = sw;
	}
	return x;
}

/* MSD_SORT - items of type T into key order in a (tmp: scratch of n):
 * scatter by TOP(item) into tmp, then each bucket through LSD back
 * into a (one body for both item types: their keys differ) */
#define MSD_SORT(T, a, tmp, n, TOP, LSD) do {				\
	size_t start_[257] = { 0 }, pos_[256];				\
									\
	for (size_t i_ = 0; i_ < (n); i_++)				\
		start_[TOP((a)[i_]) + 1]++;				\
	for (int b_ = 0; b_ < 256; b_++) {				\
		start_[b_ + 1] += start_[b_];				\
		pos_[b_] = start_[b_];					\
	}								\
	for (size_t i_ = 0; i_ < (n); i_++)				\
		(tmp)[pos_[TOP((a)[i_])]++] = (a)[i_];			\
	for (int b_ = 0; b_ < 256; b_++) {				\
		size_t lo_ = start_[b_], m_ = start_[b_ + 1] - lo_;	\
		T *r_;							\
									\
		if (m_ == 0)						\
			continue;					\
		r_ = m_ > 1 ? LSD((tmp) + lo_, (a) + lo_, m_) :		\
		     (tmp) + lo_;					\
		if (r_ != (a) + lo_)					\
			memcpy((a) + lo_, r_, m_ * sizeof(T));		\
	}								\
} while (0)

#define TOP4(x) ((x).key >> 32 & 0xff)	/* the address's top byte */
#define TOP6(x) ((x).key[0])

/* radix4 - the IPv4 items into key order, in a (tmp: scratch of n) */
static void
radix4(tbl_item4 *a, tbl_item4 *tmp, size_t n)
{
	MSD_SORT(tbl_item4, a, tmp, n, TOP4, lsd4);
}

/* lsd6 - one bucket of IPv6 items by key bytes 16 (plen) down to 1 */
static tbl_item6 *
lsd6(tbl_item6 *x, tbl_item6 *y, size_t m)
{
	for (int byte = 16; byte >= 1; byte--) {
		size_t count[257] = { 0 };
		tbl_item6 *sw;

		for (size_t i = 0; i < m; i++)
			count[x[i].key[byte] + 1]++;
		if (count[x[0].key[byte] + 1] == m)
			continue;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < m; i++)
			y[count[x[i].key[byte]]++] = x[i];
		sw = x;
		x = y;
		y = sw;
	}
	return x;
}

/* radix6 - the IPv6 items into key order, in a (tmp: scratch of n) */
static void
radix6(tbl_item6 *a, tbl_item6 *tmp, size_t n)
{
	MSD_SORT(tbl_item6, a, tmp, n, TOP6, lsd6);
}

/* One family's sort, for vd_util_par2: sorts arr (n items) in place
 * through a scratch array of n. */
typedef struct sort_job {
	void *arr;
	size_t n;
	int v6, rc;
} sort_job;

static void
sort_run(void *p)
{
	sort_job *j = p;
	size_t isz = j->v6 ? sizeof(tbl_item6) : sizeof(tbl_item4);
	void *tmp;

	j->rc = 0;
	if (j->n < 2)
		return;
	if ((tmp = vd_util_bigalloc(j->n * isz)) == NULL) {
		j->rc = VERDICT_ENOMEM;
		return;
	}
	if (j->v6)
		radix6(j->arr, tmp, j->n);
	else
		radix4(j->arr, tmp, j->n);
	vd_util_bigfree(tmp, j->n * isz);
}

/* bulk_sort - both families into key order, each on its own thread
 * (vd_util_par2); stable, so of equal CIDRs the last added stays last. */
static int
bulk_sort(tbl_bulk *b)
{
	sort_job sj[2] = {
		{ b->v4, b->n4, 0, 0 },
		{ b->v6, b->n6, 1, 0 },
	};

	if (b->n4 >= 2 && b->n6 >= 2 && b->n4 + b->n6 >= BULK_THREADS_MIN) {
		vd_util_par2(sort_run, &sj[0], &sj[1]);
	} else {
		sort_run(&sj[0]);
		sort_run(&sj[1]);
	}
	if (sj[0].rc || sj[1].rc)
		return vd_util_err(VERDICT_ENOMEM, ENOMEM, "out of memory");
	return VERDICT_OK;
}

typedef struct replace_arg {
	const char *table;
	const tbl_bulk *b;	/* sorted */
	size_t n;		/* its distinct CIDRs */
	int merge, shrink_guard;
	size_t total;
} replace_arg;

static int
do_replace(MDB_txn *txn, tbl_env *te, void *arg)
{
	replace_arg *a = arg;
	uint8_t key[17], val[8 + 4 + 2 + 2 * 255];
	MDB_val k = { 17, key }, v;
	MDB_cursor *c;
	bulk_it it;
	tbl_entry e;
	meta_rec m;
	MDB_dbi dbi;
	MDB_stat st;
	int rc;

	if ((rc = open_table(txn, te, a->table, &m, &dbi)) != 0)
		return rc;
	if (!a->merge && a->shrink_guard && m.entries > 0 &&
	    (uint64_t)a->n * 2 < m.entries)
		return vd_util_err(VERDICT_ESHRINK, 0, "table \"%s\" would shrink "
				"from %llu to %zu entries (more than half); "
				"use --force if that is intended", a->table,
				(unsigned long long)m.entries, a->n);
	if (!a->merge && (rc = mdb_drop(txn, dbi, 0)) != 0)
		return db_err(rc, "import");
	/* one cursor for every put: appended through a cursor that stays
	 * at the end, a put skips the descent from the root that mdb_put()
	 * makes (a dirty-page list search a level, 1.2M times) */
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0)
		return db_err(rc, "import");
	bulk_it_init(&it, a->b);
	while (bulk_next(&it, &e)) {
		ent_key(key, &e.cidr);
		k.mv_size = 17;
		k.mv_data = key;
		v.mv_size = ent_encode(val, &e);
		v.mv_data = val;
		rc = mdb_cursor_put(c, &k, &v, a->merge ? 0 : MDB_APPEND);
		if (rc != 0) {
			mdb_cursor_close(c);
			return db_err(rc, "import");
		}
	}
	mdb_cursor_close(c);
	if ((rc = mdb_stat(txn, dbi, &st)) != 0)
		return db_err(rc, "import");
	m.entries = st.ms_entries;
	a->total = st.ms_entries;
	if ((rc = meta_put(txn, te, a->table, &m)) != 0)
		return db_err(rc, "catalogue");
	if (a->merge)
		return idx_rebuild(txn, te);
	return idx_rebuild_from(txn, te, m.id, a->b);
}

int
vd_tbl_replace(tbl_env *te, const char *table, tbl_bulk *b, int merge,
	    int shrink_guard, size_t *total)
{
	replace_arg a = { table, b, 0, merge, shrink_guard, 0 };
	int rc;

	if (b->n4 + b->n6 > UINT32_MAX)
		return vd_util_err(VERDICT_ERANGE, 0, "too many entries");
	if ((rc = bulk_sort(b)) != 0)
		return rc;
	/* distinct CIDRs (equal ones are next to each other now) */
	for (size_t i = 0; i < b->n4; i++)
		a.n += i + 1 == b->n4 || b->v4[i + 1].key != b->v4[i].key;
	for (size_t i = 0; i < b->n6; i++)
		a.n += i + 1 == b->n6 ||
		       memcmp(b->v6[i + 1].key, b->v6[i].key, 17) != 0;
	rc = tbl_write_ex(te, do_replace, &a, a.n >= BULK_THREADS_MIN);
	if (rc == VERDICT_OK && total)
		*total = a.total;
	return rc;
}

/* --- dump / expire */

int
vd_tbl_dump(tbl_env *te, const char *table, int (*cb)(const tbl_entry *, void *),
	 void *arg)
{
	static const uint8_t v4start[17] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					     0xff, 0xff, 0, 0, 0, 0, 96 };
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	meta_rec m;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc, cbrc = 0;

	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &txn)) != 0)
		return db_err(rc, te->dir);
	if ((rc = open_table(txn, te, table, &m, &dbi)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0) {
		rc = db_err(rc, "dump");
		goto out;
	}
	/* pass 0: IPv4; pass 1: IPv6 before it; pass 2: IPv6 after it */
	for (int pass = 0; pass < 3 && cbrc == 0; pass++) {
		int r;

		if (pass == 0 || pass == 2) {
			k.mv_size = 17;
			k.mv_data = (void *)v4start;
			r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		} else {
			r = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		}
		for (; r == 0; r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			tbl_entry e;
			int v4;

			if (ent_decode(&k, &v, &e) != 0)
				continue;
			v4 = vd_addr_is_v4(&e.cidr.net) && e.cidr.plen >= 96;
			if (pass == 0 && !v4)
				break;
			if (pass == 1 && memcmp(k.mv_data, v4start, 12) >= 0)
				break;
			if (pass == 2 && v4)
				continue;
			if ((cbrc = cb(&e, arg)) != 0)
				break;
		}
		if (r != 0 && r != MDB_NOTFOUND) {
			rc = db_err(r, "dump");
			goto out;
		}
	}
	rc = cbrc;
out:
	if (c)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return rc;
}

typedef struct expire_arg {
	uint32_t now;
	size_t purged;
} expire_arg;

static int
do_expire(MDB_txn *txn, tbl_env *te, void *arg)
{
	expire_arg *a = arg;
	MDB_cursor *mc;
	MDB_val k = { 2, "t:" }, v;
	int rc;

	a->purged = 0;
	if ((rc = mdb_cursor_open(txn, te->meta, &mc)) != 0)
		return db_err(rc, "catalogue");
	rc = mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		MDB_cursor *c;
		MDB_dbi dbi;
		MDB_val ek, ev;
		uint8_t rec[12];
		size_t purged = 0;
		int r;

		if (k.mv_size < 3 || memcmp(k.mv_data, "t:", 2) != 0)
			break;
		if (v.mv_size != 12 || ((uint8_t *)v.mv_data)[3] == 0)
			continue;
		memcpy(rec, v.mv_data, 12);
		if (ent_dbi(txn, get_u16(rec + 1), 0, &dbi) != 0 ||
		    mdb_cursor_open(txn, dbi, &c) != 0)
			continue;
		r = mdb_cursor_get(c, &ek, &ev, MDB_FIRST);
		while (r == 0) {
			tbl_entry e;

			if (ent_decode(&ek, &ev, &e) == 0 && e.expires != 0 &&
			    e.expires <= a->now) {
				if ((r = mdb_cursor_del(c, 0)) != 0)
					break;
				purged++;
				r = mdb_cursor_get(c, &ek, &ev,
						   MDB_GET_CURRENT);
				if (r == 0)
					continue;
				r = mdb_cursor_get(c, &ek, &ev, MDB_NEXT);
				continue;
			}
			r = mdb_cursor_get(c, &ek, &ev, MDB_NEXT);
		}
		mdb_cursor_close(c);
		if (r != 0 && r != MDB_NOTFOUND) {
			mdb_cursor_close(mc);
			return db_err(r, "expire");
		}
		if (purged) {
			put_u64(rec + 4, get_u64(rec + 4) - purged);
			v.mv_data = rec;
			if ((r = mdb_cursor_put(mc, &k, &v, MDB_CURRENT)) != 0) {
				mdb_cursor_close(mc);
				return db_err(r, "catalogue");
			}
			a->purged += purged;
		}
	}
	mdb_cursor_close(mc);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return db_err(rc, "catalogue");
	return a->purged ? idx_rebuild(txn, te) : VERDICT_OK;
}

int
vd_tbl_expire(tbl_env *te, uint32_t now, size_t *purged)
{
	expire_arg a = { now, 0 };
	int rc = tbl_write(te, do_expire, &a);

	if (rc == VERDICT_OK && purged)
		*purged = a.purged;
	return rc;
}
