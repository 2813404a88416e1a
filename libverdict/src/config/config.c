/*
 * config.c - verdict.conf(5): the configuration as a whole
 *
 *	vd_config_default	a configuration of defaults only
 *	vd_config_load		read and parse a file into a new configuration
 *	vd_config_free		free a configuration (one arena)
 *	vd_config_profile_get	[profile N], or NULL when undeclared
 *
 * A configuration is built complete or not at all: the defaults first,
 * then the file (lexer.c cuts it, profile.c sorts its keys into
 * sections, keys.c and value.c check them), and on any error the
 * half-built one is dropped with its arena, so a caller never sees a
 * configuration that is partly the file and partly the defaults.
 *
 * A relative path in the file (database, geoip_country_db, geoip_asn_db,
 * milter_pidfile, metrics_dir) names a file beside the configuration,
 * not in whatever directory the process happens to be in: it is made
 * absolute at load, against the file's directory, itself made absolute
 * against the working directory of the load.  Every front end then finds
 * the same files, a daemon after its chdir("/") and a reload included.
 *
 * Diagnostics: exactly one line in err: "FILE:LINE: what" for an error
 * in the text, "FILE: what" for the file as a whole (unreadable, too
 * large, out of memory, a relative path too long to make absolute).
 *
 * Limits: those of the lexer (file 1 MiB, line 64 KiB) and of the
 * values (reply texts 1000 bytes); profile numbers 1..CONFIG_PROFILE_MAX.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "lexer.h"
#include "profile.h"

/* default_str - a default string into the arena */
static char *
default_str(vd_arena *a, const char *s)
{
	return vd_arena_strndup(a, s, strlen(s));
}

/* set_defaults - every default of config.h, strings in the arena */
static int
set_defaults(vd_arena *a, vd_config *cfg)
{
	config_profile *g = &cfg->global;

	cfg->database = default_str(a, VD_DEFAULT_DATABASE);
	cfg->database_mode = 0660;
	cfg->cache_size = 100000;
	cfg->geoip_check_interval = 60;
	cfg->milter_socket = default_str(a, "inet:8895@127.0.0.1");
	cfg->milter_timeout = 7200;
	cfg->milter_stage = MILTER_STAGE_CONNECT;
	cfg->stats_interval = 3600;
	cfg->log_rate_limit = 100;
	cfg->learn_threshold = 3;
	cfg->learn_half_life = 86400;
	cfg->learn_max_half_life = 30 * 86400;
	cfg->learn_prefix_v4 = 32;
	cfg->learn_prefix_v6 = 64;
	cfg->learn_commit_interval_ms = 1000;
	cfg->learn_max_entries = 1000000;
	cfg->learn_header = default_str(a, "X-Spam-Flag: YES");
	cfg->metrics_interval = 15;
	g->number = 0;
	g->mode = MODE_ENFORCE;
	g->reply = default_str(a, CONFIG_DEFAULT_REPLY);
	g->tempfail_reply = default_str(a, CONFIG_DEFAULT_TEMPFAIL_REPLY);
	g->log_verdicts = LOG_VERDICTS_BLOCK;
	g->dnsbl_threshold = 1;
	g->dnsbl_allowlist_threshold = 0;
	g->dnsbl_timeout_ms = 1500;
	g->dnsbl_min_ttl = 60;
	g->dnsbl_max_ttl = 3600;
	g->on_dns_failure = DNSFAIL_NEUTRAL;
	g->callout_timeout_ms = 1000;
	g->callout_tempfail = CALLOUT_TEMPFAIL_PASS;
	if (cfg->database == NULL || cfg->milter_socket == NULL ||
	    cfg->learn_header == NULL ||
	    g->reply == NULL || g->tempfail_reply == NULL)
		return -1;
	return 0;
}

/* config_new - the defaults in a new arena that the config owns */
static vd_config *
config_new(void)
{
	vd_arena *a = vd_arena_new();
	vd_config *cfg;

	if (a == NULL)
		return NULL;
	if ((cfg = vd_arena_alloc(a, sizeof(*cfg))) == NULL ||
	    set_defaults(a, cfg) != 0) {
		vd_arena_free(a);
		return NULL;
	}
	cfg->arena = a;
	return cfg;
}

