/*
 * db_files.h - a database directory's files, before LMDB opens them
 * (db_files.c)
 */
#ifndef VD_DB_FILES_H
#define VD_DB_FILES_H

#include <sys/types.h>

#include "lmdb_env.h"

/* vd_db_files_access - VERDICT_OK and "" when the calling user can use
 * the database in dir, else an error code and a message naming what it
 * needs (lock.mdb write access, data.mdb read access). */
int vd_db_files_access(const char *dir, char *msg, size_t msglen);

/* vd_db_files_group - the gid of group in *gid: 0, or -1 when there is
 * no such group. */
int vd_db_files_group(const char *group, gid_t *gid);

/* vd_db_files_created - give the file fd (path, for messages) that this
 * process just created mode and group (NULL: the creator's; an unknown
 * group is logged and left out). */
void vd_db_files_created(tbl_env *te, int fd, const char *path,
			 unsigned mode, const char *group);

/* vd_db_files_lock - create or open te->dir/lock.mdb (a new one with
 * mode and group) and reserve LMDB_ENV_LOCK_SIZE bytes or its larger
 * size; VERDICT_EIO naming the file when the disk is full. */
int vd_db_files_lock(tbl_env *te, unsigned mode, const char *group);

/* vd_db_files_data - *exists: data.mdb is there, *size its size; a
 * reader gets VERDICT_ENOENT for none and VERDICT_EDB for an empty one. */
int vd_db_files_data(tbl_env *te, int *exists, off_t *size);

#endif
