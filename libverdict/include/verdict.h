/*
 * verdict.h - libverdict public API
 *
 * libverdict answers one question: is this source IP a known spam source?
 * It answers from local LMDB tables (CIDR allow/block lists), DNSBL/DNSWL
 * zones and GeoIP/ASN data, in the order verdict.conf(5) describes.
 *
 * Lifecycle (the LMDB one): verdict_new() -> verdict_set_log() ->
 * verdict_load_config() -> verdict_open() -> verdict_check()... ->
 * verdict_free().  After verdict_open() returns VERDICT_OK the context is
 * read-only: any number of threads may call verdict_check() and the other
 * functions marked "safe on a shared opened ctx" at once.
 *
 * Errors: every function that can fail returns a verdict_err (0 = OK).
 * verdict_strerror() turns a code into a sentence; verdict_errdetail()
 * gives the detail of the last failure on the calling thread (file:line
 * for config errors, the LMDB/c-ares/MMDB message for lower errors) and
 * verdict_errlower() the lower library's own code.
 *
 * The library never prints, never exits, never reads the environment and
 * never installs signal handlers.  Log lines go to the callback set with
 * verdict_set_log().  The only threads it starts are its DNS resolver
 * thread (when a profile uses DNSBL zones) and the report committer
 * (when verdict_report() is first called).
 *
 * Fork: a context opened before fork() must not be used in the child;
 * calls there return VERDICT_EFORK.  Open a new context in the child.
 *
 * A front end living inside a long-running host process (an MTA callout,
 * a daemon) may instead hold its context in a verdict_live (below): built
 * on first use, reloaded when the configuration file changes, swapped
 * under running checks, rebuilt after fork.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VERDICT_BUILD) && defined(__GNUC__)
#define VERDICT_API __attribute__((visibility("default")))
#else
#define VERDICT_API
#endif

/* VERDICT_VERSION_MAJOR, _MINOR, _PATCH, _STRING and _NUMBER: the version
 * of this header, from project(VERSION) at build time. */
#include "verdict_version.h"

/* verdict_version - the library's version string, e.g. "0.1.0"; static. */
VERDICT_API const char *verdict_version(void);

/*
 * verdict_version_number - the running library's version as a number,
 * MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100, 1.2.3 is 10203), the
 * formula of VERDICT_VERSION_NUMBER: a program compares the two to learn
 * whether the library it runs with is older than the header it was built
 * with.  Safe from any thread.
 */
VERDICT_API int verdict_version_number(void);

/*
 * Error codes.  Append-only; values never change.
 */
typedef enum verdict_err {
	VERDICT_OK = 0,
	VERDICT_EINVAL = 1,	/* malformed argument: IP, CIDR, table name */
	VERDICT_ENOMEM = 2,	/* out of memory */
	VERDICT_ECONFIG = 3,	/* config file error (detail: file:line) */
	VERDICT_EDB = 4,	/* LMDB error (lower code: LMDB rc) */
	VERDICT_ENOENT = 5,	/* no such table, entry, profile or file */
	VERDICT_EEXIST = 6,	/* table or entry exists already */
	VERDICT_EPERM = 7,	/* permission denied (e.g. lock.mdb) */
	VERDICT_EIO = 8,	/* reading or writing a file failed */
	VERDICT_EBADLIST = 9,	/* import aborted: more bad lines than allowed */
	VERDICT_ESHRINK = 10,	/* import aborted: table would shrink > 50% */
	VERDICT_ETIMEOUT = 11,	/* deadline passed */
	VERDICT_EFORK = 12,	/* context used in a forked child */
	VERDICT_ESTATE = 13,	/* call not allowed in this state (not open,
				 * opened read-only, already open) */
	VERDICT_ERANGE = 14,	/* value out of range: /0 in a table, host
				 * bits set, reason too long */
	VERDICT_EDNS = 15,	/* resolver could not be started */
	VERDICT_EBUSY = 16,	/* resource busy: reader slots exhausted */
	VERDICT_EGEO = 17	/* MMDB could not be opened or read */
} verdict_err;

/* verdict_strerror - a full sentence for an error code; static storage. */
VERDICT_API const char *verdict_strerror(int err);

/*
 * verdict_errdetail - what went wrong in the last failed call made by the
 * calling thread, e.g. "/etc/verdict/verdict.conf:12: unknown key
 * \"dnsbl_site\"".  Thread-local storage, valid until the next library call
 * on this thread; never NULL ("" when there is nothing to say).
 */
VERDICT_API const char *verdict_errdetail(void);

/* verdict_errlower - the lower library's code (LMDB rc, errno, c-ares
 * status, MMDB error) of the last failed call on this thread, or 0. */
VERDICT_API int verdict_errlower(void);

/*
 * Verdict kinds.  ERROR means the check itself failed (malformed IP,
 * database unreadable): front ends fail open on it.
 */
typedef enum verdict_kind {
	VERDICT_NEUTRAL = 0,
	VERDICT_ALLOW = 1,
	VERDICT_BLOCK = 2,
	VERDICT_TEMPFAIL = 3,
	VERDICT_ERROR = 4
} verdict_kind;

/* verdict_kind_name - "neutral", "allow", "block", "tempfail", "error". */
VERDICT_API const char *verdict_kind_name(int kind);

/*
 * What kind of source decided a verdict, for counting and metrics
 * (verdict_result_source() names the source itself).  NONE: nothing
 * matched (a NEUTRAL verdict) or the check failed.  DNSBL: the score
 * decided and a DNSBL zone listed the address (geo weights may have
 * added to it); GEOIP: a GeoIP/ASN rule or weights alone decided.
 */
