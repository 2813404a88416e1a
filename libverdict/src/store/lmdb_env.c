/*
 * lmdb_env.c - the LMDB environment of a database directory
 *
 *	vd_lmdb_env_open/close		process-wide environment per directory
 *	vd_lmdb_env_forked		is this a fork child of the opener
 *	vd_lmdb_env_replaced		is data.mdb another file than opened
 *	vd_lmdb_env_read_begin/end	pooled MDB_NOTLS read transactions
 *	vd_lmdb_env_write		one write transaction, grown and retried
 *	vd_lmdb_env_err, _no_tables	LMDB codes as verdict errors
 *
 * The only caller of mdb_env_* in the library, in the role of Postfix's
 * slmdb.c: every recoverable LMDB condition is dealt with here, once.
 * LMDB rules handled here (lmdb.h, "Caveats"):
 * - one MDB_env per path per process: a registry shares it between
 *   contexts (a reload opens a new context on the same database);
 * - thread-per-connection hosts: MDB_NOTLS and a pool of reset read
 *   transactions, so a reader slot is not tied to a thread; the slots are
 *   LMDB_ENV_MAXREADERS, a value every process must share;
 * - MDB_MAP_FULL: writers grow the map and retry the whole operation;
 * - MDB_MAP_RESIZED: a reader that meets it stops new checkouts, waits for
 *   the few microseconds the active lookups need, adopts the new size;
 * - fork: an environment is never used in a child (vd_lmdb_env_forked);
 * - a truncated data.mdb (file shorter than its last page) or an empty
 *   one is refused at open; LMDB does not validate page contents beyond
 *   that;
 * - lock.mdb is mapped and written through the map: its blocks are
 *   reserved before LMDB opens it, so a full disk is an error, not a
 *   SIGBUS (db_files.c).
 * Files are created with database_mode and database_group, by whichever
 * process creates them, reader or writer; existing files are left as
 * they are.
 * Opening also opens the catalogue's and the index's dbs (catalog.c,
 * index.c), which bring an index of an older format up to date.
 *
 * Diagnostics: errors through vd_err_set with the LMDB code kept as the
 * lower error; a full disk names the file ("lock.mdb: cannot reserve
 * its N bytes: No space left on device"); a map grown is logged at
 * LOG_INFO, a map size that cannot be adopted at LOG_ERR, a
 * database_group or chmod/chown of a created file that fails at
 * LOG_WARNING.
 *
 * Limits: a data.mdb replaced inside a directory this process has open
 * cannot be opened until every context on it is closed (the directory,
 * with its lock.mdb, is the unit to replace); at most LMDB_ENV_MAXREADERS
 * read transactions at once over all
 * processes; a pool keeps at most 256 idle readers; a writer doubles the
 * map at most 12 times in one operation; a resize waits at most 100 ms
 * for a reader (10 s for a writer).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "errors.h"
#include "catalog.h"
#include "clock.h"
#include "db_files.h"
#include "index.h"
#include "lmdb_env.h"

#define LMDB_ENV_MAPSIZE_MIN ((size_t)1 << 30)
#define LMDB_ENV_POOL_MAX 256
/* LMDB zeroes a slot per db it may open, in the environment and in
 * every transaction begun: a process that lives for one connection
 * (VERDICT_OPEN_BRIEF) makes room for the dbs the file holds when they
 * are few, any other for every table a long life may see created,
 * dropped and created again. */
#define LMDB_ENV_DBS (2 + 1024)
#define LMDB_ENV_DBS_BRIEF (2 + 32)
#define ENV_TOO_FEW_DBS (-1)

size_t vd_lmdb_env_mapsize_min = LMDB_ENV_MAPSIZE_MIN;

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static tbl_env *registry;
static unsigned fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
env_atfork_child(void)
{
	/* The child must not touch environments of the parent; new opens in
	 * the child get fresh ones.  The registry lock may have been held by
	 * another parent thread at fork time. */
	fork_gen++;
	pthread_mutex_init(&registry_mu, NULL);
	registry = NULL;
}

