/*
 * fuzz_config - libFuzzer target: vd_config_load (verdict.conf with
 * [profile N] sections), then vd_sites_parse of every section's
 * dnsbl_sites as verdict_open does
 *
 * vd_config_load reads a file, so each input is written to one temporary
 * file (in $FUZZ_TMPDIR, else /dev/shm when it exists, else /tmp) that
 * is rewritten in place.
 * Properties: an error is one "file:line: what" line naming the file; a
 * loaded configuration has profile 1, profiles ascending in 1..999, each
 * found by vd_config_profile_get.  The input, NUL-terminated, also goes
 * through vd_value_parse_duration.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dnsbl.h"
#include "fuzz.h"
#include "value.h"

static char path[256];
static int fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_TMPDIR");
	int n;

	(void)argc;
	(void)argv;
	if (dir == NULL)
		dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	n = snprintf(path, sizeof(path), "%s/vd-fuzz-config.%ld.conf", dir,
		     (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path))
		abort();
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		abort();
	return 0;
}

static void
sites(const config_profile *p)
{
	dnsbl_sites *s = NULL;
	char err[512];

	if (p->dnsbl_sites == NULL || *p->dnsbl_sites == 0)
		return;
	if (vd_sites_parse(p->dnsbl_sites, &p->dnsbl_reply_names, &s, err,
			      sizeof(err)) != 0) {
		FUZZ_CHECK(s == NULL && err[0] != 0, "error without text");
		return;
	}
	FUZZ_CHECK(vd_sites_nzones(s) <= DNSBL_ZONES_MAX, "%zu",
		   vd_sites_nzones(s));
	vd_sites_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vd_config *cfg = NULL;
	char err[1024], *text;
	int64_t ms;
	int eno = 0, last = 0;
	size_t plen = strlen(path);

	if (size > 65536)
		return 0;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (vd_config_load(path, &cfg, err, sizeof(err), &eno) != 0) {
		FUZZ_CHECK(cfg == NULL, "error with a config");
		FUZZ_CHECK(eno == 0, "errno %d: %s", eno, err);
		FUZZ_CHECK(strncmp(err, path, plen) == 0 && err[plen] == ':',
			   "%s", err);
		FUZZ_CHECK(strchr(err, '\n') == NULL, "%s", err);
	} else {
		FUZZ_CHECK(cfg != NULL && cfg->nprofiles >= 1, "no profiles");
		FUZZ_CHECK(vd_config_profile_get(cfg, 1) != NULL, "no profile 1");
		sites(&cfg->global);
		for (size_t i = 0; i < cfg->nprofiles; i++) {
			const config_profile *p = &cfg->profiles[i];

			FUZZ_CHECK(p->number > last &&
				   p->number <= CONFIG_PROFILE_MAX, "%d after %d",
				   p->number, last);
			FUZZ_CHECK(vd_config_profile_get(cfg, p->number) == p,
				   "profile %d", p->number);
			last = p->number;
			sites(p);
		}
		vd_config_free(cfg);
	}
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	(void)vd_value_parse_duration(text, &ms);
	free(text);
	return 0;
}
