/*
 * db_files.c - a database directory's files, before LMDB opens them
 *
 *	vd_db_files_access	can this user use the database
 *	vd_db_files_group	the gid of a group name
 *	vd_db_files_created	mode and group of a file just created
 *	vd_db_files_lock	lock.mdb created or opened, its blocks reserved
 *	vd_db_files_data	data.mdb there, not empty
 *
 * LMDB maps lock.mdb and writes its header and reader slots through the
 * map: on a full file system a page that was never allocated kills the
 * process with SIGBUS at its first touch, so the blocks are reserved
 * here, where a full disk is an error.  LMDB sizes the file for
 * LMDB_ENV_MAXREADERS slots, never shrinks it, and takes its reader count
 * from the size of an existing file, so a larger file is kept as is.
 * A file gets database_mode (exactly: the umask of whoever created it
 * does not count) and database_group from the process that creates it,
 * reader or writer; files that existed are never changed, so a mode the
 * administrator set by hand holds.
 *
 * Diagnostics: vd_err_set naming the file ("lock.mdb: cannot reserve its
 * N bytes: No space left on device"); chmod/chown of a created file and
 * an unknown database_group are logged at LOG_WARNING.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "db_files.h"
#include "errors.h"

int
vd_db_files_access(const char *dir, char *msg, size_t msglen)
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

/* files_gid - the gid of database_group; (gid_t)-1 (keep the creator's)
 * for NULL or an unknown group, which is logged.  Asked only when a file
 * is created: a reader that creates nothing (each Exim connection is a
 * fresh one) never reads the group database. */
static gid_t
files_gid(tbl_env *te, const char *group)
{
	gid_t gid;

	if (group == NULL)
		return (gid_t)-1;
	if (vd_db_files_group(group, &gid) == 0)
		return gid;
	vd_log(&te->lg, LOG_WARNING, "database_group %s: no such group",
	       group);
	return (gid_t)-1;
}

int
vd_db_files_group(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return -1;
	*gid = res->gr_gid;
	return 0;
}

void
vd_db_files_created(tbl_env *te, int fd, const char *path, unsigned mode,
		    const char *group)
{
	gid_t gid = files_gid(te, group);

	if (fchmod(fd, (mode_t)mode) != 0)
		vd_log(&te->lg, LOG_WARNING, "chmod %s: %s", path,
		       strerror(errno));
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) != 0)
		vd_log(&te->lg, LOG_WARNING, "chown %s: %s", path,
		       strerror(errno));
}

int
vd_db_files_lock(tbl_env *te, unsigned mode, const char *group)
{
	char path[4096];
	struct stat st;
	off_t want = LMDB_ENV_LOCK_SIZE;
	int fd, rc, e;

	snprintf(path, sizeof(path), "%s/lock.mdb", te->dir);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
			  O_NOFOLLOW, 0600);
		if (fd >= 0)
			vd_db_files_created(te, fd, path, mode, group);
		else if (errno == EEXIST)
			fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0) {
		char msg[1024];

		e = errno;
		if ((e == EACCES || e == EPERM) &&
		    vd_db_files_access(te->dir, msg, sizeof(msg)) != 0)
			return vd_err_set(VERDICT_EPERM, e, "%s", msg);
		return vd_err_set(e == EACCES || e == EPERM ? VERDICT_EPERM :
				VERDICT_EIO, e, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) == 0 && st.st_size > want)
		want = st.st_size;
	rc = posix_fallocate(fd, 0, want);
	close(fd);
	if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG || rc == EIO)
		return vd_err_set(VERDICT_EIO, rc, "%s: cannot reserve its %lld "
				"bytes: %s (is the file system full?)", path,
				(long long)want, strerror(rc));
	return VERDICT_OK;
}

int
vd_db_files_data(tbl_env *te, int *exists, off_t *size)
{
	struct stat fst;
	char path[4096];
	int e;

	*exists = 0;
	*size = 0;
	snprintf(path, sizeof(path), "%s/data.mdb", te->dir);
	if (stat(path, &fst) != 0) {
		e = errno;
		if (e != ENOENT)
			return vd_err_set(e == EACCES ? VERDICT_EPERM :
					VERDICT_EIO, e, "%s: %s", path,
					strerror(e));
		if (!te->write)
			return vd_err_set(VERDICT_ENOENT, ENOENT, "database %s "
					"has no tables yet (create one with "
					"'verdict table create')", te->dir);
		return VERDICT_OK;
	}
	*exists = 1;
	*size = fst.st_size;
	if (fst.st_size == 0 && !te->write)
		return vd_err_set(VERDICT_EDB, MDB_INVALID, "%s is empty (0 "
				"bytes): a damaged database, or one whose "
				"creation failed; restore it or re-create the "
				"tables", path);
	return VERDICT_OK;
}