static void
env_atfork_init(void)
{
	pthread_atfork(NULL, NULL, env_atfork_child);
}

int
vd_lmdb_env_forked(const tbl_env *te)
{
	return te->gen != __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

int
vd_lmdb_env_err(int rc, const char *what)
{
	if (rc == EACCES || rc == EPERM)
		return vd_err_set(VERDICT_EPERM, rc, "%s: %s", what,
				mdb_strerror(rc));
	if (rc == ENOMEM)
		return vd_err_set(VERDICT_ENOMEM, rc, "%s: out of memory", what);
	return vd_err_set(VERDICT_EDB, rc, "%s: %s", what, mdb_strerror(rc));
}

int
vd_lmdb_env_no_tables(const tbl_env *te)
{
	return vd_err_set(VERDICT_ENOENT, MDB_NOTFOUND, "database %s has no "
			"tables yet (create one with 'verdict table create')",
			te->dir);
}

/* ---------------------------------------------------------------- open */

/* env_check_size - refuse a data.mdb shorter than its last used page:
 * LMDB would fault reading past the end of the mapping. */
static int
env_check_size(tbl_env *te)
{
	MDB_envinfo info;
	MDB_stat st;
	struct stat fst;
	char path[4096];

	snprintf(path, sizeof(path), "%s/data.mdb", te->dir);
	/* the header first, the size after: a writer in another process
	 * writes its pages before the meta page that names them, so a file
	 * stat()ed later is never shorter than the header says */
	if (mdb_env_info(te->env, &info) != 0 || mdb_env_stat(te->env, &st))
		return vd_err_set(VERDICT_EDB, 0, "%s: cannot read its header",
				path);
	if (stat(path, &fst) != 0)
		return vd_err_set(VERDICT_EIO, errno, "%s: %s", path,
				strerror(errno));
	if ((uint64_t)(info.me_last_pgno + 1) * st.ms_psize >
	    (uint64_t)fst.st_size)
		return vd_err_set(VERDICT_EDB, MDB_CORRUPTED, "%s is truncated: "
				"%lld bytes, its last page ends at %llu; "
				"restore it or re-create the tables", path,
				(long long)fst.st_size,
				(unsigned long long)(info.me_last_pgno + 1) *
				st.ms_psize);
	return VERDICT_OK;
}

/* env_cloexec - LMDB opens data.mdb without O_CLOEXEC (its lock file has
 * it): a host process that execs (Exim's deliveries and pipes, an MTA's
 * helpers) must not hand the descriptor on. */
static void
env_cloexec(tbl_env *te)
{
	mdb_filehandle_t fd;
	int fl;

	if (mdb_env_get_fd(te->env, &fd) == 0 && fd >= 0 &&
	    (fl = fcntl(fd, F_GETFD)) >= 0 && !(fl & FD_CLOEXEC))
		(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* env_open_err - an error of mdb_env_open, naming the file */
static int
env_open_err(tbl_env *te, int rc)
{
	char msg[1024];

	if ((rc == EACCES || rc == EPERM) &&
	    vd_db_files_access(te->dir, msg, sizeof(msg)) != 0)
		return vd_err_set(VERDICT_EPERM, rc, "%s", msg);
	if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG || rc == EIO)
		return vd_err_set(VERDICT_EIO, rc, "%s/data.mdb: %s (is the "
				"file system full?)", te->dir,
				mdb_strerror(rc));
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
		return vd_err_set(VERDICT_EDB, rc, "%s/data.mdb: %s: a "
				"damaged database or not an LMDB file; "
				"restore it or re-create the tables", te->dir,
				mdb_strerror(rc));
	return vd_lmdb_env_err(rc, te->dir);
}

/* env_named_dbs - the named dbs in the file (records of the main db:
 * the catalogue, the index and a db or two per table); more than any
 * process could open when it cannot tell */
static size_t
env_named_dbs(MDB_txn *txn)
{
	MDB_dbi main;
	MDB_stat ms;

	if (mdb_dbi_open(txn, NULL, 0, &main) != 0 ||
	    mdb_stat(txn, main, &ms) != 0)
		return SIZE_MAX;
	return ms.ms_entries;
}

/* env_open - lock.mdb reserved, te->env opened (map sized to twice the
 * file) with room for dbs dbs (the 2 of LMDB's own included), a
 * truncated file refused, the catalogue's and the index's dbs opened;
 * files created here get database_mode and database_group.
 * ENV_TOO_FEW_DBS: dbs is fewer than LMDB_ENV_DBS and the file holds
 * more named dbs than it leaves room for (nothing is kept open). */
static int
env_open(tbl_env *te, unsigned mode, const char *group, unsigned dbs)
{
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
	MDB_txn *txn = NULL;
	size_t mapsize = vd_lmdb_env_mapsize_min;
	off_t size;
	int rc, exists, fd;

	if ((rc = vd_db_files_data(te, &exists, &size)) != VERDICT_OK)
		return rc;
	if ((size_t)size * 2 > mapsize)
		mapsize = (size_t)size * 2;
	if ((rc = vd_db_files_lock(te, mode, group)) != VERDICT_OK)
		return rc;
	if (!te->write)
		flags |= MDB_RDONLY;
	if ((rc = mdb_env_create(&te->env)) != 0)
		return vd_lmdb_env_err(rc, "mdb_env_create");
	mdb_env_set_maxreaders(te->env, LMDB_ENV_MAXREADERS);
	mdb_env_set_maxdbs(te->env, dbs);
	mdb_env_set_mapsize(te->env, mapsize);
	if ((rc = mdb_env_open(te->env, te->dir, flags, 0600)) != 0)
		return env_open_err(te, rc);
	if (mdb_env_get_fd(te->env, &fd) == 0) {
		char path[4096];
		struct stat fst;

		snprintf(path, sizeof(path), "%s/data.mdb", te->dir);
		if (!exists)
			vd_db_files_created(te, fd, path, mode, group);
		if (fstat(fd, &fst) == 0) {
			te->data_dev = fst.st_dev;
			te->data_ino = fst.st_ino;
		}
	}
	env_cloexec(te);
	if ((rc = env_check_size(te)) != 0)
		return rc;
	mdb_reader_check(te->env, NULL);
	rc = mdb_txn_begin(te->env, NULL, te->write ? 0 : MDB_RDONLY, &txn);
	if (rc != 0)
		return vd_lmdb_env_err(rc, "begin");
	if (dbs < LMDB_ENV_DBS && env_named_dbs(txn) > dbs - 2) {
		mdb_txn_abort(txn);
		return ENV_TOO_FEW_DBS;
	}
	if ((rc = vd_catalog_open(txn, te)) != VERDICT_OK ||
	    (rc = vd_index_open(txn, te)) != VERDICT_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return vd_lmdb_env_err(rc, "commit");
	return VERDICT_OK;
}

int
vd_lmdb_env_replaced(const tbl_env *te)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/data.mdb", te->dir);
	if (te->data_ino == 0 || stat(path, &st) != 0)
		return 0;
	return st.st_dev != te->data_dev || st.st_ino != te->data_ino;
}

/* env_reader_close - free a reader whose transaction is live or reset */
static void
env_reader_close(tbl_reader *r)
{
	for (int i = 0; i < LMDB_ENV_CURSORS; i++)
		if (r->cur[i])
			mdb_cursor_close(r->cur[i]);
	mdb_txn_abort(r->txn);
	free(r);
}

/* env_reader_renew - a pooled reader back in use, its cursors renewed
 * when first used (vd_lmdb_env_cursor): LMDB code */
static int
env_reader_renew(tbl_reader *r)
{
	r->fresh = 0;
	return mdb_txn_renew(r->txn);
}

/* env_reader_new - a new reader with its cursors: LMDB code (ENOMEM
 * included); on failure *out is NULL */
static int
env_reader_new(tbl_env *te, tbl_reader **out)
{
	tbl_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (r == NULL)
		return ENOMEM;
	if ((rc = mdb_txn_begin(te->env, NULL, MDB_RDONLY, &r->txn)) != 0) {
		free(r);
		return rc;
	}
	for (int i = 0; rc == 0 && i < LMDB_ENV_CURSORS; i++)
		rc = mdb_cursor_open(r->txn, te->cdbi[i], &r->cur[i]);
	if (rc != 0) {
		env_reader_close(r);
		return rc;
	}
	r->fresh = (1u << LMDB_ENV_CURSORS) - 1;
	*out = r;
	return 0;
}

/* env_dir - stat the database directory (create: make it) */
static int
env_dir(const char *dir, int create, unsigned mode, struct stat *st)
{
	if (stat(dir, st) != 0) {
		if (errno != ENOENT || !create)
			return vd_err_set(errno == ENOENT ? VERDICT_ENOENT :
					VERDICT_EPERM, errno,
					"database directory %s: %s", dir,
					strerror(errno));
		/* a directory: add x wherever the mode gives r */
		if (mkdir(dir, (mode | (mode & 0444) >> 2) & 0777) != 0 &&
		    errno != EEXIST)
			return vd_err_set(VERDICT_EPERM, errno, "mkdir %s: %s",
					dir, strerror(errno));
		if (stat(dir, st) != 0)
			return vd_err_set(VERDICT_EIO, errno, "%s: %s", dir,
					strerror(errno));
	}
	if (!S_ISDIR(st->st_mode))
		return vd_err_set(VERDICT_EINVAL, ENOTDIR, "database %s is "
				"not a directory", dir);
	return VERDICT_OK;
}

/* env_new - a registry entry for dir, not open yet; NULL: no memory */
static tbl_env *
env_new(const char *dir, const struct stat *st, int write,
	const vd_logger *lg)
{
	pthread_condattr_t ca;
	tbl_env *te = aligned_alloc(_Alignof(tbl_env), sizeof(*te));

	if (te == NULL)
		return NULL;
	memset(te, 0, sizeof(*te));
	if ((te->dir = strdup(dir)) == NULL) {
		free(te);
		return NULL;
	}
	te->dev = st->st_dev;
	te->ino = st->st_ino;
	te->write = write;
	te->refs = 1;
	te->gen = fork_gen;
	if (lg)
		te->lg = *lg;
	pthread_mutex_init(&te->mu, NULL);
	for (int i = 0; i < LMDB_ENV_SHARDS; i++)
		pthread_mutex_init(&te->sh[i].mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&te->drained, &ca);
	pthread_condattr_destroy(&ca);
	return te;
}

/* env_free - close and free an entry that left the registry */
static void
env_free(tbl_env *te)
{
	tbl_reader *r;

	for (int i = 0; i < LMDB_ENV_SHARDS; i++) {
		while ((r = te->sh[i].free) != NULL) {
			te->sh[i].free = r->next;
			env_reader_close(r);
		}
		pthread_mutex_destroy(&te->sh[i].mu);
	}
	if (te->env)
		mdb_env_close(te->env);
	pthread_mutex_destroy(&te->mu);
	pthread_cond_destroy(&te->drained);
	free(te->dir);
	free(te);
}

int
vd_lmdb_env_open(const char *dir, int write, int create, int brief,
		 unsigned mode, const char *group, const vd_logger *lg,
		 tbl_env **out)
{
	struct stat st;
	tbl_env *te;
	int rc;

	pthread_once(&atfork_once, env_atfork_init);
	*out = NULL;
	if ((rc = env_dir(dir, create, mode, &st)) != VERDICT_OK)
		return rc;
	pthread_mutex_lock(&registry_mu);
	for (te = registry; te; te = te->next) {
		if (te->dev == st.st_dev && te->ino == st.st_ino)
			break;
	}
	if (te && vd_lmdb_env_replaced(te)) {
		/* The same directory with another data.mdb: a second
		 * environment would share lock.mdb with the first, and
		 * LMDB's file locks do not survive that. */
		pthread_mutex_unlock(&registry_mu);
		return vd_err_set(VERDICT_EBUSY, 0, "database %s: data.mdb "
				"was replaced inside the directory while this "
				"process has it open; replace the whole "
				"directory instead", dir);
	}
	if (te) {
		if (write && !te->write) {
			pthread_mutex_unlock(&registry_mu);
			return vd_err_set(VERDICT_EBUSY, 0, "database %s is "
					"already open read-only in this "
					"process", dir);
		}
		te->refs++;
		pthread_mutex_unlock(&registry_mu);
		*out = te;
		return VERDICT_OK;
	}
	if ((te = env_new(dir, &st, write, lg)) == NULL) {
		pthread_mutex_unlock(&registry_mu);
		return vd_err_set(VERDICT_ENOMEM, ENOMEM, "out of memory");
	}
	rc = env_open(te, mode, group, brief && !write ? LMDB_ENV_DBS_BRIEF :
		      LMDB_ENV_DBS);
	if (rc == ENV_TOO_FEW_DBS) {
		mdb_env_close(te->env);
		te->env = NULL;
		rc = env_open(te, mode, group, LMDB_ENV_DBS);
	}
	if (rc != VERDICT_OK) {
		pthread_mutex_unlock(&registry_mu);
		env_free(te);
		return rc;
	}
	te->next = registry;
	registry = te;
	pthread_mutex_unlock(&registry_mu);
	*out = te;
	return VERDICT_OK;
}

void
vd_lmdb_env_close(tbl_env *te)
{
	tbl_env **pp;

	if (te == NULL)
		return;
	if (vd_lmdb_env_forked(te))
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
	env_free(te);
}

/* ------------------------------------------------------------- readers */

/* env_my_shard - the calling thread's shard, given out round-robin. */
static unsigned
env_my_shard(void)
{
	static unsigned next;
	static __thread unsigned mine;	/* 0: none yet */

	if (mine == 0)
		mine = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) %
		       LMDB_ENV_SHARDS + 1;
	return mine - 1;
}

/* env_resize - adopt the map size another process set (or set the one
 * this process's writer asked for, want_size), once no lookup of this
 * process is active: LMDB allows it only then.  New checkouts wait
 * meanwhile (they see need_resize), active ones take microseconds.
 * Waits until deadline_ns (<= 0: 100 ms). */
static int
env_resize(tbl_env *te, int64_t deadline_ns)
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

		for (i = 0; i < LMDB_ENV_SHARDS; i++) {
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
			rc = vd_err_set(VERDICT_ETIMEOUT, MDB_MAP_RESIZED,
				      "database map resize in progress");
			break;
		}
	}
	pthread_mutex_unlock(&te->mu);
	return rc;
}