typedef enum verdict_source_kind {
	VERDICT_SOURCE_NONE = 0,
	VERDICT_SOURCE_TRUSTED = 1,
	VERDICT_SOURCE_TABLE = 2,
	VERDICT_SOURCE_LEARNED = 3,
	VERDICT_SOURCE_GEOIP = 4,
	VERDICT_SOURCE_DNSBL = 5
} verdict_source_kind;

/* verdict_source_kind_name - "none", "trusted", "table", "learned",
 * "geoip", "dnsbl"; "none" for an unknown value. */
VERDICT_API const char *verdict_source_kind_name(int kind);

typedef enum verdict_table_kind {
	VERDICT_TABLE_BLOCK = 1,
	VERDICT_TABLE_ALLOW = 2,
	VERDICT_TABLE_LEARNED = 3	/* scores from verdict_report() */
} verdict_table_kind;

typedef struct verdict_ctx verdict_ctx;
typedef struct verdict_result verdict_result;

/*
 * Log callback.  level is a syslog(3) priority (LOG_ERR, LOG_WARNING,
 * LOG_NOTICE, LOG_INFO, LOG_DEBUG); line is one line without a newline,
 * valid only during the call.  Called from any thread that calls the
 * library, and from the resolver thread: it must be thread-safe and must
 * not call back into the library.
 *
 * Verdict lines (as log_verdicts asks, rate-limited by the library) have
 * level LOG_INFO and the form, keys always in this order:
 *   verdict: ip=192.0.2.1 verdict=block score=0 source=drop
 *     cidr=192.0.2.0/24 elapsed_us=3 profile=1 reason="SBL123"
 * verdict is block|allow|neutral|tempfail|error|would-block; values with
 * spaces are double-quoted with \" and \\ escaped; absent values are "-".
 */
typedef void (*verdict_log_fn)(int level, const char *line, void *arg);

/*
 * verdict_new - a new, unconfigured context (defaults of verdict.conf(5)).
 * Returns NULL when out of memory.  Free with verdict_free().
 */
VERDICT_API verdict_ctx *verdict_new(void);

/* verdict_free - close and free a context; NULL is accepted.  No other
 * thread may use ctx during or after the call. */
VERDICT_API void verdict_free(verdict_ctx *ctx);

/* verdict_set_log - set the log callback (default: none, lines dropped).
 * Before verdict_open() only. */
VERDICT_API int verdict_set_log(verdict_ctx *ctx, verdict_log_fn fn, void *arg);

/*
 * verdict_load_config - read a verdict.conf(5) file into ctx.  Before
 * verdict_open() only.  Errors: VERDICT_ECONFIG (detail "file:line: what"),
 * VERDICT_ENOENT / VERDICT_EIO / VERDICT_EPERM when the file cannot be
 * read.  On error ctx keeps its previous configuration.  A file writable
 * by every user is loaded and logged as a LOG_WARNING.  A relative path
 * in the file (database, GeoIP databases, ...) is made absolute here,
 * against the file's directory (verdict.conf(5)).
 */
VERDICT_API int verdict_load_config(verdict_ctx *ctx, const char *path);

/* verdict_set_database - override the config's `database` directory
 * (the CLI's -d).  Before verdict_open() only.  path is copied. */
VERDICT_API int verdict_set_database(verdict_ctx *ctx, const char *path);

/* Flags for verdict_open(). */
#define VERDICT_OPEN_WRITE	0x1	/* tables may be changed (CLI admin) */
#define VERDICT_OPEN_CREATE	0x2	/* create the database directory */
#define VERDICT_OPEN_NODNS	0x4	/* never start the resolver */
#define VERDICT_OPEN_NOTABLECHECK 0x8	/* do not fail when a configured
					 * table is missing (table create) */
/*
 * VERDICT_OPEN_BRIEF: the process lives for one connection (Exim's
 * per-connection children).  When it is the first in the process to open
 * the database, read-only, and the database holds few tables (about
 * fifteen learned or thirty others), the LMDB environment gets room for
 * the tables there now instead of a thousand, which a fresh process pays
 * for in memory it must zero.  A table created after that may then fail
 * to open in this process (VERDICT_EDB, "MDB_DBS_FULL").  Long-lived
 * processes leave it out.
 */
#define VERDICT_OPEN_BRIEF	0x10

/*
 * verdict_open - open the database (and, lazily, the resolver and MMDB
 * files).  Errors: VERDICT_ENOENT (database directory missing, or a table
 * named in the config does not exist - detail names it), VERDICT_EPERM
 * (cannot write lock.mdb: detail says which user needs write access),
 * VERDICT_EDB, VERDICT_ESTATE (already open).
 */
VERDICT_API int verdict_open(verdict_ctx *ctx, unsigned flags);

/* verdict_profile_exists - 1 if [profile N] is declared (1 always is). */
VERDICT_API int verdict_profile_exists(const verdict_ctx *ctx, int profile);

/*
 * verdict_config_get - the value of a global front-end key of the loaded
 * configuration as text, copied into buf (len bytes, NUL-terminated), for
 * verdict-milter and other daemons that read their settings from
 * verdict.conf(5).  Keys: "database", "milter_socket", "milter_user",
 * "milter_pidfile", "milter_timeout" and "stats_interval" (seconds, a
 * decimal number), "milter_stage" ("connect" or "mail"), "milter_profiles"
 * (the mapping normalised as "name=N,name=none", "" when empty),
 * "milter_learn" ("yes" or "no"), "learn_header",
 * "metrics_listen" and "metrics_dir" (VERDICT_ENOENT when unset),
 * "metrics_interval" (seconds).  Works
 * before and after verdict_open().  Errors: VERDICT_EINVAL (not one of
 * these keys), VERDICT_ENOENT (the key has no value: milter_user and
 * milter_pidfile when unset), VERDICT_ERANGE (buf too small; buf holds
 * the truncated text).  Safe on a shared opened ctx.
 */
