/*
 * json.h - JSON string text that is valid whatever the bytes
 *
 * The one escaping routine of every JSON writer: the library's json feed
 * and verdict(1)'s --json outputs (which link it from the static
 * library; this is the one private header the CLI includes).
 */
#ifndef VD_JSON_H
#define VD_JSON_H

#include <stddef.h>

/* Output bytes per input byte, at most ("\u001f", "\ufffd" for one). */
#define VD_JSON_ESC_MAX	6

/* vd_json_escape - as much of s[0..n) as fits in dst[0..size), as the
 * inside of a JSON string (no quotes, no NUL written): valid UTF-8
 * unchanged, '"' and '\' escaped, control characters and DEL as \n, \r,
 * \t or \u00XX, each maximal subpart of an ill-formed sequence as one
 * "\ufffd".  *used gets the bytes of s consumed, never part of a
 * sequence; it is n whenever size >= n * VD_JSON_ESC_MAX, and at least
 * one byte when n > 0 and size >= VD_JSON_ESC_MAX.  Returns the bytes
 * written.  Thread safe (no state). */
size_t vd_json_escape(char *dst, size_t size, const char *s, size_t n,
		      size_t *used);

#endif