/* vd_config_default - profile 1 is the global section, as with a file
 * that declares no profile */
vd_config *
vd_config_default(void)
{
	vd_config *cfg = config_new();

	if (cfg == NULL)
		return NULL;
	cfg->profiles = vd_arena_alloc(cfg->arena, sizeof(*cfg->profiles));
	if (cfg->profiles == NULL) {
		vd_config_free(cfg);
		return NULL;
	}
	cfg->profiles[0] = cfg->global;
	cfg->profiles[0].number = 1;
	cfg->nprofiles = 1;
	return cfg;
}

/* The keys whose value is a path (all global). */
static const struct {
	const char *key;
	size_t off;
} path_keys[] = {
	{ "database", offsetof(vd_config, database) },
	{ "geoip_country_db", offsetof(vd_config, geoip_country_db) },
	{ "geoip_asn_db", offsetof(vd_config, geoip_asn_db) },
	{ "milter_pidfile", offsetof(vd_config, milter_pidfile) },
	{ "metrics_dir", offsetof(vd_config, metrics_dir) },
};

/* config_abs_path - *value, when relative, made the absolute path of a
 * file in the directory of the configuration file path; 0, or -1 with
 * err (a configuration error, or ENOMEM in *errno_out) */
static int
config_abs_path(vd_config *cfg, const char *path, const char *key,
		char **value, char *err, size_t errlen, int *errno_out)
{
	char cwd[PATH_MAX], buf[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 0, n;

	if (*value == NULL || (*value)[0] == '/' || (*value)[0] == 0)
		return 0;
	cwd[0] = 0;
	/* without a working directory the path stays relative to the
	 * file's directory: right now, wrong only after a chdir */
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = 0;
	n = snprintf(buf, sizeof(buf), "%s%s%.*s%s%s", cwd, cwd[0] ? "/" : "",
		     dirlen, path, slash ? "/" : "", *value);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		if (errlen)
			snprintf(err, errlen, "%s: %s = %s: too long once made "
				 "absolute", path, key, *value);
		if (errno_out)
			*errno_out = 0;
		return -1;
	}
	if ((*value = vd_arena_strndup(cfg->arena, buf, (size_t)n)) == NULL) {
		if (errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		if (errno_out)
			*errno_out = ENOMEM;
		return -1;
	}
	return 0;
}

/* vd_config_load - all or nothing */
int
vd_config_load(const char *path, vd_config **out, char *err, size_t errlen,
	       int *errno_out)
{
	vd_config *cfg = NULL;
	char *text;
	size_t size;
	int rc = -1;

	*out = NULL;
	if (errlen)
		err[0] = 0;
	if ((text = vd_lexer_read(path, &size, err, errlen, errno_out)) == NULL)
		return -1;
	if ((cfg = config_new()) == NULL ||
	    (cfg->path = vd_arena_strndup(cfg->arena, path, strlen(path)))
	    == NULL) {
		if (errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		if (errno_out)
			*errno_out = ENOMEM;
		goto out;
	}
	cfg->global.file = cfg->path;
	if (vd_profile_parse(cfg, path, text, size, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(path_keys) / sizeof(path_keys[0]); i++)
		if (config_abs_path(cfg, path, path_keys[i].key,
				    (char **)((char *)cfg + path_keys[i].off),
				    err, errlen, errno_out) != 0)
			goto out;
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	vd_config_free(cfg);
	free(text);
	return rc;
}

/* vd_config_free - NULL is fine */
void
vd_config_free(vd_config *cfg)
{
	if (cfg)
		vd_arena_free(cfg->arena);
}

/* vd_config_profile_get - binary search: profiles ascend by number */
const config_profile *
vd_config_profile_get(const vd_config *cfg, int n)
{
	size_t lo = 0, hi = cfg->nprofiles;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cfg->profiles[mid].number == n)
			return &cfg->profiles[mid];
		if (cfg->profiles[mid].number < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