VERDICT_API int verdict_config_get(const verdict_ctx *ctx, const char *key,
				   char *buf, size_t len);

/*
 * verdict_profile_callout - the callout settings of [profile N]:
 * *timeout_us gets callout_timeout in microseconds, *tempfail_reject 1
 * when callout_tempfail = reject, 0 for pass (either pointer may be
 * NULL).  Returns VERDICT_OK, or VERDICT_ENOENT when the profile is not
 * declared.  Safe on a shared opened ctx; works before verdict_open too.
 */
VERDICT_API int verdict_profile_callout(const verdict_ctx *ctx, int profile,
					long *timeout_us,
					int *tempfail_reject);

/*
 * Results.  A verdict_result is owned by the caller, reused across checks
 * by one thread at a time, and holds all strings its accessors return
 * (valid until the next check into it or verdict_result_free()).
 */
VERDICT_API verdict_result *verdict_result_new(void);
VERDICT_API void verdict_result_free(verdict_result *res);

/* Flags for verdict_check_ex(). */
#define VERDICT_CHECK_EXPLAIN	0x1	/* record every step (see _explain) */
#define VERDICT_CHECK_NOLOG	0x2	/* do not emit the verdict log line */
#define VERDICT_CHECK_DETAIL	0x4	/* fill every detail (as_org), even
					 * what the verdict does not need */

/*
 * verdict_check - the verdict for ip (IPv4 dotted quad or any RFC 4291
 * IPv6 text; ::ffff:a.b.c.d is the IPv4 address) under [profile N], using
 * the profile's own deadline.  Safe on a shared opened ctx.
 *
 * Returns VERDICT_OK when res holds a verdict (including TEMPFAIL and
 * NEUTRAL after DNS failures).  On error (VERDICT_EINVAL malformed IP,
 * VERDICT_ENOENT undeclared profile, VERDICT_EDB, VERDICT_EFORK, ...) res
 * has kind VERDICT_ERROR and the error code; front ends fail open.
 */
VERDICT_API int verdict_check(verdict_ctx *ctx, int profile, const char *ip,
			      verdict_result *res);

/*
 * verdict_check_ex - as verdict_check with a deadline of timeout_us
 * microseconds from now (<= 0: the profile's deadline) and flags.
 */
VERDICT_API int verdict_check_ex(verdict_ctx *ctx, int profile, const char *ip,
				 long timeout_us, unsigned flags,
				 verdict_result *res);

/* verdict_check_sockaddr - as verdict_check_ex for an AF_INET/AF_INET6
 * socket address (a milter's hostaddr).  Other families: VERDICT_EINVAL. */
VERDICT_API int verdict_check_sockaddr(verdict_ctx *ctx, int profile,
				       const struct sockaddr *sa,
				       long timeout_us, unsigned flags,
				       verdict_result *res);

/*
 * verdict_check_many - n checks of one profile at once from the calling
 * thread, for batch callers: res[i] as verdict_check_ex(ips[i]) would
 * fill it, each a distinct result.  The DNSBL queries of all n are in
 * flight together and the calling thread drives the resolver itself
 * (when another thread does, it sleeps and is woken once for the whole
 * batch), so a batch costs no thread wake-up per check; one deadline,
 * timeout_us from the call (<= 0: the profile's), covers the batch, and
 * each result's elapsed time runs from the call.  ips and res stay the
 * caller's: the library reads ips[i] and writes into res[i] during the
 * call only, and no two res[i] may be the same result.  Safe on a shared
 * opened ctx, like verdict_check (each thread with its own results).
 *
 * Returns VERDICT_OK when every res[i] is filled: a failed check (a
 * malformed IP, ...) has kind VERDICT_ERROR and its code in
 * verdict_result_error(), but the text of verdict_errdetail() is kept
 * for the last failure only (check one IP alone for its detail).
 * VERDICT_EINVAL when ips or res is NULL with n > 0; VERDICT_ENOMEM when
 * the batch could not start (then every res[i] has kind VERDICT_ERROR).
 */
VERDICT_API int verdict_check_many(verdict_ctx *ctx, int profile,
				   const char *const *ips, size_t n,
				   long timeout_us, unsigned flags,
				   verdict_result *const *res);

/* Accessors.  Strings are NULL when there is nothing to say. */
VERDICT_API int verdict_result_kind(const verdict_result *res);
VERDICT_API int verdict_result_error(const verdict_result *res);
VERDICT_API int verdict_result_would_block(const verdict_result *res);
VERDICT_API int verdict_result_score(const verdict_result *res);
VERDICT_API const char *verdict_result_ip(const verdict_result *res);
VERDICT_API const char *verdict_result_source(const verdict_result *res);
/* One of verdict_source_kind; VERDICT_SOURCE_NONE when nothing decided. */
VERDICT_API int verdict_result_source_kind(const verdict_result *res);
VERDICT_API const char *verdict_result_cidr(const verdict_result *res);
VERDICT_API const char *verdict_result_reason(const verdict_result *res);
/* The rendered reply: `reply` for BLOCK, `tempfail_reply` for TEMPFAIL,
 * NULL otherwise.  At most 251 bytes, no '$', CR or LF.  It is rendered on
 * the first call, from the template of the context that filled res: call
 * it before that context is freed (the text then stays in res until its
 * next check).  Like every accessor it writes only into res, so one result
 * must not be read by two threads at once without a lock. */
