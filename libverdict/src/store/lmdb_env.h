/*
 * lmdb_env.h - the LMDB environment of a database directory
 *
 * The one module that calls mdb_env_*: the process-wide registry (one
 * MDB_env per path per process), the fork rule, open, the sharded pool
 * of MDB_NOTLS read transactions, the map resize (MDB_MAP_RESIZED in
 * readers, growth on MDB_MAP_FULL in writers) and the write-and-retry
 * loop every writer runs its transaction in.  What lives inside the
 * environment is described by its owners: catalog.h (db "meta"),
 * entries.h (dbs "e.<id>"), index.h and index_v4.h (dbs "idx", "idx4p").
 */
#ifndef VD_LMDB_ENV_H
#define VD_LMDB_ENV_H

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"

#define LMDB_ENV_MAXREADERS 4096	/* every process must use this value */
/* The size of lock.mdb for LMDB_ENV_MAXREADERS slots: LMDB's 192-byte
 * header plus 64 bytes a further slot (mdb_env_setup_locks). */
#define LMDB_ENV_LOCK_SIZE ((off_t)(LMDB_ENV_MAXREADERS - 1) * 64 + 192)
#define LMDB_ENV_SHARDS 8
#define LMDB_ENV_CURSORS 2	/* cursors a pooled reader keeps (index.h) */

/* The smallest map a process opens with (1 GiB); tests lower it to make
 * the map fill and grow. */
extern size_t vd_lmdb_env_mapsize_min;

typedef struct tbl_env tbl_env;
typedef struct tbl_reader tbl_reader;

/* A pooled read transaction with its cursors on cdbi[] (index.h says
 * which is which), not tied to a thread. */
struct tbl_reader {
	MDB_txn *txn;
	MDB_cursor *cur[LMDB_ENV_CURSORS];	/* vd_lmdb_env_cursor */
	unsigned fresh;		/* bit i: cur[i] renewed for txn */
	unsigned shard;		/* whose active count it is in */
	tbl_reader *next;
};

/* A shard of the reader pool: a thread always uses the same one, so two
 * threads checking at once do not fight over one lock and cache line. */
typedef struct lmdb_env_shard {
	pthread_mutex_t mu;
	tbl_reader *free;
	unsigned nfree;
	unsigned active;
} __attribute__((aligned(64))) lmdb_env_shard;

struct tbl_env {
	MDB_env *env;
	MDB_dbi meta;			/* catalog.h */
	MDB_dbi cdbi[LMDB_ENV_CURSORS];	/* index.h: IX_DB6, IX_DB4 */
	dev_t dev;
	ino_t ino;
	dev_t data_dev;		/* data.mdb as opened: vd_lmdb_env_replaced */
	ino_t data_ino;
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
	lmdb_env_shard sh[LMDB_ENV_SHARDS];
};

/* vd_lmdb_env_open - the process-wide environment of dir (shared,
 * refcounted).  write: may change tables; create: mkdir dir; brief: the
 * process lives for one connection, so a reader that opens dir first
 * makes room only for the dbs the file holds when they are few (a table
 * created later may not open in it: MDB_DBS_FULL).  mode/group:
 * permissions of created files (group NULL = unchanged). */
int vd_lmdb_env_open(const char *dir, int write, int create, int brief,
		     unsigned mode, const char *group, const vd_logger *lg,
		     tbl_env **out);
void vd_lmdb_env_close(tbl_env *te);

/* vd_lmdb_env_forked - 1 when the calling process is a fork child of the
 * one that opened te (te must not be used). */
int vd_lmdb_env_forked(const tbl_env *te);

/* vd_lmdb_env_replaced - 1 when DIR/data.mdb is now another file than
 * the one te opened (the directory moved away and made anew), 0 when it
 * is the same or there is none.  One stat(); safe from any thread. */
int vd_lmdb_env_replaced(const tbl_env *te);

/* Reading: a pooled MDB_NOTLS read transaction, not tied to a thread. */
int vd_lmdb_env_read_begin(tbl_env *te, int64_t deadline_ns,
			   tbl_reader **out);
void vd_lmdb_env_read_end(tbl_env *te, tbl_reader *r);

/* vd_lmdb_env_cursor - reader r's cursor i (IX_DB6, IX_DB4), renewed for
 * r's transaction on first use: renewing a cursor reads its db's root
 * again, and a probe needs one db of the two.  LMDB code, 0 ok. */
static inline int
vd_lmdb_env_cursor(tbl_reader *r, int i, MDB_cursor **c)
{
	int rc = 0;

	if (!(r->fresh & 1u << i) &&
	    (rc = mdb_cursor_renew(r->txn, r->cur[i])) == 0)
		r->fresh |= 1u << i;
	*c = r->cur[i];
	return rc;
}

/* vd_lmdb_env_write - one write transaction running fn; on MDB_MAP_FULL
 * the map is doubled and fn runs again from the start, so fn must start
 * from what the transaction shows. */
typedef int (*lmdb_env_write_fn)(MDB_txn *txn, tbl_env *te, void *arg);
int vd_lmdb_env_write(tbl_env *te, lmdb_env_write_fn fn, void *arg);

/* vd_lmdb_env_err - an LMDB code as a verdict error ("what: text"), the
 * code kept as the lower error. */
int vd_lmdb_env_err(int rc, const char *what);

/* vd_lmdb_env_no_tables - the error of a database with no table yet. */
int vd_lmdb_env_no_tables(const tbl_env *te);

#endif
