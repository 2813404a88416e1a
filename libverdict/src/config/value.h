/*
 * value.h - the values of verdict.conf(5) keys
 *
 * A value is checked against its key's type and range and stored, with
 * its strings and lists in the configuration's arena, at the key's offset
 * from a base: the vd_config for a global key, the config_profile being
 * read for a per-profile one.
 */
#ifndef VD_VALUE_H
#define VD_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "keys.h"
#include "lexer.h"

/*
 * vd_value_set - check v[0..vlen) (NUL-terminated) as a value of k and
 * store it at base + k->off.  0 ok; -1 with "FILE:LINE: key: what" (or
 * out of memory) in lx's buffer.  On error the field may hold a partial
 * list; the whole configuration is dropped then anyway.
 */
int vd_value_set(const vd_lexer *lx, vd_arena *a, const vd_key *k,
		 char *base, const char *v, size_t vlen, int line);

/* vd_value_parse_duration - "1500ms", "2s", "5m", "1h", "7d", bare number =
 * seconds; into milliseconds.  0 ok, -1 malformed or overflow. */
int vd_value_parse_duration(const char *s, int64_t *ms);

#endif