VERDICT_API const char *verdict_result_reply(const verdict_result *res);
VERDICT_API long verdict_result_elapsed_us(const verdict_result *res);
VERDICT_API int verdict_result_profile(const verdict_result *res);
/* GeoIP/ASN data when a database answered: ISO code or NULL, ASN or 0,
 * organisation or NULL.  The databases are asked when the profile uses
 * them (a geo rule, %{country} or %{asn} in a reply) or the check asked
 * for VERDICT_CHECK_DETAIL or _EXPLAIN; otherwise these are NULL / 0. */
VERDICT_API const char *verdict_result_country(const verdict_result *res);
VERDICT_API unsigned long verdict_result_asn(const verdict_result *res);
VERDICT_API const char *verdict_result_as_org(const verdict_result *res);

/*
 * Per-zone DNSBL detail: zone i of verdict_result_zone_count().  zone is
 * the display name (never a secret DQS key), answer the A records as text
 * ("127.0.0.2,127.0.0.4"), "NXDOMAIN", "timeout", "SERVFAIL", ..., weight
 * the weight added (0 when not listed), ms the time of its answer (-1
 * when none came).  Any out pointer may be NULL.  As with the reply, the
 * answer text is written into res on first use and zone points into the
 * context's configuration: read them before that context is freed.
 */
VERDICT_API size_t verdict_result_zone_count(const verdict_result *res);
VERDICT_API int verdict_result_zone(const verdict_result *res, size_t i,
				    const char **zone, const char **answer,
				    int *weight, long *ms);

/* Explain lines (VERDICT_CHECK_EXPLAIN): step i of _explain_count(). */
VERDICT_API size_t verdict_result_explain_count(const verdict_result *res);
VERDICT_API const char *verdict_result_explain(const verdict_result *res,
					       size_t i);

/*
 * Table administration.  Needs a ctx opened with VERDICT_OPEN_WRITE
 * (VERDICT_ESTATE otherwise).  Each call is one LMDB write transaction:
 * readers see the table before or after it, never half; on error nothing
 * changes.  Not safe to call concurrently on one ctx; safe against
 * concurrent readers and writers in other processes (LMDB serialises
 * writers).  Table names are [a-z0-9_-]{1,64} (VERDICT_EINVAL otherwise).
 */
VERDICT_API int verdict_table_create(verdict_ctx *ctx, const char *name,
				     int kind);
VERDICT_API int verdict_table_drop(verdict_ctx *ctx, const char *name);

typedef struct verdict_table_info {
	const char *name;
	int kind;		/* verdict_table_kind */
	size_t entries;
	int64_t imported;	/* time_t of the last verdict_import, 0 none */
} verdict_table_info;

/* verdict_table_list - cb once per table in name order; a non-zero return
 * from cb stops the walk and is returned.  Works on a read-only ctx. */
VERDICT_API int verdict_table_list(verdict_ctx *ctx,
				   int (*cb)(const verdict_table_info *, void *),
				   void *arg);

/* Flags for verdict_add() and verdict_import(). */
#define VERDICT_MERGE	0x1	/* add to the table; update existing CIDRs */
#define VERDICT_FORCE	0x2	/* import: allow shrinking by more than half */
#define VERDICT_ALLOW_WIDE 0x4	/* block table: accept an entry wider than
				 * a /8 of public IPv4 (/16 of IPv6), and an
				 * import covering > 1/8 of public IPv4 */

/*
 * verdict_add - add one CIDR (or bare address) with reason (<= 200 bytes,
 * NULL for none), expiry (absolute time_t, 0 = never) and origin (NULL:
 * "cli").  Errors: VERDICT_EINVAL (malformed), VERDICT_ERANGE (host bits
 * set - detail "did you mean 172.16.0.0/21?" -, /0, a network covering
 * ::ffff:0:0/96, reason too long, in a block table a network holding
 * more public addresses than a /8 of IPv4 or a /16 of IPv6 - special-
 * purpose space such as 224.0.0.0/4 does not count - unless
 * VERDICT_ALLOW_WIDE), VERDICT_ENOENT (no such table),
 * VERDICT_EEXIST (CIDR present and flags lack VERDICT_MERGE; with it, the
 * reason and expiry are updated).
 */
VERDICT_API int verdict_add(verdict_ctx *ctx, const char *table,
			    const char *cidr, const char *reason,
			    time_t expires, const char *origin, unsigned flags);

/* verdict_del - remove exactly that CIDR; VERDICT_ENOENT if absent. */
VERDICT_API int verdict_del(verdict_ctx *ctx, const char *table,
			    const char *cidr);

/*
 * verdict_import - replace the table with the entries of a list file
 * (path, or "-" for standard input), or add them with VERDICT_MERGE.
 * Formats are detected per line (verdict(1)).  Bad lines are logged as
 * "file:line: reason" warnings (LOG_WARNING) and skipped; more than
 * max_bad of them abort with VERDICT_EBADLIST.  A replacement that would
 * leave fewer than half the entries aborts with VERDICT_ESHRINK unless
 * VERDICT_FORCE.  Into a block table, unless VERDICT_ALLOW_WIDE, an entry
 * (a CIDR or a range, as written) holding more public addresses than a /8
 * of IPv4 or a /16 of IPv6 aborts with VERDICT_ERANGE naming file:line,
 * and so does a table that would afterwards cover more than 1/8 of the
 * public IPv4 space.  reason fills in lines without one.  On any error the
 * table is untouched.  *entries gets the number of entries written (the
 * table's size after the import), *warnings the number of warnings;
 * either may be NULL.  A list file writable by every user is imported
 * and logged as a LOG_WARNING (not counted in *warnings).  All of it
 * runs on the calling thread: warnings come in line order.  Memory while it
 * runs: about 100 bytes a line plus the list's size, plus what LMDB
 * holds until the commit (about the size the table adds to data.mdb).
 */
