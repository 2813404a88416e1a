/*
 * verdict_cli.h - shared pieces of the verdict(1) command-line tool
 *
 * The CLI is written against the public API (verdict.h) only.  This
 * header joins its three files:
 *	verdict.c	main, global options, help, context opening, errors
 *	verdict_admin.c	table, add, del, import, dump, expire, doctor
 *	verdict_check.c	check (single IPs, stdin streaming, worker pool)
 *	verdict_stats.c	stats (tables and metrics files)
 *
 * Exit status everywhere: 0 success, 2 usage/config/data error; check
 * adds 1 (a block) and 3 (a tempfail), doctor 1 (an item not ok).
 */
#ifndef VERDICT_CLI_H
#define VERDICT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "verdict.h"

#define EXIT_OK		0
#define EXIT_FOUND	1	/* check: a block; doctor: an item not ok */
#define EXIT_ERR	2	/* usage, config, data error */
#define EXIT_TEMPFAIL	3

/* Global options: before the command. */
typedef struct cli_global {
	const char *config;	/* -c, or NULL */
	const char *dbdir;	/* -d, or NULL */
} cli_global;

/* A growable byte buffer; p is always NUL-terminated once used. */
typedef struct sbuf {
	char *p;
	size_t len;
	size_t cap;
} sbuf;

void sbuf_reserve(sbuf *b, size_t more);
void sbuf_add(sbuf *b, const char *s, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_putc(sbuf *b, char c);
void sbuf_long(sbuf *b, long v);
void sbuf_json_str(sbuf *b, const char *s);	/* "..." or null */
void sbuf_free(sbuf *b);

/* cli_error - "verdict: WHAT: detail" on stderr, detail being
 * verdict_errdetail() or, when empty, verdict_strerror(err). */
void cli_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* cli_msg - "verdict: ..." on stderr. */
void cli_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_usage - a usage error for COMMAND: message plus the hint; returns
 * EXIT_ERR. */
int cli_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cli_badopt - the usage error for getopt_long's ':' or '?' (opterr 0,
 * optstring starting with ':'). */
int cli_badopt(const char *cmd, int c, char **argv);

/* cli_open - new context, log callback, config, -d, verdict_open(flags).
 * NULL after printing the error; except that with open_err non-NULL a
 * failure of verdict_open() itself is not printed but left in *open_err
 * and cli_open_detail (doctor reports it as an item). */
verdict_ctx *cli_open(const cli_global *g, const char *what, unsigned flags,
		      int *open_err);
extern char cli_open_detail[1024];

/* cli_parse_int - strict decimal in [min, max]; 0 ok, -1 otherwise. */
int cli_parse_int(const char *s, long min, long max, long *out);
/* cli_parse_expires - "7d"-style duration from now, or RFC 3339 UTC
 * "2026-12-31T00:00:00Z"; 0 ok, -1 otherwise. */
int cli_parse_expires(const char *s, time_t now, time_t *out);
/* cli_format_time - RFC 3339 UTC into buf (at least 32 bytes). */
void cli_format_time(int64_t t, char *buf, size_t size);

/* Options shared by every command's getopt_long table. */
#define CLI_OPT_HELP 'h'

int cmd_table(const cli_global *g, int argc, char **argv);
int cmd_add(const cli_global *g, int argc, char **argv);
int cmd_del(const cli_global *g, int argc, char **argv);
int cmd_import(const cli_global *g, int argc, char **argv);
int cmd_dump(const cli_global *g, int argc, char **argv);
int cmd_expire(const cli_global *g, int argc, char **argv);
int cmd_doctor(const cli_global *g, int argc, char **argv);

/* verdict_learn.c */
int cmd_report(const cli_global *g, int argc, char **argv);
int cmd_forgive(const cli_global *g, int argc, char **argv);
int cli_learned(verdict_ctx *ctx, const char *table);
int cli_learned_dump(verdict_ctx *ctx, const char *table, int json);
/* verdict_feed.c: opens its own context; exit 0 written, 1 --diff
 * changed, 2 error */
int cmd_feed(int argc, char **argv, const char *config, const char *dbdir);
int cmd_check(const cli_global *g, int argc, char **argv);
/* verdict_stats.c: the tables and the metrics files of metrics_dir */
int cmd_stats(const cli_global *g, int argc, char **argv);

#endif /* VERDICT_CLI_H */