/* env_grow - a writer's resize (size 0: adopt another process's): the
 * same drain as a reader's. */
static int
env_grow(tbl_env *te, size_t size)
{
	pthread_mutex_lock(&te->mu);
	te->want_size = size;
	__atomic_store_n(&te->need_resize, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&te->mu);
	return env_resize(te, vd_clock_now_ns() + 10 * (int64_t)1000000000);
}

int
vd_lmdb_env_read_begin(tbl_env *te, int64_t deadline_ns, tbl_reader **out)
{
	unsigned si = env_my_shard();
	lmdb_env_shard *sh = &te->sh[si];
	tbl_reader *r;
	int rc, tries = 0;

	if (vd_lmdb_env_forked(te))
		return vd_err_set(VERDICT_EFORK, 0, "database opened before "
				"fork() cannot be used in the child");
again:
	if (__atomic_load_n(&te->need_resize, __ATOMIC_ACQUIRE) &&
	    (rc = env_resize(te, deadline_ns)) != VERDICT_OK)
		return rc;
	pthread_mutex_lock(&sh->mu);
	r = sh->free;
	if (r) {
		sh->free = r->next;
		sh->nfree--;
	}
	sh->active++;
	pthread_mutex_unlock(&sh->mu);

	if (r)
		rc = env_reader_renew(r);
	else
		rc = env_reader_new(te, &r);
	if (rc == 0) {
		r->shard = si;
		*out = r;
		return VERDICT_OK;
	}
	/* failure: give back the slot, maybe resize and retry once */
	pthread_mutex_lock(&sh->mu);
	sh->active--;
	pthread_mutex_unlock(&sh->mu);
	if (r)
		env_reader_close(r);
	if (rc == MDB_MAP_RESIZED) {
		__atomic_store_n(&te->need_resize, 1, __ATOMIC_RELEASE);
		if (tries++ == 0)
			goto again;
	}
	if (rc == MDB_READERS_FULL)
		return vd_err_set(VERDICT_EBUSY, rc, "database %s: all %d reader "
				"slots in use", te->dir, LMDB_ENV_MAXREADERS);
	return vd_lmdb_env_err(rc, te->dir);
}