VERDICT_API int verdict_import(verdict_ctx *ctx, const char *table,
			       const char *path, unsigned flags, long max_bad,
			       const char *reason, size_t *entries,
			       size_t *warnings);

typedef struct verdict_entry {
	const char *cidr;	/* canonical */
	const char *reason;	/* NULL when none */
	const char *origin;	/* NULL when none */
	int64_t added;		/* time_t */
	int64_t expires;	/* time_t, 0 = never */
} verdict_entry;

/* verdict_dump - cb once per entry of the table in address order (IPv4
 * first); a non-zero return from cb stops the walk and is returned.
 * Works on a read-only ctx. */
VERDICT_API int verdict_dump(verdict_ctx *ctx, const char *table,
			     int (*cb)(const verdict_entry *, void *),
			     void *arg);

/* verdict_expire - delete expired entries from every table; *purged gets
 * their number (may be NULL). */
VERDICT_API int verdict_expire(verdict_ctx *ctx, size_t *purged);

/*
 * verdict_doctor - check what a profile depends on and report one line per
 * item: the database (readable, lock.mdb writable, tables present), each
 * DNSBL zone (RFC 5782 self-test: "ok", "wild: lists 127.0.0.1", "does not
 * list 127.0.0.2", "not answering", error codes seen), each MMDB file.
 * what is "database", "table", "zone", "geoip", "profile" or
 * "trusted_networks"; name the item (zone display name, file path); ok 1
 * when fine, 0 when not, 2 for a warning (works, but worth a look: a
 * trusted network or allow table wider than a /8); detail one line.  Runs the
 * zone tests now, within the profile's dnsbl_timeout.  Returns VERDICT_OK
 * when the walk completed (whatever the items said), or an error; a
 * non-zero return from cb stops the walk and is returned.
 */
typedef struct verdict_doctor_line {
	const char *what;
	const char *name;
	int ok;
	const char *detail;
} verdict_doctor_line;

VERDICT_API int verdict_doctor(verdict_ctx *ctx, int profile,
			       int (*cb)(const verdict_doctor_line *, void *),
			       void *arg);

/*
 * verdict_feed - write the firewall / MTA / DNS feed of [profile N]: the
 * union of the block tables (the profile's block_tables, or the
 * NULL-terminated list tables) minus the union of the profile's allow
 * tables minus its trusted_networks, unexpired entries only, aggregated
 * into the minimal list of CIDRs (adjacent and overlapping networks
 * merged), IPv4 and IPv6 apart (IPv4 as dotted quads, first).
 *
 * family: 0 both, 4 IPv4 only, 6 IPv6 only.  format: "plain" (one CIDR
 * a line; ranges != 0: "start-end" lines), "pf" (one CIDR a line, for
 * pfctl -T replace -f), "nft" (nft -f script: table inet nft_table with
 * interval sets name_v4 / name_v6, created if missing, flushed and filled
 * in one transaction), "ipset" (ipset restore script: fill name_v4_tmp,
 * swap with name_v4, destroy; re-runnable), "postfix" (cidr: table,
 * "CIDR REJECT reason"), "rbldnsd" (ip4set dataset, IPv4), "rbldnsd6"
 * (ip6trie dataset, IPv6), "json" (one {cidr, table, reason, expires}
 * object a line per contributing entry, unaggregated; valid UTF-8
 * whatever a reason holds, ill-formed bytes as U+FFFD).  The keys the
 * profile's learned tables block now join the set (plain, pf, postfix,
 * rbldnsd); nft and ipset put them in sets of their own,
 * name_learned_v4 / name_learned_v6 (nft: flags interval, timeout;
 * ipset: timeout 0), each element with a timeout of the seconds until
 * its score falls below the threshold; json leaves them out.  postfix and
 * rbldnsd lines carry an entry's reason when the whole network comes
 * from that one entry.  name and nft_table: [A-Za-z0-9_-]{1,24}, NULL =
 * "verdict".
 *
 * Errors: VERDICT_ESTATE (not open), VERDICT_ENOENT (undeclared profile,
 * no such table), VERDICT_EINVAL (unknown format, bad name, an allow
 * table in tables), VERDICT_EIO (writing out failed), VERDICT_ENOMEM,
 * VERDICT_EDB, VERDICT_ERANGE (more networks than an ipset holds).  On
 * error out may hold part of a feed: write to a temporary file and
 * rename it.  Safe on a shared opened ctx (one read transaction).
 */
VERDICT_API int verdict_feed(verdict_ctx *ctx, int profile,
			     const char *const *tables, int family,
			     const char *format, const char *name,
			     const char *nft_table, int ranges, FILE *out);

/*
 * verdict_default_config - the configuration file a front end reads when
 * told none: "/etc/verdict/verdict.conf" under an install prefix of /usr
 * (SYSCONFDIR/verdict/verdict.conf), fixed when the library was built.
 * Static storage, never NULL.  Safe from any thread.
 */
VERDICT_API const char *verdict_default_config(void);

