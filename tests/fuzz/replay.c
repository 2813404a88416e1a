/*
 * replay - feed a fuzz target's corpus to it without libFuzzer
 *
 *	fuzz_NAME_replay PATH...
 *
 *	main		every file named, and every file of every directory
 *			named (in name order), to LLVMFuzzerTestOneInput
 *	replay_file	read one file into a buffer of its exact size, run it
 *	replay_dir	replay the regular files of one directory
 *
 * Linked with one tests/fuzz/fuzz_NAME.c and built by the ordinary
 * compiler (gcc, with or without the sanitizers), so that the committed
 * corpora (seeds and every crash once found) are replayed by ctest in the
 * normal and the ASan + UBSan builds: clang's libFuzzer is only needed to
 * search for new inputs.  LLVMFuzzerInitialize runs first when the target
 * has one.  Without $FUZZ_TMPDIR a private temporary directory is made
 * for the targets that keep a file or an LMDB environment there, and
 * removed at the end.
 *
 * Each input gets a buffer of exactly its size, as libFuzzer gives it, so
 * that a read past the end is seen by AddressSanitizer.
 *
 * Diagnostics: a failed property or memory error aborts (the file being
 * run is printed first); an unreadable path, or no input at all, exits 1.
 *
 * Limits: inputs of at most 16 MiB; directories are not descended into
 * recursively.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_MAX	(16u << 20)

/* weak: most targets have no initializer */
extern int LLVMFuzzerInitialize(int *argc, char ***argv)
	__attribute__((weak));

static size_t replay_count;

/* replay_file - read one file into a buffer of its exact size, run it */
static int
replay_file(const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: over %u bytes\n", path, REPLAY_MAX);
		goto out;
	}
	/* malloc(0) may return NULL: keep one byte, pass the true size */
	if ((buf = malloc(st.st_size ? (size_t)st.st_size : 1)) == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "replay: %s: short read\n", path);
			goto out;
		}
		got += (size_t)n;
	}
	/* said before running, so that an abort names its input */
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, got);
	(void)LLVMFuzzerTestOneInput(buf, got);
	replay_count++;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* replay_dir - replay the regular files of one directory, in name order */
static int
replay_dir(const char *dir)
{
	struct dirent **ents = NULL;
	char path[4096];
	int n, rc = 0;

	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		int len = snprintf(path, sizeof(path), "%s/%s", dir,
				   ents[i]->d_name);

		if (len < 0 || (size_t)len >= sizeof(path)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", dir,
				ents[i]->d_name);
			rc = -1;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			   replay_file(path) != 0) {
			rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	char tmp[4096] = "";
	struct stat st;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (getenv("FUZZ_TMPDIR") == NULL) {
		const char *base = getenv("TMPDIR");
		int n = snprintf(tmp, sizeof(tmp), "%s/vd-replay.XXXXXX",
				 base != NULL && *base != 0 ? base : "/tmp");

		if (n < 0 || (size_t)n >= sizeof(tmp) || mkdtemp(tmp) == NULL ||
		    setenv("FUZZ_TMPDIR", tmp, 1) != 0) {
			fprintf(stderr, "replay: no temporary directory\n");
			return 1;
		}
	}
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			status = 1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i]) != 0 :
			   replay_file(argv[i]) != 0) {
			status = 1;
		}
	}
	if (replay_count == 0) {
		fprintf(stderr, "replay: no input found\n");
		status = 1;
	}
	printf("replay: %zu inputs%s\n", replay_count,
	       status ? ", with errors" : "");
	if (tmp[0] != 0)
		(void)nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return status;
}