void
vd_lmdb_env_read_end(tbl_env *te, tbl_reader *r)
{
	lmdb_env_shard *sh = &te->sh[r->shard];
	int drained;

	mdb_txn_reset(r->txn);
	pthread_mutex_lock(&sh->mu);
	sh->active--;
	if (sh->nfree < LMDB_ENV_POOL_MAX / LMDB_ENV_SHARDS) {
		r->next = sh->free;
		sh->free = r;
		sh->nfree++;
		r = NULL;
	}
	drained = sh->active == 0 &&
		  __atomic_load_n(&te->need_resize, __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&sh->mu);
	if (r)
		env_reader_close(r);
	if (drained) {
		pthread_mutex_lock(&te->mu);
		pthread_cond_broadcast(&te->drained);
		pthread_mutex_unlock(&te->mu);
	}
}


/* ------------------------------------------------------------- writers */

int
vd_lmdb_env_write(tbl_env *te, lmdb_env_write_fn fn, void *arg)
{
	if (!te->write)
		return vd_err_set(VERDICT_ESTATE, 0, "database opened read-only");
	if (vd_lmdb_env_forked(te))
		return vd_err_set(VERDICT_EFORK, 0, "database opened before "
				"fork() cannot be used in the child");
	for (int tries = 0; tries < 12; tries++) {
		MDB_txn *txn;
		MDB_envinfo info;
		int rc;

		if ((rc = mdb_txn_begin(te->env, NULL, 0, &txn)) != 0) {
			if (rc == MDB_MAP_RESIZED &&
			    env_grow(te, 0) == VERDICT_OK)
				continue;
			return vd_lmdb_env_err(rc, te->dir);
		}
		vd_err_clear();
		rc = fn(txn, te, arg);
		if (rc == VERDICT_OK) {
			rc = mdb_txn_commit(txn);
			if (rc == 0)
				return VERDICT_OK;
			if (rc == EIO || rc == ENOSPC || rc == EFBIG ||
			    rc == EDQUOT)
				return vd_err_set(VERDICT_EIO, rc, "commit: %s "
						"(disk full or over a file size "
						"limit?); the tables are as they "
						"were", mdb_strerror(rc));
			if (rc != MDB_MAP_FULL)
				return vd_lmdb_env_err(rc, "commit");
		} else {
			mdb_txn_abort(txn);
			if (rc != VERDICT_EDB || verdict_errlower() !=
			    MDB_MAP_FULL)
				return rc;
		}
		/* map full: grow and redo */
		mdb_env_info(te->env, &info);
		if ((rc = env_grow(te, info.me_mapsize * 2)) != VERDICT_OK)
			return rc;
		vd_log(&te->lg, LOG_INFO, "database %s: map grown to %zu MiB",
		       te->dir, info.me_mapsize * 2 >> 20);
	}
	return vd_err_set(VERDICT_EDB, MDB_MAP_FULL, "database %s: map full",
			te->dir);
}