/*
 * Live contexts.  A verdict_live holds the context of one configuration
 * file for a front end that runs inside a long-lived process on many
 * threads (the MTA callout, Exim's ${dlfunc}, a daemon) and follows the
 * file without a restart:
 *  - the first verdict_live_get builds the context (verdict_new, the
 *    holder's log callback, verdict_load_config(path), verdict_open with
 *    the holder's flags); a get on another thread meanwhile returns
 *    VERDICT_EBUSY at once instead of waiting;
 *  - the file is stat()ed at most once a second, by whichever get comes
 *    first after the second is over; when its device, inode, size or
 *    mtime changed, that get builds a new context (unless another thread
 *    is building) and swaps it in atomically.  A new file that does not
 *    load keeps the running context and is logged once (LOG_ERR
 *    "configuration changed but cannot be used; keeping the running one:
 *    WHY").  Without a running context the build is retried when the file
 *    changes and at least every minute;
 *  - as often, the running context's database is checked
 *    (verdict_database_changed): a directory moved away and made anew is
 *    reopened the same way (LOG_NOTICE "PATH database replaced:
 *    reopened"; a new one that cannot be opened keeps the running
 *    context, logged once);
 *  - a replaced context is freed when no get counted in to it remains;
 *    nobody waits for that: a get in a later second finishes it;
 *  - after fork() the child forgets the parent's contexts without
 *    touching them (they leak, a few per holder) and its first get builds
 *    its own.
 * Successful builds are logged as "PATH loaded" (LOG_INFO; LOG_NOTICE
 * when it follows a failure) and "PATH changed: configuration reloaded"
 * (LOG_NOTICE).  A failure without a running context is not logged: the
 * caller knows how often to say so (verdict_live_why).
 */
typedef struct verdict_live verdict_live;

/*
 * verdict_live_new - a holder for the configuration file path (copied),
 * whose contexts are opened with flags (verdict_open) and log through fn
 * with arg (both may be NULL: nothing is logged).  Nothing is read until
 * the first verdict_live_get.  Returns NULL on error: VERDICT_EINVAL (path
 * NULL or empty) or VERDICT_ENOMEM, detail in verdict_errdetail().  Free
 * with verdict_live_free().  Safe from any thread.
 */
VERDICT_API verdict_live *verdict_live_new(const char *path, unsigned flags,
					   verdict_log_fn fn, void *arg);

/*
 * verdict_live_get - the running context in *ctx, counted in until
 * verdict_live_put(lv, *hold): the context stays valid (and is not freed
 * by a reload) until then, on this thread.  Use it like any opened
 * context (verdict_check_ex, verdict_profile_callout, ...), not with the
 * functions that change or free it.  The call may do the holder's
 * housekeeping (first build, once-a-second stat, reload, ending a grace
 * period): never does it wait for another thread.
 *
 * Returns VERDICT_OK with *ctx and *hold set; otherwise *ctx is NULL and
 * nothing is to be put: VERDICT_EBUSY (the first build is under way on
 * another thread), or the error of the last failed build when there is
 * no running context (VERDICT_ECONFIG, VERDICT_ENOENT, VERDICT_EPERM, ...;
 * its text from verdict_live_why(), not verdict_errdetail()).  Safe on a
 * shared holder: any number of threads at once.
 */
VERDICT_API int verdict_live_get(verdict_live *lv, verdict_ctx **ctx,
				 unsigned *hold);

/* verdict_live_put - count out of the context of a successful get (same
 * thread, hold as the get gave it); no call on that context after it.
 * Safe on a shared holder. */
VERDICT_API void verdict_live_put(verdict_live *lv, unsigned hold);

/*
 * verdict_live_why - why the last build failed, "PATH: sentence detail"
 * (e.g. "/etc/verdict/verdict.conf: ... :2: unknown key ..."), copied into
 * buf (len bytes, NUL-terminated; "" when no build failed).  Returns
 * VERDICT_OK, or VERDICT_ERANGE when buf is NULL, len 0 or the text was
 * cut.  Safe on a shared holder.
 */
VERDICT_API int verdict_live_why(verdict_live *lv, char *buf, size_t len);

/* verdict_live_free - free the holder and its contexts; NULL is accepted.
 * No other thread may use lv (or hold one of its contexts) during or
 * after the call. */
VERDICT_API void verdict_live_free(verdict_live *lv);

/*
 * Networks as values, for front ends that read CIDR lists (verdict feed
 * --diff compares an earlier plain feed with the new one).  net is the
 * network address in 16 bytes, network order, IPv4 a.b.c.d stored as
 * ::ffff:a.b.c.d; plen counts in those 128 bits (an IPv4 /n is 96 + n).
 * A plain value: copy it, compare it, no cleanup.
 */
typedef struct verdict_cidr {
	unsigned char net[16];	/* host bits zero */
	unsigned char plen;	/* 0..128 */
} verdict_cidr;

#define VERDICT_CIDR_TEXT_MAX 50	/* longest text + NUL */

/*
 * verdict_cidr_parse - "addr" (a host: /32 or /128) or "addr/len" from
 * the len bytes of text (no NUL needed), strictly, as tables accept it.
 * Returns VERDICT_OK; VERDICT_ERANGE when host bits were set (*out holds
 * the network with them cleared); VERDICT_EINVAL when malformed (*out
 * untouched).  Detail in verdict_errdetail().  Safe from any thread.
 */
VERDICT_API int verdict_cidr_parse(const char *text, size_t len,
				   verdict_cidr *out);

/* verdict_cidr_cmp - <0, 0, >0: by net as a 16-byte big-endian number,
 * then by length, shorter first (so IPv4 sorts before global IPv6, as in
 * a plain feed).  Safe from any thread. */
VERDICT_API int verdict_cidr_cmp(const verdict_cidr *a, const verdict_cidr *b);

/* verdict_cidr_format - canonical text ("192.0.2.0/24", RFC 5952
 * "2001:db8::/32") into buf (len >= 1 bytes, NUL-terminated); returns
 * its length, >= len when it was cut (VERDICT_CIDR_TEXT_MAX never cuts).
 * Safe from any thread. */
VERDICT_API size_t verdict_cidr_format(const verdict_cidr *c, char *buf,
				       size_t len);

/*
 * verdict_database_changed - 1 when the database ctx opened has been
 * replaced: DIR/data.mdb is now another file (device, inode) than the one
 * opened, as when the directory was moved away and made anew; the caller
 * then opens a new context and frees this one (verdict_live does it by
 * itself).  The file is stat()ed at most once a second (coarse monotonic
 * clock); between two stats, and for a context without a database, the
 * answer is 0; once 1, always 1.  Safe on a shared opened ctx.
 */
VERDICT_API int verdict_database_changed(verdict_ctx *ctx);

/*
 * verdict_profile_deadline - the deadline of a check made from inside an
 * MTA (the callout, Exim's ${dlfunc}) under [profile N]: *timeout_us gets
 * the smaller of its callout_timeout and its dnsbl_timeout, in
 * microseconds (may be NULL), to pass to verdict_check_ex.  Returns
 * VERDICT_OK, or VERDICT_ENOENT when the profile is not declared.  Safe
 * on a shared opened ctx; works before verdict_open too.
 */
VERDICT_API int verdict_profile_deadline(const verdict_ctx *ctx, int profile,
					 long *timeout_us);
/*
 * Learned reputation (verdict.conf(5) learn_* keys, learned_tables).
 * A content filter that judged a message spam reports its client's
 * address; each source key (the address masked to learn_prefix_v4 /
 * learn_prefix_v6) keeps a score that halves every half-life.  While the
 * score is >= learn_threshold - 0.001 the key is blocked by the learned
 * tables of a profile (after its allow and block tables, before GeoIP and
 * DNSBL).  Each new crossing of the threshold doubles the key's
 * half-life, up to learn_max_half_life.  Times are whole seconds of the
 * wall clock.
 *
 * Reports for 127.0.0.1, ::1, the host's own addresses, the profile's
 * trusted_networks and its allow tables are ignored and counted.
 */

/*
 * verdict_report - queue one report of weight (-100..100, finite; a
 * negative weight lowers the score) with reason (<= 200 bytes, NULL for
 * none) for ip into the first learned table of profile 1 (or of the
 * lowest-numbered profile that names one).  verdict_report_ex names the
 * profile.  Reports from all threads are committed together: one LMDB
 * write transaction per batch, at most learn_commit_interval after the
 * first report of the batch, by a committer thread the first report
 * starts (its failures are logged and counted, see
 * verdict_report_counts).  Every report of a batch is timed at the
 * second of its first report.  Needs a ctx opened with
 * VERDICT_OPEN_WRITE (VERDICT_ESTATE otherwise).  Errors (nothing
 * queued): VERDICT_EINVAL (malformed ip, weight NaN or infinite),
 * VERDICT_ERANGE (weight out of range, reason too long), VERDICT_ENOENT
 * (the profile names no learned table).  An ignored address returns
 * VERDICT_OK.  Safe on a shared opened ctx.
 */
VERDICT_API int verdict_report(verdict_ctx *ctx, const char *ip,
			       double weight, const char *reason);
VERDICT_API int verdict_report_ex(verdict_ctx *ctx, int profile,
				  const char *ip, double weight,
				  const char *reason);

/* verdict_report_flush - commit the queued reports now, on the calling
 * thread; returns the error of that commit (VERDICT_OK when nothing was
 * queued).  verdict_free() flushes too.  Safe on a shared opened ctx. */
VERDICT_API int verdict_report_flush(verdict_ctx *ctx);

/* One report of verdict_report_many. */
typedef struct verdict_report_item {
	const char *ip;
	double weight;
	const char *reason;	/* NULL for none */
} verdict_report_item;

/*
 * verdict_report_many - n reports into the first learned table of
 * profile, all or nothing, in one write transaction on the calling
 * thread (not queued), timed at the current second.  Every item is
 * checked first: on the first bad one (errors as verdict_report) nothing
 * is written and *bad gets its index (bad may be NULL).  *ignored gets
 * the number of ignored addresses (may be NULL).  Safe on a shared
 * opened ctx: commits of one ctx are serialised.
 */
VERDICT_API int verdict_report_many(verdict_ctx *ctx, int profile,
				    const verdict_report_item *items,
				    size_t n, size_t *bad, size_t *ignored);

/* verdict_report_counts - reports of this ctx so far: accepted (queued or
 * written), ignored (safety rules), lost (in a batch whose commit
 * failed).  Any pointer may be NULL.  Safe on a shared opened ctx. */
VERDICT_API void verdict_report_counts(verdict_ctx *ctx, uint64_t *accepted,
				       uint64_t *ignored, uint64_t *lost);

/*
 * verdict_forgive - delete every learned record inside cidr (an address
 * or a network) from every learned table, in one write transaction;
 * *removed gets their number (may be NULL).  Queued reports are flushed
 * first.  Needs VERDICT_OPEN_WRITE.  Errors: VERDICT_EINVAL (malformed),
 * VERDICT_ESTATE.
 */
VERDICT_API int verdict_forgive(verdict_ctx *ctx, const char *cidr,
				size_t *removed);

/* One key of a learned table, as verdict_learned_dump hands it out. */
typedef struct verdict_learned_entry {
	const char *key;	/* canonical CIDR of the source key */
	double score;		/* now, decayed */
	uint32_t reports;
	int64_t first_seen, last_seen;	/* time_t */
	const char *reason;	/* of the last report; NULL when none */
	uint32_t half_life;	/* seconds */
	int64_t blocked_until;	/* time_t, 0 when not blocked now */
} verdict_learned_entry;

/* verdict_learned_dump - cb once per key of the learned table in address
 * order (IPv4 first); a non-zero return from cb stops the walk and is
 * returned.  VERDICT_EINVAL when table is not a learned table,
 * VERDICT_ENOENT when there is none.  Works on a read-only ctx. */
VERDICT_API int verdict_learned_dump(verdict_ctx *ctx, const char *table,
				     int (*cb)(const verdict_learned_entry *,
					       void *), void *arg);
/*
 * Metrics.  Every opened context counts what its checks do, in counters
 * that cost no lock on the check path (each thread adds to its own
 * stripe; a reader sums them), and hands them out as metric families in
 * the Prometheus model.  Counting starts at verdict_open and belongs to
 * the context: a reloaded configuration is a new context whose counters
 * start at zero, which Prometheus reads as a counter reset.
 *
 * Families (labels in braces; every family is declared, with its help
 * text, even before it has a sample):
 *   verdict_checks_total{profile,verdict,source}	counter
 *	finished checks; verdict: block, allow, neutral, tempfail;
 *	source: table, learned, geoip, dnsbl, trusted, none
 *	(verdict_source_kind_name)
 *   verdict_would_block_total{profile,source}		counter
 *	mode = monitor: blocks answered NEUTRAL (also counted above as
 *	neutral)
 *   verdict_errors_total{error}			counter
 *	checks that failed (kind VERDICT_ERROR); error: einval, enomem,
 *	edb, enoent, efork, estate, ... (the verdict_err name, lower case)
 *   verdict_check_duration_seconds{profile,source}	histogram
 *	whole checks by the kind of source that decided, buckets
 *	0.0001 .. 5 s; a source's histogram appears with its first check
 *   verdict_dnsbl_duration_seconds{profile}		histogram
 *	the DNSBL step of the checks that ran it
 *   verdict_dnsbl_queries_total{zone,result}		counter
 *	one per zone a check asked, answered by the cache or the network;
 *	zone is the public display name (dnsbl_reply_names), never a
 *	secret DQS domain; result: listed, not_listed, timeout, error,
 *	ignored (operator error codes only, or a zone gone wild).  Zones
 *	a check did not wait for (its outcome was settled) are not counted
 *   verdict_dnsbl_answer_duration_seconds{zone}	histogram
 *	time from the start of a check to the zone's answer (0 when the
 *	cache answered), zones that answered (millisecond resolution)
 *   verdict_dnsbl_cache_hits_total, verdict_dnsbl_cache_misses_total
 *							counter
 *   verdict_zone_up{zone}				gauge
 *	1 when the zone's last RFC 5782 self-test passed (it lists
 *	127.0.0.2, not 127.0.0.1), 0 when it failed, is wild or silent;
 *	no sample before the first test
 *   verdict_table_entries{table}			gauge
 *   verdict_table_last_import_timestamp_seconds{table}	gauge
 *	of a table that verdict_import filled (no sample otherwise)
 *   verdict_reloads_total{result}			counter
 *	verdict_live reloads of this process, result: ok, failed
 */
typedef enum verdict_stat_type {
	VERDICT_STAT_COUNTER = 0,
	VERDICT_STAT_GAUGE = 1,
	VERDICT_STAT_HISTOGRAM = 2
} verdict_stat_type;

#define VERDICT_STAT_LABELS_MAX 4

/*
 * One item of verdict_stats: a family's declaration (name NULL, no
 * value) or one of its samples.  A histogram's samples are named
 * family_bucket (with an "le" label, the bound as text, "+Inf" last),
 * family_sum and family_count.  All strings are valid during the
 * callback only.
 */
typedef struct verdict_stat {
	const char *family;	/* "verdict_checks_total" */
	const char *help;	/* one line */
	int type;		/* verdict_stat_type */
	const char *name;	/* the sample's name, NULL: a declaration */
	size_t nlabels;
	const char *label_name[VERDICT_STAT_LABELS_MAX];
	const char *label_value[VERDICT_STAT_LABELS_MAX];
	double value;
} verdict_stat;

/*
 * verdict_stats - cb for every family above in turn: its declaration,
 * then its samples.  Reads the counters, the zones' self-test state and
 * the database's table figures (one read transaction; none when the
 * context opened no database).  A non-zero return from cb stops the walk
 * and is returned.  Errors: VERDICT_ESTATE (not open), VERDICT_EDB.
 * Safe on a shared opened ctx, beside running checks.
 */
VERDICT_API int verdict_stats(verdict_ctx *ctx,
			      int (*cb)(const verdict_stat *, void *),
			      void *arg);

/*
 * verdict_stats_prometheus - verdict_stats rendered in the Prometheus
 * text exposition format 0.0.4 ("# HELP", "# TYPE", then samples) into
 * out.  Errors: those of verdict_stats, VERDICT_EIO when writing failed.
 * Safe on a shared opened ctx (out is the caller's).
 */
VERDICT_API int verdict_stats_prometheus(verdict_ctx *ctx, FILE *out);

/*
 * verdict_stats_write - the same into the file path, replaced whole: it
 * is written to "path.tmp" in the same directory and renamed over path,
 * so a reader (node_exporter's textfile collector, verdict stats) never
 * sees half a file.  Mode 0644.  Errors: those of verdict_stats,
 * VERDICT_EIO / VERDICT_EPERM / VERDICT_ENOENT (detail names the file).
 * Safe on a shared opened ctx; two writers of one path must not overlap.
 */
VERDICT_API int verdict_stats_write(verdict_ctx *ctx, const char *path);

/*
 * verdict_set_stats - counting on (1, the default) or off (0) for the
 * checks of ctx: off, the families are declared without samples of their
 * own (for measuring what counting costs).  Before verdict_open() only
 * (VERDICT_ESTATE after).
 */
VERDICT_API int verdict_set_stats(verdict_ctx *ctx, int on);

/* verdict_stats_reloaded - count one configuration reload of this
 * process (ok 1) or one that failed (ok 0) in verdict_reloads_total, for
 * a front end that reloads by building a new context itself (verdict_live
 * counts its own).  Safe from any thread. */
VERDICT_API void verdict_stats_reloaded(int ok);

#ifdef __cplusplus
}
#endif

#endif /* VERDICT_H */
